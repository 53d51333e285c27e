#!/usr/bin/env bash
# Creates (once) the Python venv that the live-mode tests drive real Kafka
# clients from: target/live-venv with pinned kafka-python and confluent-kafka
# (librdkafka ships inside confluent-kafka's manylinux wheel; no apt needed).
# Idempotent: a stamp file records the pinned versions; when it matches, the
# script only prints the path (well under a second). A mismatch or a broken
# venv is rebuilt from scratch. Needs PyPI the first time (~15 s, ~30 MB).
#
# Usage:
#   PY="$(scripts/live-venv.sh | tail -n 1)"   # last line of stdout: the venv's python
#   . scripts/live-venv.sh                     # or source it: exports KAFKASCOPE_LIVE_PYTHON
#   "$PY" tests/live/course_producer.py 127.0.0.1:PORT
# Knobs: LIVE_VENV_PYTHON=/path/to/python3 picks the interpreter that creates the
# venv (default: python3.11, else python3; needs 3.8+).
# Logs go to stderr, so stdout carries the path alone.
set -euo pipefail

KAFKA_PYTHON_VERSION=3.0.12
CONFLUENT_KAFKA_VERSION=2.16.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/live-venv"
STAMP="$VENV/.kafkascope-live-stamp"
WANT="kafka-python==$KAFKA_PYTHON_VERSION confluent-kafka==$CONFLUENT_KAFKA_VERSION"

log() { printf '[live-venv] %s\n' "$*" >&2; }

if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ] || [ ! -x "$VENV/bin/python" ]; then
  mkdir -p "$ROOT/target"
  # Several test processes may ask at once: one installs, the others wait.
  exec 9>"$ROOT/target/live-venv.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ] || [ ! -x "$VENV/bin/python" ]; then
    BASE_PY="${LIVE_VENV_PYTHON:-}"
    if [ -z "$BASE_PY" ]; then
      BASE_PY="$(command -v python3.11 || command -v python3 || true)"
    fi
    if [ -z "$BASE_PY" ]; then
      log "no python3 found: install python3 (with its venv module) or set LIVE_VENV_PYTHON"
      exit 1
    fi
    log "creating $VENV with $WANT (from $("$BASE_PY" --version 2>&1))"
    rm -rf "$VENV"
    "$BASE_PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      "kafka-python==$KAFKA_PYTHON_VERSION" "confluent-kafka==$CONFLUENT_KAFKA_VERSION"
    # Both import, and confluent-kafka's bundled librdkafka loads.
    "$VENV/bin/python" - <<'PY' >&2
import kafka, confluent_kafka
print("[live-venv] kafka-python %s, confluent-kafka %s (librdkafka %s)"
      % (kafka.__version__, confluent_kafka.__version__, confluent_kafka.libversion()[0]))
PY
    printf '%s' "$WANT" >"$STAMP"
  fi
  exec 9>&-
fi

export KAFKASCOPE_LIVE_PYTHON="$VENV/bin/python"
printf '%s\n' "$KAFKASCOPE_LIVE_PYTHON"
