// Waits for the server cargo-leptos started, which may still be opening its
// database when the suite begins.
export default async function globalSetup() {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch("http://127.0.0.1:3000/api/openapi.json");
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("server did not start within 120 s");
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
