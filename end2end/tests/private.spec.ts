import { expect, test } from "@playwright/test";
import { register, twoUsersInOneRoom, uniqueName } from "./helpers";

test("a private room is listed and opened by its members only", async ({ browser }) => {
  const pageA = await (await browser.newContext()).newPage();
  const pageB = await (await browser.newContext()).newPage();
  await register(pageA, uniqueName("ann"));
  await register(pageB, uniqueName("ben"));

  const room = uniqueName("secret");
  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByLabel("Topic (optional)").fill("plans for the party");
  await pageA.getByLabel("Private: only members see it").check();
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA.getByRole("heading", { name: `Private room: ${room}` })).toBeVisible();
  await expect(pageA.getByText("plans for the party")).toBeVisible();
  await expect(
    pageA.getByRole("group", { name: "Private rooms" }).getByRole("link", { name: room }),
  ).toBeVisible();
  const url = pageA.url();

  // Ben does not see it in his list, and its address shows him nothing.
  await pageB.goto("/rooms");
  await expect(pageB.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  await expect(pageB.getByRole("link", { name: room })).toHaveCount(0);
  await pageB.goto(url);
  await expect(pageB.getByText("That room does not exist.")).toBeVisible();
  await expect(pageB.getByText("plans for the party")).toHaveCount(0);
});

test("an owner makes a member admin, then removes them, who is told at once", async ({ browser }) => {
  const { pageA, pageB, room } = await twoUsersInOneRoom(browser);
  await expect(pageB.getByRole("button", { name: "Rename", exact: true })).toHaveCount(0);
  const header = pageA.getByRole("region", { name: room });
  await expect(header.getByRole("button", { name: "2 members" })).toBeVisible();

  await header.getByRole("button", { name: "2 members" }).click();
  const panel = pageA.getByRole("region", { name: "Members" });
  await expect(panel.getByText("Owner")).toBeVisible();
  await panel.getByRole("button", { name: /^Make admin: ben_/ }).click();
  await expect(panel.getByText("Admin", { exact: true })).toBeVisible();
  await expect(panel.getByRole("button", { name: /^Make member: ben_/ })).toBeVisible();
  // Ben's open room gives him an admin's tools at once.
  await expect(pageB.getByRole("button", { name: "Rename", exact: true })).toBeVisible();

  await panel.getByRole("button", { name: /^Remove: ben_/ }).click();
  await expect(pageB.getByRole("alert").filter({ hasText: "You were removed from this room" })).toBeVisible();
  await expect(panel.getByRole("button", { name: /^Remove: ben_/ })).toHaveCount(0);
  await expect(header.getByRole("button", { name: "1 member" })).toBeVisible();
});
