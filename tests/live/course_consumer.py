"""The course's at-least-once consumer (producer-consumer-overview.md, "Code
Example"), run against `kafkascope live` by tests/live_clients.rs.

Usage: python -u course_consumer.py [BOOTSTRAP] [N] [TIMEOUT_S]
       (defaults: localhost:9092, 10 messages, 60 s)

The part between the COURSE CODE markers is the course's text verbatim except:
  - bootstrap_servers comes from argv[1];
  - consumer_timeout_ms=TIMEOUT_S (iteration ends after that long without a
    message, so a test never hangs);
  - process_event, which the course leaves to the reader ("Your processing logic
    here"), is defined below: it just keeps the event;
  - after the course's commit, the harness records the message and stops after N.
auto_offset_reset stays at kafka-python's default, 'latest' (as in the course), so
the consumer must own its partitions and know their positions before anything is
produced: a harness warm-up polls until consumer.assignment() is non-empty, asks
consumer.position() of each partition (OffsetFetch, then ListOffsets latest), and
only then prints `assigned <t:p,...>`; the test starts the producer after that line.
At the end one JSON line, prefixed `RESULT `:
  {"client", "client_id", "broker_version", "broker_api_versions", "negotiated",
   "requests", "assigned": [[topic, partition]...],
   "processed": [{"topic", "partition", "offset", "value"}...],
   "errors": [str...], "committed": {"topic:partition": offset or null},
   "warmup_records": n}
KAFKASCOPE_LIVE_TRACE=1 also prints each request to stderr as it is sent.
"""
import json
import sys
import time

# ---- harness: record the requests kafka-python sends (outside the course code) ----
import wire_trace

wire_trace.record_kafka_python()


BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10
TIMEOUT_S = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
PROCESSED = []
ERRORS = []
EVENTS = []


def process_event(event):
    # The course leaves this to the reader ("Your processing logic here").
    EVENTS.append(event)


# ======================== COURSE CODE (verbatim) ========================
# CONSUMER (at-least-once)
from kafka import KafkaConsumer
import json

consumer = KafkaConsumer(
    'events',
    bootstrap_servers=BOOTSTRAP,
    group_id='my-consumer-group',
    enable_auto_commit=False,  # Manual commit
    value_deserializer=lambda v: json.loads(v.decode('utf-8')),
    consumer_timeout_ms=int(TIMEOUT_S * 1000),  # harness: a test never hangs
)
# ====================== (harness warm-up) ======================
deadline = time.monotonic() + TIMEOUT_S
warmup_records = 0
while not consumer.assignment() and time.monotonic() < deadline:
    for _tp, _records in consumer.poll(timeout_ms=100).items():
        warmup_records += len(_records)  # nothing is produced yet: expect none
if not consumer.assignment():
    print("RESULT " + json.dumps({"error": "no partitions assigned within %ss" % TIMEOUT_S,
                                  **wire_trace.kafka_python_summary(consumer._manager)}), flush=True)
    sys.exit(3)
ASSIGNED = sorted(consumer.assignment())
for _tp in ASSIGNED:
    consumer.position(_tp, timeout_ms=int(max(1.0, deadline - time.monotonic()) * 1000))
print("assigned " + ",".join("%s:%d" % (tp.topic, tp.partition) for tp in ASSIGNED), flush=True)
# ==================== COURSE CODE (continued) ====================

for message in consumer:
    try:
        event = message.value
        print(f"Processing: {event}")
        
        # Your processing logic here
        process_event(event)
        
        # Commit only after successful processing
        consumer.commit()
        PROCESSED.append({'topic': message.topic, 'partition': message.partition,  # harness
                          'offset': message.offset, 'value': event})
        
    except Exception as e:
        print(f"Error processing: {e}")
        # Message will be re-delivered on next poll
        ERRORS.append(repr(e))  # harness
    if len(PROCESSED) >= N:  # harness: stop after N
        break
# ====================== END COURSE CODE ======================

committed = {"%s:%d" % (tp.topic, tp.partition): consumer.committed(tp, timeout_ms=10000)
             for tp in ASSIGNED}
consumer.close()  # harness: leave the group (the course's loop never ends)
report = wire_trace.kafka_python_summary(consumer._manager)
report.update({
    "client_id": consumer.config["client_id"],
    "assigned": [[tp.topic, tp.partition] for tp in ASSIGNED],
    "processed": PROCESSED,
    "errors": ERRORS,
    "committed": committed,
    "warmup_records": warmup_records,
})
print("RESULT " + json.dumps(report), flush=True)
