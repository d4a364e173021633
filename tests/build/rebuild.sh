#!/usr/bin/env bash
# `make build` (.ci/build.sh) redoes what a change needs and nothing else:
# 1. On an unchanged tree it compiles nothing, leaves the site and binary as
#    they are, and `make run` serves; the times are printed (README quotes
#    them), not judged.
# 2. Each kind of input is seen as a change of the site, one at a time
#    (`--plan`): a rule in style/, a file added to or removed from public/,
#    the React island, a Rust file the WASM is built from, a damaged site.
#    Edits that change nothing built are not: a touched file, a comment
#    Tailwind drops, a Rust file only the server compiles.
# 3. All of them at once (with a server-only Rust change) are built for
#    real, and the server started directly serves every one. Then the files
#    are put back and built again, and none of the changes is served.
# It edits the working tree and puts every file back, also when it fails.
set -euo pipefail
shopt -s inherit_errexit
cd -P "$(dirname "$0")/../.."
export PATH=$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH

log=target/rebuild-test.log
probe=probe$$x$RANDOM
port=3005
work=$(mktemp -d)
mkdir -p target
: >"$log"

edited=(style/tailwind.css island/login.jsx app/src/lib.rs src/http/openapi.rs)
for file in "${edited[@]}"; do
  cp -p "$file" "$work/$(basename "$file")"
done
server=
cleanup() {
  [[ -n $server ]] && kill -- "-$server" 2>/dev/null || true
  wait 2>/dev/null || true
  for file in "${edited[@]}"; do
    # Not with its old time: cargo would take it for the file it built.
    cmp -s "$work/$(basename "$file")" "$file" || cp "$work/$(basename "$file")" "$file" \
      || echo "rebuild: could not put $file back from $work" >&2
  done
  rm -f "public/$probe.txt"
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "rebuild: $*" >&2
  echo "--- $log ---" >&2
  tail -n 60 "$log" >&2
  exit 1
}

build() {
  echo "--- make build $*" >>"$log"
  make --no-print-directory build >"$work/out" 2>&1 || { cat "$work/out" >>"$log"; fail "make build failed"; }
  cat "$work/out" >>"$log"
}

plan() {
  bash .ci/build.sh --plan | tee -a "$log"
}

expect_plan() {
  local why=$1 want=$2 got
  got=$(plan)
  [[ $got == "$want" ]] || fail "after $why, expected \"$want\", got \"$got\""
}

seconds_since() {
  awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $1 }"
}

fingerprint() {
  { stat -c '%n %Y' target/release/chat; find target/site -type f -printf '%P %s %T@\n' | sort; } | sha256sum
}

# Starts the command (in its own process group) and waits for the login
# page; `took` is the seconds that took.
took=
serve() {
  local began=$EPOCHREALTIME
  ! curl -s -o /dev/null "http://127.0.0.1:$port/" || fail "something already serves port $port"
  DATABASE_URL=sqlite://$work/chat.db STORAGE_URL=file://$work/files LEPTOS_SITE_ADDR=127.0.0.1:$port \
    setsid "$@" >>"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 1200); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/login"; then
      took=$(seconds_since "$began")
      return 0
    fi
    kill -0 "$server" 2>/dev/null || fail "$* exited before serving"
    sleep 0.1
  done
  fail "$* did not serve within two minutes"
}

stop() {
  kill -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=
}

# The stylesheet and script the login page names, the island the script
# loads (app/src/island.rs), the API's description and the probe's status.
served() {
  local base=http://127.0.0.1:$port html
  html=$(curl -sf "$base/login")
  urls=$(grep -oE '/pkg/[^"'"'"' ]+\.(css|js)' <<<"$html" | sort -u)
  grep -q 'css$' <<<"$urls" && grep -q 'js$' <<<"$urls" || fail "the login page names no stylesheet or script"
  for url in $urls /island/login.js; do
    curl -sf "$base$url" || fail "$url does not answer"
    echo
  done
  curl -sf "$base/api/openapi.json"
  echo
  curl -so /dev/null -w "public file %{http_code}\n" "$base/$probe.txt"
}

echo "rebuild: an unchanged tree (log: $log)"
build "(first, so the tree is built)"
before=$(fingerprint)
began=$EPOCHREALTIME
build "(unchanged)"
took=$(seconds_since "$began")
grep -q "site: up to date" "$work/out" || fail "the unchanged site was rebuilt"
! grep -q "Compiling" "$work/out" || fail "cargo compiled on an unchanged tree"
[[ $(fingerprint) == "$before" ]] || fail "the binary or the site changed on an unchanged tree"
echo "rebuild: make build on an unchanged tree: ${took}s"
serve make --no-print-directory run
stop
echo "rebuild: make run on an unchanged tree served after ${took}s"
serve target/release/chat
stop
echo "rebuild: target/release/chat served after ${took}s"
[[ $(fingerprint) == "$before" ]] || fail "make run rebuilt an unchanged tree"

echo "rebuild: what is a change"
touch style/tailwind.css island/login.jsx app/src/lib.rs public/favicon.svg
expect_plan "touching files" "build: site: up to date"
# Back with its time too: cargo would otherwise compile the app again, for
# a change that is none (its fingerprints are times).
cp -p "$work/lib.rs" app/src/lib.rs
echo "/* $probe */" >>style/tailwind.css
expect_plan "a comment in the stylesheet" "build: site: up to date"
echo ".$probe { outline: 1px solid red }" >>style/tailwind.css
expect_plan "a rule in the stylesheet" "build: site: would rebuild (changed: stylesheet)"
cp "$work/tailwind.css" style/tailwind.css
expect_plan "putting the stylesheet back" "build: site: up to date"
echo "$probe" >"public/$probe.txt"
expect_plan "adding a public file" "build: site: would rebuild (changed: public)"
rm "public/$probe.txt"
expect_plan "removing it" "build: site: up to date"
rm target/site/favicon.svg.br
expect_plan "a site file removed" "build: site: would rebuild (changed: site)"
echo "window.$probe = \"$probe\";" >>island/login.jsx
make --no-print-directory island >>"$log"
expect_plan "an island change" "build: site: would rebuild (changed: public site)"
sed -i "s/Rooms, messages and sessions\./Rooms, messages and sessions. $probe./" src/http/openapi.rs
grep -q "$probe" src/http/openapi.rs || fail "the OpenAPI description moved; pick another server-only string"
expect_plan "a server-only Rust file" "build: site: would rebuild (changed: public site)"
echo "// $probe" >>app/src/lib.rs
expect_plan "a Rust file of the WASM" "build: site: would rebuild (changed: wasm public site)"
cp -p "$work/lib.rs" app/src/lib.rs
expect_plan "putting the WASM's file back" "build: site: would rebuild (changed: public site)"

echo "rebuild: changes are built and served"
echo ".$probe { outline: 1px solid red }" >>style/tailwind.css
echo "$probe" >"public/$probe.txt"
build "(changed)"
grep -q "site: rebuilding (changed: stylesheet public site)" "$work/out" || fail "the site was not rebuilt"
grep -q "Compiling chat " "$work/out" || fail "the server was not recompiled"
! grep -q "Compiling chat-app " "$work/out" || fail "the app crate was compiled, though none of its files changed"
serve target/release/chat
content=$(served)
stop
for what in "stylesheet:\.$probe\{" "island:window\.$probe" "public file:^public file 200\$" "OpenAPI description:sessions\. $probe"; do
  grep -qE "${what#*:}" <<<"$content" || fail "the changed ${what%%:*} is not served"
done

echo "rebuild: changes put back are built and served"
cleanup
work=$(mktemp -d)
trap 'stop; rm -rf "$work"' EXIT
make --no-print-directory island >>"$log"
build "(put back)"
grep -q "site: rebuilding" "$work/out" || fail "the site was not rebuilt after the files were put back"
serve target/release/chat
content=$(served)
stop
! grep -q "$probe" <<<"$content" || fail "a change put back is still served"
grep -q "^public file 404$" <<<"$content" || fail "the removed public file is still served"
expect_plan "a build" "build: site: up to date"
echo "rebuild: passed"
