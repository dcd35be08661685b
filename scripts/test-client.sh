#!/usr/bin/env bash
# Runs every test of the web client (issue 3) and exits non-zero on any failure:
#
#   1. core      cargo fmt --check, clippy -D warnings and `cargo test` of the pure core (native)
#   2. wasm      scripts/build-wasm.sh: wasm32 build, wasm-bindgen, wasm-opt, package build (tsc strict)
#   3. unit      the package's JS API in Node: SSR-safe import, store contract, async loading,
#                promises, wasm_unavailable, option checks
#   4. size      what an app downloads for the "." entry, from the `npm pack` tarball (gzip -9);
#                FAILS above the 24 KB budget (npm-package/scripts/size.mjs)
#   5. server    cargo build -p notify-server (the real server the browser tests start)
#   6. e2e       the built package in Debian's Chromium (playwright-core) against the server
#   7. package   `npm pack` → a fresh app built with Vite (+ tsc strict) and webpack 5, and a
#                plain HTML page, each in Chromium against the server
#
# On a fresh Debian machine (as root) it installs what is missing, once: chromium (apt), Node/npm
# (apt, only if absent), the npm dependencies (npm ci, skipped while package-lock.json is
# unchanged), the wasm toolchain (see build-wasm.sh: rustup target, else Debian's rustc-web;
# wasm-bindgen-cli at the Cargo.lock version).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/npm-package"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

RESULTS=()
START=$SECONDS
say() { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
summary() {
  printf '\n\033[1m== test-client summary (%ss)\033[0m\n' "$((SECONDS - START))"
  for r in "${RESULTS[@]}"; do printf '  %s\n' "$r"; done
}
step() {
  local name="$1"; shift
  say "$name"
  local t=$SECONDS
  if "$@"; then
    RESULTS+=("PASS  $name ($((SECONDS - t))s)")
  else
    RESULTS+=("FAIL  $name ($((SECONDS - t))s)")
    summary
    echo "test-client: FAILED at: $name" >&2
    exit 1
  fi
}

APT_UPDATED=0
apt_install() {
  [ "$APT_UPDATED" = 1 ] || { as_root apt-get update -qq && APT_UPDATED=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

prerequisites() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "installing nodejs npm (apt)"; apt_install nodejs npm || return 1
  fi
  export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM_BIN" ]; then
    echo "installing chromium (apt)"; apt_install chromium || return 1
  fi
  # npm ci only when the lockfile changed since the last install.
  local stamp="$PKG/node_modules/.ci-lock-sha" want
  want="$(sha256sum "$PKG/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$PKG" && npm ci --no-audit --no-fund) || return 1
    echo "$want" > "$stamp"
  else
    echo "npm dependencies up to date"
  fi
  node --version && "$CHROMIUM_BIN" --version
}

core_tests() {
  CARGO_TARGET_DIR="$ROOT/target/client" cargo fmt -p notify-client-wasm --check &&
  CARGO_TARGET_DIR="$ROOT/target/client" cargo clippy -q -p notify-client-wasm --all-targets -- -D warnings &&
  CARGO_TARGET_DIR="$ROOT/target/client" cargo test -q -p notify-client-wasm
}

build_wasm() { bash "$ROOT/scripts/build-wasm.sh" --skip-npm-install; }

unit() { (cd "$PKG" && node --test --test-reporter=spec test/unit/); }

size_report() { node "$PKG/scripts/size.mjs"; }

build_server() {
  # A caller that already built the server (scripts/test.sh) may pass NOTIFY_SERVER_BIN.
  if [ -n "${NOTIFY_SERVER_BIN:-}" ] && [ -x "$NOTIFY_SERVER_BIN" ]; then
    echo "using NOTIFY_SERVER_BIN=$NOTIFY_SERVER_BIN"; return 0
  fi
  cargo build -q -p notify-server || return 1
  export NOTIFY_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/notify-server"
  [ -x "$NOTIFY_SERVER_BIN" ]
}

e2e() { (cd "$PKG" && node --test --test-timeout=120000 --test-reporter=spec test/e2e/); }

packaged() { bash "$ROOT/scripts/test-client-package.sh"; }

step "prerequisites (node, chromium, npm ci)" prerequisites
step "core: fmt, clippy, cargo test (native)" core_tests
step "wasm: build-wasm.sh (wasm32, wasm-bindgen, wasm-opt, tsc)" build_wasm
step "unit: package API in Node (SSR import, store)" unit
step "size: the . entry from the packed tarball, <= 24 KB gz" size_report
step "server: cargo build -p notify-server" build_server
step "e2e: Chromium against notify-server" e2e
step "package: npm pack into fresh Vite and webpack apps, a plain page and Next.js" packaged
summary
echo "test-client: all passed"
