#!/usr/bin/env bash
# Fuzz targets (fuzz/): builds them with libFuzzer's coverage instrumentation (on stable Rust:
# only stable -C flags, no nightly) and runs each for a bounded time, starting from its
# checked-in seed corpus (fuzz/corpus/<target>). New inputs go to fuzz/target/corpus/<target>;
# a crash is saved as fuzz/target/artifacts/<target>/crash-* and fails the run.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 20 s, every target)
# e.g.   scripts/fuzz.sh 3600 client_json                      (an hour on one target)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(client_codec client_json server_socket_event server_rest_body)
fi

# libfuzzer-sys builds libFuzzer itself (C++).
if ! command -v c++ >/dev/null; then
  apt-get update -qq && apt-get install -y -qq g++ >/dev/null
fi

host="$(rustc -vV | sed -n 's/^host: //p')"
# Coverage instrumentation as cargo-fuzz sets it, for the target only (--target keeps it off
# build scripts and proc macros); debug assertions and overflow checks on.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
nice -n 10 cargo build --release --locked --manifest-path fuzz/Cargo.toml \
  --target-dir fuzz/target --target "$host" --bins

for target in "${targets[@]}"; do
  work="fuzz/target/corpus/$target"
  artifacts="fuzz/target/artifacts/$target"
  mkdir -p "$work" "$artifacts"
  echo "fuzz: $target for ${seconds}s"
  # -malloc_limit_mb: any single allocation over 256 MB is a failure (unbounded allocation);
  # -rss_limit_mb: so is the process growing past 1 GB.
  "fuzz/target/$host/release/$target" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=256 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 2>&1 | tail -n 12
done
