"""Load test for `kafkascope live`: how many real clients and records per
second one live process sustains, and the round trip a real client sees.
Driven by scripts/live-load.sh (not part of CI, not run by cargo test).

Usage: python -u load.py BOOTSTRAP SERVER_PID [options]
  --phases latency,throughput,conns,slots   which phases to run (default: all)
  --records M          records per producer in the throughput runs (100000)
  --producers 1,2,4    producer process counts, one throughput run each
  --consumers C        consumers in each throughput run's group (2)
  --conn-levels 8,16,21,32  concurrent clients per connection-count level
  --server-log PATH    the server's stderr (refused/closed lines are counted)
  --json PATH          also write every raw figure as JSON there

Phases (each bounded by timeouts; progress goes to stderr, the summary table
to stdout, a `RESULT {json}` line last):
  latency     kafka-python (the course's client): 200 records sent one at a
              time (send(...).get()) with acks='all', then with acks=1, and
              consumer.commit() round trips in a group; confluent-kafka
              (linger.ms=0, produce + flush) for comparison.
  throughput  P confluent-kafka producer processes (acks=all, default
              batching, M records of ~100 bytes of JSON each, to 'events')
              and one group of C confluent-kafka consumers (auto commit on)
              reading everything they produce, from the end offsets taken
              before the run. Produced = acked records / (last ack - start);
              consumed = records / (the moment every partition was read to
              its end - start). The server's CPU% comes from
              /proc/PID/stat (utime+stime), its peak RSS from VmHWM.
              Then one run of max(P) producers with small batches
              (linger.ms=0, batch.num.messages=10: the per-request cost;
              --no-small-batch skips it) and a drain: a new group reads the
              whole log from offset 0 (--no-drain skips it).
  conns       N concurrent idle producers (kafka-python, then confluent-kafka),
              each sending one record to each of the 3 partitions (so it
              opens a connection to every leader), then idling together for a
              while, then sending one more. The server allows 64 connections
              in all and closes the ones over that at once.
  slots       the engine keeps one slot per distinct client.id (64 at most,
              never released); confluent-kafka producers with distinct
              client.ids, 8 at a time, until one fails. Run last: it uses up
              the process's slots.
"""
import argparse
import json
import logging
import multiprocessing as mp
import os
import queue
import re
import statistics
import sys
import threading
import time

TOPIC = "events"
PARTITIONS = 3
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print("[load] %s" % msg, file=sys.stderr, flush=True)


def pct(xs, p):
    """Nearest-rank percentile of xs (ms)."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summary(xs):
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "p50": pct(xs, 50), "p95": pct(xs, 95), "p99": pct(xs, 99),
            "min": min(xs), "max": max(xs), "mean": statistics.mean(xs)}


# ---------------------------------------------------------------- server probes

def proc_cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime is field 14, stime field 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_mem_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def machine_cpu():
    """(busy, total) jiffies over all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def proc_sockets(pid):
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return -1
    return n


def server_log_counts(path):
    """How many refusals and closes the server's stderr holds so far."""
    c = {"refused": 0, "closing": 0, "lines": 0}
    if not path:
        return c
    try:
        with open(path, errors="replace") as f:
            for line in f:
                c["lines"] += 1
                if "refused" in line:
                    c["refused"] += 1
                elif "closing" in line:
                    c["closing"] += 1
    except OSError:
        pass
    return c


def server_log_tail(path, start_line, limit=12):
    """Distinct server stderr lines after start_line (counted by kind)."""
    if not path:
        return []
    seen = {}
    try:
        with open(path, errors="replace") as f:
            for i, line in enumerate(f):
                if i < start_line:
                    continue
                # Fold the peer address and conn id away so like lines group.
                key = line.strip()
                for tok in key.split():
                    if tok.startswith("127.0.0.1:") or tok.startswith("(conn"):
                        key = key.replace(tok, "*")
                key = key.replace("conn *", "*")
                seen[key] = seen.get(key, 0) + 1
    except OSError:
        pass
    return [{"line": k, "count": v} for k, v in sorted(seen.items(), key=lambda kv: -kv[1])[:limit]]


class SocketSampler:
    """Samples the server's open socket count (listeners included) every 20 ms."""

    def __init__(self, pid):
        self.pid, self.peak, self.samples = pid, 0, []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            n = proc_sockets(self.pid)
            self.samples.append(n)
            self.peak = max(self.peak, n)
            time.sleep(0.02)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()


def client_cpu_s():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- latency phase

def kp_produce_latency(bootstrap, acks, n, warmup, out):
    from kafka import KafkaProducer
    try:
        t_new = time.perf_counter()
        p = KafkaProducer(bootstrap_servers=bootstrap, acks=acks,
                          value_serializer=lambda v: json.dumps(v).encode("utf-8"),
                          request_timeout_ms=10000, max_block_ms=10000,
                          delivery_timeout_ms=20000)
        rtts, parts = [], {}
        first_ms = None
        for i in range(warmup + n):
            t0 = time.perf_counter()
            md = p.send(TOPIC, value={"event_id": i, "kind": "latency", "acks": str(acks)}).get(timeout=10)
            dt = (time.perf_counter() - t0) * 1000
            if first_ms is None:
                first_ms = (time.perf_counter() - t_new) * 1000
            if i >= warmup:
                rtts.append(dt)
                parts[md.partition] = parts.get(md.partition, 0) + 1
        p.close(timeout=5)
        out.put({"ok": True, "rtt_ms": rtts, "partitions": parts, "first_send_ms": first_ms})
    except Exception as e:
        out.put({"ok": False, "error": repr(e)})


def kp_commit_latency(bootstrap, n, warmup, out):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata
    try:
        t0 = time.monotonic()
        c = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id="load-commit-latency",
                          enable_auto_commit=False, auto_offset_reset="earliest",
                          request_timeout_ms=20000)
        while not c.assignment() and time.monotonic() - t0 < 30:
            c.poll(timeout_ms=100)
        join_s = time.monotonic() - t0
        assigned = sorted(c.assignment())
        if not assigned:
            raise RuntimeError("no assignment within 30 s")
        c.poll(timeout_ms=500)
        rtts = []
        for i in range(warmup + n):
            offsets = {tp: OffsetAndMetadata(c.position(tp), "", -1) for tp in assigned}
            t1 = time.perf_counter()
            c.commit(offsets)
            dt = (time.perf_counter() - t1) * 1000
            if i >= warmup:
                rtts.append(dt)
        c.close()
        out.put({"ok": True, "rtt_ms": rtts, "join_s": join_s,
                 "assigned": ["%s:%d" % (tp.topic, tp.partition) for tp in assigned]})
    except Exception as e:
        out.put({"ok": False, "error": repr(e)})


def ck_produce_latency(bootstrap, n, warmup, out):
    from confluent_kafka import Producer
    try:
        t_new = time.perf_counter()
        p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 0,
                      "message.timeout.ms": 20000})
        rtts, errs = [], []
        first_ms = None
        for i in range(warmup + n):
            t0 = time.perf_counter()
            p.produce(TOPIC, json.dumps({"event_id": i, "kind": "latency-ck"}).encode(),
                      on_delivery=lambda err, msg: err and errs.append(str(err)))
            left = p.flush(10)
            dt = (time.perf_counter() - t0) * 1000
            if left:
                raise RuntimeError("record %d not delivered within 10 s" % i)
            if first_ms is None:
                first_ms = (time.perf_counter() - t_new) * 1000
            if i >= warmup:
                rtts.append(dt)
        out.put({"ok": not errs, "rtt_ms": rtts, "errors": errs[:5], "first_send_ms": first_ms})
    except Exception as e:
        out.put({"ok": False, "error": repr(e)})


def run_in_child(ctx, target, args, timeout):
    q = ctx.Queue()
    pr = ctx.Process(target=target, args=args + (q,))
    pr.start()
    try:
        res = q.get(timeout=timeout)
    except queue.Empty:
        res = {"ok": False, "error": "no result within %ss" % timeout}
    pr.join(10)
    if pr.is_alive():
        pr.kill()
    return res


def phase_latency(ctx, a):
    out = {}
    for name, target, args in [
        ("kafka-python acks=all", kp_produce_latency, (a.bootstrap, "all", 200, 10)),
        ("kafka-python acks=1", kp_produce_latency, (a.bootstrap, 1, 200, 10)),
        ("confluent acks=all linger0", ck_produce_latency, (a.bootstrap, 200, 10)),
        ("kafka-python commit()", kp_commit_latency, (a.bootstrap, 100, 5)),
    ]:
        log("latency: %s" % name)
        r = run_in_child(ctx, target, args, 90)
        if "rtt_ms" in r:
            r["summary"] = summary(r["rtt_ms"])
            log("  p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  (n=%d)" % (
                r["summary"]["p50"], r["summary"]["p95"], r["summary"]["p99"], r["summary"]["n"]))
        if not r.get("ok"):
            log("  FAILED: %s" % r.get("error") or r.get("errors"))
        out[name] = r
    return out


# ---------------------------------------------------------------- throughput phase

def ck_throughput_producer(bootstrap, idx, m, start_evt, out, extra_conf=None):
    from confluent_kafka import Producer
    errors = {}
    acked = [0]
    max_off = {}
    last_ack = [0.0]

    def on_delivery(err, msg):
        if err is not None:
            k = str(err)
            errors[k] = errors.get(k, 0) + 1
            return
        acked[0] += 1
        last_ack[0] = time.monotonic()
        p = msg.partition()
        if msg.offset() > max_off.get(p, -1):
            max_off[p] = msg.offset()

    conf = {"bootstrap.servers": bootstrap, "acks": "all",
            "message.timeout.ms": 120000, "client.id": "rdkafka"}
    conf.update(extra_conf or {})
    p = Producer(conf)
    p.list_topics(TOPIC, timeout=10)  # metadata and connections before the clock starts
    pad = "x" * 40
    out.put(("ready", idx))
    start_evt.wait(60)
    cpu0 = client_cpu_s()
    t0 = time.monotonic()
    for i in range(m):
        v = ('{"event_id": %d, "producer": %d, "ts": %.6f, "data": "%s"}'
             % (i, idx, time.time(), pad)).encode()
        while True:
            try:
                p.produce(TOPIC, v, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    t_enq = time.monotonic()
    left = p.flush(150)
    out.put(("done", idx, {"t0": t0, "t_enqueued": t_enq, "t_last_ack": last_ack[0],
                           "acked": acked[0], "unacked": left, "errors": errors,
                           "max_offset": max_off, "value_bytes": len(v),
                           "cpu_s": client_cpu_s() - cpu0}))


def ck_throughput_consumer(bootstrap, idx, group, start_offsets, go_evt, stop_evt, out,
                           seek_on_go=None):
    """Reads `events` in `group` from start_offsets; with seek_on_go, seeks
    its partitions there once go_evt is set (a drain that starts on time)."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    errors = {}
    count = [0]
    hi = {}  # partition -> (max offset consumed, when)
    sought = [seek_on_go is None]
    first = [None]  # when the first record came
    cpu0 = client_cpu_s()

    def on_assign(c, parts):
        for tp in parts:
            tp.offset = start_offsets[tp.partition]
        c.assign(parts)
        out.put(("assigned", idx, sorted(tp.partition for tp in parts)))

    def on_revoke(c, parts):
        out.put(("assigned", idx, []))

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": True, "auto.offset.reset": "earliest",
                  "client.id": "rdkafka"})
    c.subscribe([TOPIC], on_assign=on_assign, on_revoke=on_revoke)
    last_report = 0.0
    while not stop_evt.is_set():
        if not sought[0] and go_evt.is_set():
            for tp in c.assignment():
                c.seek(TopicPartition(TOPIC, tp.partition, seek_on_go[tp.partition]))
            sought[0] = True
        msgs = c.consume(num_messages=1000, timeout=0.1 if sought[0] else 0.01)
        now = time.monotonic()
        for msg in msgs:
            e = msg.error()
            if e is not None:
                if e.code() != KafkaError._PARTITION_EOF:
                    errors[str(e)] = errors.get(str(e), 0) + 1
                continue
            count[0] += 1
            if first[0] is None:
                first[0] = now
            p, o = msg.partition(), msg.offset()
            if o > hi.get(p, (-1, 0))[0]:
                hi[p] = (o, now)
        if now - last_report > 0.1:
            last_report = now
            out.put(("progress", idx, {"count": count[0], "hi": dict(hi), "first": first[0]}))
    cpu = client_cpu_s() - cpu0
    c.close()
    out.put(("done", idx, {"count": count[0], "hi": hi, "errors": errors, "cpu_s": cpu}))


def end_offsets(bootstrap):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "load-offsets-probe",
                  "enable.auto.commit": False})
    out = {}
    for p in range(PARTITIONS):
        lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
        out[p] = hi
    c.close()
    return out


SMALL_BATCH = {"linger.ms": 0, "batch.num.messages": 10}


def throughput_run(ctx, a, n_prod, label, records=None, producer_conf=None, from_start=False):
    """One run: n_prod producers of `records` each and a group of a.consumers.
    With n_prod == 0 and from_start, the group drains the whole log instead."""
    pid = a.server_pid
    records = a.records if records is None else records
    end0 = end_offsets(a.bootstrap)
    start = {p: 0 for p in end0} if from_start else end0
    seek = start if from_start else None
    group = "load-throughput-%d-%s" % (os.getpid(), label)
    q = ctx.Queue()
    stop = ctx.Event()
    go = ctx.Event()
    cons = [ctx.Process(target=ck_throughput_consumer,
                        args=(a.bootstrap, i, group, end0, go, stop, q, seek))
            for i in range(a.consumers)]
    for c in cons:
        c.start()
    # Wait for a stable assignment covering every partition.
    assigned = {}
    t_join = time.monotonic()
    ready_at = None
    while time.monotonic() - t_join < 40:
        try:
            msg = q.get(timeout=0.2)
        except queue.Empty:
            msg = None
        if msg and msg[0] == "assigned":
            assigned[msg[1]] = msg[2]
            ready_at = None
        if (len(assigned) == a.consumers and all(assigned.values())
                and sum(len(v) for v in assigned.values()) == PARTITIONS):
            ready_at = ready_at or time.monotonic()
            if time.monotonic() - ready_at > 1.0:
                break
    join_s = time.monotonic() - t_join
    log("throughput %s: group joined in %.1f s, assignment %s" % (label, join_s, assigned))
    prods = [ctx.Process(target=ck_throughput_producer,
                         args=(a.bootstrap, i, records, go, q, producer_conf))
             for i in range(n_prod)]
    for p in prods:
        p.start()
    ready = 0
    progress = {}
    while ready < n_prod:
        msg = q.get(timeout=60)
        if msg[0] == "ready":
            ready += 1
        elif msg[0] == "progress":
            progress[msg[1]] = msg[2]
    sock0 = proc_sockets(pid)
    kids = [p.pid for p in prods + cons]
    cpu0, mb0, mt0 = proc_cpu_s(pid), *machine_cpu()
    kcpu0 = sum(proc_cpu_s(k) for k in kids) + client_cpu_s()
    t_go = time.monotonic()
    go.set()
    prod_done = {}
    deadline = t_go + 170
    while len(prod_done) < n_prod and time.monotonic() < deadline:
        try:
            msg = q.get(timeout=0.5)
        except queue.Empty:
            continue
        if msg[0] == "done" and isinstance(msg[2], dict) and "acked" in msg[2]:
            prod_done[msg[1]] = msg[2]
        elif msg[0] == "progress":
            progress[msg[1]] = msg[2]
        elif msg[0] == "assigned":
            log("  rebalance during the run: consumer %d now %s" % (msg[1], msg[2]))
    t_prod_done = time.monotonic()
    # Where the log ends: the highest acked offset per partition, +1.
    end = dict(start if n_prod else end0)
    for d in prod_done.values():
        for p, o in d["max_offset"].items():
            end[int(p)] = max(end[int(p)], o + 1)
    want = sum(end[p] - start[p] for p in range(PARTITIONS))

    def consumed_to_end():
        hi = {}
        for pr in progress.values():
            for p, (o, t) in pr["hi"].items():
                if o > hi.get(int(p), (-1, 0))[0]:
                    hi[int(p)] = (o, t)
        ok = all(end[p] == start[p] or hi.get(p, (-1, 0))[0] >= end[p] - 1 for p in range(PARTITIONS))
        return ok, hi

    done_ok, hi = consumed_to_end()
    cons_deadline = time.monotonic() + 60
    while not done_ok and time.monotonic() < cons_deadline:
        try:
            msg = q.get(timeout=0.5)
        except queue.Empty:
            continue
        if msg[0] == "progress":
            progress[msg[1]] = msg[2]
            done_ok, hi = consumed_to_end()
    t_end = time.monotonic()
    cpu1, mb1, mt1 = proc_cpu_s(pid), *machine_cpu()
    kcpu1 = sum(proc_cpu_s(k) for k in kids) + client_cpu_s()
    mem = proc_mem_kb(pid)
    sock1 = proc_sockets(pid)
    stop.set()
    cons_done = {}
    t_stop = time.monotonic()
    while len(cons_done) < a.consumers and time.monotonic() - t_stop < 15:
        try:
            msg = q.get(timeout=0.5)
        except queue.Empty:
            continue
        if msg[0] == "done" and "hi" in msg[2]:
            cons_done[msg[1]] = msg[2]
    for pr in prods + cons:
        pr.join(5)
        if pr.is_alive():
            pr.kill()
    acked = sum(d["acked"] for d in prod_done.values())
    t_last_ack = max((d["t_last_ack"] for d in prod_done.values()), default=t_go)
    t_consumed = max((t for (o, t) in hi.values()), default=t_end) if done_ok else t_end
    wall = t_end - t_go
    firsts = [pr["first"] for pr in progress.values() if pr.get("first")]
    t_first = min(firsts) if firsts else None
    # A drain is timed from its first record: the seek waits for the fetch
    # already in flight (a long poll of up to fetch.wait.max.ms, 500 ms).
    t_from = t_first if (from_start and t_first) else t_go
    res = {
        "run": label, "producers": n_prod, "consumers": a.consumers, "records_per_producer": records,
        "producer_conf": producer_conf or {}, "drain_from_start": from_start,
        "value_bytes": max((d["value_bytes"] for d in prod_done.values()), default=None),
        "group_join_s": join_s,
        "acked": acked, "expected": n_prod * records,
        "produce_s": t_last_ack - t_go,
        "produced_per_s": (acked / max(1e-9, t_last_ack - t_go)) if n_prod else None,
        "consume_complete": done_ok,
        "consumed_records": want if done_ok else None,
        "consumed_count_raw": sum(d["count"] for d in cons_done.values()),
        "consume_s": t_consumed - t_from,
        "consumed_per_s": (want / max(1e-9, t_consumed - t_from)) if done_ok else None,
        "first_record_after_s": (t_first - t_go) if t_first else None,
        "e2e_tail_s": (t_consumed - t_last_ack) if (done_ok and n_prod) else None,
        "server_cpu_pct": 100.0 * (cpu1 - cpu0) / wall,
        "server_cpu_s": cpu1 - cpu0,
        "machine_cpu_pct": 100.0 * (mb1 - mb0) / max(1, mt1 - mt0) * os.cpu_count(),
        "clients_cpu_pct": 100.0 * (kcpu1 - kcpu0) / wall,
        "other_cpu_pct": None,  # below: the machine's busy time not ours
        "server_cpu_us_per_record": 1e6 * (cpu1 - cpu0) / max(1, want),
        "window_s": wall,
        "server_vmhwm_kb": mem.get("VmHWM"), "server_vmrss_kb": mem.get("VmRSS"),
        "server_sockets": [sock0, sock1],
        "producer_errors": {k: v for d in prod_done.values() for k, v in d["errors"].items()},
        "producer_unacked": sum(d["unacked"] for d in prod_done.values()),
        "producers_reported": len(prod_done),
        "consumer_errors": {k: v for d in cons_done.values() for k, v in d["errors"].items()},
        "client_cpu_s": {"producers": sum(d["cpu_s"] for d in prod_done.values()),
                         "consumers": sum(d["cpu_s"] for d in cons_done.values())},
        "producer_enqueue_s": max((d["t_enqueued"] - d["t0"] for d in prod_done.values()), default=None),
        "start_offsets": start, "end_offsets": end,
    }
    res["other_cpu_pct"] = res["machine_cpu_pct"] - res["server_cpu_pct"] - res["clients_cpu_pct"]
    log("  produced %d/%d acked in %.2f s = %s rec/s; consumed %s in %.2f s = %s rec/s; "
        "CPU: server %.0f%%, clients %.0f%%, machine %.0f%% (of %d00%%); VmHWM %s kB" % (
            acked, n_prod * records, res["produce_s"], fmt(res["produced_per_s"], "%.0f"),
            res["consumed_records"], res["consume_s"], fmt(res["consumed_per_s"], "%.0f"),
            res["server_cpu_pct"], res["clients_cpu_pct"], res["machine_cpu_pct"],
            os.cpu_count(), res["server_vmhwm_kb"]))
    if res["producer_errors"] or res["consumer_errors"] or res["producer_unacked"]:
        log("  ERRORS: producers %s (unacked %d), consumers %s" % (
            res["producer_errors"], res["producer_unacked"], res["consumer_errors"]))
    return res


def phase_throughput(ctx, a):
    runs = []
    for n in a.producers:
        runs.append(throughput_run(ctx, a, n, "P%d" % n))
    # Many small requests: the server's per-request cost, not the client's
    # per-record cost (10 records per batch at most, no linger).
    if a.small_batch:
        n = max(a.producers)
        runs.append(throughput_run(ctx, a, n, "P%d-small" % n, records=min(a.records, 10000),
                                   producer_conf=SMALL_BATCH))
    # Consumers alone: a new group drains the whole log from offset 0.
    if a.drain:
        runs.append(throughput_run(ctx, a, 0, "drain", from_start=True))
    return runs


# ---------------------------------------------------------------- connection phase

class _Collect(logging.Handler):
    """Counts a client library's log lines, numbers folded so like lines group."""

    def __init__(self, sink, level=logging.WARNING):
        super().__init__(level)
        self.sink = sink

    def emit(self, record):
        try:
            m = record.getMessage()
        except Exception:
            m = str(record.msg)
        m = re.sub(r"\d+", "N", m)
        k = "%s: %s" % (record.name, m[:200])
        self.sink[k] = self.sink.get(k, 0) + 1


def conn_worker(kind, bootstrap, ids, release_evt, out, distinct_ids=False, timeout_s=15):
    """Runs len(ids) producers of `kind` in threads of this process."""
    warnings = {}
    if kind == "kafka-python":
        logging.getLogger("kafka").addHandler(_Collect(warnings))
        logging.getLogger("kafka").setLevel(logging.WARNING)
    else:
        # librdkafka's own log (FAIL, TERMINATE, ... lines), kept off stderr.
        rdlog = logging.getLogger("librdkafka")
        rdlog.propagate = False
        rdlog.setLevel(logging.INFO)
        rdlog.addHandler(_Collect(warnings, logging.INFO))

    # Imported before the clock starts (kafka-python takes ~0.3 s to import).
    if kind == "kafka-python":
        from kafka import KafkaProducer
    else:
        from confluent_kafka import Producer

    def one(i):
        r = {"id": i, "ok": False, "sent": 0, "after_idle": False, "errors": []}
        t0 = time.monotonic()
        try:
            if kind == "kafka-python":
                kw = {"client_id": "load-conn-%d" % i} if distinct_ids else {}
                p = KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                  request_timeout_ms=timeout_s * 1000 // 2,
                                  max_block_ms=timeout_s * 1000,
                                  delivery_timeout_ms=timeout_s * 1000, **kw)

                def send(part, tag):
                    p.send(TOPIC, value=b'{"kind": "conn", "tag": "%s"}' % tag.encode(),
                           partition=part).get(timeout=timeout_s + 2)

                def close():
                    p.close(timeout=5)
            else:
                errs = []
                conf = {"bootstrap.servers": bootstrap, "acks": "all",
                        "message.timeout.ms": timeout_s * 1000,
                        "error_cb": lambda e: errs.append("error_cb: " + str(e)),
                        "logger": rdlog}
                if distinct_ids:
                    conf["client.id"] = "load-conn-%d" % i
                p = Producer(conf)
                r["_errs"] = errs

                def send(part, tag):
                    failed = []
                    p.produce(TOPIC, b'{"kind": "conn", "tag": "%s"}' % tag.encode(), partition=part,
                              on_delivery=lambda err, msg: err and failed.append(str(err)))
                    if p.flush(timeout_s + 2):
                        raise RuntimeError("not delivered within %ss" % (timeout_s + 2))
                    if failed:
                        raise RuntimeError(failed[0])

                def close():
                    p.flush(2)
            for part in range(PARTITIONS):
                send(part, "first")
                r["sent"] += 1
            r["first_s"] = time.monotonic() - t0
            r["ok"] = True
        except Exception as e:
            r["errors"].append(repr(e)[:200])
            r["first_s"] = time.monotonic() - t0
        out.put(("connected", i, r["ok"]))
        release_evt.wait(90)
        if r["ok"]:
            try:
                for part in range(PARTITIONS):
                    send(part, "after-idle")
                r["after_idle"] = True
            except Exception as e:
                r["errors"].append("after idle: " + repr(e)[:200])
        try:
            close()
        except Exception:
            pass
        if "_errs" in r:
            for e in r.pop("_errs"):
                r["errors"].append(e[:200])
        results.append(r)

    results = []
    ths = [threading.Thread(target=one, args=(i,)) for i in ids]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    out.put(("result", results, warnings, client_cpu_s()))


def conn_level(ctx, a, kind, n, idle_s=3.0, distinct_ids=False, workers=4, id_base=0):
    pid = a.server_pid
    base = a.base_sockets
    # Let the previous level's connections drain first.
    t = time.monotonic()
    while proc_sockets(pid) > base and time.monotonic() - t < 15:
        time.sleep(0.2)
    lc0 = server_log_counts(a.server_log)
    cpu0 = proc_cpu_s(pid)
    q = ctx.Queue()
    release = ctx.Event()
    ids = list(range(id_base, id_base + n))
    chunks = [ids[w::workers] for w in range(workers) if ids[w::workers]]
    procs = [ctx.Process(target=conn_worker, args=(kind, a.bootstrap, ch, release, q, distinct_ids))
             for ch in chunks]
    with SocketSampler(pid) as s:
        t0 = time.monotonic()
        for p in procs:
            p.start()
        connected = {}
        while len(connected) < n and time.monotonic() - t0 < 60:
            try:
                msg = q.get(timeout=0.5)
            except queue.Empty:
                continue
            if msg[0] == "connected":
                connected[msg[1]] = msg[2]
        t_all = time.monotonic() - t0
        # Everyone is connected (or gave up): idle together.
        idle_socks = []
        for _ in range(int(idle_s / 0.25)):
            idle_socks.append(proc_sockets(pid))
            time.sleep(0.25)
        release.set()
        results, warnings, cpu = [], {}, 0.0
        got = 0
        while got < len(procs) and time.monotonic() - t0 < 150:
            try:
                msg = q.get(timeout=0.5)
            except queue.Empty:
                continue
            if msg[0] == "result":
                got += 1
                results += msg[1]
                for k, v in msg[2].items():
                    warnings[k] = warnings.get(k, 0) + v
                cpu += msg[3]
    t_level = time.monotonic() - t0
    cpu1 = proc_cpu_s(pid)
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.kill()
    lc1 = server_log_counts(a.server_log)
    errors = {}
    for r in results:
        for e in r["errors"]:
            errors[e] = errors.get(e, 0) + 1
    firsts = [r["first_s"] * 1000 for r in results if r["ok"]]
    res = {
        "client": kind, "clients": n, "distinct_client_ids": distinct_ids,
        "ok_first": sum(1 for r in results if r["ok"]),
        "ok_after_idle": sum(1 for r in results if r["after_idle"]),
        "failed": sum(1 for r in results if not r["ok"]),
        "reported": len(results),
        "connect_to_3_acks_ms": summary(firsts),
        "all_connected_s": t_all,
        "server_sockets_peak": s.peak - base,
        "server_sockets_idle": (max(idle_socks) - base) if idle_socks else None,
        "server_refused": lc1["refused"] - lc0["refused"],
        "server_closed": lc1["closing"] - lc0["closing"],
        "server_log": server_log_tail(a.server_log, lc0["lines"]),
        "client_errors": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:10]),
        "client_warnings": dict(sorted(warnings.items(), key=lambda kv: -kv[1])[:10]),
        "client_cpu_s": cpu,
        "level_s": t_level,
        "server_cpu_pct": 100.0 * (cpu1 - cpu0) / max(1e-9, t_level),
    }
    log("conns %s x%d%s: %d/%d sent, %d/%d after idle, server conns peak %d idle %s, "
        "refused %d, closed %d; server CPU %.0f%% over %.1f s" % (
            kind, n, " (distinct ids)" if distinct_ids else "",
            res["ok_first"], n, res["ok_after_idle"], n,
            res["server_sockets_peak"], res["server_sockets_idle"],
            res["server_refused"], res["server_closed"], res["server_cpu_pct"], t_level))
    for k, v in list(res["client_errors"].items())[:4]:
        log("    client error x%d: %s" % (v, k))
    for k, v in list(res["client_warnings"].items())[:4]:
        log("    client warning x%d: %s" % (v, k))
    return res


def phase_conns(ctx, a):
    out = []
    for kind in ("kafka-python", "confluent"):
        for n in a.conn_levels:
            out.append(conn_level(ctx, a, kind, n))
    return out


def phase_slots(ctx, a):
    """Distinct client.ids, 8 concurrent at a time, until a batch fails."""
    out = []
    for batch in range(10):
        r = conn_level(ctx, a, "confluent", 8, idle_s=0.5, distinct_ids=True, workers=1,
                       id_base=8 * batch)
        r["batch"] = batch
        out.append(r)
        if r["failed"]:
            break
    return out


# ---------------------------------------------------------------- table

def fmt(x, f="%.1f"):
    return "-" if x is None else (f % x)


def table(res):
    lines = []
    lat = res.get("latency")
    if lat:
        lines.append("Round trip on localhost (ms)")
        lines.append("  %-30s %8s %8s %8s %8s  %s" % ("client / call", "p50", "p95", "p99", "max", "n"))
        for name, r in lat.items():
            s = r.get("summary", {})
            extra = ""
            if r.get("first_send_ms") is not None:
                extra = " (first send, connecting included: %.0f ms)" % r["first_send_ms"]
            if "join_s" in r:
                extra = " (group join %.1f s)" % r["join_s"]
            if not r.get("ok"):
                extra += " FAILED: %s" % (r.get("error") or r.get("errors"))
            lines.append("  %-30s %8s %8s %8s %8s  %s%s" % (
                name, fmt(s.get("p50"), "%.2f"), fmt(s.get("p95"), "%.2f"), fmt(s.get("p99"), "%.2f"),
                fmt(s.get("max"), "%.2f"), s.get("n", 0), extra))
    thr = res.get("throughput")
    if thr:
        lines.append("")
        lines.append("Throughput (confluent-kafka, acks=all, %d B values, %d consumers in one group)"
                     % (thr[0]["value_bytes"] or 0, thr[0]["consumers"]))
        lines.append("  %-9s %8s %8s %10s %10s %7s %8s %8s %8s %7s %9s %6s" % (
            "run", "records", "acked", "prod rec/s", "cons rec/s", "tail s", "srv CPU",
            "us/rec", "clients", "other", "VmHWM MB", "errors"))
        for r in thr:
            errs = sum(r["producer_errors"].values()) + sum(r["consumer_errors"].values()) + r["producer_unacked"]
            lines.append("  %-9s %8d %8d %10s %10s %7s %7.0f%% %8.2f %7.0f%% %6.0f%% %9.1f %6d" % (
                r["run"], r["expected"] or (r["consumed_records"] or 0), r["acked"],
                fmt(r["produced_per_s"], "%.0f"),
                fmt(r["consumed_per_s"], "%.0f"), fmt(r["e2e_tail_s"], "%.2f"),
                r["server_cpu_pct"], r["server_cpu_us_per_record"], r["clients_cpu_pct"],
                r["other_cpu_pct"], (r["server_vmhwm_kb"] or 0) / 1024.0, errs))
        lines.append("  (P = producer processes; -small: linger.ms=0, batch.num.messages=10; drain: a new group\n"
                     "   reads the whole log, timed from its first record. tail = last consumed - last acked.\n"
                     "   CPU over the run, 100%% = one core of %d: srv = the kafkascope process, us/rec = its CPU\n"
                     "   per record; clients = the load processes; other = the rest of the machine's busy time)"
                     % os.cpu_count())
    for key, title in (("conns", "Concurrent idle producers (each sends 1 record to each of 3 partitions, idles, sends again)"),
                       ("slots", "Distinct client.ids (confluent-kafka, 8 at a time)")):
        rows = res.get(key)
        if not rows:
            continue
        lines.append("")
        lines.append(title)
        lines.append("  %-13s %4s %5s %7s %6s %9s %10s %8s %7s %7s  %s" % (
            "client", "N", "sent", "idle ok", "failed", "srv conns", "idle conns", "refused",
            "srv CPU", "p50 ms", "first client error"))
        for r in rows:
            err = next(iter(r["client_errors"]), "") or (
                next(iter(r["client_warnings"]), "") if r["failed"] else "")
            lines.append("  %-13s %4d %5d %7d %6d %9d %10s %8d %6.0f%% %7s  %s" % (
                r["client"] + ("#" + str(r["batch"]) if "batch" in r else ""), r["clients"],
                r["ok_first"], r["ok_after_idle"], r["failed"], r["server_sockets_peak"],
                fmt(r["server_sockets_idle"], "%d"), r["server_refused"], r["server_cpu_pct"],
                fmt(r["connect_to_3_acks_ms"].get("p50"), "%.0f"), err[:90]))
        lines.append("  (sent = clients whose 3 records were acked; idle ok = sent again after idling "
                     "together; srv conns = peak\n   open sockets at the server (listeners excluded); "
                     "p50 ms = new producer to its 3 acks; srv CPU over the level)")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bootstrap")
    ap.add_argument("server_pid", type=int)
    ap.add_argument("--phases", default="latency,throughput,conns,slots")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--producers", default="1,2,4")
    ap.add_argument("--consumers", type=int, default=2)
    ap.add_argument("--conn-levels", default="8,16,21,32")
    ap.add_argument("--no-small-batch", dest="small_batch", action="store_false")
    ap.add_argument("--no-drain", dest="drain", action="store_false")
    ap.add_argument("--server-log", default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    a.producers = [int(x) for x in a.producers.split(",") if x]
    a.conn_levels = [int(x) for x in a.conn_levels.split(",") if x]
    phases = [p for p in a.phases.split(",") if p]
    ctx = mp.get_context("spawn")
    a.base_sockets = proc_sockets(a.server_pid)
    res = {"bootstrap": a.bootstrap, "nproc": os.cpu_count(), "server_pid": a.server_pid,
           "server_sockets_at_start": a.base_sockets, "phase_s": {}}
    try:
        import kafka, confluent_kafka
        res["clients"] = {"kafka-python": kafka.__version__,
                          "confluent-kafka": confluent_kafka.__version__,
                          "librdkafka": confluent_kafka.libversion()[0]}
    except ImportError as e:
        log("client libraries missing: %s" % e)
        sys.exit(2)
    for ph in phases:
        t0 = time.monotonic()
        res[ph] = {"latency": phase_latency, "throughput": phase_throughput,
                   "conns": phase_conns, "slots": phase_slots}[ph](ctx, a)
        res["phase_s"][ph] = time.monotonic() - t0
        log("phase %s took %.1f s" % (ph, res["phase_s"][ph]))
    res["server_mem_kb_end"] = proc_mem_kb(a.server_pid)
    res["server_cpu_s_total"] = proc_cpu_s(a.server_pid)
    print(table(res), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    print("RESULT " + json.dumps(res, default=str), flush=True)


if __name__ == "__main__":
    main()
