"""Exactly-once consume-transform-produce with kafka-python's transactional
API, run against `kafkascope live` by tests/live_clients.rs.

Usage: python -u eos_transform.py BOOTSTRAP N

Reads N records from `events` (group `eos-group`, read_committed, no auto
commit), writes one transformed record per input to `events-processed`
inside a transaction per poll batch, and commits the consumed offsets in
the same transaction (send_offsets_to_transaction). Then a read_committed
reader (no group) reads `events-processed` back. Prints one JSON line
prefixed `RESULT ` with what was written, what the reader saw and the
group's committed offsets.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

bootstrap = sys.argv[1] if len(sys.argv) > 1 else "localhost:9092"
want = int(sys.argv[2]) if len(sys.argv) > 2 else 10
deadline = time.monotonic() + 90

consumer = KafkaConsumer(
    "events",
    bootstrap_servers=bootstrap,
    group_id="eos-group",
    enable_auto_commit=False,
    auto_offset_reset="earliest",
    isolation_level="read_committed",
)
producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    transactional_id="eos-transformer-1",
    acks="all",
    value_serializer=lambda v: json.dumps(v).encode("utf-8"),
)
producer.init_transactions()

written = []
transactions = 0
while len(written) < want and time.monotonic() < deadline:
    batches = consumer.poll(timeout_ms=500)
    if not batches:
        continue
    producer.begin_transaction()
    offsets = {}
    for tp, messages in batches.items():
        for m in messages:
            event = json.loads(m.value.decode("utf-8"))
            out = {"source_offset": m.offset, "source_partition": m.partition,
                   "event_id": event.get("event_id"), "processed": True}
            producer.send("events-processed", value=out)
            written.append(out)
        offsets[tp] = OffsetAndMetadata(messages[-1].offset + 1, "", -1)
    producer.send_offsets_to_transaction(offsets, consumer.group_metadata())
    producer.commit_transaction()
    transactions += 1

committed = {}
for tp in sorted(consumer.assignment()):
    committed["%s:%d" % (tp.topic, tp.partition)] = consumer.committed(tp)
consumer.close()
producer.close()

reader = KafkaConsumer(
    bootstrap_servers=bootstrap,
    isolation_level="read_committed",
    enable_auto_commit=False,
    auto_offset_reset="earliest",
    consumer_timeout_ms=5000,
)
parts = reader.partitions_for_topic("events-processed") or set()
reader.assign([TopicPartition("events-processed", p) for p in sorted(parts)])
reader.seek_to_beginning()
seen = []
for m in reader:
    seen.append(json.loads(m.value.decode("utf-8")))
    if len(seen) >= len(written):
        break
reader.close()

print("RESULT " + json.dumps({
    "written": written,
    "transactions": transactions,
    "read_committed": seen,
    "committed": committed,
}), flush=True)
