#!/usr/bin/env bash
# README "Running several nodes", followed literally: the recipe's shell
# block is read out of README.md and run as written (only the database
# name is made unique, so that a run never touches a real `chat` database).
# Then every file the served pages name must answer 200 on both nodes
# (stylesheet, script, WASM, island, icon), and the two-node Playwright
# scenario runs against them. If README's recipe changes shape, this
# fails, and the recipe and this test are mended together.
set -euo pipefail
cd "$(dirname "$0")/.."

# The server and user the recipe names, so the database is dropped where
# the recipe created it.
admin=postgres://postgres@127.0.0.1:5432/postgres
database=chat_recipe_$$
log=target/nodes-recipe.log
mkdir -p target

recipe=$(awk '
  /^Two nodes on one machine/ { found = 1 }
  found && /^```sh$/ { inside = 1; next }
  inside && /^```$/ { exit }
  inside { print }
' README.md)
for expected in 'createdb -h 127.0.0.1 -U postgres chat ' '5432/chat$' '^make build' \
  'target/release/chat &'; do
  if ! grep -qE -- "$expected" <<<"$recipe"; then
    echo "README's several-nodes recipe no longer has: $expected" >&2
    printf '%s\n' "$recipe" >&2
    exit 1
  fi
done
recipe=$(sed -E "s#(createdb -h 127.0.0.1 -U postgres) chat #\1 $database #; s#5432/chat\$#5432/$database#" <<<"$recipe")

followed=
cleanup() {
  local pids
  if [[ -z $followed ]]; then
    echo "README's several-nodes recipe failed:" >&2
    cat "$log" >&2
  fi
  pids=$(jobs -p)
  [[ -n $pids ]] && kill $pids 2>/dev/null || true
  wait 2>/dev/null || true
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
}
trap cleanup EXIT

echo "Following README 'Running several nodes' (log: $log)"
# Not inside a condition: `set -e` then stops at the recipe's first failing
# line (a build that fails must not leave an old binary to be tested).
eval "$recipe" >"$log" 2>&1
followed=yes

wait_for() {
  for _ in $(seq 1 240); do
    curl -sf "$1/api/openapi.json" >/dev/null && return 0
    sleep 0.25
  done
  echo "$1 did not start" >&2
  cat "$log" >&2
  return 1
}

# Every file a page names answers, on each node: without this a site that
# renders but never styles or hydrates would pass.
check_assets() {
  local base=$1 html urls kinds=""
  for page in /login /no/such/page; do
    html=$(curl -s "$base$page")
    urls=$( { grep -oE '(href|src)="/[^"]*"' <<<"$html" | sed -E 's/^(href|src)="//; s/"$//'
              grep -oE "[\"'](/pkg/[^\"']+)[\"']" <<<"$html" | tr -d "\"'"; } | sort -u)
    for url in $urls; do
      [[ $url == /api/* ]] && continue
      if ! curl -sf -o /dev/null "$base$url"; then
        echo "$base$page names $url, which does not answer 200" >&2
        return 1
      fi
      kinds+=" ${url##*.}"
    done
  done
  for kind in css js wasm; do
    if ! grep -qw "$kind" <<<"$kinds"; then
      echo "$base's pages name no .$kind file (found:$kinds)" >&2
      return 1
    fi
  done
}

for node in http://127.0.0.1:3000 http://127.0.0.1:3002; do
  wait_for "$node"
  check_assets "$node"
done
echo "Both nodes serve every file their pages name"

cd end2end
CHAT_E2E_SERVERS=http://127.0.0.1:3000,http://127.0.0.1:3002 \
  CHAT_NODE2_URL=http://127.0.0.1:3002 \
  npx playwright test --config playwright.nodes.config.ts
