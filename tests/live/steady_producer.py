"""A producer that keeps sending through a broker crash, run against
`kafkascope live` by tests/live_clients.rs.

Usage: python -u steady_producer.py BOOTSTRAP N INTERVAL_MS

The course's producer settings (acks='all', JSON values, keyed by nothing)
sending N events INTERVAL_MS apart. It prints `sent K` after each send, so
the test can crash a broker part-way, then waits for every acknowledgement
(Kafka's own retries carry the records across the leader change) and prints
one JSON line prefixed `RESULT ` with each record's partition and offset.
"""
import json
import sys
import time

from kafka import KafkaProducer

bootstrap = sys.argv[1] if len(sys.argv) > 1 else "localhost:9092"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
interval_s = (int(sys.argv[3]) if len(sys.argv) > 3 else 200) / 1000.0

producer = KafkaProducer(
    bootstrap_servers=bootstrap,
    acks="all",
    value_serializer=lambda v: json.dumps(v).encode("utf-8"),
)
futures = []
for i in range(n):
    event = {"event_id": i, "data": f"Event {i}"}
    futures.append(producer.send("events", value=event))
    print(f"sent {i + 1}", flush=True)
    time.sleep(interval_s)

sent, errors = [], []
for i, f in enumerate(futures):
    try:
        md = f.get(timeout=120)
        sent.append({"event_id": i, "partition": md.partition, "offset": md.offset})
    except Exception as e:  # a lost record: the test reports it
        errors.append({"event_id": i, "error": repr(e)})
producer.flush()
producer.close()
print("RESULT " + json.dumps({"sent": sent, "errors": errors}), flush=True)
