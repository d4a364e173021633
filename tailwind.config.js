/** Tailwind configuration for Chat, loaded by style/tailwind.css (`@config`).
 *  Classes live in the Rust views (app/src) and the React island (island/). */
module.exports = {
  content: ["./app/src/**/*.rs", "./island/**/*.jsx"],
  theme: {
    extend: {
      fontFamily: {
        sans: ["Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
      },
    },
  },
  plugins: [],
};
