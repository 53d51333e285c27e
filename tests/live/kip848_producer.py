"""Records for the consumer-protocol test of tests/live_clients.rs, with
confluent-kafka (librdkafka).

Usage: python -u kip848_producer.py BOOTSTRAP FIRST N INTERVAL_MS

Sends events FIRST..FIRST+N-1 to 'events', event i to partition i % 3 (so
every partition gets its share whatever the partitioner), acks=all,
INTERVAL_MS apart, then waits for every acknowledgement and prints one JSON
line, prefixed `RESULT `: {"sent": [{"partition", "offset", "event_id"}...],
"errors": [str...]}.
"""
import json
import sys
import time

from confluent_kafka import Producer

BOOTSTRAP = sys.argv[1]
FIRST, N = int(sys.argv[2]), int(sys.argv[3])
INTERVAL_S = int(sys.argv[4]) / 1000.0

SENT = []
ERRORS = []


def delivered(err, msg):
    if err is not None:
        ERRORS.append(str(err))
    else:
        SENT.append({"partition": msg.partition(), "offset": msg.offset(),
                     "event_id": json.loads(msg.value())["event_id"]})


producer = Producer({'bootstrap.servers': BOOTSTRAP, 'acks': 'all'})
for i in range(FIRST, FIRST + N):
    event = {"event_id": i, "data": f"Event {i}"}
    producer.produce('events', value=json.dumps(event).encode('utf-8'),
                     partition=i % 3, on_delivery=delivered)
    producer.poll(0)
    time.sleep(INTERVAL_S)
left = producer.flush(30)
if left:
    ERRORS.append("%d records not acknowledged" % left)
print("RESULT " + json.dumps({"sent": SENT, "errors": ERRORS}), flush=True)
