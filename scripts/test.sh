#!/usr/bin/env bash
# README command #2: installs whatever is missing, then runs every test:
#   1. native Rust tests (engine, CLI, narration, ...)        cargo test
#   2. wasm-bindgen tests in headless Chromium (tests/web_*.rs) cargo test --target wasm32-unknown-unknown
#   3. the release build into dist/ + first-load size budget   trunk build --release
#   4. the live page into dist/live/ (its own bundle)         trunk build static/live/index.html
#      and the full page into dist/full/ (consumer protocol)  trunk build static/full/index.html
#   5. end-to-end tests of dist/ in headless Chromium          node tests/e2e/run.mjs
# Fails fast with the name of the phase that failed; prints timings per phase.
#
# Environment knobs (all optional):
#   SIZE_BUDGET_KB=300   first-load budget: brotli -q 11 of html+js+wasm+css of dist/, in KB
#                        (1 KB = 1000 bytes); gzip -9 is printed alongside
#   SKIP_E2E=1           stop after the release build and size check
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SIZE_BUDGET_KB="${SIZE_BUDGET_KB:-300}"
# Test output is also copied here, to count the tests at the end.
TEST_LOG="$(mktemp "${TMPDIR:-/tmp}/kafkascope-test.XXXXXX")"
SCRIPT_START=$SECONDS
PHASE=""
PHASE_START=0
SUMMARY=()

end_phase() {
  if [ -n "$PHASE" ]; then
    local took=$((SECONDS - PHASE_START))
    SUMMARY+=("$(printf '  %-42s %5ss' "$PHASE" "$took")")
    printf '<== %s: ok (%ss)\n' "$PHASE" "$took"
    PHASE=""
  fi
}

phase() {
  end_phase
  PHASE="$1"
  PHASE_START=$SECONDS
  printf '\n==> [%s] %s\n' "$(date +%H:%M:%S)" "$PHASE"
}

# Run a test command, copying its output to TEST_LOG (pipefail keeps its status).
logged() {
  "$@" 2>&1 | tee -a "$TEST_LOG"
}

# "N passed, N failed" over cargo's and the e2e runner's result lines.
count_tests() {
  awk '
    /^test result: / { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
    /^e2e: [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
    END { printf "%d passed, %d failed\n", p, f }
  ' "$TEST_LOG"
}

on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$PHASE" ]; then
    SUMMARY+=("$(printf '  %-42s %5ss  FAILED' "$PHASE" "$((SECONDS - PHASE_START))")")
  fi
  printf '\n---- scripts/test.sh timings ----\n'
  if [ "${#SUMMARY[@]}" -gt 0 ]; then printf '%s\n' "${SUMMARY[@]}"; fi
  printf '  %-42s %5ss\n' "total" "$((SECONDS - SCRIPT_START))"
  if [ "$rc" -ne 0 ]; then
    printf '\ntests run before the failure: %s\n' "$(count_tests)"
    printf 'scripts/test.sh: FAILED in phase "%s" (exit %s); see the output above.\n' "${PHASE:-setup}" "$rc"
  else
    printf '\nscripts/test.sh: all phases passed.\n'
    printf 'tests: %s\n' "$(count_tests)"
  fi
  rm -f "$TEST_LOG"
}
trap on_exit EXIT

# --------------------------------------------------------------------------
phase "tools (scripts/ensure-tools.sh)"
# shellcheck source=scripts/ensure-tools.sh
. "$ROOT/scripts/ensure-tools.sh"
set -euo pipefail # (ensure-tools sets the same; keep it explicit)
# trunk: never look for updates online; everything else comes from Trunk.toml (offline = true).
export TRUNK_SKIP_VERSION_CHECK=true
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

phase "cargo fetch"
cargo fetch

# --------------------------------------------------------------------------
phase "native tests (cargo test)"
# Debug profile on purpose: `cargo test --release` uses the bench profile (LTO,
# codegen-units = 1); from a clean target it took 48 s to build vs 19-25 s for
# debug, and the tests themselves run in well under a second either way.
logged cargo test

# --------------------------------------------------------------------------
phase "wasm tests (headless Chromium)"
WEB_TESTS=()
for f in tests/web_*.rs; do
  [ -e "$f" ] || continue
  WEB_TESTS+=(--test "$(basename "$f" .rs)")
done
if [ "${#WEB_TESTS[@]}" -eq 0 ]; then
  echo "no tests/web_*.rs files: nothing to run in the browser"
else
  # wasm-bindgen-test-runner (the runner in .cargo/config.toml) drives Chromium
  # through chromedriver; the capabilities file points it at Debian's chromium.
  WEBDRIVER_JSON="$ROOT/target/webdriver.json"
  mkdir -p "$ROOT/target"
  cat >"$WEBDRIVER_JSON" <<'JSON'
{
  "goog:chromeOptions": {
    "binary": "/usr/bin/chromium",
    "args": ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]
  }
}
JSON
  logged env \
    CHROMEDRIVER="$(command -v chromedriver)" \
    WASM_BINDGEN_TEST_WEBDRIVER_JSON="$WEBDRIVER_JSON" \
    WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}" \
    WASM_BINDGEN_TEST_DRIVER_TIMEOUT="${WASM_BINDGEN_TEST_DRIVER_TIMEOUT:-30}" \
    cargo test --target wasm32-unknown-unknown "${WEB_TESTS[@]}"
fi

# --------------------------------------------------------------------------
phase "release build (trunk build --release)"
trunk build --release

phase "first-load size budget"
shopt -s nullglob
ASSETS=(dist/index.html dist/*.js dist/*.wasm dist/*.css)
shopt -u nullglob
TOTAL_BR=0
TOTAL_GZ=0
for f in "${ASSETS[@]}"; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  br=$(brotli -q 11 -c "$f" | wc -c)
  TOTAL_GZ=$((TOTAL_GZ + gz))
  TOTAL_BR=$((TOTAL_BR + br))
  printf '  %-48s %9d bytes  %8d brotli  %8d gzip\n' "$f" "$raw" "$br" "$gz"
done
KB_BR=$(awk -v b="$TOTAL_BR" 'BEGIN { printf "%.1f", b / 1000 }')
KB_GZ=$(awk -v b="$TOTAL_GZ" 'BEGIN { printf "%.1f", b / 1000 }')
echo "first-load transfer: ${KB_BR} KB brotli -q 11 (budget ${SIZE_BUDGET_KB} KB), ${KB_GZ} KB gzip -9"
if [ "$TOTAL_BR" -gt $((SIZE_BUDGET_KB * 1000)) ]; then
  echo "first-load transfer is over the ${SIZE_BUDGET_KB} KB brotli budget" >&2
  exit 1
fi

# --------------------------------------------------------------------------
# A page beside the course page, with its own bundle (not budgeted: the
# course page sends only its own kind of run there): builds static/NAME/
# into dist/NAME/ and prints its load.
side_page() {
  local name="$1" why="$2" br=0
  trunk build --release true --dist "dist/$name" "static/$name/index.html"
  for f in "dist/$name"/index.html "dist/$name"/*.js "dist/$name"/*.wasm "dist/$name"/*.css; do
    br=$((br + $(brotli -q 11 -c "$f" | wc -c)))
  done
  echo "$name page load: $(awk -v b="$br" 'BEGIN { printf "%.1f", b / 1000 }') KB brotli -q 11 (not budgeted: $why)"
}

phase "live page build (trunk build static/live/index.html)"
# The live page (`kafkascope live` serves it; a static site keeps it in live/
# for saved live runs): the engine's live-mode parts, so the course page's
# first load above does not carry them.
side_page live "only the live page loads it"

phase "full page build (trunk build static/full/index.html)"
# The full page (full/ beside the course page): the course page plus Kafka 4's
# consumer group protocol (KIP-848), which the budgeted first load above has
# no room for; the course page hands scenarios that use it there.
side_page full "the course page sends only consumer-protocol scenarios there"

# --------------------------------------------------------------------------
if [ "${SKIP_E2E:-0}" = 1 ]; then
  echo "SKIP_E2E=1: skipping the end-to-end tests"
else
  phase "end-to-end tests (playwright + chromium)"
  # run.mjs serves dist/ itself (tests/e2e/serve-dist.mjs, on a free loopback
  # port, at / and at /course/kafkascope/) and stops the server when done. The
  # tests take the lessons and presets from the kafkascope CLI (`cargo run`,
  # tests/e2e/project.mjs), which the native tests above have already built.
  logged node tests/e2e/run.mjs --dist dist
fi

end_phase
