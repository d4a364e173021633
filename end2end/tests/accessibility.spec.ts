import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { PASSWORD, logInToDemo, register, roomList, twoUsersInOneRoom, uniqueName } from "./helpers";

// axe-core on every screen, with every rule it runs by default (WCAG 2.x A
// and AA, and its best practices): zero violations, so that a later screen
// or restyle cannot quietly lock anyone out. Each screen is checked in the
// state a user sees it in, errors and empty states included.

// Each screen is checked in both themes: the page's theme is switched in
// place (the class app/src/theme.rs sets), with motion reduced so that no
// colour is caught halfway through a transition.
async function expectAccessible(page: Page, screen: string): Promise<void> {
  await page.emulateMedia({ reducedMotion: "reduce" });
  const chosen = await page.evaluate(() => document.documentElement.className);
  for (const theme of ["light", "dark"]) {
    await page.evaluate((theme) => {
      document.documentElement.classList.remove("light", "dark");
      document.documentElement.classList.add(theme);
    }, theme);
    const { violations } = await new AxeBuilder({ page }).analyze();
    const found = violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`,
    );
    expect(found, `accessibility violations on ${screen}, ${theme} theme`).toEqual([]);
  }
  await page.evaluate((chosen) => {
    document.documentElement.className = chosen;
  }, chosen);
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
  await expect(page.getByRole("article").filter({ hasText: text })).toHaveCount(1);
}

async function createRoom(page: Page, name: string): Promise<void> {
  await page.getByLabel("Room name").fill(name);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
}

async function newUser(browser: Browser, prefix: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await register(page, uniqueName(prefix));
  return page;
}

test("the login screen and its errors pass the accessibility checks", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
  await expectAccessible(page, "the login screen");

  await page.getByLabel("Username").fill(uniqueName("nobody"));
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong username or password");
  await expectAccessible(page, "a refused login");

  await page.goto("/no/such/page");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expectAccessible(page, "the not-found page");
});

test("the demo's rooms, the overview, the account menu and the shortcuts dialog pass the accessibility checks", async ({
  page,
}) => {
  // A room with history: runs, day lines, a mention, reactions, a reply.
  await logInToDemo(page);
  await expect(roomList(page).getByRole("link", { name: /^general/ })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Recently active" })).toBeVisible();
  await expectAccessible(page, "the rooms overview");
  await page.getByRole("button", { name: /^Account: / }).click();
  await expect(page.getByRole("button", { name: "Log out everywhere" })).toBeVisible();
  await expectAccessible(page, "the account menu");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
  await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
  await expectAccessible(page, "the keyboard shortcuts");
  await page.keyboard.press("Escape");
  await roomList(page).getByRole("link", { name: /^general/ }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Yesterday" })).toBeVisible();
  await expectAccessible(page, "a room with ten days of history");
});

test("the rooms screen, its empty room and its errors pass the accessibility checks", async ({ browser }) => {
  const page = await newUser(browser, "axe");
  await expect(page.getByRole("heading", { level: 1, name: "Rooms" })).toBeVisible();
  await expectAccessible(page, "the rooms screen");

  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "empty" })).toBeVisible();
  await expectAccessible(page, "a refused room name");

  await createRoom(page, uniqueName("empty"));
  await expect(page.getByText("No messages yet")).toBeVisible();
  await expectAccessible(page, "an empty room");
});

test("a room with messages from two users passes the accessibility checks, for both", async ({ browser }) => {
  const { pageA: ann, pageB: ben, ben: benName, room } = await twoUsersInOneRoom(browser);
  await say(ann, "Hello Ben, this is a longer line so that it wraps on a phone screen.");
  await say(ben, "Hi Ann!");
  await expect(ann.getByRole("article").filter({ hasText: "Hi Ann!" })).toHaveCount(1);
  await expectAccessible(ann, "a room, as the first writer");
  await expectAccessible(ben, "a room, as the second writer");

  // The owner renaming the room, and the refusal of an empty name.
  await ann.getByRole("button", { name: "Rename", exact: true }).click();
  await ann.getByLabel("New name").fill(" ");
  await ann.getByRole("button", { name: "Save" }).click();
  await expect(ann.getByRole("alert").filter({ hasText: "empty" })).toBeVisible();
  await expectAccessible(ann, "a refused room rename");
  await ann.getByRole("button", { name: "Cancel" }).click();

  // The member list, with an owner's actions, and a member's view of it.
  await ann.getByRole("button", { name: "2 members" }).click();
  await expect(ann.getByRole("button", { name: /^Make admin: ben_/ })).toBeVisible();
  await expectAccessible(ann, "the member list, as the owner");
  await ben.getByRole("button", { name: "2 members" }).click();
  await expect(ben.getByRole("region", { name: "Members" }).getByText("Owner")).toBeVisible();
  await expectAccessible(ben, "the member list, as a member");

  // A private room beside the public one, in the sidebar and on its own.
  const secret = uniqueName("secret");
  await ann.getByRole("button", { name: "New room" }).click();
  await expect(ann.getByLabel("Room name")).toBeFocused();
  await expectAccessible(ann, "the new room form beside a room");
  await ann.getByLabel("Room name").fill(secret);
  await ann.getByLabel("Topic (optional)").fill("just us");
  await ann.getByLabel("Private: only members see it").check();
  await ann.getByRole("button", { name: "Create room" }).click();
  await expect(ann.getByText("just us")).toBeVisible();
  await expectAccessible(ann, "a private room with a topic");

  // Inviting: by name and by link, and the invitation as ben sees it.
  await ann.getByRole("button", { name: "1 member" }).click();
  const panel = ann.getByRole("region", { name: "Members" });
  await panel.getByLabel("Invite by username").fill(benName);
  await panel.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(panel.getByText(`Invited ${benName}.`)).toBeVisible();
  await panel.getByRole("button", { name: "Create invite link" }).click();
  await expect(panel.getByLabel("Invite link")).toBeVisible();
  await expectAccessible(ann, "the invite panel with a new link");
  const link = await panel.getByLabel("Invite link").inputValue();
  await expect(ben.getByRole("region", { name: "Invitations" })).toBeVisible();
  await expectAccessible(ben, "an invitation beside the open room");
  await ben.goto(link);
  await expect(ben.getByRole("button", { name: "Join the room" })).toBeVisible();
  await expectAccessible(ben, "the invite link's page");
  await ben.goBack();
  await expect(ben.getByRole("heading", { name: room })).toBeVisible();

  await ann.goto("/rooms");
  await expect(roomList(ann).getByRole("link", { name: room })).toBeVisible();
  await expect(ann.getByRole("group", { name: "Private rooms" })).toBeVisible();
  await expectAccessible(ann, "the rooms screen with rooms in it");

  // Starting a direct conversation: the dialog with a search answered and
  // someone picked, then the conversation.
  await ann.getByRole("button", { name: "New message" }).click();
  await ann.getByLabel("Find people").fill(benName.slice(0, -2));
  await ann.getByRole("button", { name: `Add ${benName}` }).click();
  await ann.getByLabel("Find people").fill("zzzz");
  await expect(ann.getByText('Nobody\'s username starts with "zzzz".')).toBeVisible();
  await expectAccessible(ann, "the New message dialog");
  await ann.getByRole("button", { name: "Start conversation" }).click();
  await expect(ann.getByRole("heading", { name: `Direct conversation: ${benName}` })).toBeVisible();
  await expect(ann.getByRole("group", { name: "Direct messages" })).toBeVisible();
  await expectAccessible(ann, "a direct conversation");

  await ben.context().setOffline(true);
  await expect(ben.getByRole("status").filter({ hasText: "You are offline" })).toBeVisible();
  await expectAccessible(ben, "a room while offline");
  await ben.context().setOffline(false);
});

// Issue: a join that failed was silently ignored.
test("a join that fails says why, next to the room", async ({ browser }) => {
  const owner = await newUser(browser, "owner");
  const room = uniqueName("closed");
  await createRoom(owner, room);

  const page = await newUser(browser, "late");
  await expect(page.getByRole("link", { name: room })).toBeVisible();
  // The session ends behind the page's back (expiry, logout elsewhere).
  await page.context().clearCookies();
  await page.getByRole("button", { name: `Join ${room}` }).click();
  const item = page.getByRole("listitem").filter({ hasText: room });
  await expect(item.getByRole("alert")).toContainText("log in");
  await expect(page).toHaveURL(/\/rooms$/);
  await expectAccessible(page, "a failed join");
});

// Issue: a tab whose session ended while it was offline reconnected forever.
test("a tab whose session ended while it was offline shows it was logged out", async ({ browser, playwright }) => {
  const page = await (await browser.newContext()).newPage();
  const username = uniqueName("sleepy");
  await register(page, username);
  await createRoom(page, uniqueName("nap"));
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting" })).toHaveCount(0);

  await page.context().setOffline(true);
  await expect(page.getByRole("status").filter({ hasText: "You are offline" })).toBeVisible();
  // Meanwhile, on another device, the user logs out everywhere.
  const other = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const login = await other.post("/api/auth/login", { data: { username, password: PASSWORD } });
  expect(login.ok()).toBeTruthy();
  const { token } = await login.json();
  const ended = await other.post("/api/auth/logout-everywhere", { headers: { Authorization: `Bearer ${token}` } });
  expect(ended.status()).toBe(204);

  await page.context().setOffline(false);
  await expect(page.getByRole("alert").filter({ hasText: "You were logged out" })).toBeVisible({ timeout: 5_000 });
  await expect(page.getByRole("link", { name: "Log in again" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting" })).toHaveCount(0);
  await expectAccessible(page, "a room after the session ended");
  await other.dispose();
});
