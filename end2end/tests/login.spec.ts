import { expect, test } from "@playwright/test";
import { PASSWORD, register, uniqueName } from "./helpers";

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
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel("Username").fill(name.toUpperCase());
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toContainText("already taken");

  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/rooms$/);
  await expect(page.getByText(`Signed in as ${name}`)).toBeVisible();
});

test("visitors are sent to the login page", async ({ page }) => {
  await page.goto("/rooms");
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByLabel("Username")).toBeVisible();
});
