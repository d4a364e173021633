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
  await expect(page.getByRole("button", { name: "Log out", exact: true })).toBeVisible();
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
