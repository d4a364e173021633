import { expect, test } from "@playwright/test";
import { twoUsersInOneRoom } from "./helpers";

test("B searches for a word from an old message and lands on it, highlighted, in its room", async ({ browser }) => {
  const { pageA, pageB, room, roomId } = await twoUsersInOneRoom(browser);
  const post = async (body: string) => {
    const answer = await pageA.request.post(`/api/rooms/${roomId}/messages`, { data: { body } });
    expect(answer.status()).toBe(201);
  };
  await post("the quarterly <b>report</b> is in the shared folder");
  for (let n = 1; n <= 55; n++) await post(`later ${n}`);
  await pageB.goto("/rooms");

  // Ctrl+K reaches the box from anywhere (once the page is hydrated: the
  // key is pressed again until it is); results come as B types.
  const box = pageB.getByRole("combobox", { name: "Search", exact: true });
  await expect(async () => {
    await pageB.keyboard.press("Control+k");
    await expect(box).toBeFocused({ timeout: 1000 });
  }).toPass();
  await box.pressSequentially("quarter");
  const results = pageB.getByRole("listbox", { name: "Search results" });
  const found = results.getByRole("group", { name: room }).getByRole("option");
  await expect(found).toHaveCount(1);
  // The matched word is marked; the message's markup is text.
  await expect(found.locator("mark")).toHaveText("quarterly");
  await expect(found).toContainText("<b>report</b>");
  await expect(found).toHaveAttribute("aria-selected", "true");
  await expect(pageB.getByRole("status").filter({ hasText: "1 message found." })).toHaveCount(1);

  // Enter opens it where it is, 55 messages up, and says which it is.
  await box.press("Enter");
  await expect(pageB.getByRole("heading", { name: room })).toBeVisible();
  const wanted = pageB.getByRole("article").filter({ hasText: "the quarterly" });
  await expect(wanted).toBeInViewport();
  await expect(wanted).toBeFocused();
  await expect(results).toBeHidden();

  // Nothing found says so.
  await box.fill("zzzyzzx");
  await expect(pageB.getByRole("status").filter({ hasText: "No messages match." })).toHaveCount(1);
});

test("a result far back opens the room around it, and scrolling down fills in the newer messages up to the live end", async ({ browser }) => {
  const { pageA, pageB, roomId } = await twoUsersInOneRoom(browser);
  const post = async (body: string) => {
    const answer = await pageA.request.post(`/api/rooms/${roomId}/messages`, { data: { body } });
    expect(answer.status()).toBe(201);
  };
  await pageB.goto("/rooms");
  await post("the ancient treaty was signed here");
  for (let n = 1; n <= 300; n++) await post(`filler ${n}`);

  await pageB.keyboard.press("Control+k");
  const box = pageB.getByRole("combobox", { name: "Search", exact: true });
  await box.pressSequentially("treaty");
  await expect(pageB.getByRole("listbox", { name: "Search results" }).getByRole("option")).toHaveCount(1);
  await box.press("Enter");
  const wanted = pageB.getByRole("article").filter({ hasText: "the ancient treaty" });
  await expect(wanted).toBeInViewport();
  await expect(wanted).toBeFocused();
  // Opened around it: not paged back through the 300 messages since.
  const articles = pageB.getByRole("article");
  expect(await articles.count()).toBeLessThan(150);
  await expect(pageB.getByRole("button", { name: "Load newer messages" })).toHaveCount(1);

  // Scrolling down loads what lies between, until the runs meet.
  const history = pageB.getByRole("region", { name: "History" });
  await expect(async () => {
    await history.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
      el.dispatchEvent(new Event("scroll"));
    });
    await expect(articles).toHaveCount(301, { timeout: 500 });
  }).toPass({ timeout: 30_000 });
  await expect(pageB.getByRole("button", { name: "Load newer messages" })).toHaveCount(0);
  // In order, with nothing missing or doubled.
  const bodies = await articles.evaluateAll((all) => all.map((a) => a.textContent ?? ""));
  const fillers = bodies.map((text) => /filler (\d+)/.exec(text)?.[1]).filter(Boolean).map(Number);
  expect(fillers).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));

  // And it is still live.
  await post("fresh news");
  await expect(articles.filter({ hasText: "fresh news" })).toHaveCount(1);
});
