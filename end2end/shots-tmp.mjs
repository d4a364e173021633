import { chromium } from "@playwright/test";
import fs from "fs";
const base = "http://127.0.0.1:3100";
const RED = fs.readFileSync("/tmp/red.png");
const BLUE = fs.readFileSync("/tmp/blue.png");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
async function user(name) {
  const ctx = await browser.newContext({ baseURL: base });
  const r = await ctx.request.post("/api/auth/register", { data: { username: name, password: "a long password" } });
  return { ctx, token: (await r.json()).token };
}
const n = Date.now() % 100000;
const ann = await user("ann" + n), bob = await user("bob" + n);
const room = await (await ann.ctx.request.post("/api/rooms", { data: { name: "photos" + n } })).json();
const id = room.room.id;
await bob.ctx.request.post(`/api/rooms/${id}/join`);
async function up(u, name, buf, mime) {
  const r = await u.ctx.request.post("/api/uploads", { multipart: { file: { name, mimeType: mime, buffer: buf } } });
  return (await r.json()).upload.id;
}
const a = await up(ann, "sunset.png", RED, "image/png");
await ann.ctx.request.post(`/api/rooms/${id}/messages`, { data: { body: "Look at this sunset from the trip", attachments: [a] } });
const b = await up(bob, "portrait.png", BLUE, "image/png");
const c = await up(bob, "quarterly-report-final-v3.pdf", Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj\n"), "application/pdf");
await bob.ctx.request.post(`/api/rooms/${id}/messages`, { data: { body: "", attachments: [b, c] } });
for (const [w, h, tag] of [[1280, 800, "desktop"], [375, 740, "phone"]]) {
  const page = await ann.ctx.newPage();
  await page.setViewportSize({ width: w, height: h });
  await page.goto(`/rooms/${id}`);
  await page.waitForTimeout(1500);
  await page.locator("#composer-files").setInputFiles([{ name: "draft-notes.txt", mimeType: "text/plain", buffer: Buffer.from("x".repeat(3000)) }]);
  await page.waitForTimeout(800);
  await page.screenshot({ path: `/tmp/shots/files-${tag}.png` });
  await page.getByRole("button", { name: /^Open portrait/ }).click();
  await page.waitForTimeout(500);
  await page.screenshot({ path: `/tmp/shots/viewer-${tag}.png` });
  await page.close();
}
await browser.close();
