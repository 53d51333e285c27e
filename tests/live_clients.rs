//! Live mode against real Kafka clients: `kafkascope live` serves the
//! course's own Python programs (kafka-python) and the same programs written
//! for confluent-kafka (librdkafka), unmodified, over TCP on loopback.
//!
//! Each test starts its own `kafkascope live --kafka-port 0 --http-port 0`
//! (fresh state), reads broker 0's address from its stdout, starts the
//! consumer (tests/live/*_consumer.py), waits for its `assigned ...` line,
//! runs the producer (tests/live/*_producer.py) and checks what both print on
//! their `RESULT {json}` line.
//!
//! Python comes from `scripts/live-venv.sh` (a venv in target/live-venv with
//! pinned kafka-python and confluent-kafka; the first run installs them from
//! PyPI, later runs take well under a second).
//!
//! Knobs:
//!   KAFKASCOPE_SKIP_LIVE=1     skip these tests (prints a note)
//!   KAFKASCOPE_LIVE_BIN=PATH   run PATH instead of this build's kafkascope
//!                              (e.g. a release build); same arguments
//!   KAFKASCOPE_LIVE_TRACE=1    the Python scripts print every request they send
//!                              (shown with the transcripts on failure)
//! `cargo test --test live_clients -- --nocapture` prints the API versions each
//! client negotiated and the order of its requests.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every client subprocess must finish within this.
const CHILD_TIMEOUT: Duration = Duration::from_secs(90);
/// `kafkascope live` must print `live: ready` within this.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// The first venv install downloads ~30 MB from PyPI.
const VENV_TIMEOUT: Duration = Duration::from_secs(600);
/// The consumers stop after this many seconds without a message.
const CONSUMER_IDLE_S: &str = "60";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn skipped(test: &str) -> bool {
    if std::env::var("KAFKASCOPE_SKIP_LIVE").as_deref() == Ok("1") {
        println!("{test}: skipped (KAFKASCOPE_SKIP_LIVE=1)");
        return true;
    }
    false
}

// ---------------------------------------------------------------------------
// Child processes: output collected on threads, timeouts, killed on drop.

#[derive(Default)]
struct Output {
    stdout: Vec<String>,
    stderr: String,
    stdout_closed: bool,
}

/// A running child whose stdout lines and stderr are collected as they come.
/// Dropping it kills the child (also when a test panics).
struct Proc {
    name: String,
    child: Child,
    /// Held open so the child never sees EOF on stdin (kafkascope live reads
    /// operator commands there).
    stdin: Option<ChildStdin>,
    out: Arc<(Mutex<Output>, Condvar)>,
    status: Option<ExitStatus>,
}

impl Proc {
    fn spawn(name: &str, program: &Path, args: &[&str]) -> Proc {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(root())
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {}: {e}", program.display()));
        let out = Arc::new((Mutex::new(Output::default()), Condvar::new()));
        let stdout = child.stdout.take().unwrap();
        let o = Arc::clone(&out);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                o.0.lock().unwrap().stdout.push(line);
                o.1.notify_all();
            }
            o.0.lock().unwrap().stdout_closed = true;
            o.1.notify_all();
        });
        let mut stderr = child.stderr.take().unwrap();
        let o = Arc::clone(&out);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o.0.lock()
                    .unwrap()
                    .stderr
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Proc {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            out,
            status: None,
        }
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// Waits until a stdout line satisfies `pred` and returns it. Err if the
    /// child closes stdout or exits first, or on timeout.
    /// Writes one line to the child's stdin (kafkascope live's operator
    /// commands).
    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is held open");
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .expect("write to stdin");
    }

    fn wait_for_line(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut seen = 0;
        loop {
            {
                let (lock, cvar) = &*self.out;
                let out = lock.lock().unwrap();
                while seen < out.stdout.len() {
                    if pred(&out.stdout[seen]) {
                        return Ok(out.stdout[seen].clone());
                    }
                    seen += 1;
                }
                if out.stdout_closed {
                    drop(out);
                    // Give the exit status a moment to be reaped.
                    let until = Instant::now() + Duration::from_secs(2);
                    while self.exited().is_none() && Instant::now() < until {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    return Err(match self.exited() {
                        Some(status) => format!("{} exited ({status}) before {what}", self.name),
                        None => format!("{} closed its stdout before {what}", self.name),
                    });
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(format!(
                        "{} printed no {what} within {timeout:?}",
                        self.name
                    ));
                }
                let wait = (deadline - now).min(Duration::from_millis(100));
                let _ = cvar.wait_timeout(out, wait).unwrap();
            }
            if let Some(status) = self.exited() {
                // Exited: drain what the reader thread still has, then report.
                std::thread::sleep(Duration::from_millis(50));
                let out = self.out.0.lock().unwrap();
                if let Some(line) = out.stdout[seen..].iter().find(|l| pred(l)) {
                    return Ok(line.clone());
                }
                return Err(format!("{} exited ({status}) before {what}", self.name));
            }
        }
    }

    /// Waits for the child to exit; kills it after `timeout`.
    fn wait(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                // Let the reader threads catch the last lines.
                let until = Instant::now() + Duration::from_secs(2);
                while !self.out.0.lock().unwrap().stdout_closed && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(format!(
                    "{} did not finish within {timeout:?} (killed)",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `RESULT {json}` line the Python scripts print last.
    fn result(&self) -> Result<Value, String> {
        let out = self.out.0.lock().unwrap();
        let line = out
            .stdout
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("RESULT "))
            .ok_or_else(|| format!("{} printed no RESULT line", self.name))?;
        serde_json::from_str(line).map_err(|e| format!("{}: bad RESULT json: {e}", self.name))
    }

    fn transcript(&self) -> String {
        let out = self.out.0.lock().unwrap();
        let status = match self.status {
            Some(s) => s.to_string(),
            None => "still running".to_string(),
        };
        format!(
            "----- {} ({status}) stdout -----\n{}\n----- {} stderr -----\n{}\n",
            self.name,
            out.stdout.join("\n"),
            self.name,
            tail(&out.stderr, 20_000)
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Panics with `msg` and the transcripts of `procs`.
fn fail(msg: &str, procs: &[&Proc]) -> ! {
    let mut text = format!("{msg}\n");
    for p in procs {
        text.push_str(&p.transcript());
    }
    panic!("{text}");
}

// ---------------------------------------------------------------------------
// The venv and the server.

/// The venv's python, from scripts/live-venv.sh (run once per test binary).
fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = PYTHON.get_or_init(|| {
        let script = root().join("scripts/live-venv.sh");
        let mut p = Proc::spawn(
            "scripts/live-venv.sh",
            Path::new("bash"),
            &[script.to_str().unwrap()],
        );
        match p.wait(VENV_TIMEOUT) {
            Ok(status) if status.success() => {}
            Ok(status) => {
                return Err(format!(
                    "scripts/live-venv.sh failed ({status})\n{}",
                    p.transcript()
                ))
            }
            Err(e) => return Err(format!("{e}\n{}", p.transcript())),
        }
        let last = {
            let out = p.out.0.lock().unwrap();
            out.stdout
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
        };
        match last {
            Some(path) if Path::new(&path).exists() => Ok(PathBuf::from(path)),
            _ => Err(format!(
                "scripts/live-venv.sh printed no python path on its last line\n{}",
                p.transcript()
            )),
        }
    });
    match result {
        Ok(path) => path,
        Err(e) => panic!("{e}"),
    }
}

/// A running `kafkascope live`; killed on drop.
struct Live {
    proc: Proc,
    bootstrap: String,
}

impl Live {
    /// Asks the server to replay its tape in a fresh engine (what the page
    /// does with a live session) and checks the result is the same engine.
    fn assert_replay_matches(&mut self) {
        self.proc.say("check-replay");
        match self
            .proc
            .wait_for_line("`live: replay …`", READY_TIMEOUT, |l| {
                l.starts_with("live: replay ")
            }) {
            Ok(line) if line.starts_with("live: replay matches") => {}
            Ok(line) => fail(&format!("the tape does not replay: {line}"), &[&self.proc]),
            Err(e) => fail(&e, &[&self.proc]),
        }
    }

    fn start() -> Live {
        Live::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Live {
        let bin = std::env::var_os("KAFKASCOPE_LIVE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kafkascope")));
        let mut args = vec!["live", "--kafka-port", "0", "--http-port", "0"];
        args.extend_from_slice(extra);
        let mut proc = Proc::spawn("kafkascope live", &bin, &args);
        if let Err(e) = proc.wait_for_line("`live: ready`", READY_TIMEOUT, |l| l == "live: ready") {
            fail(&e, &[&proc]);
        }
        let out = proc.out.0.lock().unwrap();
        let bootstrap = out
            .stdout
            .iter()
            .find_map(|l| l.strip_prefix("kafka broker 0 listening on "))
            .map(|addr| addr.trim().to_string());
        drop(out);
        let Some(bootstrap) = bootstrap else {
            fail(
                "kafkascope live printed `live: ready` without a `kafka broker 0 listening on HOST:PORT` line",
                &[&proc],
            );
        };
        match bootstrap.rsplit_once(':').map(|(_, p)| p.parse::<u16>()) {
            Some(Ok(port)) if port != 0 => {}
            _ => fail(
                &format!("cannot parse broker 0's address {bootstrap:?}"),
                &[&proc],
            ),
        }
        Live { proc, bootstrap }
    }
}

// ---------------------------------------------------------------------------
// One run: consumer first, then the producer, then both RESULT lines.

struct Run {
    sent: Value,
    received: Value,
}

fn run_pair(
    live: &mut Live,
    consumer_script: &str,
    producer_script: &str,
    extra_consumer_args: &[&str],
) -> Run {
    let py = python();
    let bootstrap = live.bootstrap.clone();
    let mut consumer_args = vec!["-u", consumer_script, &bootstrap, "10", CONSUMER_IDLE_S];
    consumer_args.extend_from_slice(extra_consumer_args);
    let mut consumer = Proc::spawn(consumer_script, py, &consumer_args);
    if let Err(e) = consumer.wait_for_line("`assigned ...`", CHILD_TIMEOUT, |l| {
        l.starts_with("assigned ")
    }) {
        let _ = live.proc.exited();
        fail(&e, &[&consumer, &live.proc]);
    }
    let mut producer = Proc::spawn(producer_script, py, &["-u", producer_script, &bootstrap]);
    match producer.wait(CHILD_TIMEOUT) {
        Ok(status) if status.success() => {}
        Ok(status) => fail(
            &format!("{producer_script} failed ({status})"),
            &[&producer, &consumer, &live.proc],
        ),
        Err(e) => fail(&e, &[&producer, &consumer, &live.proc]),
    }
    match consumer.wait(CHILD_TIMEOUT) {
        Ok(status) if status.success() => {}
        Ok(status) => fail(
            &format!("{consumer_script} failed ({status})"),
            &[&consumer, &producer, &live.proc],
        ),
        Err(e) => fail(&e, &[&consumer, &producer, &live.proc]),
    }
    let sent = producer
        .result()
        .unwrap_or_else(|e| fail(&e, &[&producer, &live.proc]));
    let received = consumer
        .result()
        .unwrap_or_else(|e| fail(&e, &[&consumer, &live.proc]));
    for (what, r) in [(producer_script, &sent), (consumer_script, &received)] {
        println!(
            "{what}: {} (client.id {}) negotiated {}",
            r["client"], r["client_id"], r["negotiated"]
        );
        println!(
            "{what}: requests in order [node, api, version, count]: {}",
            r["requests"]
        );
    }
    // The transcripts go with any failed check below.
    let context = format!(
        "{}{}{}",
        producer.transcript(),
        consumer.transcript(),
        live.proc.transcript()
    );
    check_run(&sent, &received).unwrap_or_else(|e| panic!("{e}\n{context}"));
    Run { sent, received }
}

/// What both tests check: 10 events produced to `events` at distinct offsets,
/// contiguous from 0 in each partition; the consumer processed exactly those 10
/// (same partition, offset and value) and committed, for each partition it
/// processed from, that partition's last processed offset + 1.
fn check_run(sent: &Value, received: &Value) -> Result<(), String> {
    if let Some(errors) = sent["errors"].as_array() {
        if !errors.is_empty() {
            return Err(format!("the producer reported errors: {errors:?}"));
        }
    }
    let sent_list = sent["sent"]
        .as_array()
        .ok_or("producer RESULT has no `sent`")?;
    if sent_list.len() != 10 {
        return Err(format!(
            "the producer got {} acknowledgements, not 10",
            sent_list.len()
        ));
    }
    // (partition, offset) -> the value the producer sent there (event i is send i).
    let mut by_position: BTreeMap<(i64, i64), Value> = BTreeMap::new();
    let mut per_partition: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (i, s) in sent_list.iter().enumerate() {
        if s["topic"] != "events" {
            return Err(format!("send {i} went to topic {}, not events", s["topic"]));
        }
        let (p, o) = (
            s["partition"].as_i64().ok_or("partition")?,
            s["offset"].as_i64().ok_or("offset")?,
        );
        let value = serde_json::json!({"event_id": i, "data": format!("Event {i}")});
        if by_position.insert((p, o), value).is_some() {
            return Err(format!(
                "two sends were acknowledged at partition {p} offset {o}"
            ));
        }
        per_partition.entry(p).or_default().push(o);
    }
    for (p, offsets) in &mut per_partition {
        offsets.sort_unstable();
        let want: Vec<i64> = (0..offsets.len() as i64).collect();
        if *offsets != want {
            return Err(format!(
                "partition {p}: offsets {offsets:?} are not contiguous from 0"
            ));
        }
    }

    if let Some(err) = received.get("error") {
        return Err(format!("the consumer failed: {err}"));
    }
    if let Some(errors) = received["errors"].as_array() {
        if !errors.is_empty() {
            return Err(format!("the consumer reported errors: {errors:?}"));
        }
    }
    let assigned: BTreeSet<(String, i64)> = received["assigned"]
        .as_array()
        .ok_or("consumer RESULT has no `assigned`")?
        .iter()
        .map(|tp| {
            (
                tp[0].as_str().unwrap_or("").to_string(),
                tp[1].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let want_assigned: BTreeSet<(String, i64)> =
        (0..3).map(|p| ("events".to_string(), p)).collect();
    if assigned != want_assigned {
        return Err(format!(
            "the consumer was assigned {assigned:?}, not events 0..3"
        ));
    }
    if received["warmup_records"].as_i64().unwrap_or(0) != 0 {
        return Err("the consumer got records before anything was produced".to_string());
    }
    let processed = received["processed"]
        .as_array()
        .ok_or("consumer RESULT has no `processed`")?;
    let mut seen: BTreeMap<(i64, i64), Value> = BTreeMap::new();
    let mut last: BTreeMap<i64, i64> = BTreeMap::new();
    for m in processed {
        if m["topic"] != "events" {
            return Err(format!("processed a record from topic {}", m["topic"]));
        }
        let (p, o) = (
            m["partition"].as_i64().unwrap_or(-1),
            m["offset"].as_i64().unwrap_or(-1),
        );
        if seen.insert((p, o), m["value"].clone()).is_some() {
            return Err(format!("processed partition {p} offset {o} twice"));
        }
        if let Some(prev) = last.insert(p, o) {
            if o <= prev {
                return Err(format!("partition {p}: processed offset {o} after {prev}"));
            }
        }
    }
    if seen != by_position {
        return Err(format!("processed {seen:?}\nbut produced {by_position:?}"));
    }
    let committed = received["committed"]
        .as_object()
        .ok_or("consumer RESULT has no `committed`")?;
    for p in 0..3i64 {
        let key = format!("events:{p}");
        let got = committed.get(&key).and_then(Value::as_i64);
        match last.get(&p) {
            Some(&o) if got != Some(o + 1) => {
                return Err(format!(
                    "{key}: committed {got:?}, want {} (last processed offset {o} + 1)",
                    o + 1
                ))
            }
            // Nothing processed there: no commit, or the start position (0 on a fresh topic).
            None if !matches!(got, None | Some(0)) => {
                return Err(format!(
                    "{key}: committed {got:?} though nothing was processed there"
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------

#[test]
fn the_course_producer_and_consumer_run_unmodified_with_kafka_python() {
    if skipped("the_course_producer_and_consumer_run_unmodified_with_kafka_python") {
        return;
    }
    let mut live = Live::start();
    let run = run_pair(
        &mut live,
        "tests/live/course_consumer.py",
        "tests/live/course_producer.py",
        &[],
    );
    assert_eq!(run.received["client_id"], "kafka-python-3.0.12");
    live.assert_replay_matches();
    assert!(run.sent["client"]
        .as_str()
        .unwrap_or("")
        .starts_with("kafka-python "));
}

#[test]
fn a_second_client_librdkafka_produces_and_consumes_the_same_way() {
    if skipped("a_second_client_librdkafka_produces_and_consumes_the_same_way") {
        return;
    }
    let mut live = Live::start();
    let run = run_pair(
        &mut live,
        "tests/live/confluent_consumer.py",
        "tests/live/confluent_producer.py",
        &["my-librdkafka-group"],
    );
    assert!(run.sent["client"]
        .as_str()
        .unwrap_or("")
        .starts_with("confluent-kafka "));
    assert_eq!(run.received["group"], "my-librdkafka-group");
    live.assert_replay_matches();
}

/// Runs `script` with `args` to a successful end and returns its RESULT.
fn run_to_end(live: &mut Live, script: &str, args: &[&str]) -> Value {
    let mut all = vec!["-u", script];
    all.extend_from_slice(args);
    let mut p = Proc::spawn(script, python(), &all);
    match p.wait(CHILD_TIMEOUT) {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("{script} failed ({status})"), &[&p, &live.proc]),
        Err(e) => fail(&e, &[&p, &live.proc]),
    }
    p.result().unwrap_or_else(|e| fail(&e, &[&p, &live.proc]))
}

#[test]
fn exactly_once_consume_transform_produce_with_kafka_python_transactions() {
    if skipped("exactly_once_consume_transform_produce_with_kafka_python_transactions") {
        return;
    }
    // The course's topic and an output topic for the transform.
    let dir = root().join("target/live-tests");
    std::fs::create_dir_all(&dir).expect("target/live-tests");
    let scenario = dir.join("eos-scenario.json");
    std::fs::write(
        &scenario,
        r#"{ "version": 1, "config": { "cluster": { "brokers": 3 }, "topics": [
            { "name": "events", "partitions": 3, "replication_factor": 3, "min_insync_replicas": 2 },
            { "name": "events-processed", "partitions": 3, "replication_factor": 3, "min_insync_replicas": 2 } ] } }"#,
    )
    .expect("scenario file");
    let scenario = scenario.to_string_lossy().to_string();
    let mut live = Live::start_with(&["--scenario", &scenario]);
    let bootstrap = live.bootstrap.clone();
    let sent = run_to_end(&mut live, "tests/live/course_producer.py", &[&bootstrap]);
    assert_eq!(sent["sent"].as_array().map(Vec::len), Some(10), "{sent}");
    let r = run_to_end(
        &mut live,
        "tests/live/eos_transform.py",
        &[&bootstrap, "10"],
    );
    let key = |v: &Value| (v["source_partition"].as_i64(), v["source_offset"].as_i64());
    let mut written: Vec<_> = r["written"]
        .as_array()
        .expect("written")
        .iter()
        .map(key)
        .collect();
    let mut seen: Vec<_> = r["read_committed"]
        .as_array()
        .expect("read")
        .iter()
        .map(key)
        .collect();
    written.sort();
    seen.sort();
    assert_eq!(written.len(), 10, "one output per input: {r}");
    written.dedup();
    assert_eq!(written.len(), 10, "no input transformed twice: {r}");
    assert_eq!(
        seen, written,
        "a read_committed reader sees every committed output once: {r}"
    );
    assert!(r["transactions"].as_i64().unwrap_or(0) >= 1, "{r}");
    // Each partition's committed offset is one past the last input read from
    // it; a partition that got no input has nothing committed (null). How the
    // producer spreads ten records over three partitions varies run to run.
    let mut expected = std::collections::BTreeMap::new();
    for (p, o) in &written {
        let next = o.unwrap_or(-1) + 1;
        let e = expected
            .entry(format!("events:{}", p.unwrap_or(-1)))
            .or_insert(0);
        *e = next.max(*e);
    }
    let committed: std::collections::BTreeMap<String, i64> = r["committed"]
        .as_object()
        .expect("committed")
        .iter()
        .filter_map(|(k, v)| v.as_i64().map(|o| (k.clone(), o)))
        .collect();
    assert_eq!(
        committed, expected,
        "the group's offsets were committed in the transactions: {r}"
    );
    live.assert_replay_matches();
}

#[test]
fn a_broker_crash_mid_run_loses_nothing_with_acks_all_and_the_consumer_resumes_from_its_commits() {
    if skipped("a_broker_crash_mid_run_loses_nothing_with_acks_all_and_the_consumer_resumes_from_its_commits") {
        return;
    }
    const N: usize = 30;
    let mut live = Live::start();
    let bootstrap = live.bootstrap.clone();
    let py = python();
    let n = N.to_string();
    let mut consumer = Proc::spawn(
        "course_consumer.py",
        py,
        &["-u", "tests/live/course_consumer.py", &bootstrap, &n, "60"],
    );
    if let Err(e) = consumer.wait_for_line("`assigned ...`", CHILD_TIMEOUT, |l| {
        l.starts_with("assigned ")
    }) {
        fail(&e, &[&consumer, &live.proc]);
    }
    let mut producer = Proc::spawn(
        "steady_producer.py",
        py,
        &["-u", "tests/live/steady_producer.py", &bootstrap, &n, "200"],
    );
    if let Err(e) = producer.wait_for_line("`sent 10`", CHILD_TIMEOUT, |l| l == "sent 10") {
        fail(&e, &[&producer, &consumer, &live.proc]);
    }
    // Broker 0 is the bootstrap server and leads some partitions; the
    // clients must fail over to the leaders the controller elects after it
    // fences the broker (broker.session.timeout.ms).
    live.proc.say("crash-broker 0");
    for which in ["producer", "consumer"] {
        let waited = if which == "producer" {
            producer.wait(CHILD_TIMEOUT)
        } else {
            consumer.wait(CHILD_TIMEOUT)
        };
        match waited {
            Ok(status) if status.success() => {}
            Ok(status) => fail(
                &format!("the {which} failed ({status})"),
                &[&producer, &consumer, &live.proc],
            ),
            Err(e) => fail(&e, &[&producer, &consumer, &live.proc]),
        }
    }
    let context = format!(
        "{}{}{}",
        producer.transcript(),
        consumer.transcript(),
        live.proc.transcript()
    );
    let sent = producer
        .result()
        .unwrap_or_else(|e| panic!("{e}\n{context}"));
    let got = consumer
        .result()
        .unwrap_or_else(|e| panic!("{e}\n{context}"));
    assert_eq!(
        sent["errors"].as_array().map(Vec::len),
        Some(0),
        "acks=all lost records: {sent}\n{context}"
    );
    let acked = sent["sent"].as_array().expect("sent");
    assert_eq!(acked.len(), N, "every record acknowledged: {sent}");
    // Every acknowledged record was processed (at least once), and each
    // partition's committed offset is its end: the consumer resumed from
    // its commits and caught up.
    let processed: Vec<i64> = got["processed"]
        .as_array()
        .expect("processed")
        .iter()
        .filter_map(|r| r["value"]["event_id"].as_i64())
        .collect();
    for i in 0..N as i64 {
        assert!(
            processed.contains(&i),
            "event {i} acknowledged but never processed: {got}\n{context}"
        );
    }
    let mut ends = std::collections::BTreeMap::new();
    for r in acked {
        let p = r["partition"].as_i64().unwrap();
        let o = r["offset"].as_i64().unwrap();
        let e = ends.entry(p).or_insert(0);
        *e = (*e).max(o + 1);
    }
    live.assert_replay_matches();
    for (p, end) in ends {
        assert_eq!(
            got["committed"][format!("events:{p}")].as_i64(),
            Some(end),
            "partition {p}: {got}\n{context}"
        );
    }
}

// ---------------------------------------------------------------------------
// Kafka 4's consumer group protocol (KIP-848) with librdkafka.

/// The stdout lines of a running child so far.
fn lines(p: &Proc) -> Vec<String> {
    p.out.0.lock().unwrap().stdout.clone()
}

/// The partitions a kip848_consumer.py owns now (its last `assignment` line).
fn owned_now(p: &Proc) -> Option<Vec<i64>> {
    lines(p).iter().rev().find_map(|l| {
        l.strip_prefix("assignment ").map(|ps| {
            ps.split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect()
        })
    })
}

/// Every `processed P:O` line of the consumers so far.
fn processed_now(ps: &[&Proc]) -> BTreeSet<(i64, i64)> {
    ps.iter()
        .flat_map(|p| lines(p))
        .filter_map(|l| {
            let (p, o) = l.strip_prefix("processed ")?.split_once(':')?;
            Some((p.parse().ok()?, o.parse().ok()?))
        })
        .collect()
}

/// Waits until `done` holds (polled every 100 ms), or fails with the transcripts.
fn wait_until(what: &str, procs: &[&Proc], mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + CHILD_TIMEOUT;
    while !done() {
        if Instant::now() > deadline {
            fail(&format!("timed out waiting until {what}"), procs);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the consumers own every partition of `events` between them, each
/// exactly once, and each owns `sizes` partitions (in some order).
fn split(consumers: &[&Proc], sizes: &[usize]) -> bool {
    let owned: Option<Vec<Vec<i64>>> = consumers.iter().map(|p| owned_now(p)).collect();
    let Some(owned) = owned else { return false };
    let mut all: Vec<i64> = owned.iter().flatten().copied().collect();
    all.sort();
    let mut got: Vec<usize> = owned.iter().map(Vec::len).collect();
    let mut want = sizes.to_vec();
    got.sort();
    want.sort();
    all == [0, 1, 2] && got == want
}

/// librdkafka with `group.protocol=consumer`: two consumers of one group
/// (sharing librdkafka's default client.id) split the three partitions by
/// ConsumerGroupHeartbeat alone; a third joins while records are flowing, and
/// exactly one partition moves to it, revoked from its owner alone: the
/// partitions that stay are never revoked, so their consumers never stop.
/// Every record is processed, and the committed offsets (OffsetCommit v9 at
/// the member epoch, read back by OffsetFetch v9 naming the member) are each
/// partition's end.
#[test]
fn librdkafka_consumers_on_the_consumer_protocol_split_partitions_and_a_third_joins_without_stopping_them(
) {
    if skipped("librdkafka_consumers_on_the_consumer_protocol_split_partitions_and_a_third_joins_without_stopping_them") {
        return;
    }
    const GROUP: &str = "kip848-group";
    let mut live = Live::start();
    let bootstrap = live.bootstrap.clone();
    let py = python();
    let consumer = |name: &str| {
        Proc::spawn(
            name,
            py,
            &[
                "-u",
                "tests/live/kip848_consumer.py",
                &bootstrap,
                GROUP,
                name,
            ],
        )
    };
    let mut c1 = consumer("c1");
    let mut c2 = consumer("c2");
    wait_until(
        "c1 and c2 split the partitions 2 + 1",
        &[&c1, &c2, &live.proc],
        || split(&[&c1, &c2], &[1, 2]),
    );
    let before = [owned_now(&c1).unwrap(), owned_now(&c2).unwrap()];
    println!("two consumers own {before:?}");

    let sent_first = run_to_end(
        &mut live,
        "tests/live/kip848_producer.py",
        &[&bootstrap, "0", "30", "0"],
    );
    wait_until(
        "c1 and c2 processed the first 30 records",
        &[&c1, &c2, &live.proc],
        || processed_now(&[&c1, &c2]).len() >= 30,
    );

    // A third consumer joins while records keep coming.
    let mut producer = Proc::spawn(
        "kip848_producer.py",
        py,
        &[
            "-u",
            "tests/live/kip848_producer.py",
            &bootstrap,
            "30",
            "30",
            "200",
        ],
    );
    // What c1 and c2 revoke from here on is what c3's joining took.
    c1.say("c3-joins");
    c2.say("c3-joins");
    let mut c3 = consumer("c3");
    wait_until(
        "c1, c2 and c3 own one partition each",
        &[&c1, &c2, &c3, &live.proc],
        || split(&[&c1, &c2, &c3], &[1, 1, 1]),
    );
    let moved = owned_now(&c3).unwrap();
    match producer.wait(CHILD_TIMEOUT) {
        Ok(status) if status.success() => {}
        Ok(status) => fail(
            &format!("the producer failed ({status})"),
            &[&producer, &live.proc],
        ),
        Err(e) => fail(&e, &[&producer, &live.proc]),
    }
    let sent_second = producer.result().unwrap_or_else(|e| fail(&e, &[&producer]));
    wait_until(
        "all 60 records are processed",
        &[&c1, &c2, &c3, &live.proc],
        || processed_now(&[&c1, &c2, &c3]).len() >= 60,
    );

    let mut results = Vec::new();
    for c in [&mut c1, &mut c2, &mut c3] {
        c.say("stop");
    }
    for c in [&mut c1, &mut c2, &mut c3] {
        match c.wait(CHILD_TIMEOUT) {
            Ok(status) if status.success() => {}
            Ok(status) => fail(&format!("{} failed ({status})", c.name), &[c, &live.proc]),
            Err(e) => fail(&e, &[c, &live.proc]),
        }
        results.push(c.result().unwrap_or_else(|e| fail(&e, &[c, &live.proc])));
    }
    let context = format!(
        "{}{}{}{}",
        c1.transcript(),
        c2.transcript(),
        c3.transcript(),
        live.proc.transcript()
    );
    println!(
        "kip848_consumer.py: {} negotiated {}",
        results[0]["client"], results[0]["negotiated"]
    );
    assert!(
        results[0]["negotiated"]["ConsumerGroupHeartbeat"].is_array(),
        "the consumers sent ConsumerGroupHeartbeat: {}\n{context}",
        results[0]
    );
    for r in &results {
        assert!(
            r["negotiated"]["JoinGroup"].is_null(),
            "no classic JoinGroup on the consumer protocol: {r}"
        );
        assert_eq!(
            r["errors"].as_array().map(Vec::len),
            Some(0),
            "{r}\n{context}"
        );
    }

    // Only the partition that moved to c3 was revoked, by its owner alone
    // (between c3's joining and the stop; closing revokes the rest).
    for (r, owned) in results[..2].iter().zip(&before) {
        let revoked: Vec<i64> = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .skip_while(|h| h["kind"] != "c3-joins")
            .take_while(|h| h["kind"] != "stop")
            .filter(|h| h["kind"] == "revoke" || h["kind"] == "lost")
            .flat_map(|h| {
                h["partitions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_i64)
            })
            .collect();
        let gave: Vec<i64> = owned
            .iter()
            .copied()
            .filter(|p| moved.contains(p))
            .collect();
        assert_eq!(
            revoked, gave,
            "{} owned {owned:?}: it gives up only what moved to c3 ({moved:?}), and loses nothing\n{context}",
            r["name"]
        );
    }

    // Every record processed; each partition's committed offset is its end.
    let mut ends: BTreeMap<i64, i64> = BTreeMap::new();
    let mut sent: BTreeSet<(i64, i64)> = BTreeSet::new();
    for s in [&sent_first, &sent_second] {
        assert_eq!(s["errors"].as_array().map(Vec::len), Some(0), "{s}");
        for r in s["sent"].as_array().unwrap() {
            let (p, o) = (
                r["partition"].as_i64().unwrap(),
                r["offset"].as_i64().unwrap(),
            );
            sent.insert((p, o));
            let e = ends.entry(p).or_insert(0);
            *e = (*e).max(o + 1);
        }
    }
    assert_eq!(sent.len(), 60, "60 records acknowledged");
    let processed: Vec<(i64, i64)> = results
        .iter()
        .flat_map(|r| r["processed"].as_array().unwrap().iter())
        .map(|r| {
            (
                r["partition"].as_i64().unwrap(),
                r["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    let distinct: BTreeSet<(i64, i64)> = processed.iter().copied().collect();
    assert_eq!(distinct, sent, "every record processed\n{context}");
    println!(
        "{} records processed, {} more than once",
        distinct.len(),
        processed.len() - distinct.len()
    );
    for r in &results {
        println!(
            "{}: commits refused with STALE_MEMBER_EPOCH and sent again: {}",
            r["name"], r["stale_epoch_commits_retried"]
        );
    }
    for r in &results {
        for (p, end) in &ends {
            assert_eq!(
                r["committed"][format!("events:{p}")].as_i64(),
                Some(*end),
                "{}: partition {p}\n{context}",
                r["name"]
            );
        }
    }
    live.assert_replay_matches();
}
