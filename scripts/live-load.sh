#!/usr/bin/env bash
# Load test of `kafkascope live` (NOT part of CI): how many real Kafka clients
# and records per second one live process sustains on this machine, and the
# round trip a real client sees on localhost.
#   server:  target/release/kafkascope live --kafka-port 0 --http-port 0
#            (the course's cluster: 3 brokers, `events` with 3 partitions, RF 3)
#   clients: tests/live/load.py in the live venv (scripts/live-venv.sh):
#     latency     kafka-python send(...).get() with acks='all' and acks=1
#                 (200 records each), kafka-python consumer.commit() in a group,
#                 confluent-kafka produce+flush for comparison: p50/p95/p99 ms
#     throughput  P = 1, 2, 4 confluent-kafka producer processes (acks=all,
#                 default batching, LOAD_RECORDS records of ~100 B JSON each)
#                 and one group of 2 confluent-kafka consumers reading it all:
#                 records/s acked and consumed end to end, the server's CPU%
#                 (/proc/PID/stat utime+stime) and peak RSS (VmHWM)
#     conns       8, 16, 21, 32 concurrent idle producers (kafka-python, then
#                 confluent-kafka); the server takes 64 connections in all
#     slots       confluent-kafka producers with distinct client.ids until
#                 the engine's 64 client slots run out (run last)
# Each phase is bounded by timeouts; the whole run takes ~3-5 minutes.
# Prints a summary table; raw figures go to target/live-load/result.json and
# the server's stderr to target/live-load/server.stderr.
#
# Usage: scripts/live-load.sh
# Knobs: LOAD_PHASES=latency,throughput,conns,slots  LOAD_RECORDS=100000
#        LOAD_PRODUCERS=1,2,4  LOAD_CONN_LEVELS=8,16,21,32
#        LOAD_SERVER_ARGS="--scenario FILE" (extra `kafkascope live` arguments, e.g.
#          a scenario with "network_latency_ms": 0 to see the latency the
#          simulated 2 ms links add)
#        KAFKASCOPE_LIVE_VERBOSE=1 (the server logs every request: small runs only)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

OUT_DIR="$ROOT/target/live-load"
mkdir -p "$OUT_DIR"
SERVER_OUT="$OUT_DIR/server.stdout"
SERVER_ERR="$OUT_DIR/server.stderr"
RESULT_JSON="$OUT_DIR/result.json"

log() { printf '[live-load] %s\n' "$*" >&2; }

log "building the release binary (cargo build --release --bin kafkascope)"
cargo build --release --bin kafkascope
BIN="$ROOT/target/release/kafkascope"

PY="$("$ROOT/scripts/live-venv.sh" | tail -n 1)"
log "python: $PY"

# The server reads operator commands from stdin; a fifo held open by this
# shell keeps its stdin open (and quiet) for the whole run.
FIFO="$OUT_DIR/server.stdin"
rm -f "$FIFO"
mkfifo "$FIFO"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  exec 8>&- 2>/dev/null || true
  rm -f "$FIFO"
}
trap cleanup EXIT INT TERM

# shellcheck disable=SC2086  # LOAD_SERVER_ARGS is split into words on purpose
"$BIN" live --kafka-port 0 --http-port 0 ${LOAD_SERVER_ARGS:-} <"$FIFO" >"$SERVER_OUT" 2>"$SERVER_ERR" &
SERVER_PID=$!
exec 8>"$FIFO"

for _ in $(seq 1 100); do
  if grep -q '^live: ready' "$SERVER_OUT" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "the server exited before it was ready:"; cat "$SERVER_ERR" >&2; exit 1
  fi
  sleep 0.1
done
grep -q '^live: ready' "$SERVER_OUT" || { log "the server is not ready after 10 s"; exit 1; }
BOOTSTRAP="$(sed -nE 's/^kafka broker 0 listening on (.*)$/\1/p' "$SERVER_OUT")"
log "server pid $SERVER_PID, bootstrap $BOOTSTRAP ($(grep -c '^kafka broker' "$SERVER_OUT") brokers), nproc $(nproc)"

"$PY" -u "$ROOT/tests/live/load.py" "$BOOTSTRAP" "$SERVER_PID" \
  --phases "${LOAD_PHASES:-latency,throughput,conns,slots}" \
  --records "${LOAD_RECORDS:-100000}" \
  --producers "${LOAD_PRODUCERS:-1,2,4}" \
  --conn-levels "${LOAD_CONN_LEVELS:-8,16,21,32}" \
  --server-log "$SERVER_ERR" \
  --json "$RESULT_JSON" | grep -v '^RESULT '

if kill -0 "$SERVER_PID" 2>/dev/null; then
  log "server still up; $(wc -l <"$SERVER_ERR") stderr lines in $SERVER_ERR"
else
  log "THE SERVER DIED during the run; its stderr:"; tail -n 40 "$SERVER_ERR" >&2; exit 1
fi
log "raw figures: $RESULT_JSON"
