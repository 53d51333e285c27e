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
import logging
import os
import re
import sys

import confluent_kafka
from confluent_kafka import Producer

# ---- harness: record the requests librdkafka sends ----
_REQUESTS = []  # (node, api, version) in send order
_TRACE = os.environ.get("KAFKASCOPE_LIVE_TRACE") == "1"
_SENT_RE = re.compile(r"\[thrd:([^\]]*)\].*?Sent (\w+?)Request \(v(\d+)")


class _RecordingHandler(logging.Handler):
    def emit(self, record):
        line = record.getMessage()
        if _TRACE:
            print(line, file=sys.stderr, flush=True)
        m = _SENT_RE.search(line)
        if m:
            _REQUESTS.append((m.group(1), m.group(2), int(m.group(3))))


_LOGGER = logging.getLogger("librdkafka")
_LOGGER.setLevel(logging.DEBUG)
_LOGGER.propagate = False
_LOGGER.addHandler(_RecordingHandler())


def _negotiation_summary():
    negotiated = {}
    for _, api, version in _REQUESTS:
        versions = negotiated.setdefault(api, [])
        if version not in versions:
            versions.append(version)
    runs = []
    for node, api, version in _REQUESTS:
        if runs and runs[-1][:3] == [node, api, version]:
            runs[-1][3] += 1
        else:
            runs.append([node, api, version, 1])
    return {
        "client": "confluent-kafka %s (librdkafka %s)" % (confluent_kafka.__version__,
                                                         confluent_kafka.libversion()[0]),
        "negotiated": negotiated,
        "requests": runs,
    }


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
report = _negotiation_summary()
report.update({"client_id": "rdkafka (librdkafka default)", "sent": SENT, "errors": ERRORS})
print("RESULT " + json.dumps(report), flush=True)
