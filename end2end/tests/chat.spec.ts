import { expect, test } from "@playwright/test";
import { register, twoUsersInOneRoom, uniqueName } from "./helpers";

test("B sees A's message without reloading, and A sees B's reply", async ({ browser }) => {
  const alice = uniqueName("alice");
  const bob = uniqueName("bob");
  const room = uniqueName("room");
  const pageA = await (await browser.newContext()).newPage();
  const pageB = await (await browser.newContext()).newPage();

  await register(pageA, alice);
  await register(pageB, bob);

  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA).toHaveURL(/\/rooms\/\d+$/);
  await expect(pageA.getByRole("heading", { name: room })).toBeVisible();

  await pageB.goto("/rooms");
  await pageB.getByRole("link", { name: room }).click();
  await expect(pageB).toHaveURL(/\/rooms\/\d+$/);
  await expect(pageB.getByRole("heading", { name: room })).toBeVisible();

  const sentAt = Date.now();
  await pageA.getByLabel("Message").fill("Hello from Alice");
  await pageA.getByRole("button", { name: "Send" }).click();

  const onB = pageB.getByRole("article").filter({ hasText: "Hello from Alice" });
  await expect(onB).toHaveCount(1);
  await expect(onB).toContainText(alice);
  const stamp = Date.parse((await onB.locator("time").getAttribute("datetime")) ?? "");
  expect(Math.abs(stamp - sentAt)).toBeLessThan(60_000);

  // Enter sends; Shift+Enter would add a line instead.
  await pageB.getByLabel("Message").fill("Hi Alice");
  await pageB.getByLabel("Message").press("Enter");

  const onA = pageA.getByRole("article").filter({ hasText: "Hi Alice" });
  await expect(onA).toHaveCount(1);
  await expect(onA).toContainText(bob);
  await expect(onA.locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // Each side shows each message exactly once, in order, with its own distinct.
  for (const page of [pageA, pageB]) {
    const bodies = await page.getByRole("article").allInnerTexts();
    expect(bodies.filter((t) => t.includes("Hello from Alice"))).toHaveLength(1);
    expect(bodies.findIndex((t) => t.includes("Hello from Alice"))).toBeLessThan(
      bodies.findIndex((t) => t.includes("Hi Alice")),
    );
  }
  await expect(pageA.getByRole("article").filter({ hasText: "Hello from Alice" })).toHaveAttribute("data-mine", "true");
  await expect(pageA.getByRole("article").filter({ hasText: "Hi Alice" })).toHaveAttribute("data-mine", "false");
});

test("history survives a reload and shows the latest messages", async ({ page }) => {
  await register(page, uniqueName("carol"));
  const room = uniqueName("history");
  await page.getByLabel("Room name").fill(room);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("heading", { name: room })).toBeVisible();
  for (const text of ["first", "second", "third"]) {
    await page.getByLabel("Message").fill(text);
    await page.getByLabel("Message").press("Enter");
    await expect(page.getByRole("article").filter({ hasText: text })).toHaveCount(1);
  }
  await page.reload();
  await expect(page.getByRole("article")).toHaveCount(3);
  await expect(page.getByRole("article").last()).toContainText("third");
});

test("messages show their formatting, and links open safely in a new tab", async ({ browser }) => {
  const { pageA, pageB } = await twoUsersInOneRoom(browser);

  await pageA.getByLabel("Message").fill("**ship it** with `cargo build` — docs at https://docs.rs/leptos");
  await pageA.getByLabel("Message").press("Enter");
  for (const page of [pageA, pageB]) {
    const message = page.getByRole("article").filter({ hasText: "ship it" });
    await expect(message.locator("strong")).toHaveText("ship it");
    await expect(message.locator("code")).toHaveText("cargo build");
    const link = message.getByRole("link", { name: "https://docs.rs/leptos" });
    await expect(link).toHaveAttribute("href", "https://docs.rs/leptos");
    await expect(link).toHaveAttribute("target", "_blank");
    await expect(link).toHaveAttribute("rel", /noopener/);
  }
  // The same after a reload, rendered on the server.
  await pageB.reload();
  await expect(pageB.getByRole("article").filter({ hasText: "ship it" }).locator("strong")).toHaveText("ship it");
});
