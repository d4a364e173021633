import { expect, test, type Page } from "@playwright/test";
import { logInToDemo } from "../tests/helpers";

// The main screens as the demo's Ada sees them, at a phone's, a tablet's
// and a desktop's width, in both themes: compared with the images in
// screens/ (visual.sh). A change that moves pixels on purpose is taken in
// with `make screenshots`, after looking at the new images.

const WIDTHS = [
  { name: "phone", width: 375, height: 740 },
  { name: "tablet", width: 768, height: 1024 },
  { name: "desktop", width: 1280, height: 800 },
] as const;

async function theme(page: Page, dark: boolean): Promise<void> {
  await page.emulateMedia({ colorScheme: dark ? "dark" : "light", reducedMotion: "reduce" });
}

/** Waits until the page is hydrated and its times are local; no hover. */
async function settled(page: Page): Promise<void> {
  await expect(page.locator("time").first()).not.toContainText("UTC");
  await page.evaluate(() => document.fonts.ready);
  await page.mouse.move(0, 0);
}

for (const size of WIDTHS) {
  test.describe(`${size.name}`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test(`the login screen, ${size.name}`, async ({ page }) => {
      await theme(page, false);
      await page.goto("/login");
      await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
      await expect(page).toHaveScreenshot(`login-${size.name}.png`);
    });

    for (const dark of [false, true]) {
      const shade = dark ? "dark" : "light";

      test(`the rooms page, ${size.name}, ${shade}`, async ({ page }) => {
        await theme(page, dark);
        await logInToDemo(page);
        await expect(page.getByRole("link", { name: /^general/ }).first()).toBeVisible();
        await settled(page);
        await expect(page).toHaveScreenshot(`rooms-${size.name}-${shade}.png`);
      });

      test(`a room, ${size.name}, ${shade}`, async ({ page }) => {
        await theme(page, dark);
        await logInToDemo(page);
        await page.goto("/rooms/1");
        await expect(page.getByText("Bring one thing that went well")).toBeVisible();
        await settled(page);
        // Nobody may be typing, and the composer has no focus ring.
        await page.getByRole("region", { name: "History" }).evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await expect(page).toHaveScreenshot(`room-${size.name}-${shade}.png`);
      });
    }
  });
}

test.describe("desktop, details", () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("the room with its members beside it", async ({ page }) => {
    await theme(page, false);
    await logInToDemo(page);
    await page.goto("/rooms/1");
    await page.getByRole("button", { name: "5 members" }).click();
    await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
    await expect(page.getByText("margaret").last()).toBeVisible();
    await settled(page);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await expect(page).toHaveScreenshot("room-members-desktop-light.png");
  });

  test("the keyboard shortcuts", async ({ page }) => {
    await theme(page, true);
    await logInToDemo(page);
    await page.goto("/rooms/1");
    await settled(page);
    await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
    await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
    await expect(page).toHaveScreenshot("shortcuts-desktop-dark.png");
  });
});
