import { expect, test, type Page } from "@playwright/test";
import { register, roomList, twoUsersInOneRoom, uniqueName } from "./helpers";

async function say(page: Page, text: string): Promise<void> {
  await page.getByRole("textbox", { name: "Message" }).fill(text);
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
}

test("B's count rises live while A posts in a room B is not viewing, and reading it clears it in B's other tab", async ({ browser }) => {
  const { contextB, pageA, pageB, room } = await twoUsersInOneRoom(browser);
  await pageB.goto("/rooms");
  const otherTab = await contextB.newPage();
  await otherTab.goto("/rooms");
  const listed = (page: Page) => roomList(page).getByRole("link", { name: new RegExp(`^${room}`) });
  await expect(listed(pageB)).toHaveAccessibleName(room);

  await say(pageA, "are you there?");
  await say(pageA, "lunch at noon");
  await expect(listed(pageB)).toHaveAccessibleName(`${room} (2 unread)`);
  await expect(pageB).toHaveTitle("(2) Rooms · Chat");
  await expect(listed(otherTab)).toHaveAccessibleName(`${room} (2 unread)`);

  // Opening the room shows where the unread part starts, and reads it.
  await listed(pageB).click();
  const line = pageB.getByRole("separator", { name: "New messages" });
  await expect(line).toBeVisible();
  const first = pageB.getByRole("article").filter({ hasText: "are you there?" });
  // The line is right above the first unread message.
  const [lineBox, firstBox] = [await line.boundingBox(), await first.boundingBox()];
  expect(lineBox!.y).toBeLessThan(firstBox!.y);
  await expect(listed(otherTab)).toHaveAccessibleName(room);
  await expect(otherTab).toHaveTitle("Rooms · Chat");
  await expect(pageB).toHaveTitle(`${room} · Chat`);

  // A message that arrives while B watches the room is read at once: B's
  // marker reaches it.
  await say(pageA, "see you there");
  await expect(pageB.getByRole("region", { name: "History" }).getByText("see you there")).toBeVisible();
  const marker = async () => {
    const rooms = await (await pageB.request.get("/api/rooms")).json();
    const mine = rooms.rooms.find((r: { name: string }) => r.name === room);
    return [mine.last_read_seq, mine.last_seq];
  };
  await expect.poll(async () => { const [read, last] = await marker(); return read === last; }).toBe(true);
  await expect(listed(otherTab)).toHaveAccessibleName(room);
  await expect(otherTab).toHaveTitle("Rooms · Chat");
});

test("a room opened far below its first unread message offers a jump there", async ({ browser }) => {
  const { pageA, pageB, room, roomId } = await twoUsersInOneRoom(browser);
  await pageB.goto("/rooms");
  // More than a page of history after it (a page is 50 messages), posted
  // through the API with A's cookie.
  const post = async (body: string) =>
    expect((await pageA.request.post(`/api/rooms/${roomId}/messages`, { data: { body } })).status()).toBe(201);
  await post("the first unread one");
  for (let n = 1; n <= 60; n++) await post(`filler ${n}`);

  await roomList(pageB).getByRole("link", { name: new RegExp(`^${room}`) }).click();
  await expect(pageB.getByRole("region", { name: "History" }).getByText("filler 60")).toBeVisible();
  await expect(pageB.getByText("61 new messages")).toBeVisible();
  await pageB.getByRole("button", { name: "Jump to first unread" }).click();
  await expect(pageB.getByRole("separator", { name: "New messages" })).toBeInViewport();
  await expect(pageB.getByRole("article").filter({ hasText: "the first unread one" })).toBeFocused();
  await expect(pageB.getByRole("region", { name: "History" }).getByText("the first unread one")).toBeInViewport();
  await expect(pageB.getByRole("button", { name: "Jump to first unread" })).toHaveCount(0);
});

test("a link to a message (a notification's) opens the room there, pages back if need be", async ({ browser }) => {
  const { pageA, pageB, room, roomId } = await twoUsersInOneRoom(browser);
  const post = async (body: string) => {
    const answer = await pageA.request.post(`/api/rooms/${roomId}/messages`, { data: { body } });
    expect(answer.status()).toBe(201);
    return (await answer.json()).message.seq as number;
  };
  const seq = await post("the one the notification was about");
  for (let n = 1; n <= 55; n++) await post(`later ${n}`);

  await pageB.goto(`/rooms/${roomId}?seq=${seq}`);
  await expect(pageB.getByRole("heading", { name: room })).toBeVisible();
  const wanted = pageB.getByRole("article").filter({ hasText: "the one the notification was about" });
  await expect(wanted).toBeInViewport();
  await expect(wanted).toBeFocused();
});

/** Records the notifications the page shows, as the browser would show them. */
function recordNotifications(): void {
  const shown: { title: string; body?: string }[] = [];
  (window as unknown as { shown: typeof shown }).shown = shown;
  const Real = window.Notification;
  const Recorded = function (title: string, options?: NotificationOptions) {
    shown.push({ title, body: options?.body });
    return new Real(title, options);
  } as unknown as typeof Notification;
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = Real.requestPermission.bind(Real);
  window.Notification = Recorded;
}

test("A mentions B through the autocomplete: B's list marks the mention apart, a notification tells B, and the message says it is for B", async ({ browser }) => {
  const { contextB, pageA, pageB, ben, room } = await twoUsersInOneRoom(browser);
  // A has not been asked yet: the control to ask is there. B said yes.
  await expect(pageA.getByRole("button", { name: "Enable notifications" })).toBeVisible();
  await contextB.grantPermissions(["notifications"]);
  await contextB.addInitScript(recordNotifications);
  await pageB.goto("/rooms");
  await expect(pageB.getByRole("button", { name: "Enable notifications" })).toHaveCount(0);
  const listed = roomList(pageB).getByRole("link", { name: new RegExp(`^${room}`) });
  await say(pageA, "lunch, anyone?");

  // "@" and the start of B's name offer B; Escape closes the list, typing
  // on opens it again, and Enter takes the highlighted name.
  const composer = pageA.getByRole("textbox", { name: "Message" });
  const offered = pageA.getByRole("listbox", { name: "People to mention" });
  await composer.pressSequentially(`@${ben.slice(0, 3)}`);
  await expect(offered.getByRole("option", { name: `@${ben}` })).toBeVisible();
  await expect(offered.getByRole("option")).toHaveCount(1);
  await composer.press("Escape");
  await expect(offered).toBeHidden();
  await composer.press("Backspace");
  await expect(offered.getByRole("option", { name: `@${ben}` })).toHaveAttribute("aria-selected", "true");
  await composer.press("Enter");
  await expect(offered).toBeHidden();
  await expect(composer).toHaveValue(`@${ben} `);
  await composer.pressSequentially("are you coming?");
  await composer.press("Enter");
  await expect(listed).toHaveAccessibleName(new RegExp(`^${room} \\(1 mention\\)\\s*\\(2 unread\\)$`));
  // Told of the mention only (B's level is the default), though the room
  // is not open in B's tab.
  const shown = () => pageB.evaluate(() => (window as unknown as { shown: unknown[] }).shown);
  await expect.poll(shown).toEqual([{ title: expect.stringMatching(new RegExp(` in ${room}$`)), body: `@${ben} are you coming?` }]);

  await listed.click();
  const forBen = pageB.getByRole("article").filter({ hasText: "are you coming?" });
  await expect(forBen).toContainText("Mentions you.");
  await expect(forBen.locator(".mention")).toHaveText(`@${ben}`);
  await expect(pageB.getByRole("article").filter({ hasText: "lunch, anyone?" })).not.toContainText("Mentions you.");
  // A's own view shows the name as a mention, without the tint meant for B.
  await expect(pageA.getByRole("article").filter({ hasText: "are you coming?" }).locator(".mention")).toHaveText(`@${ben}`);
});

test("A types and B sees who is typing, until a few seconds after A stops", async ({ browser }) => {
  const { pageA, pageB } = await twoUsersInOneRoom(browser);
  const account = await pageA.getByRole("button", { name: /^Account: / }).getAttribute("aria-label");
  const ann = account?.replace("Account: ", "") ?? "";
  const indicator = pageB.getByText(`${ann} is typing…`);
  await pageA.getByRole("textbox", { name: "Message" }).pressSequentially("lunch?");
  await expect(indicator).toBeVisible();
  // Gone by itself, a few seconds after the last keystroke.
  await expect(indicator).toBeHidden({ timeout: 10_000 });
  // And at once when the message it announced arrives.
  await pageA.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(pageB.getByRole("article").filter({ hasText: "lunch?" })).toBeVisible();
  await expect(indicator).toBeHidden();
});

test("A sees B online in the member list, and offline once B closes their tab", async ({ browser }) => {
  const { pageA, pageB, ben, room } = await twoUsersInOneRoom(browser);
  await pageA.getByRole("region", { name: room }).getByRole("button", { name: "2 members" }).click();
  const benListed = pageA.getByRole("region", { name: "Members" }).getByRole("listitem").filter({ hasText: ben });
  await expect(benListed).toContainText("Online");
  await pageB.close();
  // Live, without reopening the list.
  await expect(benListed).toContainText("Offline", { timeout: 15_000 });
});

// With no tab open, the server pushes (tests/api/push.rs checks what it
// sends); here the browser's side: allowing notifications installs the
// service worker, which shows a push under the message's tag, to be opened
// at the room it names, and never at another site.
test("allowing notifications installs the service worker, which shows what is pushed, linked to this site only", async ({ browser }) => {
  const context = await browser.newContext();
  await context.grantPermissions(["notifications"]);
  const page = await context.newPage();
  await register(page, uniqueName("pia"));
  const worker = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
  expect(worker).toMatch(/\/sw\.js$/);

  // A push as the browser's push service delivers it.
  const cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) => {
    cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
      const ours = registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(new URL(page.url()).origin));
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send("ServiceWorker.enable");
  const registrationId = await registered;
  const origin = new URL(page.url()).origin;
  const push = async (shown: object) =>
    cdp.send("ServiceWorker.deliverPushMessage", { origin, registrationId, data: JSON.stringify(shown) });
  const notifications = () =>
    page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        url: n.data?.url,
      })),
    );
  await push({ title: "ann in plans", body: "@pia lunch?", url: "/rooms/7?seq=3", tag: "chat-message-40" });
  await expect.poll(notifications).toEqual([
    { title: "ann in plans", body: "@pia lunch?", tag: "chat-message-40", url: `${origin}/rooms/7?seq=3` },
  ]);
  // The same message pushed again replaces its notification; a link to
  // another site opens this one's front page instead.
  await push({ title: "ann in plans", body: "@pia lunch? (again)", url: "https://evil.example/", tag: "chat-message-40" });
  await expect.poll(notifications).toEqual([
    { title: "ann in plans", body: "@pia lunch? (again)", tag: "chat-message-40", url: `${origin}/` },
  ]);
  await context.close();
});
