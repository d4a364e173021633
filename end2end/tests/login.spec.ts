import { expect, test } from "@playwright/test";
import { PASSWORD, logOut, register, uniqueName } from "./helpers";

test("the login form explains each mistake", async ({ page }) => {
  const name = uniqueName("dave");
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Log in" })).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Create account" })).toHaveCount(1);

  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("too short");

  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong username or password");
});

test("a taken name is refused, and logging out and in again works", async ({ page }) => {
  const name = uniqueName("erin");
  await register(page, name);
  await logOut(page);
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel("Username").fill(name.toUpperCase());
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("already taken");

  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/rooms$/);
  await page.getByRole("button", { name: `Account: ${name}` }).click();
  await expect(page.getByText(`Signed in as ${name}`)).toBeVisible();
  // Escape closes the account menu and gives the focus back to its button.
  await page.keyboard.press("Escape");
  await expect(page.getByText(`Signed in as ${name}`)).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Account: ${name}` })).toBeFocused();
});

test("visitors are sent to the login page", async ({ page }) => {
  await page.goto("/rooms");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Username")).toBeVisible();
});

test("logging out everywhere ends the session in the other browser too", async ({ browser }) => {
  const name = uniqueName("lost_phone");
  const laptop = await (await browser.newContext()).newPage();
  const phone = await (await browser.newContext()).newPage();
  await register(laptop, name);

  await phone.goto("/login");
  await phone.getByLabel("Username").fill(name);
  await phone.getByLabel("Password").fill(PASSWORD);
  await phone.getByRole("button", { name: "Log in" }).click();
  await expect(phone).toHaveURL(/\/rooms$/);
  const room = uniqueName("Kitchen");
  await phone.getByLabel("Room name").fill(room);
  await phone.getByRole("button", { name: "Create room" }).click();
  await expect(phone.getByRole("heading", { name: room })).toBeVisible();

  await logOut(laptop, true);
  await expect(laptop).toHaveURL(/\/login$/);
  // The phone's open room hears at once that its session is over.
  await expect(phone.getByRole("alert").filter({ hasText: "You were logged out" })).toBeVisible();
  await phone.reload();
  // Logging in again leads back to the room.
  await expect(phone).toHaveURL(/\/login\?next=\/rooms\/\d+$/);
});
