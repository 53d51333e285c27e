"""The course's producer (producer-consumer-overview.md, "Code Example"), run
against `kafkascope live` by tests/live_clients.rs.

Usage: python -u course_producer.py [BOOTSTRAP]        (default localhost:9092)

The part between the COURSE CODE markers is the course's text verbatim except
that bootstrap_servers comes from argv[1] and each send's RecordMetadata is kept.
Before it, a harness block records which requests (API, version) kafka-python
sends; after it, one JSON line is printed, prefixed `RESULT `:
  {"client", "client_id", "broker_version", "broker_api_versions",
   "negotiated": {api: [versions]}, "requests": [[node, api, version, count]...],
   "sent": [{"topic", "partition", "offset"}...]}
KAFKASCOPE_LIVE_TRACE=1 also prints each request to stderr as it is sent.
"""
import json
import sys

# ---- harness: record the requests kafka-python sends (outside the course code) ----
import wire_trace

wire_trace.record_kafka_python()


BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
SENT = []

# ======================== COURSE CODE (verbatim) ========================
# PRODUCER
from kafka import KafkaProducer
import json

producer = KafkaProducer(
    bootstrap_servers=BOOTSTRAP,
    acks='all',  # Wait for all replicas
    value_serializer=lambda v: json.dumps(v).encode('utf-8')
)

# Send messages
for i in range(10):
    message = {'event_id': i, 'data': f'Event {i}'}
    future = producer.send('events', value=message)
    result = future.get(timeout=10)  # Block until sent
    print(f"Sent: {message} to partition {result.partition}")
    SENT.append({'topic': result.topic, 'partition': result.partition, 'offset': result.offset})  # harness

producer.close()
# ====================== END COURSE CODE ======================

report = wire_trace.kafka_python_summary(producer._sender._client._manager)
report["client_id"] = producer.config["client_id"]
report["sent"] = SENT
print("RESULT " + json.dumps(report), flush=True)
