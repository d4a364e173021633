import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// The two-node scenario only; nodes.sh starts the nodes first.
export default defineConfig({
  ...base,
  testIgnore: undefined,
  testMatch: /nodes\.spec\.ts/,
});
