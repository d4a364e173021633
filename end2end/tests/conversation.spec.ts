import { expect, test, type Locator, type Page } from "@playwright/test";
import { PASSWORD, twoUsersInOneRoom, uniqueName } from "./helpers";

async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

function message(page: Page, text: string): Locator {
  return page.getByRole("article").filter({ hasText: text });
}

/** Opens a message's actions (as hovering does) and picks one; the first
 * message with the text, as a reply quoting it comes after it. */
async function act(page: Page, text: string, action: string): Promise<void> {
  const item = message(page, text).first();
  await item.hover();
  await item.getByRole("toolbar", { name: "Actions" }).getByRole("button", { name: action, exact: true }).click();
}

async function reactWith(page: Page, text: string, emoji: string): Promise<void> {
  await act(page, text, "React");
  await message(page, text).getByRole("button", { name: `React with ${emoji}` }).click();
}

function chip(page: Page, text: string, emoji: string): Locator {
  return message(page, text).getByRole("button", { name: new RegExp(`^${emoji} \\d`) });
}

test("edits, reactions, deletions and replies reach the other browser live", async ({ browser }) => {
  const { pageA, pageB, room } = await twoUsersInOneRoom(browser);
  // Ben's join reached Ann's open room.
  await expect(pageA.getByRole("region", { name: room }).getByText("2 members")).toBeVisible();
  await say(pageA, "helo wrold");
  await expect(message(pageB, "helo wrold")).toHaveCount(1);

  // A fixes the typo; B sees the new text, marked edited.
  await act(pageA, "helo wrold", "Edit");
  await expect(pageA.getByText("Editing your message")).toBeVisible();
  await expect(pageA.getByLabel("Message")).toHaveValue("helo wrold");
  await pageA.getByLabel("Message").fill("hello world");
  await pageA.getByLabel("Message").press("Enter");
  await expect(message(pageB, "hello world")).toContainText("(edited)");
  await expect(message(pageB, "helo wrold")).toHaveCount(0);

  // B reacts; A sees the chip, not pressed for A; A adds theirs.
  await reactWith(pageB, "hello world", "🎉");
  await expect(chip(pageA, "hello world", "🎉")).toHaveText("🎉 1");
  await expect(chip(pageA, "hello world", "🎉")).toHaveAttribute("aria-pressed", "false");
  await expect(chip(pageB, "hello world", "🎉")).toHaveAttribute("aria-pressed", "true");
  await chip(pageA, "hello world", "🎉").click();
  await expect(chip(pageB, "hello world", "🎉")).toHaveText("🎉 2");
  await expect(chip(pageB, "hello world", "🎉")).toHaveAttribute("title", /Reacted by ben_\w+, you|Reacted by you, ann_\w+|Reacted by .+, .+/);

  // B replies; A clicks the quote and lands on the original.
  await act(pageB, "hello world", "Reply");
  await expect(pageB.getByText(/^Replying to ann_/)).toBeVisible();
  await say(pageB, "agreed");
  const reply = message(pageA, "agreed");
  await expect(reply.getByRole("button", { name: /^Replying to ann_\w+: hello world/ })).toBeVisible();
  await reply.getByRole("button", { name: /^Replying to/ }).click();
  await expect(message(pageA, "hello world").first()).toBeFocused();

  // A deletes, after confirming; B sees the tombstone in its place.
  await act(pageA, "hello world", "Delete");
  await message(pageA, "hello world").first().getByRole("button", { name: "Delete", exact: true }).click();
  const articles = pageB.getByRole("article");
  await expect(articles.first()).toContainText("message deleted");
  await expect(articles.first()).not.toContainText("hello world");
  await expect(articles.nth(1)).toContainText("agreed");
});

test("changes made while a browser is offline are all there when it returns", async ({ browser }) => {
  const { contextB, pageA, pageB } = await twoUsersInOneRoom(browser);
  await say(pageA, "to be edited");
  await say(pageA, "to be deleted");
  await say(pageB, "to be reacted to");
  await expect(message(pageB, "to be deleted")).toHaveCount(1);

  await contextB.setOffline(true);
  await expect(pageB.getByRole("status").filter({ hasText: "You are offline" })).toBeVisible();
  await act(pageA, "to be edited", "Edit");
  await pageA.getByLabel("Message").fill("edited while Ben was away");
  await pageA.getByLabel("Message").press("Enter");
  await expect(message(pageA, "edited while Ben was away")).toHaveCount(1);
  await act(pageA, "to be deleted", "Delete");
  await message(pageA, "to be deleted").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(message(pageA, "to be deleted")).toHaveCount(0);
  await reactWith(pageA, "to be reacted to", "👍");
  await expect(chip(pageA, "to be reacted to", "👍")).toHaveText("👍 1");

  await contextB.setOffline(false);
  await expect(message(pageB, "edited while Ben was away")).toContainText("(edited)");
  await expect(message(pageB, "to be deleted")).toHaveCount(0);
  await expect(pageB.getByRole("article").nth(1)).toContainText("message deleted");
  await expect(chip(pageB, "to be reacted to", "👍")).toHaveText("👍 1");
  await expect(pageB.getByRole("article")).toHaveCount(3);
});

test("the keyboard alone edits the last message, reacts, and cancels", async ({ browser }) => {
  const { pageA, pageB } = await twoUsersInOneRoom(browser);
  await say(pageA, "first draft");
  await expect(message(pageB, "first draft")).toHaveCount(1);

  // Up in the empty composer edits the last message; Escape leaves it.
  const composer = pageA.getByLabel("Message");
  await composer.press("ArrowUp");
  await expect(composer).toHaveValue("first draft");
  await composer.press("Escape");
  await expect(pageA.getByText("Editing your message")).toHaveCount(0);
  await expect(composer).toHaveValue("");
  await composer.press("ArrowUp");
  await composer.fill("second draft");
  await composer.press("Enter");
  await expect(message(pageB, "second draft")).toContainText("(edited)");

  // Tab into the message: its actions show; the picker searches by name.
  await message(pageB, "second draft").getByRole("button", { name: "React" }).focus();
  await expect(message(pageB, "second draft").getByRole("toolbar")).toBeVisible();
  await pageB.keyboard.press("Enter");
  await pageB.getByLabel("Search emoji").fill("rocket");
  await pageB.keyboard.press("Enter");
  await expect(chip(pageA, "second draft", "🚀")).toHaveText("🚀 1");
});

test("the room's owner renames it and removes a message; the other browser follows live", async ({ browser }) => {
  const { pageA, pageB, room } = await twoUsersInOneRoom(browser);
  await expect(pageB.getByRole("button", { name: "Rename", exact: true })).toHaveCount(0);

  await pageA.getByRole("button", { name: "Rename", exact: true }).click();
  await expect(pageA.getByLabel("New name")).toBeFocused();
  await pageA.getByLabel("New name").fill(`${room} renamed`);
  await pageA.getByRole("button", { name: "Save" }).click();
  await expect(pageA.getByRole("heading", { name: `${room} renamed` })).toBeVisible();
  await expect(pageB.getByRole("heading", { name: `${room} renamed` })).toBeVisible();
  await expect(pageB).toHaveTitle(`${room} renamed · Chat`);

  // The owner may delete anyone's message; a member only their own.
  await say(pageA, "house rules");
  await say(pageB, "off topic");
  await expect(message(pageA, "off topic")).toHaveCount(1);
  await message(pageB, "house rules").hover();
  await expect(message(pageB, "house rules").getByRole("button", { name: "Delete", exact: true })).toHaveCount(0);
  await act(pageA, "off topic", "Delete");
  await message(pageA, "off topic").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(message(pageB, "off topic")).toHaveCount(0);
  await expect(pageB.getByRole("article").nth(1)).toContainText("message deleted");
});

// Issue: a change heard while an older page was on its way was lost, since
// the page, read before the change, then showed the message as it had been.
test("an edit made while older history loads is not undone by that page", async ({ browser, playwright }) => {
  const { pageB, roomId } = await twoUsersInOneRoom(browser);
  const api = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  // Several writers, each within the send allowance.
  const writer = async () => {
    const registered = await api.post("/api/auth/register", { data: { username: uniqueName("cy"), password: PASSWORD } });
    expect(registered.ok()).toBeTruthy();
    const headers = { Authorization: `Bearer ${(await registered.json()).token}` };
    expect((await api.post(`/api/rooms/${roomId}/join`, { headers })).ok()).toBeTruthy();
    return headers;
  };
  const post = async (headers: { Authorization: string }, body: string) => {
    const posted = await api.post(`/api/rooms/${roomId}/messages`, { headers, data: { body } });
    expect(posted.ok()).toBeTruthy();
    return (await posted.json()).message.id as number;
  };
  const cy = await writer();
  const oldest = await post(cy, "the oldest line");
  for (let w = 0; w < 3; w++) {
    const headers = await writer();
    for (let i = 1; i <= 19; i++) await post(headers, `line ${w * 19 + i}`);
  }
  // The older page is read now, but reaches the browser only after the
  // oldest line was edited and the edit's event was delivered. (Whatever
  // asks for it: the reload comes with the newest page, and the list may
  // ask for the one before as soon as it is shown at its top.)
  let asked = false;
  await pageB.route("**/api/fn/history**", async (route) => {
    asked = true;
    const page = await route.fetch();
    const edited = await api.patch(`/api/rooms/${roomId}/messages/${oldest}`, {
      headers: cy,
      data: { body: "the oldest line, fixed" },
    });
    expect(edited.ok()).toBeTruthy();
    await post(cy, "after the fix");
    await expect(message(pageB, "after the fix")).toHaveCount(1);
    await route.fulfill({ response: page });
  }, { times: 1 });
  await pageB.reload();
  await expect(message(pageB, "line 57")).toHaveCount(1);
  // Scrolled to the top, the list asks for the older page by itself. (A
  // click on "Load older messages" raced that: scrolling the button into
  // view started the load, and the button was disabled or moved. And the
  // list may not have scrolled down to its end yet, so a scroll to the top
  // can be no scroll at all: the scroll is said until the page is asked.)
  const history = pageB.getByRole("region", { name: "History" });
  await expect.poll(async () => {
    await history.evaluate((el) => {
      el.scrollTop = 0;
      el.dispatchEvent(new Event("scroll"));
    });
    return asked;
  }).toBe(true);
  await expect(message(pageB, "line 1").first()).toBeVisible();
  await expect(message(pageB, "the oldest line, fixed")).toContainText("(edited)");
});
