#!/usr/bin/env bash
# Schemathesis against the REST API, as `make test` runs it: every operation
# in /api/openapi.json gets generated requests, valid and invalid, and every
# check is on: no 5xx, only documented status codes, content types and
# headers, bodies that match their schemas, invalid input refused and valid
# input accepted (one exception, explained in end2end/api-fuzz/schemathesis.toml).
# The seed is fixed and the examples bounded, so each run
# checks the same cases in about a minute, and a failure reproduces.
#
# Expects the debug server binary (`make api-fuzz` builds it). Installs
# the pinned schemathesis into target/api-fuzz-venv once.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/api-fuzz-venv
requirements=end2end/api-fuzz/requirements.txt
if ! cmp -s "$requirements" "$venv/installed.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed.txt"
fi

work=$(mktemp -d)
port=${API_FUZZ_PORT:-3007}
base=http://127.0.0.1:$port
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

DATABASE_URL=sqlite://$work/fuzz.db STORAGE_URL=file://$work/files LEPTOS_SITE_ADDR=127.0.0.1:$port LEPTOS_OUTPUT_NAME=chat \
  REGISTER_MAX_PER_ADDRESS=1000000 NO_COLOR=1 RUST_LOG=warn target/debug/chat >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -sf "$base/api/openapi.json" >/dev/null && break
  sleep 0.25
done

# A logged-in caller, so the generated requests get past authentication.
token() {
  curl -sf -X POST -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"correct horse battery\"}" \
    "$base/api/auth/register" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

run() {
  "$venv/bin/st" --config-file end2end/api-fuzz/schemathesis.toml \
    run "$base/api/openapi.json" --checks all --seed 20261126 \
    --max-examples 30 --workers 1 --no-color "$@"
}

status=0
# Logging out ends the caller's session, so it gets a session of its own.
run -H "Authorization: Bearer $(token fuzzer)" --exclude-path-regex logout || status=$?
run -H "Authorization: Bearer $(token leaver)" --include-path-regex logout || status=$?

# A 5xx is not the only way to fail: nothing the fuzzer sent may make the
# server log an error or panic.
if grep -E "ERROR|panicked" "$work/server.log"; then
  echo "the server logged errors under the API fuzzer (above)" >&2
  status=1
fi
exit $status
