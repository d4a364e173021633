#!/usr/bin/env bash
# The Playwright two-node scenario: two server processes on one fresh
# PostgreSQL database, a browser on each. Expects `cargo leptos build` (debug)
# to have run, as `make e2e` does first. The database is dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

admin=${CHAT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
database=chat_e2e_$$
url="${admin%/*}/$database"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
}
trap cleanup EXIT

psql -q "$admin" -c "CREATE DATABASE $database"

# The site's file names carry hashes (hash-files); cargo-leptos wrote them
# to target/debug/hash.txt, next to the binary.
export DATABASE_URL=$url LEPTOS_OUTPUT_NAME=chat LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_PKG_DIR=pkg LEPTOS_HASH_FILES=true RUST_LOG=${RUST_LOG:-warn} \
  REGISTER_MAX_PER_ADDRESS=1000000

wait_for() {
  for _ in $(seq 1 240); do
    curl -sf "$1/api/openapi.json" >/dev/null && return 0
    sleep 0.25
  done
  echo "$1 did not start" >&2
  return 1
}

# One at a time, so the first applies the migrations.
LEPTOS_SITE_ADDR=127.0.0.1:3000 target/debug/chat & pids+=($!)
wait_for http://127.0.0.1:3000
LEPTOS_SITE_ADDR=127.0.0.1:3002 target/debug/chat & pids+=($!)
wait_for http://127.0.0.1:3002

cd end2end
CHAT_E2E_SERVERS=http://127.0.0.1:3000,http://127.0.0.1:3002 \
  CHAT_NODE2_URL=http://127.0.0.1:3002 \
  npx playwright test --config playwright.nodes.config.ts
