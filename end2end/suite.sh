#!/usr/bin/env bash
# The Playwright suite (every spec but the two-node one) against the release
# binary that `make build` wrote, started the way README's
# recipe starts it, on a fresh SQLite file. `make e2e` runs nodes.sh first,
# which builds it.
set -euo pipefail
cd "$(dirname "$0")/.."

db=target/e2e.db
files=target/e2e-files
log=target/e2e-server.log
rm -rf "$db" "$db-wal" "$db-shm" "$files"

# The demo's history, as it stood at DEMO_AT: timeline.spec.ts reads it
# with the browser's clock held there.
export DEMO_AT=2026-11-30T16:00:00Z
DATABASE_URL=sqlite://$db STORAGE_URL=file://$files RUST_LOG=warn target/release/chat demo --at "$DEMO_AT"

# Stories post more than a person would (sixty messages to page through);
# the send allowance has its own tests. Presence beats every 3 s, so a
# closed tab is offline within seconds rather than a story's timeout.
DATABASE_URL=sqlite://$db STORAGE_URL=file://$files RUST_LOG=warn REGISTER_MAX_PER_ADDRESS=1000000 SEND_BURST=1000 PRESENCE_BEAT_SECS=3 \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 target/release/chat >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

cd end2end
if ! npx playwright test "$@"; then
  echo "--- server log ($log) ---" >&2
  cat "../$log" >&2
  exit 1
fi
