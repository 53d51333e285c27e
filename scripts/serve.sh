#!/usr/bin/env bash
# README command #1: installs whatever is missing, builds the release app and
# serves it at http://127.0.0.1:8080/ (Ctrl-C to stop).
#
#   scripts/serve.sh           release build into dist/, then a static server
#                              (the same bits scripts/test.sh checks)
#   scripts/serve.sh --watch   `trunk serve --release`: rebuilds and reloads on
#                              every change (trunk adds its own live-reload script
#                              and a CSP header to the page)
# PORT=8081 scripts/serve.sh   another port.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${PORT:-8080}"

# shellcheck source=scripts/ensure-tools.sh
. "$ROOT/scripts/ensure-tools.sh"
export TRUNK_SKIP_VERSION_CHECK=true

cargo fetch

case "${1:-}" in
  --watch)
    exec trunk serve --release --port "$PORT"
    ;;
  "")
    trunk build --release
    # The live page beside it, for saved live runs (see scripts/live.sh).
    trunk build --release true --dist dist/live static/live/index.html
    # The full page beside it, for Kafka 4's consumer protocol (see build.rs).
    trunk build --release true --dist dist/full static/full/index.html
    echo "kafkascope: http://127.0.0.1:${PORT}/"
    exec node tests/e2e/serve-dist.mjs --dir dist --host 127.0.0.1 --port "$PORT"
    ;;
  *)
    echo "usage: scripts/serve.sh [--watch]" >&2
    exit 2
    ;;
esac
