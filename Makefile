# Mandate — build, run and test. `make run` and `make test` work on a fresh Debian machine
# with Rust and Node: they install whatever is missing first (see TOOLCHAIN notes in
# ARCHITECTURE.md). Nothing is downloaded from outside the package registries.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p}' Cargo.lock)
SITE := target/site
PKG := $(SITE)/pkg
WASM_OPT := end2end/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
	--enable-sign-ext --enable-mutable-globals --enable-multivalue
# The packages to test: never the whole workspace (it would unify app's ssr and hydrate features).
TEST_PACKAGES := -p app -p server -p migration --features app/ssr
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run build test test-rust test-e2e site tools tools-build tools-e2e fmt lint bench clean

help:
	@echo "make run    build and serve on http://127.0.0.1:3000 (SQLite in ./data)"
	@echo "make test   install what is missing, then run every test (Rust + Playwright)"
	@echo "make build  release build: target/release/mandate + $(SITE)"
	@echo "make fmt    rustfmt;  make lint  clippy -D warnings"

## ---- tools -------------------------------------------------------------------------

# What building the site needs: the wasm target, the wasm-bindgen CLI matching Cargo.lock,
# and npm packages of end2end/ (binaryen's wasm-opt; Debian's binaryen breaks hydration).
tools-build:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if [ "$$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (takes a few minutes once)"; \
		$(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@[ -x $(WASM_OPT) ] || (cd end2end && npm ci --no-audit --no-fund)

# What the browser tests need in addition: Debian's Chromium.
tools-e2e: tools-build
	@command -v chromium >/dev/null || ( $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium )

tools: tools-e2e

## ---- build -------------------------------------------------------------------------

# The browser bundle: wasm (size-optimised) → wasm-bindgen → wasm-opt, plus CSS and public files.
site: tools-build
	$(CARGO) build -p frontend --target wasm32-unknown-unknown --profile wasm-release
	mkdir -p $(PKG)
	wasm-bindgen --target web --no-typescript --out-dir $(PKG) --out-name mandate \
		target/wasm32-unknown-unknown/wasm-release/frontend.wasm
	$(WASM_OPT) $(WASM_OPT_FLAGS) $(PKG)/mandate_bg.wasm -o $(PKG)/mandate_bg.wasm
	cp style/main.css $(PKG)/mandate.css
	cp -r public/. $(SITE)/

build: site
	$(CARGO) build -p server --release

run: site
	$(CARGO) build -p server
	./target/debug/mandate serve

## ---- test --------------------------------------------------------------------------

test: tools site test-rust test-e2e

# Unit, service (SQLite; PostgreSQL too when TEST_DATABASE_URL is set) and HTTP tests.
test-rust:
	$(CARGO) nextest run $(TEST_PACKAGES) --no-fail-fast

# Playwright in Debian's Chromium against the debug server on a throwaway database. The server
# is built as test-rust builds it (same packages, so the same features): after test-rust this
# compiles nothing, where `cargo build -p server` would compile sea-orm, app and server again.
test-e2e: tools-e2e
	$(CARGO) test $(TEST_PACKAGES) --no-run
	cd end2end && npx playwright test

## ---- benchmarks (not tests: never part of `make test`) ------------------------------

# criterion (decide vs cedar-policy), wrk load runs on loopback, the raw SQLite insert rate.
# Release builds, then about 10 minutes of measuring. Results: bench/RESULTS.md explains, target/bench/ holds the last run.
bench:
	@command -v wrk >/dev/null || ( $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y wrk )
	CARGO="$(CARGO)" bench/run.sh

## ---- quality -----------------------------------------------------------------------

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -p app -p server -p migration --features app/ssr --all-targets -- -D warnings
	$(CARGO) clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

clean:
	$(CARGO) clean
	rm -rf end2end/node_modules end2end/test-results
