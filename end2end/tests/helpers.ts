import { expect, type Browser, type Page } from "@playwright/test";

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
  await expect(page.getByRole("button", { name: `Account: ${username}` })).toBeVisible();
}

/** The list of rooms (on /rooms, beside the overview's cards). */
export function roomList(page: Page) {
  return page.getByRole("region", { name: "Rooms", exact: true });
}

/** Logs out (`everywhere`: every session of the account) from the account menu. */
export async function logOut(page: Page, everywhere = false): Promise<void> {
  await page.getByRole("button", { name: /^Account: / }).click();
  await page.getByRole("button", { name: everywhere ? "Log out everywhere" : "Log out", exact: true }).click();
}

/** Ann creates a room and Ben opens it, each in a browser of their own. */
export async function twoUsersInOneRoom(browser: Browser) {
  const contextA = await browser.newContext();
  const contextB = await browser.newContext();
  const pageA = await contextA.newPage();
  const pageB = await contextB.newPage();
  const ben = uniqueName("ben");
  await register(pageA, uniqueName("ann"));
  await register(pageB, ben);
  const room = uniqueName("room");
  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA.getByRole("heading", { name: room })).toBeVisible();
  await pageB.goto("/rooms");
  await pageB.getByRole("link", { name: room }).click();
  await expect(pageB.getByRole("heading", { name: room })).toBeVisible();
  const roomId = Number(/\/rooms\/(\d+)$/.exec(pageB.url())?.[1]);
  return { contextB, pageA, pageB, ben, room, roomId };
}

/** When suite.sh wrote the demo (`chat demo --at`). */
const DEMO_AT = process.env.DEMO_AT ?? "2026-11-30T16:00:00Z";

/**
 * Logs in as one of the demo's people, with the browser's clock held just
 * after the demo's "now", so that "Today" and "Yesterday" mean the same on
 * every run.
 */
export async function logInToDemo(page: Page, username = "ada"): Promise<void> {
  await page.clock.setFixedTime(new Date(Date.parse(DEMO_AT) + 10 * 60_000));
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill("demo password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/rooms$/);
}
