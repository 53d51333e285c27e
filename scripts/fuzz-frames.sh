#!/usr/bin/env bash
# Fuzzes live mode's decoders (src/live/frame.rs and what src/live/translate.rs
# decodes inside a request) and reports how many inputs it ran.
#
#   scripts/fuzz-frames.sh [N]               N inputs per sweep (default 1,000,000)
#                                            with the stable in-process fuzzer of
#                                            tests/live_frame.rs
#   scripts/fuzz-frames.sh --libfuzzer [N]   N runs of the cargo-fuzz target
#                                            fuzz/fuzz_targets/decode_frame.rs
#
# The in-process fuzzer runs two sweeps, each seeded with valid inputs and
# mutated (byte flips, truncations, insertions) or random: whole request
# frames of every API and version live mode serves (decode_request must
# refuse or decode, never panic, never abort on an absurd array length: the
# test binary allocates through src/live/alloc_guard.rs as kafkascope does),
# and the bytes a request carries (v2 record batches, consumer-protocol
# subscriptions and assignments). Overflow checks are on. It prints its
# seed; rerun a failure with KAFKASCOPE_FUZZ_SEED=<seed> KAFKASCOPE_FUZZ_CASES=1.
# A plain `cargo test` runs 20,000 inputs per sweep.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MODE=inprocess
if [ "${1:-}" = "--libfuzzer" ]; then
  MODE=libfuzzer
  shift
fi
N="${1:-1000000}"
case "$N" in
  '' | *[!0-9]*)
    echo "usage: scripts/fuzz-frames.sh [--libfuzzer] [N]" >&2
    exit 2
    ;;
esac
START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

if [ "$MODE" = inprocess ]; then
  echo "==> in-process fuzzer: $N inputs per sweep (optimised, overflow checks on, in target/fuzz-frames)"
  CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
    CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
    KAFKASCOPE_FUZZ_CASES="$N" \
    KAFKASCOPE_FUZZ_SEED="${KAFKASCOPE_FUZZ_SEED:-$(date +%s)}" \
    cargo test --release --target-dir target/fuzz-frames --test live_frame -- \
    never_panics --nocapture
  echo "fuzz-frames: 2 x $N inputs, no failure; $(elapsed) s in all (build included)"
  exit 0
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: run 'cargo install cargo-fuzz', or use the in-process fuzzer (no --libfuzzer)" >&2
  exit 1
fi
TOOLCHAIN=(+stable)
SANITIZER=(-s none)
if rustup run nightly rustc --version >/dev/null 2>&1; then
  TOOLCHAIN=(+nightly)
  SANITIZER=()
fi
cd fuzz
cargo "${TOOLCHAIN[@]}" fuzz run "${SANITIZER[@]}" decode_frame -- -runs="$N" -rss_limit_mb=4096
echo "fuzz-frames (libFuzzer): $N runs, no failure; $(elapsed) s"
