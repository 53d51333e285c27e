#!/usr/bin/env bash
# Fuzzes the scenario-link decoder (src/link.rs) and reports how many inputs
# it ran and how long it took.
#
#   scripts/fuzz-links.sh [N]               N inputs (default 1,000,000) with the
#                                           stable in-process fuzzer of tests/links.rs
#   scripts/fuzz-links.sh --libfuzzer [N]   N runs of the cargo-fuzz target
#                                           fuzz/fuzz_targets/decode_link.rs
#
# The in-process fuzzer needs nothing but the project's stable toolchain. It
# mutates the golden corpus (tests/data/links/v1.txt) and preset links at
# three levels (random text, mutated link text, mutated bodies resealed with
# a valid checksum), decodes each input, and checks that decode never panics
# (overflow checks are on), that every error has a message, and that every
# accepted link re-encodes to itself. It prints its seed; rerun a failure
# with FUZZ_SEED=<seed>. A plain `cargo test` runs 200,000 such inputs.
#
# --libfuzzer needs cargo-fuzz (`cargo install cargo-fuzz`). With a nightly
# toolchain it runs with AddressSanitizer; on stable it runs without a
# sanitizer (`-s none`), which still gives coverage-guided fuzzing. Crashes
# land in fuzz/artifacts/decode_link/.
#
# Environment: FUZZ_SEED (in-process fuzzer seed; default: the clock).
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
    echo "usage: scripts/fuzz-links.sh [--libfuzzer] [N]" >&2
    exit 2
    ;;
esac

START=$(date +%s.%N)
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

if [ "$MODE" = inprocess ]; then
  echo "==> in-process fuzzer: $N inputs (release build with overflow checks, in target/fuzz-links)"
  # Optimised but quick to build (no LTO), with overflow checks on so that an
  # arithmetic overflow is a panic, as in a debug build. A separate target dir
  # keeps these settings from invalidating the normal release build.
  CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=3 \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true \
    CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
    FUZZ_INPUTS="$N" \
    cargo test --release --target-dir target/fuzz-links --test links -- \
    --ignored fuzz_million --exact --nocapture
  echo "fuzz-links: $N inputs, no failure; $(elapsed) s in all (build included)"
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

# Seed the corpus from the golden links: each link as text (first byte 0),
# and its body (first byte 1, then the preset picked in the target's IDS).
CORPUS=fuzz/corpus/decode_link
mkdir -p "$CORPUS"
if command -v python3 >/dev/null 2>&1; then
  python3 - "$CORPUS" <<'PY'
import base64, sys
corpus = sys.argv[1]
ids = [None, "nine-stages", "acks1-failover-loss", "acks-latency", "not-enough-replicas", "no-such-preset"]
n = 0
for line in open("tests/data/links/v1.txt", encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    open(f"{corpus}/golden-text-{n:02}", "wb").write(b"\x00" + line.encode())
    parts = line.split(".")
    if line.startswith("v1.") and len(parts) in (2, 3):
        data = parts[-1]
        try:
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        except ValueError:
            raw = b""
        if len(raw) >= 7:
            pid = parts[1] if len(parts) == 3 else None
            pick = ids.index(pid) if pid in ids else 1
            open(f"{corpus}/golden-body-{n:02}", "wb").write(bytes([1, pick]) + raw[3:-4])
    n += 1
PY
fi

echo "==> cargo ${TOOLCHAIN[*]} fuzz run ${SANITIZER[*]} decode_link -- -runs=$N"
(cd fuzz && cargo "${TOOLCHAIN[@]}" fuzz run "${SANITIZER[@]}" decode_link -- \
  -runs="$N" -print_final_stats=1 2>&1) | tee target/fuzz-links-libfuzzer.log | tail -n 8
echo "fuzz-links: $N libFuzzer runs, no failure; $(elapsed) s in all (build included)"
