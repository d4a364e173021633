import { expect, test, type Page } from "@playwright/test";
import { register, uniqueName } from "./helpers";

// Dark mode follows the system until the reader chooses, and the choice
// outlives a reload: the server renders the page in it (no flash of light).

async function background(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

test("the theme follows the system until chosen, and the choice survives a reload", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/login");
  const toggle = page.getByRole("button", { name: "Dark theme" });
  // The system prefers dark, and nothing was chosen: dark.
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  const dark = await background(page);

  // The system turns light while the page is open: so does the page.
  await page.emulateMedia({ colorScheme: "light" });
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  const light = await background(page);
  expect(light).not.toEqual(dark);

  // Chosen: dark, against the light system, across a reload and a new page.
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  expect(await background(page)).toEqual(dark);
  await page.reload();
  // Dark before any script ran: the server rendered it.
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  await expect(toggle).toHaveAttribute("aria-pressed", "true");
  expect(await background(page)).toEqual(dark);

  await register(page, uniqueName("night"));
  expect(await background(page)).toEqual(dark);

  // Chosen light, against a dark system.
  await page.emulateMedia({ colorScheme: "dark" });
  await page.getByRole("button", { name: "Dark theme" }).click();
  await expect(page.getByRole("button", { name: "Dark theme" })).toHaveAttribute("aria-pressed", "false");
  await page.reload();
  await expect(page.locator("html")).toHaveClass(/\blight\b/);
  expect(await background(page)).toEqual(light);
});
