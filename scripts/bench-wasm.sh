#!/usr/bin/env bash
# Benchmark W1 (issue #3) natively and as wasm in Node, and print the ratio.
#   native: cargo bench --bench cluster_bench            (bench profile = release, opt-level 3)
#   wasm:   bench/wasm (cdylib, release opt-level 3 + LTO) -> wasm-bindgen --target nodejs
#           -> node bench/wasm/run.mjs
# Goal: wasm >= 0.5x native. The wasm bench is built twice: as the page
# compiles the engine ("page build"), and with `--features speed` ("speed
# build": the engine's speed-only variants, which native builds always have
# and the pages leave out for their first-load budget; build.rs,
# cfg(engine_speed)). Needs no network beyond crates.io (and only when a
# tool or crate is missing). Usage: scripts/bench-wasm.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=ensure-tools.sh
. "$ROOT/scripts/ensure-tools.sh"

log() { printf '[bench-wasm] %s\n' "$*" >&2; }

# build_w1 DIR [CARGO ARGS...]: builds bench/wasm into its own target dir
# (under the gitignored target/, so it does not hold the main build's lock;
# one per feature set, or each build would rebuild the lib) and binds it
# for Node into DIR/pkg.
build_w1() {
  local dir="$1"
  shift
  CARGO_TARGET_DIR="$dir" cargo build \
    --manifest-path "$ROOT/bench/wasm/Cargo.toml" \
    --release --target wasm32-unknown-unknown "$@"
  wasm-bindgen --target nodejs --out-dir "$dir/pkg" \
    "$dir/wasm32-unknown-unknown/release/kafkascope_bench_wasm.wasm"
}
PKG_DIR="$ROOT/target/bench-wasm/pkg"
SPEED_PKG_DIR="$ROOT/target/bench-wasm-speed/pkg"
log "building bench/wasm for wasm32-unknown-unknown (release)"
build_w1 "$ROOT/target/bench-wasm"
log "building bench/wasm --features speed (the engine's speed-only variants)"
build_w1 "$ROOT/target/bench-wasm-speed" --features speed

log "running native bench (cargo bench --bench cluster_bench)"
native_out="$(cargo bench --bench cluster_bench)"
native_line="$(grep '^W1 native:' <<<"$native_out")"
native_full_line="$(grep '^W1 full native:' <<<"$native_out")"
echo "$native_line"
echo "$native_full_line"

# run_w1 PKG TAG: the wasm bench's two lines, "(node)" tagged "(node, TAG)".
run_w1() {
  log "running wasm bench (node bench/wasm/run.mjs $1)"
  node "$ROOT/bench/wasm/run.mjs" "$1" | grep -E '^W1 (full )?wasm' | sed "s/(node)/(node, $2)/"
}
wasm_out="$(run_w1 "$PKG_DIR" "page build")"
speed_out="$(run_w1 "$SPEED_PKG_DIR" "speed build")"
echo "$wasm_out"
echo "$speed_out"

# Both lines end their figure with "= <rate> M records/s".
rate() { sed -E 's/.*= ([0-9.]+) M records\/s.*/\1/' <<<"$1"; }
# wasm_rate OUT full|producer: the rate of one of run_w1's lines.
wasm_rate() {
  if [ "$2" = full ]; then rate "$(grep ' full wasm' <<<"$1")"; else rate "$(grep -v ' full wasm' <<<"$1")"; fi
}
native_rate="$(rate "$native_line")"
native_full_rate="$(rate "$native_full_line")"
ratio() {
  awk -v name="$1" -v n="$2" -v w="$3" 'BEGIN {
    r = w / n
    printf "%s wasm/native: %.2f M / %.2f M records/s = %.2fx (goal >= 0.5x: %s)\n",
           name, w, n, r, (r >= 0.5 ? "met" : "NOT met")
  }'
}
ratio "W1" "$native_rate" "$(wasm_rate "$wasm_out" producer)"
ratio "W1 full" "$native_full_rate" "$(wasm_rate "$wasm_out" full)"
# The speed build: the engine with its speed-only variants (see above).
ratio "W1 (speed build)" "$native_rate" "$(wasm_rate "$speed_out" producer)"
ratio "W1 full (speed build)" "$native_full_rate" "$(wasm_rate "$speed_out" full)"

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
