import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The visual comparisons (visual.sh, `make screenshots`): the main screens
// at three widths against the images in visual/screens/, from a server of
// their own on a fresh demo, so nothing another story did shows up.
export default defineConfig({
  ...base,
  testDir: "./visual",
  testIgnore: [],
  globalSetup: "./global-setup.ts",
  snapshotPathTemplate: "{testDir}/screens/{arg}{ext}",
  expect: {
    timeout: 10_000,
    // Some pixels may differ (font rendering of another Chromium build), not
    // many: folding away the sidebar's create-room form changed only 2% of
    // a desktop screen.
    toHaveScreenshot: { maxDiffPixelRatio: 0.005, animations: "disabled", caret: "hide" },
  },
  use: {
    ...base.use,
    baseURL: "http://127.0.0.1:3001",
    timezoneId: "UTC",
    locale: "en-GB",
  },
});
