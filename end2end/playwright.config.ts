import { defineConfig } from "@playwright/test";

// suite.sh (`make e2e`) starts the release server, then runs this suite;
// global-setup waits until the server answers.
export default defineConfig({
  testDir: "./tests",
  // Needs two server nodes: run by nodes.sh with playwright.nodes.config.ts.
  testIgnore: /nodes\.spec\.ts/,
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
