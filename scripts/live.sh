#!/usr/bin/env bash
# Live mode with its page: real Kafka clients on 127.0.0.1:9092 (one port per
# broker from there up), the page that shows them on http://127.0.0.1:8080/.
#
#   scripts/live.sh                          the course's cluster
#   scripts/live.sh --preset acks-latency    any `kafkascope live` option
#
# Installs whatever is missing (scripts/ensure-tools.sh), builds the live
# page into dist/live/ when it is missing or older than the sources, builds
# the native binary, and runs `kafkascope live --page-dir dist/live "$@"`.
# (scripts/serve.sh and scripts/test.sh build dist/ with the live page in
# dist/live/, where a static site keeps it for saved live runs.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/ensure-tools.sh
. "$ROOT/scripts/ensure-tools.sh" >&2
export TRUNK_SKIP_VERSION_CHECK=true

if [ ! -f dist/live/index.html ] ||
  [ -n "$(find src static Cargo.toml build.rs -newer dist/live/index.html -print -quit)" ]; then
  echo "live.sh: building the live page into dist/live/" >&2
  trunk build --release true --dist dist/live static/live/index.html >&2
fi
cargo build --release --quiet --bin kafkascope
exec target/release/kafkascope live --page-dir dist/live "$@"
