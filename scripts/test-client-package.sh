#!/usr/bin/env bash
# `npm pack` the built package, install the tarball into a fresh app (npm-package/test/fresh-app,
# copied to a temp dir), type-check it (TypeScript strict), build it with Vite and with webpack 5
# (default settings, no wasm plugin), then load both builds and a plain HTML page in Chromium
# against the real server. The same tarball goes into a Next.js app (npm-package/test/next-app,
# App Router; its npm dependencies installed in place by `npm ci`, only when its lockfile changed):
# `next build` must print no warning, and the page `next start` renders on the server is loaded
# in Chromium too. publint and arethetypeswrong check the package's exports and types.
# Needs: a built npm-package/dist, NOTIFY_SERVER_BIN, npm-package's npm dependencies installed.
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

# Next.js: built where it lives (next resolves its node_modules there); .next is git-ignored.
NEXT_APP="$PKG/test/next-app"
export NEXT_TELEMETRY_DISABLED=1
stamp="$NEXT_APP/node_modules/.ci-lock-sha"
want="$(sha256sum "$NEXT_APP/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd "$NEXT_APP" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
else
  echo "next-app: npm dependencies up to date"
fi
cd "$NEXT_APP"
npm install --no-save --no-audit --no-fund --loglevel=error "$TARBALL"
rm -rf .next
./node_modules/.bin/next build 2>&1 | tee "$WORK/next-build.txt"
# Under CI=true Next.js notes that a first build has no cache: not a warning about the app.
if grep -iE 'warn|⚠' "$WORK/next-build.txt" | grep -qv 'No build cache found'; then
  echo "next build printed a warning (see above)" >&2
  exit 1
fi

FRESH_APP_DIR="$WORK/app" NEXT_APP_DIR="$NEXT_APP" node --test --test-timeout=120000 --test-reporter=spec "$PKG/test/package/"
