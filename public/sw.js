// Chat's service worker. It does one job: show the notifications the
// server pushes while none of the user's tabs is open (see
// app/src/notify.rs, which subscribes), and open the room at the message
// when one is clicked. It caches nothing and handles no fetch, so pages
// always come from the server.
//
// A push is JSON: {title, body, url, tag}. The tag is the message's, as a
// tab's own notification of it has, so the browser shows it once.

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let shown = {};
  try {
    shown = event.data ? event.data.json() : {};
  } catch (_) {
    // Not ours to read: still say something, as a push must show.
  }
  const title = typeof shown.title === "string" && shown.title ? shown.title : "Chat";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof shown.body === "string" ? shown.body : "",
      tag: typeof shown.tag === "string" ? shown.tag : undefined,
      icon: "/favicon.svg",
      data: { url: sameOrigin(shown.url) },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = sameOrigin(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const tab of tabs) {
        try {
          // A tab this worker does not control cannot be navigated.
          if (await tab.navigate(url)) return tab.focus();
        } catch (_) {}
      }
      return self.clients.openWindow(url);
    })(),
  );
});

// Only a page of this site is opened, whatever a push says.
function sameOrigin(url) {
  try {
    const parsed = new URL(url, self.location.origin);
    if (parsed.origin === self.location.origin) return parsed.href;
  } catch (_) {
    // Not a URL: the front page.
  }
  return new URL("/", self.location.origin).href;
}
