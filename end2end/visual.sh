#!/usr/bin/env bash
# The visual comparisons: a fresh demo (`chat demo --at $DEMO_AT`) served
# by the release binary on port 3001, photographed by Playwright at three
# widths and compared with end2end/visual/screens/*.png. With --update
# (`make screenshots`) the images are taken anew instead; README shows
# some of them, so they stay current. Needs `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(mktemp -d)
log=target/visual-server.log
export DEMO_AT=2026-11-30T16:00:00Z
export DATABASE_URL=sqlite://$dir/demo.db STORAGE_URL=file://$dir/files RUST_LOG=warn
target/release/chat demo --at "$DEMO_AT"
# Presence beats slowly: nobody but the reader shows online.
LEPTOS_SITE_ADDR=127.0.0.1:3001 target/release/chat >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

args=()
if [[ "${1:-}" == "--update" ]]; then
  args+=(--update-snapshots=all)
  shift
fi
cd end2end
if ! CHAT_E2E_SERVERS=http://127.0.0.1:3001 npx playwright test -c playwright.visual.config.ts "${args[@]}" "$@"; then
  echo "--- server log ($log) ---" >&2
  cat "../$log" >&2
  echo "If the change is intended: make screenshots, look at the images, commit them." >&2
  exit 1
fi
