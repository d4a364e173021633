// Waits for the servers under test (cargo-leptos's, or the two nodes that
// nodes.sh starts), which may still be opening their database.
const servers = (process.env.CHAT_E2E_SERVERS ?? "http://127.0.0.1:3000").split(",");

async function waitFor(base: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/api/openapi.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${base} did not start within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export default async function globalSetup() {
  await Promise.all(servers.map(waitFor));
}
