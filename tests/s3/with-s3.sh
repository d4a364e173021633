#!/usr/bin/env bash
# Runs a command beside a local S3-compatible server (moto, pinned in
# tests/s3/requirements.txt and installed once into target/s3-venv), with
# CHAT_TEST_S3_URL naming it: the integration tests then keep their files
# in a bucket of their own there instead of a directory (tests/support/
# files.rs). The server is stopped when the command ends.
#
#   bash tests/s3/with-s3.sh cargo test --features ssr --test api
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/s3-venv
requirements=tests/s3/requirements.txt
if ! cmp -s "$requirements" "$venv/installed.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed.txt"
fi

port=${S3_TEST_PORT:-9010}
log=$(mktemp)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 80); do
  curl -sf "http://127.0.0.1:$port/" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log"; echo "the S3 test server did not start" >&2; exit 1; }
  sleep 0.25
done
CHAT_TEST_S3_URL=http://127.0.0.1:$port "$@"
