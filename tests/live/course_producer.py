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
import os
import sys
import time

# ---- harness: record the requests kafka-python sends (outside the course code) ----
import kafka
import kafka.protocol.parser as _kafka_parser

_REQUESTS = []  # (node, api, version) in send order
_TRACE = os.environ.get("KAFKASCOPE_LIVE_TRACE") == "1"
_original_send_request = _kafka_parser.KafkaProtocol.send_request


def _recording_send_request(self, request, correlation_id=None):
    correlation_id = _original_send_request(self, request, correlation_id)
    entry = (self._ident, request.name.replace("Request", ""), request.API_VERSION)
    _REQUESTS.append(entry)
    if _TRACE:
        print("%.3f send %s %s v%s" % (time.monotonic(), *entry), file=sys.stderr, flush=True)
    return correlation_id


_kafka_parser.KafkaProtocol.send_request = _recording_send_request


def _negotiation_summary(manager):
    negotiated = {}
    for _, api, version in _REQUESTS:
        versions = negotiated.setdefault(api, [])
        if version not in versions:
            versions.append(version)
    runs = []  # consecutive duplicates collapsed: [node, api, version, count]
    for node, api, version in _REQUESTS:
        if runs and runs[-1][:3] == [node, api, version]:
            runs[-1][3] += 1
        else:
            runs.append([node, api, version, 1])
    bvd = manager.broker_version_data
    return {
        "client": "kafka-python %s" % kafka.__version__,
        "broker_version": bvd.broker_version_str if bvd else None,
        "broker_api_versions": {str(k): list(v) for k, v in sorted((bvd.api_versions or {}).items())} if bvd else None,
        "negotiated": negotiated,
        "requests": runs,
    }


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

report = _negotiation_summary(producer._sender._client._manager)
report["client_id"] = producer.config["client_id"]
report["sent"] = SENT
print("RESULT " + json.dumps(report), flush=True)
