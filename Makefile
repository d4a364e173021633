# Chat: `make run` serves the app, `make test` runs every check CI runs.
# Both install what is missing first (idempotently), so a fresh clone works.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)

.PHONY: setup tools chromium island build run dev test lint unit api-fuzz e2e rebuild screenshots bench clean

## setup: install the toolchain pieces and npm packages, build the React island
setup: tools node_modules/.installed island

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" \
		|| cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)" --locked \
		|| cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## island: bundle the React login form into public/island/ (when island/ changed)
island: public/island/login.js

public/island/login.js: $(filter-out %.test.js,$(wildcard island/*)) node_modules/.installed
	npm run --silent build:island

chromium:
	@command -v chromium >/dev/null || apt-get install -y chromium || (apt-get update && apt-get install -y chromium)
	@# The fonts the visual comparisons were taken with: Inter, and colour emoji.
	@fc-list | grep -q "Noto Color Emoji" && fc-list | grep -q "Inter" \
		|| apt-get install -y fonts-noto-color-emoji fonts-inter \
		|| (apt-get update && apt-get install -y fonts-noto-color-emoji fonts-inter)

## build: the release server and site, as `cargo leptos build --release --precompress`
## makes them, redoing only the steps whose inputs changed (.ci/build.sh)
build: setup
	bash .ci/build.sh

## run: build what changed, then serve at http://127.0.0.1:3000 (SQLite file chat.db)
run: build
	target/release/chat

## dev: rebuild and reload on every change
dev: setup
	cargo leptos watch

## test: formatting, lints, unit + integration + fuzz tests, island tests, API fuzzing, Playwright end-to-end
# Each stage is timed, and the times are listed at the end (also when a
# stage fails), so the suite's growth shows in every run.
TEST_STAGES := setup chromium lint unit api-fuzz e2e rebuild
test:
	@start=$$SECONDS; times=(); status=0; \
	for stage in $(TEST_STAGES); do \
	  began=$$SECONDS; \
	  $(MAKE) --no-print-directory $$stage || status=$$?; \
	  times+=("$$(printf '%-9s %6ss' $$stage $$((SECONDS - began)))"); \
	  [[ $$status == 0 ]] || { times[-1]+="  (failed)"; break; }; \
	done; \
	printf '\nmake test, seconds per stage:\n'; printf '  %s\n' "$${times[@]}"; \
	printf '  %-9s %6ss\n' total $$((SECONDS - start)); \
	exit $$status

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --features ssr -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

# Every cargo command here names the whole workspace: features are then
# resolved once, and the second pass reuses the first one's builds.
# The integration suites run twice: on SQLite files with uploads in a
# directory, then as several nodes run, on fresh PostgreSQL databases
# (CHAT_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
# with uploads in S3 buckets on a local S3-compatible server that
# tests/s3/with-s3.sh installs (pinned, from PyPI) and starts.
unit:
	npm run --silent test:island
	cargo test --workspace --features ssr
	CHAT_TEST_BACKEND=postgres bash tests/s3/with-s3.sh cargo test --workspace --features ssr --test api --test delivery

# Schemathesis over /api/openapi.json (end2end/api-fuzz.sh; pinned in a venv).
# The server is the target/debug/chat that `make unit` built with the tests:
# `cargo build` alone would resolve features for fewer packages and compile
# some sixty crates again.
api-fuzz:
	cargo test --workspace --features ssr --no-run
	bash end2end/api-fuzz.sh

# Playwright in headless Chromium, on the release build as README ships it:
# README's several-nodes recipe followed literally (it builds the release
# site and binary; two nodes on PostgreSQL, every asset checked), then the
# whole suite against that binary on a fresh SQLite file.
e2e: setup chromium
	bash end2end/nodes.sh
	bash end2end/suite.sh
	bash end2end/visual.sh

# `make build` rebuilds what a change needs and nothing else, and `make run`
# on an unchanged tree serves at once: tests/build/rebuild.sh edits each
# kind of input in the working tree (and puts it back).
rebuild: setup
	bash tests/build/rebuild.sh

## screenshots: take the visual comparisons' images anew (end2end/visual/screens/, shown in README)
screenshots: build chromium
	bash end2end/visual.sh --update

## bench: the load benchmark in release mode against the real server (docs/benchmarks.md)
# Arguments after BENCH= pick a scenario and size, e.g. `make bench BENCH="fanout --rate 2000"`.
BENCH ?= all
bench: build
	cargo build --release -p chat-bench
	target/release/chat-bench --server target/release/chat $(BENCH)

clean:
	cargo clean
	rm -rf node_modules public/island
