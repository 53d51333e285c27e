#!/usr/bin/env bash
# Benchmark W1 (issue #3) natively and as wasm in Node, and print the ratio.
#   native: cargo bench --bench cluster_bench            (bench profile = release, opt-level 3)
#   wasm:   bench/wasm (cdylib, release opt-level 3 + LTO) -> wasm-bindgen --target nodejs
#           -> node bench/wasm/run.mjs
# Goal: wasm >= 0.5x native. Needs no network beyond crates.io (and only when
# a tool or crate is missing). Usage: scripts/bench-wasm.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=ensure-tools.sh
. "$ROOT/scripts/ensure-tools.sh"

# Own target dir (under the gitignored target/) so this build does not hold the
# main build's lock longer than needed.
WASM_TARGET_DIR="$ROOT/target/bench-wasm"
PKG_DIR="$WASM_TARGET_DIR/pkg"

log() { printf '[bench-wasm] %s\n' "$*" >&2; }

log "building bench/wasm for wasm32-unknown-unknown (release)"
CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build \
  --manifest-path "$ROOT/bench/wasm/Cargo.toml" \
  --release --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir "$PKG_DIR" \
  "$WASM_TARGET_DIR/wasm32-unknown-unknown/release/kafkascope_bench_wasm.wasm"

log "running native bench (cargo bench --bench cluster_bench)"
native_out="$(cargo bench --bench cluster_bench)"
native_line="$(grep '^W1 native:' <<<"$native_out")"
native_full_line="$(grep '^W1 full native:' <<<"$native_out")"
echo "$native_line"
echo "$native_full_line"

log "running wasm bench (node bench/wasm/run.mjs)"
wasm_out="$(node "$ROOT/bench/wasm/run.mjs" "$PKG_DIR")"
wasm_line="$(grep '^W1 wasm' <<<"$wasm_out")"
wasm_full_line="$(grep '^W1 full wasm' <<<"$wasm_out")"
echo "$wasm_line"
echo "$wasm_full_line"

# Both lines end their figure with "= <rate> M records/s".
rate() { sed -E 's/.*= ([0-9.]+) M records\/s.*/\1/' <<<"$1"; }
native_rate="$(rate "$native_line")"
wasm_rate="$(rate "$wasm_line")"
ratio() {
  awk -v name="$1" -v n="$2" -v w="$3" 'BEGIN {
    r = w / n
    printf "%s wasm/native: %.2f M / %.2f M records/s = %.2fx (goal >= 0.5x: %s)\n",
           name, w, n, r, (r >= 0.5 ? "met" : "NOT met")
  }'
}
ratio "W1" "$native_rate" "$wasm_rate"
ratio "W1 full" "$(rate "$native_full_line")" "$(rate "$wasm_full_line")"

# Time-travel seeks (issue #6), built like the web app (opt-level "z", LTO).
WASM_Z_DIR="$ROOT/target/bench-wasm-z"
log "building bench/wasm with the web app's size-optimised profile"
CARGO_TARGET_DIR="$WASM_Z_DIR" cargo build \
  --manifest-path "$ROOT/bench/wasm/Cargo.toml" \
  --release --target wasm32-unknown-unknown \
  --config 'profile.release.opt-level="z"'
wasm-bindgen --target nodejs --out-dir "$WASM_Z_DIR/pkg" \
  "$WASM_Z_DIR/wasm32-unknown-unknown/release/kafkascope_bench_wasm.wasm"
log "running native seek bench (cargo bench --bench seek_bench)"
cargo bench --bench seek_bench | grep '^S100k'
log "running wasm seek bench (node bench/wasm/seek.mjs)"
node "$ROOT/bench/wasm/seek.mjs" "$WASM_Z_DIR/pkg"
