//! The page's HTTP side of live mode (`src/live/page_server.rs`): each test
//! starts the real `kafkascope live --kafka-port 0 --http-port 0` (fresh
//! state, its own ports), reads the brokers' and the page's addresses from
//! its stdout, and talks HTTP/1.1 to it with plain blocking sockets.
//!
//! What is checked: the tape the page reads (`GET /api/tape?from=N`) is JSON
//! that deserializes into the engine's own `LiveInput`s and replays, with
//! `Engine::replay_live`, to an engine holding what a real client sent;
//! paging; operator commands over `POST /api/command`; the static bundle
//! with its content types; and that bad requests (paths out of the page
//! dir, oversized heads and bodies, garbage) are refused without hurting the
//! next request.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::messages::{self as km, ApiKey, RequestKind, ResponseHeader, TopicName};
use kafka_protocol::protocol::{Decodable, StrBytes};
use kafkascope::engine::command::Command as EngineCommand;
use kafkascope::engine::config::ScenarioConfig;
use kafkascope::engine::external::LiveInput;
use kafkascope::engine::ids::BrokerId;
use kafkascope::engine::network::Msg;
use kafkascope::engine::Engine;
use serde_json::Value;

#[path = "common/kafka_wire.rs"]
mod kafka_wire;
use kafka_wire::{batch, record, request_frame_from, sized};

/// `kafkascope live` must print `live: ready` within this.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Any one answer (HTTP or Kafka) must come within this.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
const TOPIC: &str = "events";
/// What `page_server::MAX_TAPE_INPUTS` says, as the page must assume it.
const MAX_TAPE_INPUTS: usize = 2_000;

// ---------------------------------------------------------------------------
// The server: the real binary, killed on drop.

struct Live {
    child: Child,
    /// Held open: `kafkascope live` reads operator commands on stdin.
    _stdin: Option<ChildStdin>,
    stdout: Arc<(Mutex<Vec<String>>, Condvar)>,
    brokers: Vec<u16>,
    http: u16,
}

impl Live {
    /// `kafkascope live --kafka-port 0 --http-port 0 extra...`, once it is
    /// ready.
    fn start(extra: &[&str]) -> Live {
        let mut args = vec!["live", "--kafka-port", "0", "--http-port", "0"];
        args.extend_from_slice(extra);
        let (mut live, lines) = Live::spawn(&args);
        let mut brokers = Vec::new();
        let mut http = None;
        for l in &lines {
            if let Some(rest) = l.strip_prefix("kafka broker ") {
                let port = rest.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
                brokers.push(port.unwrap_or_else(|| panic!("a port in {l:?}")));
            }
            if let Some(url) = l.strip_prefix("live: page at ") {
                http = Some(parse_url_port(url).unwrap_or_else(|| panic!("a URL in {l:?}")));
            }
        }
        assert_eq!(brokers.len(), 3, "three brokers listed: {lines:?}");
        live.brokers = brokers;
        live.http = http.unwrap_or_else(|| panic!("no `live: page at` line: {lines:?}"));
        assert_ne!(live.http, 0, "the real port is printed");
        live
    }

    /// Starts `kafkascope args...`; its stdout up to `live: ready`.
    fn spawn(args: &[&str]) -> (Live, Vec<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kafkascope"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kafkascope starts");
        let stdout = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let out = child.stdout.take().unwrap();
        let o = Arc::clone(&stdout);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                o.0.lock().unwrap().push(line);
                o.1.notify_all();
            }
        });
        let live = Live {
            _stdin: child.stdin.take(),
            child,
            stdout,
            brokers: Vec::new(),
            http: 0,
        };
        live.wait_for_line("live: ready", |l| l == "live: ready");
        let lines = live.lines();
        (live, lines)
    }

    fn lines(&self) -> Vec<String> {
        self.stdout.0.lock().unwrap().clone()
    }

    fn wait_for_line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + READY_TIMEOUT;
        let (lock, cvar) = &*self.stdout;
        let mut lines = lock.lock().unwrap();
        loop {
            if let Some(l) = lines.iter().find(|l| pred(l)) {
                return l.clone();
            }
            let now = Instant::now();
            assert!(now < deadline, "no {what} line; stdout: {lines:?}");
            lines = cvar.wait_timeout(lines, deadline - now).unwrap().0;
        }
    }

    fn get(&self, target: &str) -> Http {
        http(
            self.http,
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
        )
        .unwrap_or_else(|e| panic!("GET {target}: {e}"))
    }

    fn post_command(&self, line: &str) -> Http {
        let req = format!(
            "POST /api/command HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{line}",
            line.len()
        );
        http(self.http, req.as_bytes()).unwrap_or_else(|e| panic!("POST {line:?}: {e}"))
    }

    /// `GET /api/tape?from=N`, checked to be a JSON tape answer.
    fn tape(&self, from: usize) -> Tape {
        let r = self.get(&format!("/api/tape?from={from}"));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let v: Value = serde_json::from_slice(&r.body).expect("the tape is JSON");
        let obj = v.as_object().expect("an object");
        let mut keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["bootstrap", "config", "from", "inputs", "len"]);
        let bootstrap = v["bootstrap"].as_str().expect("bootstrap is text");
        assert!(
            bootstrap.starts_with("127.0.0.1:") && !bootstrap.ends_with(":0"),
            "bootstrap names broker 0's real port: {bootstrap}"
        );
        Tape {
            config: serde_json::from_value(v["config"].clone())
                .expect("config is a ScenarioConfig"),
            from: v["from"].as_u64().expect("from is a number") as usize,
            inputs: serde_json::from_value(v["inputs"].clone())
                .expect("inputs deserialize into LiveInputs"),
            len: v["len"].as_u64().expect("len is a number") as usize,
        }
    }

    /// The whole tape, asked for page by page as the page does.
    fn whole_tape(&self) -> (ScenarioConfig, Vec<LiveInput>) {
        let first = self.tape(0);
        let config = first.config.clone();
        let mut inputs = first.inputs;
        let mut len = first.len;
        while inputs.len() < len {
            let next = self.tape(inputs.len());
            assert_eq!(next.from, inputs.len());
            len = next.len;
            assert!(!next.inputs.is_empty(), "more of the tape comes on asking");
            inputs.extend(next.inputs);
        }
        (config, inputs)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port of `http://HOST:PORT/`.
fn parse_url_port(url: &str) -> Option<u16> {
    let rest = url.strip_prefix("http://")?.strip_suffix('/')?;
    rest.rsplit_once(':')?.1.parse().ok()
}

struct Tape {
    config: ScenarioConfig,
    from: usize,
    inputs: Vec<LiveInput>,
    len: usize,
}

// ---------------------------------------------------------------------------
// An HTTP client: one request per connection, as the server wants.

#[derive(Debug)]
struct Http {
    status: u16,
    /// Names lowercased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` and reads the answer to the end of the connection.
fn http(port: u16, raw: &[u8]) -> std::io::Result<Http> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    s.write_all(raw)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> std::io::Result<Http> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of head"))?;
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| bad("head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = buf[end + 4..].to_vec();
    let r = Http {
        status,
        headers,
        body,
    };
    let length: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad("no content-length"))?;
    if length != r.body.len() {
        return Err(bad("the body is not content-length long"));
    }
    if r.header("connection") != Some("close") {
        return Err(bad("not Connection: close"));
    }
    Ok(r)
}

// ---------------------------------------------------------------------------
// A Kafka client, just enough to produce.

fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_string())
}

struct Kafka {
    stream: TcpStream,
    correlation_id: i32,
}

impl Kafka {
    fn connect(port: u16) -> Kafka {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to a broker");
        stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
        Kafka {
            stream,
            correlation_id: 0,
        }
    }

    fn send(&mut self, api_key: ApiKey, version: i16, body: &RequestKind) {
        self.correlation_id += 1;
        let frame = request_frame_from(
            "live-page-test",
            api_key,
            version,
            self.correlation_id,
            body,
        );
        self.stream.write_all(&sized(&frame)).expect("send");
    }

    fn call<R: Decodable>(&mut self, api_key: ApiKey, version: i16, body: RequestKind) -> R {
        self.send(api_key, version, &body);
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size).expect("an answer");
        let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut frame).expect("an answer");
        let mut frame = Bytes::from(frame);
        let header =
            ResponseHeader::decode(&mut frame, api_key.response_header_version(version)).unwrap();
        assert_eq!(header.correlation_id, self.correlation_id);
        R::decode(&mut frame, version).expect("the answer decodes")
    }

    /// The leader of `TOPIC`/0, once it has one.
    fn leader_of_partition_0(&mut self) -> i32 {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let md: km::MetadataResponse = self.call(
                ApiKey::Metadata,
                12,
                RequestKind::Metadata(km::MetadataRequest::default().with_topics(None)),
            );
            let leader = md
                .topics
                .iter()
                .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == TOPIC))
                .and_then(|t| t.partitions.iter().find(|p| p.partition_index == 0))
                .map(|p| p.leader_id.0)
                .filter(|l| *l >= 0);
            if let Some(l) = leader {
                return l;
            }
            assert!(Instant::now() < deadline, "partition 0 has no leader");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn produce_request(acks: i16, value: &[u8]) -> RequestKind {
    let buf = batch(&[record(Some(b"k"), Some(value), 1_700_000_000_000)]);
    RequestKind::Produce(
        km::ProduceRequest::default()
            .with_acks(acks)
            .with_timeout_ms(5_000)
            .with_topic_data(vec![km::produce_request::TopicProduceData::default()
                .with_name(TopicName(s(TOPIC)))
                .with_partition_data(vec![
                    km::produce_request::PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(buf)),
                ])]),
    )
}

/// One acks=1 produce of `value` to `TOPIC`/0 through its leader; its
/// offset.
fn produce_one(live: &Live, value: &[u8]) -> i64 {
    let leader = Kafka::connect(live.brokers[0]).leader_of_partition_0();
    let mut k = Kafka::connect(live.brokers[leader as usize]);
    let r: km::ProduceResponse = k.call(ApiKey::Produce, 9, produce_request(1, value));
    let p = &r.responses[0].partition_responses[0];
    assert_eq!(p.error_code, 0, "the produce succeeds: {r:?}");
    p.base_offset
}

// ---------------------------------------------------------------------------
// A page dir of its own per test.

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("live-page-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.0.join(name), bytes).unwrap();
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// The tape.

/// A real client's Produce reaches the engine; the tape the page reads
/// deserializes into the engine's `LiveInput`s and, replayed from the
/// configuration it comes with, gives an engine holding the record the
/// client sent.
#[test]
fn the_tape_replays_into_an_engine_holding_what_a_real_client_produced() {
    let live = Live::start(&[]);
    let value = b"{\"event_id\": 42}";
    let offset = produce_one(&live, value);
    assert_eq!(offset, 0);

    let (config, inputs) = live.whole_tape();
    assert!(
        inputs.iter().any(|i| matches!(
            i,
            LiveInput::Request {
                msg: Msg::Produce { .. },
                ..
            }
        )),
        "the tape has the Produce: {inputs:?}"
    );
    assert!(
        matches!(inputs.last(), Some(LiveInput::Advance { .. })),
        "the tape ends at the wall clock"
    );
    let replayed = Engine::replay_live(config, &inputs).expect("the tape replays");
    let records: Vec<Vec<u8>> = replayed.records().iter().map(|r| r.value_bytes()).collect();
    assert!(
        records.iter().any(|r| r == value),
        "the replayed engine has the record: {records:?}"
    );
    // The server agrees its own tape replays to its own engine.
    let check = live.post_command("check-replay");
    assert_eq!(check.status, 200);
    assert!(
        check.text().starts_with("replay matches"),
        "{}",
        check.text()
    );
}

/// `from=N` answers the tape's suffix from N; past the end, no inputs. The
/// last input is the clock's `Advance`, which grows in place: everything
/// before it is final.
#[test]
fn tape_from_n_is_the_suffix_from_input_n() {
    let live = Live::start(&[]);
    produce_one(&live, b"one");
    let full = live.tape(0);
    assert_eq!(full.from, 0);
    assert_eq!(full.inputs.len(), full.len);
    let n = full.len;
    assert!(n >= 4, "a produce leaves several inputs: {:?}", full.inputs);
    let final_part = &full.inputs[..n - 1];
    for from in [1, n / 2, n - 1] {
        let part = live.tape(from);
        assert_eq!(part.from, from);
        assert_eq!(part.len, n, "nothing but the clock moved");
        assert_eq!(part.inputs.len(), n - from);
        assert_eq!(&part.inputs[..n - 1 - from], &final_part[from..]);
    }
    std::thread::sleep(Duration::from_millis(20));
    let again = live.tape(n - 1);
    let (LiveInput::Advance { ms: before }, [LiveInput::Advance { ms: after }]) =
        (&full.inputs[n - 1], again.inputs.as_slice())
    else {
        panic!("the last input is an Advance, and the only one from n - 1");
    };
    assert!(
        after > before,
        "the clock moved on in place: {before} -> {after}"
    );
    for past in [n, n + 100, usize::MAX] {
        let none = live.tape(past);
        assert_eq!(none.from, past);
        assert!(none.inputs.is_empty(), "from={past}: {:?}", none.inputs);
        assert_eq!(none.len, n);
    }
    // No `from` is from 0.
    let r = live.get("/api/tape");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["from"], 0);
    assert_eq!(v["inputs"].as_array().unwrap().len(), n);
    assert_eq!(live.get("/api/tape?from=-1").status, 400);
    assert_eq!(live.get("/api/tape?from=x").status, 400);
}

/// One answer carries at most 2,000 inputs; the rest come on asking again,
/// and the pieces together still replay.
#[test]
fn a_long_tape_comes_in_pieces_of_at_most_2000_inputs() {
    let live = Live::start(&[]);
    let leader = Kafka::connect(live.brokers[0]).leader_of_partition_0();
    let mut k = Kafka::connect(live.brokers[leader as usize]);
    // acks=0 produces get no answer: pipeline 800 of them (each leaves a
    // record, a batch id and a request on the tape), then one acks=1 to
    // know they all arrived.
    for i in 0..800 {
        k.send(
            ApiKey::Produce,
            9,
            &produce_request(0, format!("{i}").as_bytes()),
        );
    }
    let r: km::ProduceResponse = k.call(ApiKey::Produce, 9, produce_request(1, b"last"));
    assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    let first = live.tape(0);
    assert!(first.len > MAX_TAPE_INPUTS, "a long tape: {}", first.len);
    assert_eq!(first.inputs.len(), MAX_TAPE_INPUTS);
    let (config, inputs) = live.whole_tape();
    assert_eq!(
        &inputs[..MAX_TAPE_INPUTS - 1],
        &first.inputs[..MAX_TAPE_INPUTS - 1]
    );
    let records = inputs
        .iter()
        .filter(|i| matches!(i, LiveInput::Record { .. }))
        .count();
    assert_eq!(records, 801, "every produce's record is on the tape");
    let replayed = Engine::replay_live(config, &inputs).expect("the pieces replay");
    let values: std::collections::BTreeSet<Vec<u8>> =
        replayed.records().iter().map(|r| r.value_bytes()).collect();
    for v in ["0", "399", "799", "last"] {
        assert!(values.contains(v.as_bytes()), "the replay has record {v:?}");
    }
}

/// Large records make a tape answer stop at about 8 MiB of inputs, before
/// the input cap; the rest comes on asking again.
#[test]
fn a_tape_of_large_records_comes_in_pieces_of_about_8_mib() {
    let live = Live::start(&[]);
    let leader = Kafka::connect(live.brokers[0]).leader_of_partition_0();
    let mut k = Kafka::connect(live.brokers[leader as usize]);
    let values: Vec<Vec<u8>> = (0..12u8).map(|i| vec![b'a' + i; 400 * 1024]).collect();
    for v in &values {
        let r: km::ProduceResponse = k.call(ApiKey::Produce, 9, produce_request(1, v));
        assert_eq!(r.responses[0].partition_responses[0].error_code, 0);
    }
    let first = live.get("/api/tape?from=0");
    assert_eq!(first.status, 200);
    let v: Value = serde_json::from_slice(&first.body).unwrap();
    let (got, len) = (
        v["inputs"].as_array().unwrap().len(),
        v["len"].as_u64().unwrap(),
    );
    assert!((got as u64) < len, "a piece: {got} of {len}");
    assert!(
        first.body.len() < 8 * 1024 * 1024 + 2 * 1024 * 1024,
        "about 8 MiB: {}",
        first.body.len()
    );
    let (config, inputs) = live.whole_tape();
    let replayed = Engine::replay_live(config, &inputs).expect("the pieces replay");
    let stored: Vec<Vec<u8>> = replayed.records().iter().map(|r| r.value_bytes()).collect();
    for v in &values {
        assert!(stored.contains(v), "the replay has every large record");
    }
}

// ---------------------------------------------------------------------------
// Commands.

/// `POST /api/command crash-broker 1` does what the line on stdin does:
/// the broker crashes (its port refuses connections), the tape gets the
/// command, and the server prints its answer.
#[test]
fn a_posted_crash_broker_command_crashes_the_broker() {
    let live = Live::start(&[]);
    assert!(TcpStream::connect(("127.0.0.1", live.brokers[1])).is_ok());
    let r = live.post_command("crash-broker 1");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(r.text(), "crash broker 1");
    live.wait_for_line("`live: crash broker 1`", |l| l == "live: crash broker 1");
    let (_, inputs) = live.whole_tape();
    assert!(
        inputs.contains(&LiveInput::Command(EngineCommand::CrashBroker {
            broker: BrokerId(1)
        })),
        "the tape has the crash: {inputs:?}"
    );
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    while TcpStream::connect(("127.0.0.1", live.brokers[1])).is_ok() {
        assert!(Instant::now() < deadline, "broker 1's port still accepts");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(("127.0.0.1", live.brokers[0])).is_ok());
    // A line the gateway does not know is answered with why, like stdin's.
    let r = live.post_command("explode-broker 1");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("crash-broker N"), "{}", r.text());
}

/// Commands are POSTed, one line, not too long, and not from another
/// site's page.
#[test]
fn a_command_must_be_one_posted_line_from_this_page() {
    let live = Live::start(&[]);
    assert_eq!(live.get("/api/command").status, 405);
    let r = live.get("/api/command");
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(live.post_command("").status, 400);
    assert_eq!(
        live.post_command("crash-broker 1\ncrash-broker 2").status,
        400
    );
    let big = "x".repeat(5 * 1024);
    assert_eq!(live.post_command(&big).status, 413);
    let cross = format!(
        "POST /api/command HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: http://evil.example\r\nContent-Length: 14\r\n\r\ncrash-broker 1",
        live.http
    );
    assert_eq!(http(live.http, cross.as_bytes()).unwrap().status, 403);
    let same = format!(
        "POST /api/command HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\nOrigin: http://127.0.0.1:{0}\r\nContent-Length: 14\r\n\r\ncrash-broker 2",
        live.http
    );
    let r = http(live.http, same.as_bytes()).unwrap();
    assert_eq!((r.status, r.text().as_str()), (200, "crash broker 2"));
    // Only the same-origin crash happened.
    let (_, inputs) = live.whole_tape();
    let crashes: Vec<&LiveInput> = inputs
        .iter()
        .filter(|i| matches!(i, LiveInput::Command(_)))
        .collect();
    assert_eq!(
        crashes,
        [&LiveInput::Command(EngineCommand::CrashBroker {
            broker: BrokerId(2)
        })]
    );
}

// ---------------------------------------------------------------------------
// The static bundle.

/// Each file of the page dir comes with its content type; `/` is
/// `index.html`; a query or fragment is ignored.
#[test]
fn the_page_dirs_files_are_served_with_their_content_types() {
    let dir = TempDir::new("static");
    let files: [(&str, &[u8], &str); 7] = [
        (
            "index.html",
            b"<!doctype html><title>live</title>",
            "text/html; charset=utf-8",
        ),
        (
            "kafkascope-web-1a2b.js",
            b"export default 1;",
            "text/javascript; charset=utf-8",
        ),
        (
            "kafkascope-web-1a2b_bg.wasm",
            b"\0asm\x01\0\0\0",
            "application/wasm",
        ),
        ("style.css", b"body{}", "text/css; charset=utf-8"),
        ("icon.svg", b"<svg/>", "image/svg+xml"),
        ("data.json", b"{}", "application/json"),
        ("logo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
    ];
    for (name, bytes, _) in &files {
        dir.write(name, bytes);
    }
    let live = Live::start(&["--page-dir", dir.arg()]);
    assert!(
        !live.lines().iter().any(|l| l.contains("no page built")),
        "a built page is not called unbuilt: {:?}",
        live.lines()
    );
    for (name, bytes, ty) in &files {
        let r = live.get(&format!("/{name}"));
        assert_eq!(r.status, 200, "{name}: {r:?}");
        assert_eq!(r.header("content-type"), Some(*ty), "{name}");
        assert_eq!(&r.body, bytes, "{name}");
    }
    for target in ["/", "/?session=1", "/#x", "/index.html?v=2#top"] {
        let r = live.get(target);
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.body, files[0].1, "{target}");
    }
    let r = live.get("/kafkascope-web-1a2b.js?v=3");
    assert_eq!(r.body, files[1].1);
    assert_eq!(live.get("/missing.js").status, 404);
    let post = "POST /style.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(http(live.http, post.as_bytes()).unwrap().status, 405);
    assert_eq!(live.get("/api/nothing").status, 404);
}

/// Only plain file names of the page dir itself are served: not `..`,
/// not an absolute path, not a subdirectory, not a hidden file, however
/// spelled.
#[test]
fn paths_out_of_the_page_dir_are_not_found() {
    let parent = TempDir::new("outside");
    std::fs::write(parent.0.join("secret.txt"), b"SECRET").unwrap();
    let dir = parent.0.join("page");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("index.html"), b"<p>page</p>").unwrap();
    std::fs::write(dir.join(".hidden"), b"SECRET").unwrap();
    std::fs::write(dir.join("sub").join("inner.js"), b"SECRET").unwrap();
    let secret = dir.join("..").join("secret.txt");
    let absolute = format!("/{}", secret.display());
    let live = Live::start(&["--page-dir", dir.to_str().unwrap()]);
    assert_eq!(live.get("/index.html").status, 200, "the dir is served");
    for target in [
        "/../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/..\\secret.txt",
        "/.hidden",
        "/sub/inner.js",
        "/sub",
        "//etc/passwd",
        absolute.as_str(),
        "/..",
        "/.",
    ] {
        let r = live.get(target);
        assert_eq!(r.status, 404, "{target}: {r:?}");
        assert!(!r.text().contains("SECRET"), "{target}");
    }
    // Not a path at all.
    let r = http(
        live.http,
        b"GET http://127.0.0.1/secret.txt HTTP/1.1\r\n\r\n",
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert!(!r.text().contains("SECRET"));
}

/// With no `index.html` in the page dir, `/` says the page is not built
/// and how to build it; the API is still served.
#[test]
fn a_missing_page_dir_gives_the_page_saying_how_to_build_it() {
    let live = Live::start(&["--page-dir", "no/such/dir"]);
    assert!(
        live.lines().iter().any(|l| l.contains("no page built")),
        "stdout says so too: {:?}",
        live.lines()
    );
    let r = live.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page = r.text();
    assert!(page.contains("not built"), "{page}");
    assert!(page.contains("scripts/live.sh"), "{page}");
    assert!(page.contains("no/such/dir"), "{page}");
    assert_eq!(live.get("/app.js").status, 404);
    assert_eq!(live.tape(0).from, 0);
}

// ---------------------------------------------------------------------------
// Bad input.

/// A 20 KiB request head is refused (431, or the connection closes) and
/// the server answers the next request.
#[test]
fn an_oversized_request_head_is_refused_and_the_next_request_is_served() {
    let live = Live::start(&[]);
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    match http(live.http, huge.as_bytes()) {
        Ok(r) => assert_eq!(r.status, 431, "{r:?}"),
        Err(e) => println!("the oversized request's connection closed: {e}"),
    }
    // A head that never ends, sent slowly in pieces, is refused as well.
    let mut s = TcpStream::connect(("127.0.0.1", live.http)).unwrap();
    s.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    let _ = s.write_all(b"GET / HTTP/1.1\r\n");
    for _ in 0..20 {
        if s.write_all(&[b'a'; 1024]).is_err() {
            break;
        }
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    if !buf.is_empty() {
        assert_eq!(parse_response(&buf).unwrap().status, 431);
    }
    let r = live.get("/api/tape?from=0");
    assert_eq!(r.status, 200, "still serving: {r:?}");
}

/// Garbage is 400, an unsupported body encoding 501, a body that never
/// comes 400 when the client gives up; none of it stops the server.
#[test]
fn malformed_requests_are_bad_requests_and_the_server_keeps_serving() {
    let live = Live::start(&[]);
    for raw in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"get / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\n\r\n",
    ] {
        let r = http(live.http, raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
        assert_eq!(r.status, 400, "{:?}: {r:?}", String::from_utf8_lossy(raw));
    }
    let chunked =
        b"POST /api/command HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    assert_eq!(http(live.http, chunked).unwrap().status, 501);
    // A declared body that is cut short.
    let mut s = TcpStream::connect(("127.0.0.1", live.http)).unwrap();
    s.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    s.write_all(b"POST /api/command HTTP/1.1\r\nContent-Length: 100\r\n\r\ncrash")
        .unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert_eq!(parse_response(&buf).unwrap().status, 400);
    // A connection that sends nothing and closes costs nothing.
    drop(TcpStream::connect(("127.0.0.1", live.http)).unwrap());
    assert_eq!(live.get("/api/tape").status, 200);
    let (_, inputs) = live.whole_tape();
    assert!(
        !inputs.iter().any(|i| matches!(i, LiveInput::Command(_))),
        "no bad request became a command"
    );
}

/// `--no-http` serves no page: no `live: page at` line.
#[test]
fn no_http_serves_no_page() {
    let (live, lines) = Live::spawn(&["live", "--kafka-port", "0", "--no-http"]);
    assert!(
        !lines.iter().any(|l| l.starts_with("live: page at")),
        "{lines:?}"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("kafka broker 0 listening")));
    drop(live);
}

/// The page fetches a built-in lesson's text when it is opened
/// (`lessons/<id>.lesson`, relative to the page): the server answers it from
/// the binary, whatever the page dir holds.
#[test]
fn the_built_in_lessons_are_served_from_the_binary() {
    let dir = TempDir::new("lessons");
    dir.write("index.html", b"<p>page</p>");
    let live = Live::start(&["--page-dir", dir.arg()]);
    for (id, _) in kafkascope::lesson::INDEX {
        let r = live.get(&format!("/lessons/{id}.lesson"));
        assert_eq!(r.status, 200, "{id}: {r:?}");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        let text = String::from_utf8(r.body).unwrap();
        assert_eq!(kafkascope::lesson::parse(&text).unwrap().id, id);
    }
    for target in [
        "/lessons/no-such-lesson.lesson",
        "/lessons/producer-acks",
        "/lessons/../index.html",
        "/lessons/",
    ] {
        assert_eq!(live.get(target).status, 404, "{target}");
    }
    let post =
        "POST /lessons/producer-acks.lesson HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(http(live.http, post.as_bytes()).unwrap().status, 405);
}
