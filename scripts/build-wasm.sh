#!/usr/bin/env bash
# Builds the WebAssembly client and the npm package (npm-package/dist) from one command.
#
#   1. Rust → wasm32 with the `wasm-release` profile. The normal way first
#      (`rustup target add wasm32-unknown-unknown`, std rebuilt for size when rustup's rust-src
#      is available); when the prebuilt std can't be downloaded, Debian's rustc-web 1.96 builds
#      std from source (`-Z build-std`), installed on demand.
#   2. wasm-bindgen CLI at exactly the version Cargo.lock pins (installed on demand).
#   3. wasm-opt -Oz (npm `binaryen`, a devDependency of the package), then the module's import
#      and export names minified.
#   4. The package's own build (npm-package/scripts/build.mjs): the glue renamed to match,
#      TypeScript compiled, the "." entry bundled and minified, the .wasm next to it.
#
# Usage: scripts/build-wasm.sh [--skip-npm-install]
# Env: CARGO_TARGET_DIR (default target/wasm); BUILD_WASM_FALLBACK=1 forces the Debian path.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/wasm}"
TARGET=wasm32-unknown-unknown
PROFILE=wasm-release
CRATE=notify-client-wasm
PKG="$ROOT/npm-package"
OUT="$PKG/build/wasm"

log() { printf '\033[1;34m[build-wasm]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# --- 1. compile ---------------------------------------------------------------------------
normal_toolchain_has_wasm() {
  [ "${BUILD_WASM_FALLBACK:-0}" = 1 ] && return 1   # force the Debian path (to test it)
  command -v rustup >/dev/null || return 1
  rustup target list --installed 2>/dev/null | grep -qx "$TARGET" && return 0
  log "rustup target add $TARGET"
  timeout 120 rustup target add "$TARGET" >&2 2>&1 && rustup target list --installed | grep -qx "$TARGET"
}

ensure_debian_rust_web() {
  if [ -x /usr/bin/rustc ] && /usr/bin/rustc --version | grep -q '^rustc 1\.9[6-9]\|^rustc 1\.[1-9][0-9][0-9]' \
     && [ -d /usr/lib/rustlib/src/rust/library ] && [ -x /usr/bin/cargo ]; then
    return
  fi
  log "installing Debian rustc-web cargo-web rust-web-src (std sources for -Z build-std)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src >&2
}

find_lld() {
  local sysroot
  if command -v rustc >/dev/null; then
    sysroot="$(rustc --print sysroot)"
    if [ -x "$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld" ]; then
      echo "$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"; return
    fi
  fi
  for candidate in /usr/bin/rust-lld /usr/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  command -v rust-lld || command -v wasm-ld || { echo "no rust-lld or wasm-ld found" >&2; return 1; }
}

# Rebuilding std for the wasm (`-Z build-std`, with panics that abort without formatting their
# message, no panic locations and no Debug formatting) takes ~8 KB gz off the module; it needs
# the std sources. rustup's `rust-src` works on the normal path; without it the prebuilt std is
# used as is.
# Without the reference-types and multivalue features wasm-bindgen keeps JS values in a JS-side
# slab instead of an externref table: ~0.5 KB gz less in total.
SIZE_FLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none"
SIZE_FLAGS="$SIZE_FLAGS -Ctarget-feature=-reference-types,-multivalue"
rustup_has_rust_src() {
  local src
  src="$(rustc --print sysroot)/lib/rustlib/src/rust/library"
  [ -d "$src" ] && return 0
  timeout 120 rustup component add rust-src >&2 2>&1 && [ -d "$src" ]
}

if normal_toolchain_has_wasm; then
  if rustup_has_rust_src; then
    log "cargo build --profile $PROFILE --target $TARGET -Z build-std (rustup toolchain + rust-src)"
    RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$SIZE_FLAGS" \
      cargo build --profile "$PROFILE" --target "$TARGET" -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size -p "$CRATE"
  else
    log "cargo build --profile $PROFILE --target $TARGET (rustup toolchain, prebuilt std)"
    cargo build --profile "$PROFILE" --target "$TARGET" -p "$CRATE"
  fi
else
  log "rustup cannot provide $TARGET std: building std from source with Debian's rustc-web"
  ensure_debian_rust_web
  LLD="$(find_lld)"
  # RUSTC_BOOTSTRAP is what -Z build-std needs on a release compiler.
  RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LLD" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$SIZE_FLAGS" \
    /usr/bin/cargo build --profile "$PROFILE" --target "$TARGET" \
      -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size -p "$CRATE"
fi
WASM="$CARGO_TARGET_DIR/$TARGET/$PROFILE/notify_client_wasm.wasm"
[ -f "$WASM" ] || { echo "expected $WASM" >&2; exit 1; }

# --- 2. wasm-bindgen at the lockfile's version -----------------------------------------------
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$WB_VERSION" ] || { echo "wasm-bindgen not found in Cargo.lock" >&2; exit 1; }
export PATH="$HOME/.cargo/bin:$PATH"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  log "cargo install wasm-bindgen-cli --version $WB_VERSION (once; a few minutes)"
  # No --locked: the registry mirror lacks some of the newest versions its lockfile names.
  CARGO_TARGET_DIR="$ROOT/target/tools" cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi
rm -rf "$OUT" && mkdir -p "$OUT"
log "wasm-bindgen $WB_VERSION --target web"
wasm-bindgen --target web --encode-into always --out-dir "$OUT" --out-name notify_client "$WASM"

# --- 3. + 4. wasm-opt and the package build ---------------------------------------------------
cd "$PKG"
if [ "${1:-}" != "--skip-npm-install" ] && [ ! -x node_modules/.bin/wasm-opt ]; then
  log "npm ci (npm-package)"
  npm ci --no-audit --no-fund >&2
fi
log "wasm-opt -Oz"
# The feature flags match what rustc emits for wasm32 (Rust >= 1.87 uses bulk memory and
# non-trapping float-to-int); --converge repeats -Oz while it still shrinks the module.
# --low-memory-unused lets constant offsets fold into loads and stores: rust-lld links the stack
# first (data starts at 1 MiB, the stack grows down towards 0), so the lowest 1 KB is reached
# only by a stack overflow. With --generate-global-effects and --merge-similar-functions:
# -0.2 KB gz on the module. -aimfs 5 (always inline functions up to 5 bytes, default 2): the
# module gets a little larger but compresses better (-57 B gz, measured with wasm-opt 132).
# -ocimfs 60: a function with one caller is inlined into it only when small (the default inlines
# every one): the module gets larger but compresses better (-235 B gz at 30, then -69 B with 60
# and a second flatten/rereloop round, wasm-opt 132).
node_modules/.bin/wasm-opt -aimfs 5 -ocimfs 60 --generate-global-effects --low-memory-unused -Oz \
  --flatten --rereloop -Oz --flatten --rereloop -Oz \
  --merge-similar-functions -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$OUT/notify_client_bg.wasm" -o "$OUT/notify_client_bg.wasm"
# Import/export names shortened to one or two letters (wasm-bindgen's are hashed and long); the
# printed old → new map is applied to the JS glue by the package build.
node_modules/.bin/wasm-opt --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --minify-imports-and-exports-and-modules --strip-producers --strip-target-features \
  "$OUT/notify_client_bg.wasm" -o "$OUT/notify_client_bg.wasm" > "$OUT/abi-map.json"
log "package build (glue renamed, TypeScript, bundle)"
node scripts/build.mjs
log "done: $PKG/dist"
