import { expect, test } from "@playwright/test";
import { register, uniqueName } from "./helpers";

// The Content-Security-Policy (app/src/server/csp.rs) allows only our own
// files and the page's nonce. Everything a user does must still work under
// it, and the browser must not have blocked anything on the way.
test("the whole app runs under its Content-Security-Policy with nothing blocked", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const response = await page.goto("/login");
  const policy = response?.headers()["content-security-policy"] ?? "";
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-inline");

  await register(page, uniqueName("csp"));
  const room = uniqueName("room");
  await page.getByLabel("Room name").fill(room);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("heading", { name: room })).toBeVisible();
  await page.getByLabel("Message").fill("under the policy");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("article").filter({ hasText: "under the policy" })).toHaveCount(1);

  expect(violations).toEqual([]);
});

// Text is text: markup in a room name or a message is shown as typed, live
// and after a reload (rendered on the server), and never runs.
test("markup in a message or a room name is shown as text and never runs", async ({ page }) => {
  const attack = `<img src=x onerror="window.__pwned=1"><b>bold</b><script>window.__pwned=2</script>`;
  await register(page, uniqueName("xss"));
  const room = `${uniqueName("r")} <i>x</i>`;
  await page.getByLabel("Room name").fill(room);
  await page.getByRole("button", { name: "Create room" }).click();
  await expect(page.getByRole("heading", { name: room })).toBeVisible();
  await page.getByLabel("Message").fill(attack);
  await page.getByRole("button", { name: "Send" }).click();
  const message = page.getByRole("article").filter({ hasText: attack });
  await expect(message).toHaveCount(1);

  for (const when of ["live", "after a reload"]) {
    if (when !== "live") {
      await page.reload();
      await expect(message).toHaveCount(1);
    }
    await expect(page.getByRole("heading", { name: room })).toBeVisible();
    await expect(message.locator("img, b, script")).toHaveCount(0);
    await expect(page.locator("main i")).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }
});
