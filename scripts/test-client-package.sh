#!/usr/bin/env bash
# `npm pack` the built package, install the tarball into a fresh app (npm-package/test/fresh-app,
# copied to a temp dir), type-check it (TypeScript strict), build it with Vite and with webpack 5
# (default settings, no wasm plugin), then load both builds and a plain HTML page in Chromium
# against the real server. publint and arethetypeswrong check the package's exports and types.
# Needs: a built npm-package/dist, NOTIFY_SERVER_BIN, npm dependencies installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/npm-package"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

(cd "$PKG" && npm pack --pack-destination "$WORK" --silent) > "$WORK/pack.txt"
TARBALL="$WORK/$(tail -n1 "$WORK/pack.txt")"
echo "packed $(basename "$TARBALL") ($(du -k "$TARBALL" | cut -f1) KB); contents:"
tar -tzf "$TARBALL" | sed 's/^/  /'

# The package's shape: exports, types and files as tools and bundlers read them.
(cd "$PKG" && npx --yes publint@0.3.25 --strict .)
npx --yes @arethetypeswrong/cli@0.18.5 --profile esm-only "$TARBALL"

cp -r "$PKG/test/fresh-app" "$WORK/app"
cd "$WORK/app"
npm install --no-audit --no-fund --loglevel=error "$TARBALL"
npm run build
FRESH_APP_DIR="$WORK/app" node --test --test-timeout=120000 --test-reporter=spec "$PKG/test/package/"
