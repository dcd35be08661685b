#!/usr/bin/env bash
# Runs one example app against a local dev-mode notify-server, in one command:
#
#   examples/run.sh react      # http://127.0.0.1:5173
#   examples/run.sh vue        # http://127.0.0.1:5174
#   examples/run.sh angular    # http://127.0.0.1:4200
#
# Builds @ghostpay/notifications (npm-package/) when it isn't built, installs the example,
# starts `notify-server --dev` on http://127.0.0.1:3001 (NOTIFY_PORT; temp database; stopped on
# exit) and the example's dev server, which proxies the server's routes to the app's own origin
# (the app uses the relative URL "/"). Sign in with any user id, then "Send me a test
# notification", or publish with the service token the server prints.
set -euo pipefail

app="${1:-}"
case "$app" in react | vue | angular) ;; *) echo "usage: examples/run.sh react|vue|angular" >&2; exit 2 ;; esac
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH" NG_CLI_ANALYTICS=false

if [ ! -f "$ROOT/npm-package/dist/index.js" ]; then
  (cd "$ROOT/npm-package" && npm ci --no-audit --no-fund && bash "$ROOT/scripts/build-wasm.sh" --skip-npm-install)
fi
[ -d "$ROOT/examples/$app/node_modules" ] || (cd "$ROOT/examples/$app" && npm ci --no-audit --no-fund)
(cd "$ROOT" && cargo build -q -p notify-server)

data="$(mktemp -d)"
port="${NOTIFY_PORT:-3001}"
export NOTIFY_SERVER="http://127.0.0.1:$port"   # the dev server's proxy target
"$ROOT/target/debug/notify-server" --dev --port "$port" --database-url "sqlite://$data/notifications.db" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT INT TERM

cd "$ROOT/examples/$app" && npm start
