"""What each test client sent, for tests/live_clients.rs: the requests (API and
version, in order) a kafka-python or librdkafka client sends to `kafkascope
live`, summarised for the RESULT line of each script in tests/live/.

kafka-python: `record_kafka_python()` wraps KafkaProtocol.send_request (call it
before making a client); `kafka_python_summary(manager)` then gives the
summary plus the versions the client learned from ApiVersions.
librdkafka: pass `librdkafka_logger()` as the client's `logger` with
`debug: protocol`; `librdkafka_summary()` reads its "Sent XRequest (vN, ...)"
lines.
KAFKASCOPE_LIVE_TRACE=1 also prints each request (each librdkafka debug line)
to stderr as it is sent.
"""
import logging
import os
import re
import sys
import time

REQUESTS = []  # (node, api, version) in send order
TRACE = os.environ.get("KAFKASCOPE_LIVE_TRACE") == "1"


def summary():
    """{"negotiated": {api: [versions]}, "requests": [[node, api, version, count]...]}
    with consecutive duplicates collapsed."""
    negotiated = {}
    for _, api, version in REQUESTS:
        versions = negotiated.setdefault(api, [])
        if version not in versions:
            versions.append(version)
    runs = []
    for node, api, version in REQUESTS:
        if runs and runs[-1][:3] == [node, api, version]:
            runs[-1][3] += 1
        else:
            runs.append([node, api, version, 1])
    return {"negotiated": negotiated, "requests": runs}


def record_kafka_python():
    import kafka.protocol.parser as parser

    original = parser.KafkaProtocol.send_request

    def recording(self, request, correlation_id=None):
        correlation_id = original(self, request, correlation_id)
        entry = (self._ident, request.name.replace("Request", ""), request.API_VERSION)
        REQUESTS.append(entry)
        if TRACE:
            print("%.3f send %s %s v%s" % (time.monotonic(), *entry), file=sys.stderr, flush=True)
        return correlation_id

    parser.KafkaProtocol.send_request = recording


def kafka_python_summary(manager):
    import kafka

    bvd = manager.broker_version_data
    return {
        "client": "kafka-python %s" % kafka.__version__,
        "broker_version": bvd.broker_version_str if bvd else None,
        "broker_api_versions": {str(k): list(v) for k, v in sorted((bvd.api_versions or {}).items())} if bvd else None,
        **summary(),
    }


_SENT_RE = re.compile(r"\[thrd:([^\]]*)\].*?Sent (\w+?)Request \(v(\d+)")


class _RecordingHandler(logging.Handler):
    def emit(self, record):
        line = record.getMessage()
        if TRACE:
            print(line, file=sys.stderr, flush=True)
        m = _SENT_RE.search(line)
        if m:
            REQUESTS.append((m.group(1), m.group(2), int(m.group(3))))


def librdkafka_logger():
    logger = logging.getLogger("librdkafka")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(_RecordingHandler())
    return logger


def librdkafka_summary():
    import confluent_kafka

    return {
        "client": "confluent-kafka %s (librdkafka %s)" % (confluent_kafka.__version__,
                                                         confluent_kafka.libversion()[0]),
        **summary(),
    }
