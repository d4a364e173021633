#!/usr/bin/env bash
# `make build`: the release server (target/release/chat) and the site it
# serves (target/site, with the hashed names in target/release/hash.txt),
# exactly as `cargo leptos build --release --precompress` makes them, but
# only the steps whose inputs changed. `make run` is this, then the binary.
#
# Why not cargo-leptos alone: its build regenerates the whole site every
# time (wasm-bindgen, wasm-opt, Tailwind, the copy of public/, brotli and
# gzip of every file), about a minute when nothing changed, and restarting a
# server is far more common than changing it. So:
# - The server binary: cargo decides (`--server-only`); nothing to compile
#   is a second.
# - The site: rebuilt with `cargo leptos build --frontend-only` when one of
#   its inputs differs from the last build's. Inputs are compared by
#   content, so a touched file is no change and a deleted one is:
#     wasm        the Rust files the WASM was compiled from (the dep-info
#                 cargo wrote for it), Cargo.toml, Cargo.lock, the compiler
#                 and RUSTFLAGS;
#     stylesheet  what Tailwind makes of style/ now (it reads the config and
#                 the class names in the sources, so it is asked rather than
#                 second-guessed: about a second);
#     public      every file in public/, the React island's bundle included
#                 (make builds that from island/ when it changed);
#     tools       package-lock.json (Tailwind, wasm-opt), cargo-leptos and
#                 wasm-bindgen, and this script.
#   The site on disk is compared too: if anything else rewrote or removed
#   it (a plain `cargo leptos build`, `cargo clean`), it is rebuilt.
#
# `--plan` says what would be rebuilt and why, and builds nothing
# (tests/build/rebuild.sh). Each line printed says what was done and why.
set -euo pipefail
shopt -s inherit_errexit
# The physical path: cargo writes real paths into its dep-info.
cd -P "$(dirname "$0")/.."
# One order for file lists, whatever the caller's locale.
export LC_ALL=C
# Tailwind and wasm-opt from npm, cargo-leptos from cargo (make sets the same).
export PATH=$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH

plan=
case "${1:-}" in
  "") ;;
  --plan) plan=yes ;;
  *)
    echo "usage: .ci/build.sh [--plan]" >&2
    exit 2
    ;;
esac
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then
  # cargo-leptos, README's recipes and the fingerprints below all expect it.
  echo "make build builds into target/; unset CARGO_TARGET_DIR" >&2
  exit 2
fi

site=target/site
hash_file=target/release/hash.txt
# Where cargo-leptos has cargo build the WASM, and the dep-info cargo
# writes beside it.
wasm_dir=target/front/wasm32-unknown-unknown/wasm-release
wasm_deps=$wasm_dir/chat.d
record=target/release/site-inputs
started=target/release/site-build-started

say() { echo "build: $*"; }

# One digest for the named files' paths and contents, in a stable order.
digest_files() {
  { sort -z | xargs -0 -r sha256sum; } | sha256sum | cut -c1-64
}

# The repository's own files the WASM was compiled from, as cargo recorded
# them: `<output>: <input> <input> …`, spaces in names escaped.
wasm_sources() {
  [[ -f $wasm_deps ]] || return 0
  sed -n '1{s/^[^:]*: //;p}' "$wasm_deps" | sed 's/\\ /\x01/g' | tr ' ' '\n' | tr '\001' ' ' \
    | while IFS= read -r path; do
      case $path in
        "$PWD"/target/*) ;;
        "$PWD"/*) if [[ -f $path ]]; then printf '%s\0' "$path"; fi ;;
      esac
    done
}

# Every file the WASM depends on: its sources and the manifests.
wasm_inputs() {
  wasm_sources
  printf '%s\0' Cargo.toml app/Cargo.toml Cargo.lock
}

wasm_line() {
  if [[ ! -f $wasm_deps ]]; then
    echo "wasm none"
    return
  fi
  echo "wasm $(wasm_inputs | digest_files) $(
    { rustc -vV; printf '%s' "${RUSTFLAGS:-}${CARGO_ENCODED_RUSTFLAGS:-}"; } | sha256sum | cut -c1-64
  )"
}

stylesheet_line() {
  local css
  css=$(mktemp)
  # As cargo-leptos calls it for a release build (compile/tailwind.rs).
  if ! tailwindcss --input style/tailwind.css --output "$css" --minify >/dev/null 2>&1; then
    rm -f "$css"
    echo "tailwindcss failed; for its message run: tailwindcss --input style/tailwind.css" >&2
    return 1
  fi
  echo "stylesheet $(sha256sum <"$css" | cut -c1-64)"
  rm -f "$css"
}

inputs() {
  wasm_line
  stylesheet_line
  echo "public $(find public -type f -print0 | digest_files)"
  echo "tools $(
    { cargo leptos --version; wasm-bindgen --version; cat package-lock.json .ci/build.sh; } | sha256sum | cut -c1-64
  )"
}

# What is on disk: every file's name, size and time, and the hash file.
site_state() {
  echo "site $(
    { find "$site" -type f -printf '%P %s %T@\n' 2>/dev/null | sort; cat "$hash_file" 2>/dev/null; } \
      | sha256sum | cut -c1-64
  )"
}

now=$(inputs)
changed=()
if [[ ! -f $record ]]; then
  changed=("no earlier build")
else
  while read -r name value; do
    grep -qxF "$name $value" "$record" || changed+=("$name")
  done < <(echo "$now"; site_state)
fi

if [[ -n $plan ]]; then
  if ((${#changed[@]})); then
    say "site: would rebuild (changed: ${changed[*]})"
  else
    say "site: up to date"
  fi
  exit 0
fi

if ((${#changed[@]})); then
  say "site: rebuilding (changed: ${changed[*]})"
  # Forgotten first: a build that fails or is stopped leaves no record, so
  # the next run builds again.
  rm -f "$record"
  if [[ " ${changed[*]} " == *" wasm "* ]]; then
    # cargo judges by times, this script by content: a file put back with
    # its old time (cp -p, rsync -t, tar) is a change cargo would not see.
    rm -rf "$wasm_dir"/.fingerprint/chat-*
  fi
  mkdir -p target/release
  touch "$started"
  cargo leptos build --release --precompress --frontend-only
  if ! wasm_sources | tr '\0' '\n' | grep -q "/app/src/lib.rs$"; then
    echo "build: cargo's list of the WASM's sources ($wasm_deps) is missing or unreadable" >&2
    exit 1
  fi
  # The WASM's sources are known only once it is built, so its line is
  # taken now. An input edited while the build ran may not be in what was
  # built: such a line keeps the value from before, and the next run builds
  # again.
  {
    edited=$(
      wasm_inputs \
        | xargs -0 -r sh -c 'for f; do if [ ! -e "$f" ] || [ "$f" -nt "$0" ]; then echo "$f"; fi; done' "$started"
    )
    if [[ -n $edited ]]; then
      echo "wasm edited-during-build"
    else
      wasm_line
    fi
    grep -v '^wasm ' <<<"$now"
    site_state
  } >"$record.new"
  mv "$record.new" "$record"
else
  say "site: up to date ($site)"
fi

say "server: cargo build (cargo compiles only what changed)"
cargo leptos build --release --server-only
