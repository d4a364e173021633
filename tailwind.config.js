/** Tailwind configuration for Chat, loaded by style/tailwind.css (`@config`),
 *  which also names the files classes are taken from (`@source`). */
module.exports = {
  theme: {
    extend: {
      fontFamily: {
        // The colour emoji fonts of each system come last, so an emoji the
        // text fonts lack is drawn in colour rather than as a box.
        sans: [
          "Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif",
          "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji",
        ],
      },
    },
  },
  plugins: [],
};
