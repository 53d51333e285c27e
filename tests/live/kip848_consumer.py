"""A consumer on Kafka 4's consumer group protocol (KIP-848,
`group.protocol=consumer`) written for confluent-kafka (librdkafka), run
against `kafkascope live` by tests/live_clients.rs.

Usage: python -u kip848_consumer.py BOOTSTRAP GROUP NAME

The course's at-least-once consumer with the new protocol switched on:
subscribe to 'events' in GROUP, enable.auto.commit=False,
auto.offset.reset=earliest, and after each processed message a synchronous
commit of that message. The client.id is left at librdkafka's default
(`rdkafka`), so consumers of one test share it, as a class's would.

It prints, as they happen:
  `assignment P,P,...`   its partitions, after each change (the rebalance
                         callbacks are incremental under this protocol)
  `processed P:O`        each message, once processed and committed
Any other line on stdin is kept in the history as a mark (kind = the line).
It stops when a line `stop` arrives on stdin (also marked), asks the coordinator for the
committed offsets of every partition of 'events' (OffsetFetch, which carries
its member id and epoch), leaves the group, and prints one JSON line,
prefixed `RESULT `:
  {"client", "negotiated", "requests", "name", "history": [{"t", "kind",
   "partitions"}...], "processed": [{"partition", "offset", "value"}...],
   "errors": [str...], "stale_epoch_commits_retried": ["P:O"...],
   "committed": {"events:P": offset or null}}
"""
import json
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, TopicPartition

# ---- harness: record the requests librdkafka sends ----
import wire_trace

_LOGGER = wire_trace.librdkafka_logger()

BOOTSTRAP, GROUP, NAME = sys.argv[1], sys.argv[2], sys.argv[3]
PARTITIONS = 3
HISTORY = []
PROCESSED = []
ERRORS = []
OWNED = set()
STOP = threading.Event()


def changed(kind, partitions):
    parts = sorted(p.partition for p in partitions)
    HISTORY.append({"t": time.monotonic(), "kind": kind, "partitions": parts})
    if kind == "assign":
        OWNED.update(parts)
    else:
        OWNED.difference_update(parts)
    print("assignment " + ",".join(str(p) for p in sorted(OWNED)), flush=True)


def read_stdin():
    for line in sys.stdin:
        word = line.strip()
        if word == "stop":
            break
        if word:  # a mark in the history, for the test to cut it at
            HISTORY.append({"t": time.monotonic(), "kind": word, "partitions": []})
    HISTORY.append({"t": time.monotonic(), "kind": "stop", "partitions": []})
    STOP.set()


STALE_MEMBER_EPOCH = 113
STALE_RETRIED = []


def commit(msg):
    """A synchronous commit of `msg`, retried while the coordinator answers
    STALE_MEMBER_EPOCH. A commit sent at epoch N can reach the coordinator
    after this member's heartbeat moved it to N+1 (a rebalance elsewhere in
    the group bumps every member's epoch on its next heartbeat). Kafka refuses
    it (`ConsumerGroup.validateOffsetCommit`), and librdkafka hands a manual
    commit's STALE_MEMBER_EPOCH to the application without retrying; it
    expedites the heartbeat that brings the new epoch. An at-least-once
    consumer commits again rather than lose its place."""
    for attempt in range(50):
        try:
            consumer.commit(message=msg, asynchronous=False)
            return
        except confluent_kafka.KafkaException as e:
            if e.args[0].code() != STALE_MEMBER_EPOCH or attempt == 49:
                raise
            STALE_RETRIED.append("%d:%d" % (msg.partition(), msg.offset()))
            time.sleep(0.1)


consumer = Consumer({
    'bootstrap.servers': BOOTSTRAP,
    'group.id': GROUP,
    'group.protocol': 'consumer',  # KIP-848
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
    'debug': 'protocol',  # harness: the request trace
    'logger': _LOGGER,
})
consumer.subscribe(['events'],
                   on_assign=lambda c, ps: changed("assign", ps),
                   on_revoke=lambda c, ps: changed("revoke", ps),
                   on_lost=lambda c, ps: changed("lost", ps))
threading.Thread(target=read_stdin, daemon=True).start()

while not STOP.is_set():
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error() is not None:
        if msg.error().code() != KafkaError._PARTITION_EOF:
            ERRORS.append(str(msg.error()))
        continue
    try:
        event = json.loads(msg.value().decode('utf-8'))
        commit(msg)
        PROCESSED.append({'partition': msg.partition(), 'offset': msg.offset(), 'value': event})
        print("processed %d:%d" % (msg.partition(), msg.offset()), flush=True)
    except Exception as e:  # a failed commit: reported, and the loop goes on
        ERRORS.append(repr(e))
        print("error %d:%d %r" % (msg.partition(), msg.offset(), e), flush=True)

committed = {}
try:
    asked = [TopicPartition('events', p) for p in range(PARTITIONS)]
    for tp in consumer.committed(asked, timeout=10):
        committed["%s:%d" % (tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
except Exception as e:
    ERRORS.append("committed(): %r" % (e,))
consumer.close()  # leaves the group: a heartbeat at member epoch -1
report = wire_trace.librdkafka_summary()
report.update({
    "name": NAME,
    "group": GROUP,
    "history": HISTORY,
    "processed": PROCESSED,
    "errors": ERRORS,
    "stale_epoch_commits_retried": STALE_RETRIED,
    "committed": committed,
})
print("RESULT " + json.dumps(report), flush=True)
