import { expect, type Page } from "@playwright/test";

/** A name no earlier run has used, within the username rules. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export const PASSWORD = "correct horse battery";

export async function register(page: Page, username: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/rooms$/);
  await expect(page.getByRole("button", { name: "Log out", exact: true })).toBeVisible();
}
