import { expect, test, type Page } from "@playwright/test";
import { logInToDemo } from "./helpers";

// The timeline of a room with history: the demo (`chat demo`, written by
// suite.sh as it stands at DEMO_AT) spans ten days, so its "general" room
// shows runs of one author's lines under one name and a line per day. The
// browser's clock is held just after DEMO_AT, so "Today" and "Yesterday"
// mean the same on every run.

async function openRoom(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name: new RegExp(`^${name}\\b`) }).first().click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

test.describe("in New York, in US English", () => {
  test.use({ timezoneId: "America/New_York", locale: "en-US" });

  test("a room's history is grouped into runs under one name, with a line per day", async ({ page }) => {
    await logInToDemo(page);
    await openRoom(page, "general");
    const history = page.getByRole("region", { name: "History" });

    // Days in the reader's zone: the 16:45 UTC deploy is 11:45 in New
    // York, yesterday; this morning's 14:56 UTC is 9:56, today.
    await expect(history.getByRole("heading", { level: 2 })).toHaveText([
      "Saturday, November 21",
      "Wednesday",
      "Saturday",
      "Yesterday",
      "Today",
    ]);

    // Ada's two lines a minute apart are one run: one name, one avatar.
    const first = history.getByRole("article").filter({ hasText: "Morning all!" });
    const second = history.getByRole("article").filter({ hasText: "Release notes are in" });
    await expect(first.locator("header")).toBeVisible();
    await expect(first.locator("header")).not.toHaveClass(/sr-only/);
    await expect(second.locator("header")).toHaveClass(/sr-only/);
    // Still named for a screen reader, with the full date.
    await expect(second.locator("header")).toContainText("ada");
    await expect(second.locator("time")).toContainText("Saturday, November 21, 2026 at 4:13 AM");
    // Grace answering starts a run of her own.
    const grace = history.getByRole("article").filter({ hasText: "after standup" });
    await expect(grace.locator("header")).not.toHaveClass(/sr-only/);

    // A reply starts a run even straight after its author's own line.
    const reply = history.getByRole("article").filter({ hasText: "reconnect timeout" });
    await expect(reply.locator("header")).not.toHaveClass(/sr-only/);

    // Clock times as the locale writes them (12-hour in the US).
    await expect(history.getByRole("article").filter({ hasText: "Standup moves" }).locator("time")).toContainText(
      "10:39 AM",
    );
  });
});

test.describe("in London, in British English", () => {
  test.use({ timezoneId: "Europe/London", locale: "en-GB" });

  test("times read as the reader's locale writes them", async ({ page }) => {
    await logInToDemo(page);
    await openRoom(page, "general");
    const history = page.getByRole("region", { name: "History" });
    await expect(history.getByRole("heading", { level: 2 }).first()).toHaveText("Saturday 21 November");
    await expect(history.getByRole("article").filter({ hasText: "Standup moves" }).locator("time")).toContainText(
      "15:39",
    );
  });
});
