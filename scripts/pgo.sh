#!/usr/bin/env bash
# A profile-guided (PGO) native build of kafkascope: the CLI (`run`, `live`)
# and the W1 benchmark, compiled a second time with the branch and call
# counts of a training run, so LLVM lays out, inlines and orders the code
# for the paths the engine really takes (issue #12: W1 full, ~17% fewer
# instructions than the plain release build).
#
#   scripts/pgo.sh          # the CLI: target/pgo/x86_64-unknown-linux-gnu/release/kafkascope
#   scripts/pgo.sh bench    # the same profile, then W1 (cargo bench --bench cluster_bench)
#
# The training plays every preset (`kafkascope run --preset`) and the
# scenario files in bench/pgo/ with an instrumented build. No committed
# profile: it is made fresh from the code being built, so it never goes
# stale. Nothing about behaviour changes — the script checks it: each
# preset's `run --json` from the PGO build must equal the plain release
# build's, or it fails. Needs rustup's llvm-tools (llvm-profdata), added
# here when missing. Two release builds of the crate: ~6 min on 2 cores.
# Not part of the test suite; the figures go in bench/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
log() { printf '[pgo] %s\n' "$*" >&2; }

HOST="$(rustc -vV | sed -n 's/^host: //p')"
PROFDATA="$(rustc --print sysroot)/lib/rustlib/$HOST/bin/llvm-profdata"
if [ ! -x "$PROFDATA" ]; then
  log "adding rustup component llvm-tools (llvm-profdata)"
  rustup component add llvm-tools
fi

GEN_DIR="$ROOT/target/pgo-gen"
USE_DIR="$ROOT/target/pgo"
RAW_DIR="$ROOT/target/pgo-raw"
PROFILE="$ROOT/target/pgo/kafkascope.profdata"

# The profile is matched to functions by their symbol names, which carry
# the crate's build hash: the lib that `cargo bench` builds (with the
# dev-dependencies' features) is not the one `cargo build --release` links
# into the CLI, so both builds go through `cargo bench --no-run`, which
# builds the CLI beside the bench from one lib. --target keeps RUSTFLAGS
# off build scripts and proc macros: only the crate's own code is
# instrumented, and only it is optimised with the profile.
build() { # build TARGET_DIR RUSTFLAGS
  RUSTFLAGS="$2" cargo bench --bench cluster_bench --no-run --target "$HOST" --target-dir "$1"
}
log "building the instrumented CLI"
build "$GEN_DIR" "-Cprofile-generate=$RAW_DIR"
GEN_BIN="$GEN_DIR/$HOST/release/kafkascope"

log "training: every preset and bench/pgo/*.json"
rm -rf "$RAW_DIR"
mkdir -p "$USE_DIR"
export LLVM_PROFILE_FILE="$RAW_DIR/%m-%p.profraw"
PRESETS="$("$GEN_BIN" presets --json | node -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).map(p=>p.id).join(" ")))')"
for p in $PRESETS; do
  "$GEN_BIN" run --preset "$p" --json >/dev/null
done
for f in bench/pgo/*.json; do
  "$GEN_BIN" run "$f" >/dev/null
done
unset LLVM_PROFILE_FILE
"$PROFDATA" merge -o "$PROFILE" "$RAW_DIR"

log "building the CLI and the bench with the profile"
USE_FLAGS="-Cprofile-use=$PROFILE -Cllvm-args=-no-pgo-warn-mismatch"
build "$USE_DIR" "$USE_FLAGS"
PGO_BIN="$USE_DIR/$HOST/release/kafkascope"

log "checking that the PGO build plays every preset as the plain build does"
cargo build --release --bin kafkascope
for p in $PRESETS; do
  if ! cmp -s <("$PGO_BIN" run --preset "$p" --json) <(target/release/kafkascope run --preset "$p" --json); then
    log "FAILED: preset $p runs differently in the PGO build"
    exit 1
  fi
done
log "the PGO CLI is $PGO_BIN"

if [ "${1:-}" = bench ]; then
  RUSTFLAGS="$USE_FLAGS" cargo bench --bench cluster_bench --target "$HOST" --target-dir "$USE_DIR"
fi
