"""The course's producer written for confluent-kafka (librdkafka), run against
`kafkascope live` by tests/live_clients.rs.

Usage: python -u confluent_producer.py [BOOTSTRAP]      (default localhost:9092)

Same program as course_producer.py: acks=all (librdkafka's idempotence stays at
its default, off), JSON values, 10 events to 'events', each send waited for
(flush) before the next, and one JSON line at the end, prefixed `RESULT `:
  {"client", "client_id", "negotiated": {api: [versions]},
   "requests": [[node, api, version, count]...], "sent": [{"topic", "partition", "offset"}...],
   "errors": [str...]}
The request trace comes from librdkafka's own `debug: protocol` log ("Sent
XRequest (vN, ...)"), routed to a Python logger; KAFKASCOPE_LIVE_TRACE=1 also
prints every librdkafka debug line to stderr.
"""
import json
import sys

import confluent_kafka
from confluent_kafka import Producer

# ---- harness: record the requests librdkafka sends ----
import wire_trace

_LOGGER = wire_trace.librdkafka_logger()


BOOTSTRAP = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
SENT = []
ERRORS = []

producer = Producer({
    'bootstrap.servers': BOOTSTRAP,
    'acks': 'all',  # Wait for all replicas
    'debug': 'protocol',  # harness: the request trace
    'logger': _LOGGER,
})


def on_delivery(err, msg):
    if err is not None:
        ERRORS.append(str(err))
    else:
        SENT.append({'topic': msg.topic(), 'partition': msg.partition(), 'offset': msg.offset()})


# Send messages
for i in range(10):
    message = {'event_id': i, 'data': f'Event {i}'}
    producer.produce('events', value=json.dumps(message).encode('utf-8'), on_delivery=on_delivery)
    remaining = producer.flush(10)  # Block until sent
    if remaining:
        ERRORS.append('event %d not delivered within 10 s' % i)
        break
    if SENT and SENT[-1]:
        print(f"Sent: {message} to partition {SENT[-1]['partition']}")

producer.flush(10)
producer.poll(0)  # deliver the last log lines
report = wire_trace.librdkafka_summary()
report.update({"client_id": "rdkafka (librdkafka default)", "sent": SENT, "errors": ERRORS})
print("RESULT " + json.dumps(report), flush=True)
