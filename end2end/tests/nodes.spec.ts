import { expect, test } from "@playwright/test";
import { register, uniqueName } from "./helpers";

// Node 1 is the config's baseURL; node 2 shares its PostgreSQL database.
const NODE2 = process.env.CHAT_NODE2_URL ?? "http://127.0.0.1:3002";

test("users on two different nodes talk in one room in real time", async ({ browser }) => {
  const alice = uniqueName("alice");
  const bob = uniqueName("bob");
  const room = uniqueName("room");
  const pageA = await (await browser.newContext()).newPage();
  const pageB = await (await browser.newContext({ baseURL: NODE2 })).newPage();

  await register(pageA, alice);
  await register(pageB, bob);
  expect(new URL(pageB.url()).port).toBe(new URL(NODE2).port);

  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA.getByRole("heading", { name: room })).toBeVisible();
  await pageB.goto("/rooms");
  await pageB.getByRole("link", { name: room }).click();
  await expect(pageB.getByRole("heading", { name: room })).toBeVisible();

  await pageA.getByLabel("Message").fill("Hello from node 1");
  await pageA.getByLabel("Message").press("Enter");
  const onB = pageB.getByRole("article").filter({ hasText: "Hello from node 1" });
  await expect(onB).toHaveCount(1);
  await expect(onB).toContainText(alice);

  await pageB.getByLabel("Message").fill("Hello from node 2");
  await pageB.getByLabel("Message").press("Enter");
  const onA = pageA.getByRole("article").filter({ hasText: "Hello from node 2" });
  await expect(onA).toHaveCount(1);
  await expect(onA).toContainText(bob);

  for (const page of [pageA, pageB]) {
    await expect(page.getByRole("article").locator("p")).toHaveText(["Hello from node 1", "Hello from node 2"]);
  }
});
