#!/usr/bin/env bash
# Runs the Node end-to-end tests (tests/node) against the real notify-server binary.
#
#   scripts/test-node.sh                      # builds target/debug/notify-server, then tests it
#   NOTIFY_SERVER_BIN=path scripts/test-node.sh   # tests that binary instead (no build)
#
# `npm ci` runs only when node_modules is missing or older than package-lock.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tests/node"

if [[ -z "${NOTIFY_SERVER_BIN:-}" ]]; then
  (cd "$root" && cargo build --quiet -p notify-server)
  export NOTIFY_SERVER_BIN="$root/target/debug/notify-server"
fi

cd "$dir"
stamp="node_modules/.package-lock.json"
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  npm ci --no-audit --no-fund
fi

node --test --test-reporter=spec
