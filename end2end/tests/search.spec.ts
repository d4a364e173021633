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

  // Ctrl+K reaches the box from anywhere; results come as B types.
  await pageB.keyboard.press("Control+k");
  const box = pageB.getByRole("combobox", { name: "Search", exact: true });
  await expect(box).toBeFocused();
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
