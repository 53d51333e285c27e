"""The course's at-least-once consumer written for confluent-kafka (librdkafka),
run against `kafkascope live` by tests/live_clients.rs.

Usage: python -u confluent_consumer.py [BOOTSTRAP] [N] [TIMEOUT_S] [GROUP]
       (defaults: localhost:9092, 10 messages, 60 s, my-librdkafka-group)

Same program as course_consumer.py: subscribe to 'events' in a group,
enable.auto.commit=False, auto.offset.reset left at its default (latest), and
after each processed message a synchronous commit of that message
(commit(message=msg, asynchronous=False)). Stops after N messages or TIMEOUT_S
without one.
`assigned <t:p,...>` is printed once every assigned partition's fetch position is
known: librdkafka's statistics (statistics.interval.ms=100) show each partition's
fetch_state, which turns "active" only after the OffsetFetch / ListOffsets(latest)
round; the test starts the producer after that line.
At the end one JSON line, prefixed `RESULT `:
  {"client", "client_id", "negotiated", "requests", "assigned",
   "processed": [{"topic", "partition", "offset", "value"}...], "errors",
   "committed": {"topic:partition": offset or null}}
The request trace comes from librdkafka's `debug: protocol` log;
KAFKASCOPE_LIVE_TRACE=1 also prints every librdkafka debug line to stderr.
"""
import json
import sys
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError

# ---- harness: record the requests librdkafka sends ----
import wire_trace

_LOGGER = wire_trace.librdkafka_logger()


BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10
TIMEOUT_S = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
GROUP = sys.argv[4] if len(sys.argv) > 4 else 'my-librdkafka-group'
PROCESSED = []
ERRORS = []
FETCH_STATE = {}  # (topic, partition) -> fetch_state from the latest statistics


def on_stats(stats_json):
    stats = json.loads(stats_json)
    for topic, t in stats.get("topics", {}).items():
        for p, part in t.get("partitions", {}).items():
            if int(p) >= 0:
                FETCH_STATE[(topic, int(p))] = part.get("fetch_state")


def process_event(event):
    pass  # your processing logic here


consumer = Consumer({
    'bootstrap.servers': BOOTSTRAP,
    'group.id': GROUP,
    'enable.auto.commit': False,  # Manual commit
    'debug': 'protocol',  # harness: the request trace
    'logger': _LOGGER,
    'statistics.interval.ms': 100,  # harness: fetch_state per partition
    'stats_cb': on_stats,
})
consumer.subscribe(['events'])

# ---- harness warm-up: wait until partitions are assigned and their positions known ----
deadline = time.monotonic() + TIMEOUT_S
warmup_records = 0
assigned = []
while time.monotonic() < deadline:
    msg = consumer.poll(0.1)
    if msg is not None and msg.error() is None:
        warmup_records += 1  # nothing is produced yet: expect none
    assigned = sorted((tp.topic, tp.partition) for tp in consumer.assignment())
    if assigned and all(FETCH_STATE.get(tp) == "active" for tp in assigned):
        break
else:
    print("RESULT " + json.dumps({"error": "no active assignment within %ss (assigned %s, fetch states %s)"
                                  % (TIMEOUT_S, assigned, {"%s:%d" % k: v for k, v in FETCH_STATE.items()}),
                                  **wire_trace.librdkafka_summary()}), flush=True)
    sys.exit(3)
print("assigned " + ",".join("%s:%d" % tp for tp in assigned), flush=True)

last_message_at = time.monotonic()
while len(PROCESSED) < N and time.monotonic() - last_message_at < TIMEOUT_S:
    msg = consumer.poll(0.5)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() != KafkaError._PARTITION_EOF:
            ERRORS.append(str(msg.error()))
        continue
    last_message_at = time.monotonic()
    try:
        event = json.loads(msg.value().decode('utf-8'))
        print(f"Processing: {event}")
        process_event(event)
        # Commit only after successful processing
        consumer.commit(message=msg, asynchronous=False)
        PROCESSED.append({'topic': msg.topic(), 'partition': msg.partition(),
                          'offset': msg.offset(), 'value': event})
    except Exception as e:
        print(f"Error processing: {e}")
        ERRORS.append(repr(e))

committed = {}
for tp in consumer.committed([confluent_kafka.TopicPartition(t, p) for t, p in assigned], timeout=10):
    committed["%s:%d" % (tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
consumer.close()  # leaves the group
report = wire_trace.librdkafka_summary()
report.update({
    "client_id": "rdkafka (librdkafka default)",
    "group": GROUP,
    "assigned": [list(tp) for tp in assigned],
    "processed": PROCESSED,
    "errors": ERRORS,
    "committed": committed,
    "warmup_records": warmup_records,
})
print("RESULT " + json.dumps(report), flush=True)
