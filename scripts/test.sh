#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, the Rust unit and integration tests
# (real server processes, real SQLite files, a real PostgreSQL + Redis cluster), the Node
# interop tests with the official socket.io-client, the WASM client's native, build and
# browser tests, and the framework adapters' and example apps' tests.
#
#   scripts/test.sh
#
# It installs what it needs on a fresh Debian machine (PostgreSQL, Redis, npm packages, the
# WASM toolchain, Chromium) and caches it. The last line sums up: "summary: N passed, M failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log="$(mktemp -t notify-test.XXXXXX)"

step() {
  local name="$1"
  shift
  echo "==> $name"
  local started=$SECONDS
  "$@" 2>&1 | tee -a "$log"
  local status=${PIPESTATUS[0]}
  echo "==> $name: $([[ $status == 0 ]] && echo ok || echo "FAILED ($status)") in $((SECONDS - started))s"
  return "$status"
}

# Adds up cargo's "test result: ok. N passed; M failed" and node's "ℹ pass N" / "ℹ fail M".
summary() {
  awk '
    /test result: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^ℹ pass [0-9]+/ { p += $3 }
    /^ℹ fail [0-9]+/ { f += $3 }
    END { printf "summary: %d passed, %d failed\n", p, f }
  ' "$log"
}
trap 'summary; rm -f "$log"' EXIT

# The cluster tests run real PostgreSQL and Redis servers (started by the tests themselves).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
if ((${#missing[@]})); then
  echo "==> installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo test (unit + integration against real server processes)" cargo test --workspace --quiet
# Coverage-guided fuzzing (libFuzzer), 20 s per target from the checked-in seed corpus; the
# instrumented build is cached in fuzz/target.
step "fuzz: client codec and JSON; server socket events and REST bodies (20 s each)" scripts/fuzz.sh 20
# One debug server binary for every suite below (cargo test has just built it).
cargo build --quiet -p notify-server
export NOTIFY_SERVER_BIN="$root/target/debug/notify-server"
step "node: official socket.io-client + SSE against the server" scripts/test-node.sh
if [[ -x scripts/test-client.sh ]]; then
  step "client: WASM core, build, size and browser end-to-end" scripts/test-client.sh
fi
if [[ -x scripts/test-examples.sh ]]; then
  step "adapters and example apps: unit tests and browser end-to-end" scripts/test-examples.sh
fi
