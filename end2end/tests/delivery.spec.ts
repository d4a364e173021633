import { expect, test, type Page } from "@playwright/test";
import { twoUsersInOneRoom } from "./helpers";

async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

function bodies(page: Page) {
  return page.getByRole("article").locator("p");
}

test("a tab that goes offline shows every missed message once, in order, when it returns", async ({ browser }) => {
  const { contextB, pageA, pageB } = await twoUsersInOneRoom(browser);

  await say(pageA, "before the outage");
  await expect(bodies(pageB)).toHaveText(["before the outage"]);

  await contextB.setOffline(true);
  await expect(pageB.getByRole("status").filter({ hasText: "You are offline" })).toBeVisible();

  // Typed while offline: shown as waiting, sent once the network is back.
  await say(pageB, "typed while offline");
  await expect(pageB.getByText("Waiting for connection…")).toBeVisible();

  const missed = [1, 2, 3, 4, 5].map((i) => `said while Ben was away ${i}`);
  for (const text of missed) {
    await say(pageA, text);
    await expect(bodies(pageA).filter({ hasText: text })).toHaveCount(1);
  }
  await expect(bodies(pageB).filter({ hasText: "while Ben was away" })).toHaveCount(0);

  await contextB.setOffline(false);
  const expected = ["before the outage", ...missed, "typed while offline"];
  await expect(bodies(pageB)).toHaveText(expected);
  await expect(bodies(pageA)).toHaveText(expected);
  await expect(pageB.getByText("Waiting for connection…")).toHaveCount(0);
  await expect(pageB.getByRole("status").filter({ hasText: "offline" })).toHaveCount(0);
});

test("a refused send is marked failed and can be retried", async ({ browser }) => {
  const { pageA, pageB, roomId } = await twoUsersInOneRoom(browser);

  // Ben leaves the room from elsewhere (here: the API with his cookie).
  expect((await pageB.request.post(`/api/rooms/${roomId}/leave`)).status()).toBe(204);
  await say(pageB, "sent after leaving");
  await expect(pageB.getByRole("alert").filter({ hasText: "Not sent" })).toBeVisible();
  await expect(pageB.getByRole("button", { name: "Retry" })).toBeVisible();

  await expect(bodies(pageA)).toHaveCount(0);

  // Back in the room, Retry sends it (same client_id) and live delivery resumes.
  expect((await pageB.request.post(`/api/rooms/${roomId}/join`)).status()).toBe(200);
  await pageB.getByRole("button", { name: "Retry" }).click();
  await expect(bodies(pageA)).toHaveText(["sent after leaving"]);
  await expect(bodies(pageB)).toHaveText(["sent after leaving"]);
  await say(pageA, "welcome back");
  await expect(bodies(pageB)).toHaveText(["sent after leaving", "welcome back"]);
});
