import { expect, test, type Page } from "@playwright/test";
import { logInToDemo, twoUsersInOneRoom } from "./helpers";

// Moving around without a mouse, and what the room does when messages
// arrive while the reader is up in the history.

/** The rooms the list shows, in order, with whether each has unread messages. */
async function listed(page: Page): Promise<{ href: string; unread: boolean }[]> {
  await expect(page.locator("a[data-room-link]").first()).toBeVisible();
  // Hydrated (the keys are the browser's): times no longer say UTC.
  await expect(page.locator("time").first()).not.toContainText("UTC");
  return page.locator("a[data-room-link]").evaluateAll((links) =>
    links.map((link) => ({
      href: link.getAttribute("href") ?? "",
      unread: link.getAttribute("data-unread") === "true",
    })),
  );
}

test("Alt+arrows move between rooms, with Shift between rooms with unread messages", async ({ page }) => {
  // Margaret has read the rooms she last wrote in, not "random".
  await logInToDemo(page, "margaret");
  const rooms = await listed(page);
  expect(rooms.length).toBeGreaterThan(2);
  const firstUnread = rooms.find((room) => room.unread);
  // Some read room comes before it, to be skipped.
  expect(rooms.findIndex((room) => room.unread)).toBeGreaterThan(0);

  // Shift, from the rooms page: straight to the first room with unread
  // messages, past those without.
  await page.keyboard.press("Alt+Shift+ArrowDown");
  await expect(page).toHaveURL(new RegExp(`${firstUnread?.href}$`));
  await expect(page.getByRole("region", { name: "History" })).toBeVisible();

  // Without Shift, one room at a time, either way, from the message box too.
  await page.goto("/rooms");
  await listed(page);
  await page.keyboard.press("Alt+ArrowDown");
  await expect(page).toHaveURL(new RegExp(`${rooms[0].href}$`));
  await expect(page.getByRole("region", { name: "History" })).toBeVisible();
  await page.keyboard.press("Alt+ArrowDown");
  await expect(page).toHaveURL(new RegExp(`${rooms[1].href}$`));
  await page.keyboard.press("Alt+ArrowUp");
  await expect(page).toHaveURL(new RegExp(`${rooms[0].href}$`));
  await page.getByLabel("Message").focus();
  await page.keyboard.press("Alt+ArrowDown");
  await expect(page).toHaveURL(new RegExp(`${rooms[1].href}$`));
});

test("? lists the shortcuts in a dialog that Escape closes, giving the focus back", async ({ page }) => {
  await logInToDemo(page);
  await expect(page.locator("time").first()).not.toContainText("UTC");
  // Typed into a field, ? is just a character.
  await page.getByLabel("Search").press("?");
  await expect(page.getByLabel("Search")).toHaveValue("?");
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toHaveCount(0);
  await page.getByLabel("Search").fill("");
  await page.getByLabel("Search").blur();

  await page.getByRole("heading", { level: 1, name: "Rooms" }).click();
  await page.keyboard.press("?");
  const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Next room with unread messages");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  // From the top bar's button, and back to it.
  const button = page.getByRole("button", { name: "Keyboard shortcuts" });
  await button.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close" })).toBeFocused();
  // The page behind is out of reach while it is open.
  for (let n = 0; n < 3; n++) {
    await page.keyboard.press("Tab");
    const behind = await page.evaluate(() => {
      const active = document.activeElement;
      return active !== null && active !== document.body && !active.closest("dialog");
    });
    expect(behind).toBe(false);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(button).toBeFocused();
});

test("Escape closes the member list and gives the focus back to its button", async ({ page }) => {
  await logInToDemo(page);
  await page.getByRole("link", { name: /^general\b/ }).first().click();
  const toggle = page.getByRole("button", { name: "5 members" });
  await toggle.click();
  await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
  await page.getByRole("heading", { name: "Members" }).click();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("heading", { name: "Members" })).toHaveCount(0);
  await expect(toggle).toBeFocused();
});

test("messages arriving while the reader is up in the history wait behind a pill", async ({ browser }) => {
  const { pageA, pageB, roomId } = await twoUsersInOneRoom(browser);
  const post = async (body: string) =>
    expect((await pageA.request.post(`/api/rooms/${roomId}/messages`, { data: { body } })).status()).toBe(201);
  for (let n = 1; n <= 40; n++) await post(`history line ${n}`);
  await expect(pageB.getByRole("region", { name: "History" }).getByText("history line 40")).toBeVisible();

  // B scrolls up to read; two messages arrive.
  const history = pageB.getByRole("region", { name: "History" });
  await history.evaluate((el) => (el.scrollTop = 0));
  await expect(pageB.getByRole("region", { name: "History" }).getByText("history line 40")).not.toBeInViewport();
  await post("arrived while reading");
  await post("and another");
  const pill = pageB.getByRole("button", { name: "2 new messages" });
  await expect(pill).toBeVisible();
  // The reader stays where they were.
  await expect(pageB.getByRole("region", { name: "History" }).getByText("history line 1", { exact: true })).toBeInViewport();
  // Announced to a screen reader, politely, one at a time.
  await expect(pageB.locator("[aria-live=polite]").filter({ hasText: "and another" })).toHaveCount(1);

  await pill.click();
  await expect(pageB.getByRole("region", { name: "History" }).getByText("and another")).toBeInViewport();
  await expect(pill).toHaveCount(0);

  // At the bottom, a new message simply shows.
  await post("seen at once");
  await expect(pageB.getByRole("region", { name: "History" }).getByText("seen at once")).toBeInViewport();
  await expect(pageB.getByRole("button", { name: /new message/ })).toHaveCount(0);
});
