import { expect, test } from "@playwright/test";
import { PASSWORD, register, twoUsersInOneRoom, uniqueName } from "./helpers";

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

test("ann invites ben by name: he sees it live, accepts, and they talk; cy never sees the room", async ({ browser }) => {
  const pageA = await (await browser.newContext()).newPage();
  const pageB = await (await browser.newContext()).newPage();
  const pageC = await (await browser.newContext()).newPage();
  const [ann, ben, cy] = [uniqueName("ann"), uniqueName("ben"), uniqueName("cyd")];
  await register(pageA, ann);
  await register(pageB, ben);
  await register(pageC, cy);

  const room = uniqueName("secret");
  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByLabel("Private: only members see it").check();
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA.getByRole("heading", { name: `Private room: ${room}` })).toBeVisible();
  const url = pageA.url();

  // Ben waits on his room list; the invitation arrives there live.
  await expect(pageB.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  await pageA.getByRole("button", { name: "1 member" }).click();
  const panel = pageA.getByRole("region", { name: "Members" });
  await panel.getByLabel("Invite by username").fill(ben.toUpperCase());
  await panel.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(panel.getByText(`Invited ${ben.toUpperCase()}.`)).toBeVisible();

  const inbox = pageB.getByRole("region", { name: "Invitations" });
  await expect(inbox.getByText(`${ann} invited you to`)).toBeVisible();
  await inbox.getByRole("button", { name: `Accept invitation to ${room}` }).click();
  await expect(pageB.getByRole("heading", { name: `Private room: ${room}` })).toBeVisible();
  await expect(pageB.getByRole("region", { name: "Invitations" })).toHaveCount(0);

  await pageB.getByLabel("Message").fill("thanks for the invite");
  await pageB.getByLabel("Message").press("Enter");
  await expect(pageA.getByRole("region", { name: "History" }).getByText("thanks for the invite")).toBeVisible();
  await pageA.getByLabel("Message").fill("welcome, ben");
  await pageA.getByLabel("Message").press("Enter");
  await expect(pageB.getByRole("region", { name: "History" }).getByText("welcome, ben")).toBeVisible();

  // Cy was never invited: not in his list, and its address shows nothing.
  await pageC.goto("/rooms");
  await expect(pageC.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  await expect(pageC.getByRole("link", { name: room })).toHaveCount(0);
  await pageC.goto(url);
  await expect(pageC.getByText("That room does not exist.")).toBeVisible();
  await expect(pageC.getByText("welcome, ben")).toHaveCount(0);

  // Ann removes Ben: his open room closes with a notice.
  await panel.getByRole("button", { name: `Remove: ${ben}` }).click();
  await expect(pageB.getByRole("alert").filter({ hasText: "You were removed from this room" })).toBeVisible();
});

test("an invite link brings a visitor in after they sign up, until it is revoked", async ({ browser }) => {
  const pageA = await (await browser.newContext()).newPage();
  await register(pageA, uniqueName("ann"));
  const room = uniqueName("club");
  await pageA.getByLabel("Room name").fill(room);
  await pageA.getByLabel("Private: only members see it").check();
  await pageA.getByRole("button", { name: "Create room" }).click();
  await expect(pageA.getByRole("heading", { name: `Private room: ${room}` })).toBeVisible();
  await pageA.getByRole("button", { name: "1 member" }).click();
  const panel = pageA.getByRole("region", { name: "Members" });
  await panel.getByRole("button", { name: "Create invite link" }).click();
  const link = await panel.getByLabel("Invite link").inputValue();
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{22}$/);

  // Someone without an account opens it, signs up, and comes back to it.
  const pageD = await (await browser.newContext()).newPage();
  await pageD.goto(link);
  await expect(pageD).toHaveURL(/\/login\?next=\/invite\//);
  await pageD.getByLabel("Username").fill(uniqueName("dee"));
  await pageD.getByLabel("Password").fill(PASSWORD);
  await pageD.getByRole("button", { name: "Create account" }).click();
  await expect(pageD).toHaveURL(/\/invite\/[A-Za-z0-9_-]{22}$/);
  await pageD.getByRole("button", { name: "Join the room" }).click();
  await expect(pageD.getByRole("heading", { name: `Private room: ${room}` })).toBeVisible();
  await expect(pageA.getByRole("button", { name: "2 members" })).toBeVisible();

  // Revoked, the same link lets nobody else in.
  await panel.getByRole("button", { name: "Revoke link" }).click();
  await expect(panel.getByText("Link revoked")).toBeVisible();
  const pageE = await (await browser.newContext()).newPage();
  await register(pageE, uniqueName("eve"));
  await pageE.goto(link);
  await pageE.getByRole("button", { name: "Join the room" }).click();
  await expect(pageE.getByRole("alert").filter({ hasText: "expired or was revoked" })).toBeVisible();
});

test("an owner deletes a room: a member with it open is told, and it is gone from every list", async ({ browser }) => {
  const { pageA, pageB, room } = await twoUsersInOneRoom(browser);
  await pageA.getByRole("button", { name: "2 members" }).click();
  const panel = pageA.getByRole("region", { name: "Members" });
  await panel.getByRole("button", { name: "Delete room" }).click();
  await expect(panel.getByText(`Delete ${room} for everyone?`)).toBeVisible();
  await panel.getByRole("button", { name: "Delete for everyone" }).click();
  await expect(pageA).toHaveURL(/\/rooms$/);
  await expect(pageA.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  await expect(pageA.getByRole("link", { name: room })).toHaveCount(0);
  await expect(pageB.getByRole("alert").filter({ hasText: "This room was deleted." })).toBeVisible();
  await pageB.goto("/rooms");
  await expect(pageB.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();
  await expect(pageB.getByRole("link", { name: room })).toHaveCount(0);
});

test("ann and cy start a direct conversation from New message; it reaches cy's list at once", async ({ browser }) => {
  const pageA = await (await browser.newContext()).newPage();
  const pageC = await (await browser.newContext()).newPage();
  const [ann, cy] = [uniqueName("ann"), uniqueName("cyd")];
  await register(pageA, ann);
  await register(pageC, cy);
  await expect(pageC.getByRole("heading", { name: "Rooms", exact: true })).toBeVisible();

  // Ann finds cy by the start of his name, in any case, and starts talking.
  await pageA.getByRole("button", { name: "New message" }).click();
  await pageA.getByLabel("Find people").fill(cy.slice(0, -2).toUpperCase());
  await pageA.getByRole("button", { name: `Add ${cy}` }).click();
  await expect(pageA.getByRole("list", { name: "To" }).getByText(cy)).toBeVisible();
  await pageA.getByRole("button", { name: "Start conversation" }).click();
  await expect(pageA.getByRole("heading", { name: `Direct conversation: ${cy}` })).toBeVisible();
  const url = pageA.url();
  await pageA.getByRole("textbox", { name: "Message" }).fill("hello cy, just us");
  await pageA.getByRole("textbox", { name: "Message" }).press("Enter");

  // Cy's list shows it without a reload, under its own heading, by ann's name.
  const direct = pageC.getByRole("group", { name: "Direct messages" });
  await direct.getByRole("link", { name: `Direct conversation: ${ann}` }).click();
  await expect(pageC.getByRole("region", { name: "History" }).getByText("hello cy, just us")).toBeVisible();
  await pageC.getByRole("textbox", { name: "Message" }).fill("hi ann");
  await pageC.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(pageA.getByRole("region", { name: "History" }).getByText("hi ann")).toBeVisible();

  // Starting it again lands in the same conversation.
  await pageA.goto("/rooms");
  await pageA.getByRole("button", { name: "New message" }).click();
  await pageA.getByLabel("Find people").fill(cy);
  await pageA.getByRole("button", { name: `Add ${cy}` }).click();
  await pageA.getByRole("button", { name: "Start conversation" }).click();
  await expect(pageA).toHaveURL(url);
  await expect(pageA.getByRole("region", { name: "History" }).getByText("hi ann")).toBeVisible();
});
