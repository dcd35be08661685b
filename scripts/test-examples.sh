#!/usr/bin/env bash
# Tests the framework adapters and the example apps (issue 4), and exits non-zero on any failure:
#
#   1. prerequisites  node/npm and Debian's chromium (apt, when missing); npm-package's npm ci
#   2. package        npm-package/dist, built by scripts/build-wasm.sh only when missing or stale
#   3. server         cargo build -p notify-server (or NOTIFY_SERVER_BIN)
#   4. adapters       typecheck + vitest: React, Vue and Angular adapters against the real core
#                     store and the real server (jsdom)
#   5. examples       examples/{react,vue,angular}: npm ci and build, each only when stale
#   6. e2e            the three built apps in Chromium (playwright-core) against the real server,
#                     served statically, behind a same-origin proxy (relative url) and, for
#                     React and Vue, by `vite preview` with the examples' own proxy config
#
#   scripts/test-examples.sh
#
# Cached: npm ci runs when a lockfile (or, for the examples, the built package) changed; an
# example is rebuilt when its sources or its installed package changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/npm-package"
APPS=(react vue angular)   # not EXAMPLES: that variable picks the apps the e2e runs
export PATH="$HOME/.cargo/bin:$PATH"
export NG_CLI_ANALYTICS=false

say() { printf '\n\033[1;35m== %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
sha() { sha256sum | cut -d' ' -f1; }

# Runs `npm ci` in $1 unless the stamp there already records $2.
npm_ci_if() {
  local dir="$1" want="$2" stamp="$1/node_modules/.ci-lock-sha"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$want" > "$stamp"
  else
    echo "$(basename "$dir"): npm dependencies up to date"
  fi
}

say "prerequisites"
apt_updated=0
apt_install() {
  [ "$apt_updated" = 1 ] || { as_root apt-get update -qq && apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
command -v npm >/dev/null || apt_install nodejs npm
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
[ -x "$CHROMIUM_BIN" ] || apt_install chromium
# Same stamp as scripts/test-client.sh, so the two never reinstall each other's modules.
npm_ci_if "$PKG" "$(sha < "$PKG/package-lock.json")"

say "package: npm-package/dist"
if [ ! -f "$PKG/dist/react/index.js" ] || [ ! -f "$PKG/dist/index.js" ] ||
   [ -n "$(find "$PKG/src" "$PKG/tsconfig.json" "$ROOT/client-wasm/src" "$ROOT/client-wasm/Cargo.toml" \
            -newer "$PKG/dist/index.js" -not -path '*/src/generated/*' -print -quit)" ]; then
  bash "$ROOT/scripts/build-wasm.sh" --skip-npm-install
else
  echo "up to date"
fi
# What the examples install: a change here reinstalls them.
package_sha="$(cd "$PKG" && { cat package.json; find dist -type f | sort | xargs sha256sum; } | sha)"

say "server: notify-server"
if [ -z "${NOTIFY_SERVER_BIN:-}" ] || [ ! -x "$NOTIFY_SERVER_BIN" ]; then
  (cd "$ROOT" && cargo build -q -p notify-server)
  export NOTIFY_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/notify-server"
fi
echo "$NOTIFY_SERVER_BIN"

say "adapters: typecheck and unit tests (real store, real server)"
(cd "$PKG" && node_modules/.bin/tsc -p test/adapters/tsconfig.json &&
  node_modules/.bin/vitest run --config test/adapters/vitest.config.ts)

say "examples: install and build"
for app in "${APPS[@]}"; do
  dir="$ROOT/examples/$app"
  npm_ci_if "$dir" "$({ cat "$dir/package-lock.json"; echo "$package_sha"; } | sha)"
  built="$dir/dist/.built"
  if [ ! -f "$built" ] || [ -n "$(find "$dir" -newer "$built" -type f \
        -not -path "$dir/node_modules/*" -not -path "$dir/dist/*" -not -path "$dir/.angular/*" -print -quit)" ] ||
     [ "$dir/node_modules/.ci-lock-sha" -nt "$built" ]; then
    (cd "$dir" && npm run build)
    touch "$built"
  else
    echo "$app: build up to date"
  fi
done

say "e2e: the example apps in Chromium against the real server"
npm_ci_if "$ROOT/examples/e2e" "$(sha < "$ROOT/examples/e2e/package-lock.json")"
(cd "$ROOT/examples/e2e" && node --test --test-timeout=180000 --test-reporter=spec)

say "test-examples: all passed"
