import { expect, test } from "@playwright/test";
import { twoUsersInOneRoom } from "./helpers";

// Two small PNGs: 64×48 red, 30×60 blue.
const RED =
  "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAAY0lEQVR4nO3PQQkAMAzAwMqpfz0TMxF7HINABFzm7H7dcEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY0oAUNaEEDWtCAFjSgBQ1oQQNa0IAWNKAFDWhBA1rQgBY0oAWPXf4oENM33goPAAAAAElFTkSuQmCC";
const BLUE =
  "iVBORw0KGgoAAAANSUhEUgAAAB4AAAA8CAIAAAD+Np3IAAAAMklEQVR4nO3MQQkAAAgEsItjHPtjGFP4kcHeS/UciVqtVqvVarVarVar1Wq1Wq1Wf6sXv75XKHewe/IAAAAASUVORK5CYII=";

test("A pastes an image and B sees it live, then opens it full size and steps through the room's images", async ({ browser }) => {
  const { pageA, pageB } = await twoUsersInOneRoom(browser);
  const composerA = pageA.getByLabel("Message");

  // A screenshot pasted straight into the composer.
  await composerA.evaluate((el, base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
    el.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, RED);
  const tray = pageA.getByRole("list", { name: "Files to send" });
  await expect(tray.getByText("Ready to send")).toBeVisible();
  await composerA.fill("look at this");
  await composerA.press("Enter");
  await expect(tray).toBeHidden();

  // B sees the thumbnail arrive, its place kept at the image's shape.
  const shot = pageB.getByRole("article").filter({ hasText: "look at this" }).getByRole("img", { name: "screenshot.png" });
  await expect(shot).toBeVisible();
  await expect.poll(() => shot.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
  expect(await shot.getAttribute("width")).toBe("64");
  expect(await shot.getAttribute("height")).toBe("48");

  // Two more, chosen with the attach button, sent without text: an image
  // and a file that is not one.
  await pageA.locator("#composer-files").setInputFiles([
    { name: "portrait.png", mimeType: "image/png", buffer: Buffer.from(BLUE, "base64") },
    { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("remember the milk\n") },
  ]);
  await expect(tray.getByText("Ready to send")).toHaveCount(2);
  // A third, thought better of: removed before sending.
  await pageA.locator("#composer-files").setInputFiles([
    { name: "oops.txt", mimeType: "text/plain", buffer: Buffer.from("not this one\n") },
  ]);
  await expect(tray.getByText("Ready to send")).toHaveCount(3);
  await tray.getByRole("button", { name: "Remove oops.txt" }).click();
  await expect(tray.getByRole("listitem")).toHaveCount(2);
  await composerA.press("Enter");
  const card = pageB.getByRole("link", { name: "Download notes.txt" });
  await expect(card).toBeVisible();
  await expect(card).toHaveAttribute("href", /\/api\/uploads\/[\w-]+\/content$/);
  await expect(pageB.getByRole("img", { name: "portrait.png" })).toBeVisible();
  await expect(pageB.getByText("oops.txt")).toHaveCount(0);

  // The viewer: full size, arrows through the room's images, Escape back.
  const open = pageB.getByRole("button", { name: /^Open screenshot\.png/ });
  await open.click();
  const viewer = pageB.getByRole("dialog", { name: "Image viewer" });
  await expect(viewer).toBeVisible();
  await expect(viewer.getByRole("img", { name: "screenshot.png" })).toHaveAttribute("src", /\/content$/);
  await expect(viewer.getByText("1 of 2")).toBeVisible();
  await pageB.keyboard.press("ArrowRight");
  await expect(viewer.getByRole("img", { name: "portrait.png" })).toBeVisible();
  await expect(viewer.getByText("2 of 2")).toBeVisible();
  await pageB.keyboard.press("Escape");
  await expect(viewer).toBeHidden();
  await expect(open).toBeFocused();

  // The file itself is the room's: B fetches it, a stranger cannot.
  const href = await card.getAttribute("href");
  const answer = await pageB.request.get(href!);
  expect(answer.status()).toBe(200);
  expect(answer.headers()["content-disposition"]).toMatch(/^attachment;/);
  expect(await answer.text()).toBe("remember the milk\n");
  const stranger = await browser.newContext();
  expect((await stranger.request.get(new URL(href!, pageB.url()).toString())).status()).toBe(401);
  await stranger.close();
});
