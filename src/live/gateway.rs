//! The gateway: one engine, many real clients (live mode).
//!
//! The engine is single-threaded and deterministic; real clients are many,
//! concurrent and on the wall clock. The gateway sits between them, on one
//! task that owns the engine:
//!
//! 1. Its clock follows the wall clock: before anything else it runs the
//!    engine up to *now* ([`Engine::advance_to_ms`]), so replication,
//!    long-polled fetches, session timeouts and every other timer happen
//!    when they would on a real cluster.
//! 2. A request from a connection (see `transport.rs`) is translated into an
//!    engine message (`translate.rs`) and handed to the broker the client
//!    connected to, at the logical time it arrived. Requests that only
//!    read cluster metadata (ApiVersions, Metadata, FindCoordinator,
//!    ConsumerGroupDescribe) are answered from the engine's state at once:
//!    they change nothing. A consumer on Kafka 4's consumer group protocol
//!    (ConsumerGroupHeartbeat) is handed to the same coordinator: see
//!    `gateway/consumer_protocol.rs`.
//! 3. What the brokers send back to a client's slot is matched to the
//!    request it answers (by request id where the message has one, else
//!    the oldest request of that kind from that client to that broker),
//!    encoded at the client's version, and written to its connection.
//! 4. The page that watches the run asks through `page_server.rs`: for the
//!    tape from some input on (the engine is first run up to *now*, so the
//!    tape ends at the wall clock), or to apply an operator command, exactly
//!    as a line typed on stdin is applied.
//!
//! A request the engine never answers (its broker crashed with it) is
//! dropped when the client gives up and closes the connection, exactly as a
//! real client's request timeout plays out against a dead broker.

use std::collections::BTreeMap;
use std::time::Instant;

use kafka_protocol::messages::{self as km, ApiKey, RequestKind, ResponseKind};
use tokio::sync::{mpsc, oneshot};

use crate::engine::config::{Acks, AutoOffsetReset, IsolationLevel};
use crate::engine::event::{LeaveReason, MsgKind, Node};
use crate::engine::ids::*;
use crate::engine::network::{CoordinatorKey, FetchPartition, MemberMetadata, Msg, WireBatch};
use crate::engine::Engine;
use crate::live::frame::{self, Request};
use crate::live::page_server::{self, PageRequest};
use crate::live::translate::{self as tr, code};
use crate::live::transport::{ConnId, Inbound, Reply};

/// What a client is to the engine: the same `client.id` may be both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Producer,
    Consumer,
}

/// A request handed to the engine, waiting for its answer.
struct Pending {
    conn: ConnId,
    node: Node,
    broker: BrokerId,
    expect: MsgKind,
    /// The request id, fetch id or commit id the answer carries back.
    id: Option<u64>,
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    /// Partitions the gateway answered itself (unknown topic, bad batch).
    local_errors: Vec<(String, i32, i16)>,
    /// A TxnOffsetCommit's partitions (its answer carries one error for all).
    txn_offsets: Vec<(String, Vec<i32>)>,
    reply: oneshot::Sender<Reply>,
}

impl Pending {
    /// The partition a request names, if the cluster has it; otherwise the
    /// answer will say UNKNOWN_TOPIC_OR_PARTITION for it.
    fn partition(&mut self, engine: &Engine, topic: &str, index: i32) -> Option<Tp> {
        let tp = tr::resolve_tp(engine, topic, index);
        if tp.is_none() {
            self.local_errors
                .push((topic.to_string(), index, code::UNKNOWN_TOPIC_OR_PARTITION));
        }
        tp
    }

    /// Every partition a request names, answered `code` by the gateway.
    fn refuse_all(&mut self, parts: impl IntoIterator<Item = (String, i32)>, code: i16) {
        self.local_errors
            .extend(parts.into_iter().map(|(topic, index)| (topic, index, code)));
    }
}

/// Where each broker listens, for Metadata and FindCoordinator answers.
#[derive(Clone, Debug)]
pub struct Listeners {
    pub host: String,
    pub ports: Vec<u16>,
}

pub struct Gateway {
    engine: Engine,
    /// The configuration the engine started from (for replaying its tape).
    initial_cfg: crate::engine::config::ScenarioConfig,
    listeners: Listeners,
    started: Instant,
    /// Engine time at `started`.
    origin_ms: u64,
    /// Unix time at engine time 0, for record timestamps.
    epoch_origin_ms: i64,
    /// Every slot made for a real client: its `client.id`, role and node.
    slots: Vec<(String, Role, Node)>,
    /// What the engine does not keep of a real producer's record: its
    /// CreateTime and headers, handed back to consumers as they came.
    wire_meta: BTreeMap<RecordId, (i64, tr::Headers)>,
    /// Which slot each group member id belongs to.
    members: BTreeMap<(GroupIdx, String), Node>,
    /// The request being handled: its broker, the answer it expects and
    /// its member id (for [`Gateway::slot`]).
    current: (BrokerId, MsgKind, Option<String>),
    pending: Vec<Pending>,
    next_id: u64,
    /// `KAFKASCOPE_LIVE_VERBOSE=1`: log every request and answer to stderr.
    verbose: bool,
    /// Each broker's liveness, for the transport (its port is closed while
    /// the broker is down).
    up: Vec<tokio::sync::watch::Sender<bool>>,
}

/// The engine's ids for requests from real clients start here, far from
/// the simulated clients' own counters.
const FIRST_EXTERNAL_ID: u64 = 1 << 40;

/// How many records one fetch answer carries at most.
const FETCH_MAX_RECORDS: u32 = 500;

mod answers;
mod consumer_protocol;
use answers::encode;
pub use consumer_protocol::{topic_named_by, topic_uuid};

impl Gateway {
    pub fn new(engine: Engine, listeners: Listeners) -> Gateway {
        let now_unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let origin_ms = engine.now_ms();
        Gateway {
            initial_cfg: engine.config().clone(),
            epoch_origin_ms: now_unix_ms - origin_ms as i64,
            engine,
            listeners,
            started: Instant::now(),
            origin_ms,
            slots: Vec::new(),
            members: BTreeMap::new(),
            wire_meta: BTreeMap::new(),
            current: (BrokerId(0), MsgKind::ApiVersionsResponse, None),
            pending: Vec::new(),
            next_id: FIRST_EXTERNAL_ID,
            verbose: std::env::var("KAFKASCOPE_LIVE_VERBOSE").is_ok_and(|v| v == "1"),
            up: Vec::new(),
        }
    }

    /// One watch per broker, telling the transport whether it is up.
    pub fn liveness(&mut self) -> Vec<tokio::sync::watch::Receiver<bool>> {
        let (senders, receivers) = self
            .engine
            .brokers()
            .iter()
            .map(|b| {
                let (tx, rx) = tokio::sync::watch::channel(b.alive);
                (tx, rx)
            })
            .unzip();
        self.up = senders;
        receivers
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn wall_ms(&self) -> u64 {
        self.origin_ms + self.started.elapsed().as_millis() as u64
    }

    /// Runs until every connection's sender is gone. `control` carries
    /// the operator's commands (see [`parse_control`]), one per line.
    pub async fn run(self, inbound: mpsc::Receiver<Inbound>, control: mpsc::Receiver<String>) {
        // No page: a channel whose sender is already gone.
        let (_, page) = mpsc::channel(1);
        self.run_with_page(inbound, control, page).await
    }

    /// As [`Gateway::run`], also answering the page's requests (the tape,
    /// operator commands; see `page_server.rs`).
    pub async fn run_with_page(
        mut self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut control: mpsc::Receiver<String>,
        mut page: mpsc::Receiver<PageRequest>,
    ) {
        let mut control_open = true;
        let mut page_open = true;
        loop {
            self.catch_up();
            let now = self.wall_ms();
            let wait_ms = self
                .engine
                .next_event_ms()
                .map_or(100, |t| t.saturating_sub(now))
                .clamp(1, 100);
            tokio::select! {
                msg = inbound.recv() => match msg {
                    Some(Inbound::Request { conn, broker, request, reply }) => {
                        self.catch_up();
                        self.handle(conn, broker, request, reply);
                    }
                    Some(Inbound::Closed { conn, .. }) => {
                        self.pending.retain(|p| p.conn != conn);
                    }
                    None => return,
                },
                line = control.recv(), if control_open => match line {
                    Some(line) => {
                        self.catch_up();
                        let said = self.control(&line);
                        println!("live: {said}");
                    }
                    None => control_open = false,
                },
                asked = page.recv(), if page_open => match asked {
                    Some(asked) => {
                        self.catch_up();
                        self.page(asked);
                    }
                    None => page_open = false,
                },
                _ = tokio::time::sleep(std::time::Duration::from_millis(wait_ms)) => {}
            }
        }
    }

    /// Answers one request of the page: the tape (as JSON) or an operator
    /// command, which is printed as a stdin command's answer is.
    fn page(&mut self, asked: PageRequest) {
        match asked {
            PageRequest::Tape { from, reply } => {
                let _ = reply.send(self.tape_json(from));
            }
            PageRequest::Command { line, reply } => {
                let said = self.control(&line);
                println!("live: {said}");
                let _ = reply.send(said);
            }
        }
    }

    /// `{"config": …, "from": N, "inputs": […], "len": L}`: the tape from
    /// input `from`, at most [`page_server::MAX_TAPE_INPUTS`] of it and,
    /// past the first input, at most [`page_server::MAX_TAPE_BYTES`] of
    /// JSON (see `page_server.rs` for what a page does with it).
    pub fn tape_json(&self, from: usize) -> Result<String, String> {
        let bad = |e: serde_json::Error| format!("the tape does not serialize: {e}");
        let tape = self.engine.live_tape();
        let start = from.min(tape.len());
        let end = start
            .saturating_add(page_server::MAX_TAPE_INPUTS)
            .min(tape.len());
        let mut out = String::from("{\"config\":");
        out.push_str(&serde_json::to_string(&self.initial_cfg).map_err(bad)?);
        out.push_str(&format!(",\"from\":{from},\"inputs\":["));
        let budget = out.len() + page_server::MAX_TAPE_BYTES;
        for (i, input) in tape[start..end].iter().enumerate() {
            let json = serde_json::to_string(input).map_err(bad)?;
            if i > 0 && out.len() + 1 + json.len() > budget {
                break;
            }
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json);
        }
        // Where clients connect (broker 0, the bootstrap server), for the
        // page to tell its reader.
        let bootstrap = format!(
            "{}:{}",
            self.listeners.host,
            self.listeners.ports.first().copied().unwrap_or(0)
        );
        out.push_str(&format!(
            "],\"len\":{},\"bootstrap\":{}}}",
            tape.len(),
            serde_json::to_string(&bootstrap).map_err(bad)?
        ));
        Ok(out)
    }

    /// Applies one operator command, as the page's fault buttons do.
    pub fn control(&mut self, line: &str) -> String {
        if line.trim() == "check-replay" {
            return self.check_replay();
        }
        let cmd = match parse_control(line) {
            Ok(c) => c,
            Err(e) => return e,
        };
        match self.engine.live_command(&cmd) {
            Ok(()) => {
                for (tx, b) in self.up.iter().zip(self.engine.brokers()) {
                    tx.send_if_modified(|up| std::mem::replace(up, b.alive) != b.alive);
                }
                // A crashed broker's sockets close: its clients find out now.
                let brokers = self.engine.brokers();
                let dead: Vec<BrokerId> = (0..brokers.len())
                    .filter(|&i| !brokers[i].alive)
                    .map(|i| BrokerId(i as u16))
                    .collect();
                let (gone, keep): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
                    .into_iter()
                    .partition(|p| dead.contains(&p.broker));
                self.pending = keep;
                for p in gone {
                    let _ = p.reply.send(Reply::Close);
                }
                cmd.label()
            }
            Err(e) => format!("{}: {e}", cmd.label()),
        }
    }

    /// Replays this run's tape (`Engine::live_tape`) in a fresh engine and
    /// says whether it ends in exactly this engine's state: what the page
    /// will do with a live session, checked against the real thing.
    pub fn check_replay(&mut self) -> String {
        let tape = self.engine.live_tape().to_vec();
        match Engine::replay_live(self.initial_cfg.clone(), &tape) {
            Err(e) => format!("replay failed: {e}"),
            Ok(mut replayed) => {
                let _ = replayed.take_external_replies();
                replayed.clear_events();
                let _ = self.engine.take_external_replies();
                self.engine.clear_events();
                let (a, b) = (format!("{:?}", self.engine), format!("{replayed:?}"));
                if a == b {
                    format!(
                        "replay matches: {} tape entries give the same engine ({} records)",
                        tape.len(),
                        self.engine.records().len()
                    )
                } else {
                    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                    let from = at.saturating_sub(80);
                    let around = |s: &str| {
                        let (mut lo, mut hi) = (from, (at + 80).min(s.len()));
                        while !s.is_char_boundary(lo) {
                            lo -= 1;
                        }
                        while !s.is_char_boundary(hi) {
                            hi += 1;
                        }
                        s[lo..hi].to_string()
                    };
                    format!(
                        "replay DIFFERS at byte {at}: live …{}… replayed …{}…",
                        around(&a),
                        around(&b)
                    )
                }
            }
        }
    }

    /// Runs the engine up to the wall clock and answers what it answered.
    fn catch_up(&mut self) {
        let now = self.wall_ms();
        self.engine.advance_to_ms(now);
        self.engine.clear_events();
        for r in self.engine.take_external_replies() {
            self.answer(r.to, r.from, r.msg);
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The slot a request is handed to the engine from. Real clients are
    /// told apart by `client.id`, but two processes may share one (every
    /// kafka-python producer is `kafka-python-producer-1` by default), so:
    /// a member id names its slot; otherwise the first slot of that
    /// `client.id` with no request of this kind waiting at this broker is
    /// used, and a new one is made if all are busy. Answers without a
    /// request id are then matched to their request unambiguously.
    fn slot(
        &mut self,
        client_id: &str,
        role: Role,
        group: Option<GroupIdx>,
    ) -> Result<Node, String> {
        let (broker, expect, member) = self.current.clone();
        if let (Role::Consumer, Some(g), Some(m)) = (role, group, member.as_deref()) {
            if let Some(n) = self.members.get(&(g, m.to_string())) {
                return Ok(*n);
            }
        }
        let busy = |n: Node, pending: &[Pending]| {
            pending
                .iter()
                .any(|p| p.node == n && p.broker == broker && p.expect == expect && p.id.is_none())
        };
        let engine = &self.engine;
        // A member joining on the consumer protocol gets a slot no other
        // member of its group holds: consumers that share a `client.id`
        // (librdkafka's default is `rdkafka`) stay apart on the stage, and
        // each heartbeat's answer is matched to its own member's request.
        let held = |n: Node| {
            expect == MsgKind::ConsumerGroupHeartbeatResponse
                && self.members.iter().any(|((mg, mid), mn)| {
                    *mn == n
                        && Some(*mg) == group
                        && engine.groups()[mg.0 as usize]
                            .consumer_group()
                            .is_some_and(|cg| cg.member(mid).is_some())
                })
        };
        let free = self.slots.iter().find(|(c, r, n)| {
            c == client_id
                && *r == role
                && match (n, group) {
                    (Node::Consumer(ci), Some(g)) => engine.consumers()[ci.0 as usize].group == g,
                    _ => true,
                }
                && !busy(*n, &self.pending)
                && !held(*n)
        });
        if let Some((_, _, n)) = free {
            return Ok(*n);
        }
        let node = match role {
            Role::Producer => Node::Producer(self.engine.add_external_producer(client_id)?),
            Role::Consumer => {
                let g = match group {
                    Some(g) => g,
                    // A consumer that uses no group (assign()) still needs a
                    // slot; it is kept in a group of its own name.
                    None => self
                        .engine
                        .group_for_id(&format!("{client_id} (no group)"))?,
                };
                Node::Consumer(self.engine.add_external_consumer(client_id, g)?)
            }
        };
        self.slots.push((client_id.to_string(), role, node));
        Ok(node)
    }

    fn handle(&mut self, conn: ConnId, broker: u32, req: Request, reply: oneshot::Sender<Reply>) {
        let b = BrokerId(broker as u16);
        let alive = self
            .engine
            .brokers()
            .get(broker as usize)
            .is_some_and(|br| br.alive);
        if !alive {
            // A crashed broker's socket is closed: the client reconnects
            // elsewhere after a metadata refresh.
            let _ = reply.send(Reply::Close);
            return;
        }
        let api_key = req.api_key;
        let version = req.api_version;
        let corr = req.correlation_id();
        let client = req.client_id().to_string();
        if self.verbose {
            eprintln!(
                "live: {} {client} -> broker {broker}: {api_key:?} v{version}",
                self.wall_ms()
            );
        }
        let mut pending = Pending {
            conn,
            node: Node::Broker(b),
            broker: b,
            expect: MsgKind::ApiVersionsResponse,
            id: None,
            api_key,
            api_version: version,
            correlation_id: corr,
            local_errors: Vec::new(),
            txn_offsets: Vec::new(),
            reply,
        };
        self.current = (b, expected_answer(api_key), member_of(&req.body));
        let sent = match req.body {
            RequestKind::ApiVersions(_) => Err(answers::encode(
                &pending,
                ResponseKind::ApiVersions(frame::api_versions_response(0)),
            )),
            RequestKind::Metadata(m) => Err(answers::encode(
                &pending,
                ResponseKind::Metadata(self.metadata(&m, version)),
            )),
            RequestKind::FindCoordinator(f) => Err(answers::encode(
                &pending,
                ResponseKind::FindCoordinator(self.find_coordinator(&f)),
            )),
            RequestKind::OffsetForLeaderEpoch(o) => Err(answers::encode(
                &pending,
                ResponseKind::OffsetForLeaderEpoch(self.offset_for_leader_epoch(b, &o)),
            )),
            RequestKind::Produce(p) => self.produce(&client, b, p, &mut pending),
            RequestKind::Fetch(f) => self.fetch(&client, f, &mut pending),
            RequestKind::ListOffsets(l) => self.list_offsets(&client, l, &mut pending),
            RequestKind::JoinGroup(j) => self.join_group(&client, j, &mut pending),
            RequestKind::SyncGroup(s) => self.sync_group(&client, s, &mut pending),
            RequestKind::Heartbeat(h) => self.heartbeat(&client, h, &mut pending),
            RequestKind::LeaveGroup(l) => self.leave_group(&client, l, &mut pending),
            RequestKind::OffsetCommit(o) => self.offset_commit(&client, o, &mut pending),
            RequestKind::OffsetFetch(o) => self.offset_fetch(&client, o, &mut pending),
            RequestKind::InitProducerId(i) => self.init_producer_id(&client, i, &mut pending),
            RequestKind::AddPartitionsToTxn(a) => {
                self.add_partitions_to_txn(&client, a, &mut pending)
            }
            RequestKind::AddOffsetsToTxn(a) => self.add_offsets_to_txn(&client, a, &mut pending),
            RequestKind::EndTxn(t) => self.end_txn(&client, t, &mut pending),
            RequestKind::TxnOffsetCommit(t) => self.txn_offset_commit(&client, t, &mut pending),
            RequestKind::ConsumerGroupHeartbeat(h) => {
                self.consumer_group_heartbeat(&client, h, &mut pending)
            }
            RequestKind::ConsumerGroupDescribe(d) => Err(answers::encode(
                &pending,
                ResponseKind::ConsumerGroupDescribe(self.consumer_group_describe(&d)),
            )),
            _ => {
                // Unreachable while every api in frame::SUPPORTED has an arm.
                eprintln!("live: {api_key:?} is not served; closing the connection");
                Err(Reply::Close)
            }
        };
        match sent {
            Ok(Some((node, msg))) => {
                pending.node = node;
                self.engine.external_request(node, b, msg);
                self.pending.push(pending);
            }
            Ok(None) => {
                let _ = pending.reply.send(Reply::None);
            }
            Err(r) => {
                let _ = pending.reply.send(r);
            }
        }
    }

    // ---- answered from the engine's state -----------------------------------

    fn metadata(&self, m: &km::MetadataRequest, version: i16) -> km::MetadataResponse {
        let e = &self.engine;
        let mut out = km::MetadataResponse::default();
        out.cluster_id = Some(tr::str_bytes("kafkascope"));
        out.controller_id = km::BrokerId(0);
        // Kafka lists the brokers its metadata holds, the registered and
        // unfenced ones (`KRaftMetadataCache.getAliveBrokerNodes`): a broker
        // that died is still there (and may still lead partitions) until
        // the controller fences it, `broker.session.timeout.ms` later.
        // Clients then fail to reach it, refresh, and follow the new leaders.
        for (i, br) in e.brokers().iter().enumerate() {
            if br.fenced {
                continue;
            }
            let mut b = km::metadata_response::MetadataResponseBroker::default();
            b.node_id = km::BrokerId(i as i32);
            b.host = tr::str_bytes(&self.listeners.host);
            b.port = self.listeners.ports.get(i).copied().unwrap_or(0) as i32;
            out.brokers.push(b);
        }
        // Each topic asked for, by name or (v12+, a null name) by topic id.
        let asked: Vec<(Option<String>, uuid::Uuid)> = match &m.topics {
            // Null (v1+), or an empty list at v0, asks for every topic; an
            // empty list at v1+ asks for none (`MetadataRequest.isAllTopics`).
            Some(ts) if !(ts.is_empty() && version == 0) => ts
                .iter()
                .map(|t| {
                    let name = t.name.as_ref().map(|n| n.0.to_string());
                    (
                        name.filter(|n| !n.is_empty() || t.topic_id.is_nil()),
                        t.topic_id,
                    )
                })
                .collect(),
            _ => e
                .config()
                .topics
                .iter()
                .map(|t| (Some(t.name.clone()), uuid::Uuid::nil()))
                .collect(),
        };
        for (name, topic_id) in asked {
            let mut t = km::metadata_response::MetadataResponseTopic::default();
            let name = match name {
                Some(name) => name,
                None if topic_id.is_nil() => String::new(),
                // `KafkaApis.handleTopicMetadataRequest`: an id nobody has is
                // UNKNOWN_TOPIC_ID, with the id and a null name.
                None => match topic_named_by(e, topic_id) {
                    Some(name) => name,
                    None => {
                        t.name = None;
                        t.topic_id = topic_id;
                        t.error_code = code::UNKNOWN_TOPIC_ID;
                        out.topics.push(t);
                        continue;
                    }
                },
            };
            t.name = Some(tr::topic_name(&name));
            match e.topic_id(&name).filter(|id| !e.topic(*id).internal) {
                None => t.error_code = code::UNKNOWN_TOPIC_OR_PARTITION,
                Some(id) => {
                    // v10+ (kafka-protocol leaves it out below): the id a
                    // ConsumerGroupHeartbeat names the topic by.
                    t.topic_id = topic_uuid(&name);
                    for (p, pm) in e.topic(id).partitions.iter().enumerate() {
                        let mut mp = km::metadata_response::MetadataResponsePartition::default();
                        mp.partition_index = p as i32;
                        let ids = |v: &[BrokerId]| -> Vec<km::BrokerId> {
                            v.iter().map(|b| km::BrokerId(b.0 as i32)).collect()
                        };
                        match pm.leader {
                            Some(l) => mp.leader_id = km::BrokerId(l.0 as i32),
                            None => {
                                mp.leader_id = km::BrokerId(-1);
                                mp.error_code = code::LEADER_NOT_AVAILABLE;
                            }
                        }
                        mp.leader_epoch = pm.leader_epoch.0;
                        mp.replica_nodes = ids(&pm.replicas);
                        mp.isr_nodes = ids(&pm.isr);
                        mp.offline_replicas = pm
                            .replicas
                            .iter()
                            .filter(|b| e.brokers()[b.0 as usize].fenced)
                            .map(|b| km::BrokerId(b.0 as i32))
                            .collect();
                        t.partitions.push(mp);
                    }
                }
            }
            out.topics.push(t);
        }
        out
    }

    fn find_coordinator(&mut self, f: &km::FindCoordinatorRequest) -> km::FindCoordinatorResponse {
        let mut out = km::FindCoordinatorResponse::default();
        let key = f.key.to_string();
        let found = match f.key_type {
            0 => self
                .engine
                .group_for_id(&key)
                .ok()
                .and_then(|g| self.engine.coordinator_for(&CoordinatorKey::Group(g))),
            1 => self
                .engine
                .coordinator_for(&CoordinatorKey::Transaction(key)),
            _ => {
                // `CoordinatorType.forId` throws: INVALID_REQUEST.
                out.error_code = code::INVALID_REQUEST;
                out.node_id = km::BrokerId(-1);
                out.port = -1;
                return out;
            }
        };
        match found {
            Some(b) => {
                out.node_id = km::BrokerId(b.0 as i32);
                out.host = tr::str_bytes(&self.listeners.host);
                out.port = self.listeners.ports.get(b.0 as usize).copied().unwrap_or(0) as i32;
            }
            None => {
                out.error_code = code::COORDINATOR_NOT_AVAILABLE;
                out.node_id = km::BrokerId(-1);
                out.port = -1;
            }
        }
        out
    }

    /// `Partition.lastOffsetForLeaderEpoch` on broker `b`: a consumer
    /// whose partition changed leader checks that its position is still on
    /// the log (KIP-320). It reads state and changes nothing, so it is
    /// answered at once.
    fn offset_for_leader_epoch(
        &self,
        b: BrokerId,
        o: &km::OffsetForLeaderEpochRequest,
    ) -> km::OffsetForLeaderEpochResponse {
        let broker = &self.engine.brokers()[b.0 as usize];
        let mut out = km::OffsetForLeaderEpochResponse::default();
        for t in &o.topics {
            let name = t.topic.0.to_string();
            let mut result =
                km::offset_for_leader_epoch_response::OffsetForLeaderTopicResult::default();
            result.topic = t.topic.clone();
            for p in &t.partitions {
                let mut d = km::offset_for_leader_epoch_response::EpochEndOffset::default();
                d.partition = p.partition;
                d.leader_epoch = -1;
                d.end_offset = -1;
                // `ReplicaManager.lastOffsetForLeaderEpoch`, then
                // `Partition.getLocalLog`: the caller's epoch is checked
                // before leadership.
                match tr::resolve_tp(&self.engine, &name, p.partition) {
                    None => d.error_code = code::UNKNOWN_TOPIC_OR_PARTITION,
                    Some(tp) => match broker.replica(tp) {
                        None => d.error_code = code::NOT_LEADER_OR_FOLLOWER,
                        Some(r) => {
                            let known = r.leader.as_ref().map_or_else(
                                || {
                                    self.engine.topic(tp.topic).partitions[tp.partition.0 as usize]
                                        .leader_epoch
                                },
                                |l| l.epoch,
                            );
                            let current = p.current_leader_epoch;
                            if current >= 0 && current < known.0 {
                                d.error_code = code::FENCED_LEADER_EPOCH;
                            } else if current > known.0 {
                                d.error_code = code::UNKNOWN_LEADER_EPOCH;
                            } else if r.leader.is_none() {
                                d.error_code = code::NOT_LEADER_OR_FOLLOWER;
                            } else if let Some((e, off)) =
                                r.log.end_offset_for_epoch(LeaderEpoch(p.leader_epoch))
                            {
                                d.leader_epoch = e.0;
                                d.end_offset = off.0;
                            }
                        }
                    },
                }
                result.partitions.push(d);
            }
            out.topics.push(result);
        }
        out
    }

    // ---- handed to the engine -----------------------------------------------

    fn produce(
        &mut self,
        client: &str,
        b: BrokerId,
        p: km::ProduceRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let node = self.producer_slot(client)?;
        let Node::Producer(pi) = node else {
            return Err(Reply::Close);
        };
        let acks = match p.acks {
            0 => Acks::Zero,
            1 => Acks::One,
            -1 => Acks::All,
            // `ReplicaManager.appendRecords`: every partition answers
            // INVALID_REQUIRED_ACKS.
            _ => {
                let parts = p.topic_data.iter().flat_map(|t| {
                    let name = t.name.0.to_string();
                    t.partition_data
                        .iter()
                        .map(move |part| (name.clone(), part.index))
                });
                pending.refuse_all(parts, code::INVALID_REQUIRED_ACKS);
                return Err(self.produce_reply(pending, &[]));
            }
        };
        // Decode and check every partition's batch before anything is stored.
        let mut decoded = Vec::new();
        for topic in &p.topic_data {
            let name = topic.name.0.to_string();
            for part in &topic.partition_data {
                let Some(tp) = pending.partition(&self.engine, &name, part.index) else {
                    continue;
                };
                match part.records.as_ref().map(tr::decode_produce_batch) {
                    Some(Ok(batch)) => decoded.push((tp, batch)),
                    Some(Err(c)) => pending.local_errors.push((name.clone(), part.index, c)),
                    None => {
                        pending
                            .local_errors
                            .push((name.clone(), part.index, code::CORRUPT_MESSAGE))
                    }
                }
            }
        }
        let leads = |tp: Tp| {
            self.engine.brokers()[b.0 as usize]
                .replica(tp)
                .is_some_and(|r| r.leader.is_some())
        };
        if acks == Acks::Zero
            && (!pending.local_errors.is_empty() || decoded.iter().any(|(tp, _)| !leads(*tp)))
        {
            // acks=0 has no response to carry an error: Kafka closes the
            // connection instead (`KafkaApis.handleProduceRequest`), so the
            // producer refreshes its metadata.
            return Err(Reply::Close);
        }
        let mut batches = Vec::with_capacity(decoded.len());
        for (tp, batch) in decoded {
            let mut records = Vec::with_capacity(batch.records.len());
            for r in batch.records {
                let id = self.engine.external_record(pi, tp, r.key, r.value);
                self.wire_meta.insert(id, (r.timestamp, r.headers));
                records.push(id);
            }
            batches.push(WireBatch {
                batch: self.engine.external_batch_id(),
                tp,
                records,
                producer: (batch.producer_id >= 0).then_some((
                    ProducerId(batch.producer_id),
                    ProducerEpoch(batch.producer_epoch),
                    batch.base_sequence,
                )),
                transactional: batch.transactional,
            });
        }
        if acks == Acks::Zero {
            // acks=0: Kafka sends no response at all.
            if !batches.is_empty() {
                let id = self.next_id();
                self.engine.external_request(
                    node,
                    b,
                    Msg::Produce {
                        request_id: id,
                        acks,
                        timeout_ms: p.timeout_ms.max(0) as u32,
                        batches,
                    },
                );
            }
            return Ok(None);
        }
        if batches.is_empty() {
            return Err(self.produce_reply(pending, &[]));
        }
        let id = self.next_id();
        pending.expect = MsgKind::ProduceResponse;
        pending.id = Some(id);
        Ok(Some((
            node,
            Msg::Produce {
                request_id: id,
                acks,
                timeout_ms: p.timeout_ms.max(0) as u32,
                batches,
            },
        )))
    }

    fn produce_reply(&self, p: &Pending, results: &[crate::engine::network::BatchResult]) -> Reply {
        let mut out = km::ProduceResponse::default();
        let mut add = |topic: &str, index: i32, code: i16, base: i64| {
            let t = match out
                .responses
                .iter_mut()
                .position(|t| t.name.0.as_str() == topic)
            {
                Some(i) => &mut out.responses[i],
                None => {
                    let mut t = km::produce_response::TopicProduceResponse::default();
                    t.name = tr::topic_name(topic);
                    out.responses.push(t);
                    out.responses.last_mut().expect("just pushed")
                }
            };
            let mut pr = km::produce_response::PartitionProduceResponse::default();
            pr.index = index;
            pr.error_code = code;
            pr.base_offset = base;
            pr.log_append_time_ms = -1;
            pr.log_start_offset = if code == code::NONE { 0 } else { -1 };
            t.partition_responses.push(pr);
        };
        for r in results {
            let name = self.engine.topic(r.tp.topic).name.clone();
            match r.result {
                Ok(o) => add(&name, r.tp.partition.0 as i32, code::NONE, o.0),
                Err(e) => add(&name, r.tp.partition.0 as i32, tr::kafka_code(e), -1),
            }
        }
        for (t, i, c) in &p.local_errors {
            add(t, *i, *c, -1);
        }
        encode(p, ResponseKind::Produce(out))
    }

    fn fetch(
        &mut self,
        client: &str,
        f: km::FetchRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        if f.replica_id.0 >= 0 || f.replica_state.replica_id.0 >= 0 {
            // Only brokers fetch as replicas, and the brokers are the engine's.
            return Err(Reply::Close);
        }
        let node = self
            .slot(client, Role::Consumer, None)
            .map_err(|e| refused(client, &e))?;
        let mut partitions = Vec::new();
        for t in &f.topics {
            let name = t.topic.0.to_string();
            for p in &t.partitions {
                let Some(tp) = pending.partition(&self.engine, &name, p.partition) else {
                    continue;
                };
                // No epoch (-1) skips the check, as Kafka does.
                let epoch = if p.current_leader_epoch < 0 {
                    self.engine.topic(tp.topic).partitions[tp.partition.0 as usize].leader_epoch
                } else {
                    LeaderEpoch(p.current_leader_epoch)
                };
                partitions.push(FetchPartition {
                    tp,
                    fetch_offset: Offset(p.fetch_offset),
                    last_fetched_epoch: None,
                    current_leader_epoch: epoch,
                    follower_hw: None,
                });
            }
        }
        let id = self.next_id();
        pending.expect = MsgKind::FetchResponse;
        pending.id = Some(id);
        Ok(Some((
            node,
            Msg::Fetch {
                fetch_id: id,
                replica: None,
                isolation: if f.isolation_level == 1 {
                    IsolationLevel::ReadCommitted
                } else {
                    IsolationLevel::ReadUncommitted
                },
                max_wait_ms: f.max_wait_ms.clamp(0, 30_000) as u32,
                max_records: FETCH_MAX_RECORDS,
                partitions,
            },
        )))
    }

    fn list_offsets(
        &mut self,
        client: &str,
        l: km::ListOffsetsRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let node = self
            .slot(client, Role::Consumer, None)
            .map_err(|e| refused(client, &e))?;
        let mut partitions = Vec::new();
        for t in &l.topics {
            let name = t.name.0.to_string();
            for p in &t.partitions {
                let reset = match p.timestamp {
                    -1 => AutoOffsetReset::Latest,
                    -2 => AutoOffsetReset::Earliest,
                    // Lookups by time need a time index the engine does
                    // not keep.
                    _ => {
                        pending.local_errors.push((
                            name.clone(),
                            p.partition_index,
                            code::INVALID_REQUEST,
                        ));
                        continue;
                    }
                };
                if let Some(tp) = pending.partition(&self.engine, &name, p.partition_index) {
                    partitions.push((tp, reset));
                }
            }
        }
        pending.expect = MsgKind::ListOffsetsResponse;
        Ok(Some((
            node,
            Msg::ListOffsets {
                isolation: if l.isolation_level == 1 {
                    IsolationLevel::ReadCommitted
                } else {
                    IsolationLevel::ReadUncommitted
                },
                partitions,
            },
        )))
    }

    /// The group a request names and the slot of the member sending it.
    fn member_slot(&mut self, client: &str, id: &km::GroupId) -> Result<(GroupIdx, Node), Reply> {
        let g = self.group(id)?;
        let node = self
            .slot(client, Role::Consumer, Some(g))
            .map_err(|e| refused(client, &e))?;
        Ok((g, node))
    }

    fn producer_slot(&mut self, client: &str) -> Result<Node, Reply> {
        self.slot(client, Role::Producer, None)
            .map_err(|e| refused(client, &e))
    }

    fn group(&mut self, id: &km::GroupId) -> Result<GroupIdx, Reply> {
        self.engine
            .group_for_id(tr::group_id(id))
            .map_err(|e| refused(tr::group_id(id), &e))
    }

    fn join_group(
        &mut self,
        client: &str,
        j: km::JoinGroupRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        // The coordinator's first checks (`GroupCoordinatorService.joinGroup`):
        // a group id, and a session timeout within
        // group.min/max.session.timeout.ms (6 s and 30 min by default).
        let refuse = |code: i16| {
            let mut out = km::JoinGroupResponse::default();
            out.error_code = code;
            out.generation_id = -1;
            out.member_id = j.member_id.clone();
            Err(answers::encode(pending, ResponseKind::JoinGroup(out)))
        };
        if j.group_id.0.is_empty() {
            return refuse(code::INVALID_GROUP_ID);
        }
        if !(6_000..=1_800_000).contains(&j.session_timeout_ms) {
            return refuse(code::INVALID_SESSION_TIMEOUT);
        }
        let (g, node) = self.member_slot(client, &j.group_id)?;
        let Node::Consumer(c) = node else {
            return Err(Reply::Close);
        };
        let protocols = tr::assignors(&j.protocols);
        let sub = j
            .protocols
            .first()
            .and_then(|p| tr::decode_subscription(&p.metadata));
        if protocols.is_empty() || sub.is_none() || j.protocol_type.as_str() != "consumer" {
            let mut out = km::JoinGroupResponse::default();
            out.error_code = code::INCONSISTENT_GROUP_PROTOCOL;
            out.generation_id = -1;
            out.member_id = j.member_id.clone();
            return Err(encode(pending, ResponseKind::JoinGroup(out)));
        }
        let sub = sub.expect("checked");
        let meta = MemberMetadata {
            member_id: j.member_id.to_string(),
            instance_id: j.group_instance_id.as_ref().map(|s| s.to_string()),
            consumer: c,
            protocols,
            topics: sub.topics.iter().map(|t| t.to_string()).collect(),
            owned: sub
                .owned_partitions
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| {
                        crate::engine::assignor::TopicPartition::new(t.topic.0.as_str(), *p as u32)
                    })
                })
                .collect(),
            owned_generation: None,
        };
        let session = j.session_timeout_ms.max(0) as u32;
        let rebalance = if pending.api_version >= 1 {
            j.rebalance_timeout_ms
        } else {
            j.session_timeout_ms
        };
        pending.expect = MsgKind::JoinGroupResponse;
        Ok(Some((
            node,
            Msg::JoinGroup {
                group: g,
                known_member: !meta.member_id.is_empty(),
                meta: Box::new(meta),
                session_timeout_ms: session,
                rebalance_timeout_ms: rebalance.max(0) as u32,
            },
        )))
    }

    fn sync_group(
        &mut self,
        client: &str,
        s: km::SyncGroupRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let (g, node) = self.member_slot(client, &s.group_id)?;
        let mut assignments = Vec::new();
        for a in &s.assignments {
            match tr::decode_assignment(&a.assignment) {
                Some(tps) => assignments.push((a.member_id.to_string(), tps)),
                None => {
                    let mut out = km::SyncGroupResponse::default();
                    out.error_code = code::INCONSISTENT_GROUP_PROTOCOL;
                    return Err(encode(pending, ResponseKind::SyncGroup(out)));
                }
            }
        }
        pending.expect = MsgKind::SyncGroupResponse;
        Ok(Some((
            node,
            Msg::SyncGroup {
                group: g,
                member_id: s.member_id.to_string(),
                generation: GenerationId(s.generation_id),
                assignments,
            },
        )))
    }

    fn heartbeat(
        &mut self,
        client: &str,
        h: km::HeartbeatRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let (g, node) = self.member_slot(client, &h.group_id)?;
        pending.expect = MsgKind::HeartbeatResponse;
        Ok(Some((
            node,
            Msg::Heartbeat {
                group: g,
                member_id: h.member_id.to_string(),
                generation: GenerationId(h.generation_id),
            },
        )))
    }

    fn leave_group(
        &mut self,
        client: &str,
        l: km::LeaveGroupRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let (g, node) = self.member_slot(client, &l.group_id)?;
        pending.expect = MsgKind::LeaveGroupResponse;
        Ok(Some((
            node,
            Msg::LeaveGroup {
                group: g,
                member_id: l.member_id.to_string(),
                reason: LeaveReason::Clean,
            },
        )))
    }

    fn offset_commit(
        &mut self,
        client: &str,
        o: km::OffsetCommitRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let (g, node) = self.member_slot(client, &o.group_id)?;
        // `ConsumerGroup.validateOffsetCommit`: a consumer-protocol member
        // commits with v9 or later, whose epoch field is its member epoch.
        let modern_member = self.engine.groups()[g.0 as usize]
            .consumer_group()
            .is_some_and(|cg| cg.member(&o.member_id).is_some());
        if pending.api_version < 9 && modern_member {
            let parts = o.topics.iter().flat_map(|t| {
                let name = t.name.0.to_string();
                t.partitions
                    .iter()
                    .map(move |p| (name.clone(), p.partition_index))
            });
            pending.refuse_all(parts, frame::UNSUPPORTED_VERSION);
            let refused = Msg::OffsetCommitResponse {
                group: g,
                error: None,
                offsets: Vec::new(),
                commit_id: 0,
            };
            return Err(self.response(pending, refused));
        }
        let mut offsets = Vec::new();
        for t in &o.topics {
            let name = t.name.0.to_string();
            for p in &t.partitions {
                if let Some(tp) = pending.partition(&self.engine, &name, p.partition_index) {
                    offsets.push((tp, Offset(p.committed_offset)));
                }
            }
        }
        let id = self.next_id();
        pending.expect = MsgKind::OffsetCommitResponse;
        pending.id = Some(id);
        Ok(Some((
            node,
            Msg::OffsetCommit {
                group: g,
                member_id: o.member_id.to_string().into(),
                generation: GenerationId(o.generation_id_or_member_epoch),
                offsets,
                auto: false,
                commit_id: id,
            },
        )))
    }

    fn offset_fetch(
        &mut self,
        client: &str,
        o: km::OffsetFetchRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        if pending.api_version >= 8 {
            // v8 batches groups; a client sends one group (the Java client's
            // `OffsetFetchRequest.Builder` for a single group).
            let Some(grp) = o.groups.first() else {
                return Err(Reply::Close);
            };
            let g = self.group(&grp.group_id)?;
            let names: Option<Vec<(String, Vec<i32>)>> = grp.topics.as_ref().map(|ts| {
                ts.iter()
                    .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                    .collect()
            });
            // v9 (KIP-848): the member asking, checked by a consumer group;
            // a null member id with epoch -1 is nobody's (an admin client).
            let member = match (&grp.member_id, grp.member_epoch) {
                _ if pending.api_version < 9 => None,
                (None, epoch) if epoch < 0 => None,
                (id, epoch) => Some((
                    id.as_ref().map_or_else(String::new, |m| m.to_string()),
                    epoch,
                )),
            };
            return self.offset_fetch_group(client, g, names, o.require_stable, member, pending);
        }
        let g = self.group(&o.group_id)?;
        let names = o.topics.as_ref().map(|ts| {
            ts.iter()
                .map(|t| (t.name.0.to_string(), t.partition_indexes.clone()))
                .collect()
        });
        self.offset_fetch_group(client, g, names, o.require_stable, None, pending)
    }

    fn offset_fetch_group(
        &mut self,
        client: &str,
        g: GroupIdx,
        names: Option<Vec<(String, Vec<i32>)>>,
        require_stable: bool,
        member: Option<(String, i32)>,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let node = self
            .slot(client, Role::Consumer, Some(g))
            .map_err(|e| refused(client, &e))?;
        let mut partitions = Vec::new();
        match names {
            Some(names) => {
                for (name, idxs) in names {
                    for i in idxs {
                        if let Some(tp) = pending.partition(&self.engine, &name, i) {
                            partitions.push(tp);
                        }
                    }
                }
            }
            // Null: every partition the group committed.
            None => partitions.extend(self.engine.groups()[g.0 as usize].committed.keys().copied()),
        }
        pending.expect = MsgKind::OffsetFetchResponse;
        Ok(Some((
            node,
            Msg::OffsetFetch {
                group: g,
                partitions,
                require_stable,
                member,
            },
        )))
    }

    fn init_producer_id(
        &mut self,
        client: &str,
        i: km::InitProducerIdRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let node = self.producer_slot(client)?;
        if let Node::Producer(p) = node {
            if i.transaction_timeout_ms > 0 {
                self.engine
                    .set_external_transaction_timeout(p, i.transaction_timeout_ms as u32);
            }
        }
        pending.expect = MsgKind::InitProducerIdResponse;
        Ok(Some((
            node,
            Msg::InitProducerId {
                transactional_id: i.transactional_id.as_ref().map(|t| t.0.to_string()),
                instance: 0,
            },
        )))
    }

    fn add_partitions_to_txn(
        &mut self,
        client: &str,
        a: km::AddPartitionsToTxnRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        if pending.api_version >= 4 {
            return Err(Reply::Close); // the broker-to-broker batched form
        }
        let node = self.producer_slot(client)?;
        let mut partitions = Vec::new();
        for t in &a.v3_and_below_topics {
            let name = t.name.0.to_string();
            for &i in &t.partitions {
                if let Some(tp) = pending.partition(&self.engine, &name, i) {
                    partitions.push(tp);
                }
            }
        }
        pending.expect = MsgKind::AddPartitionsToTxnResponse;
        Ok(Some((
            node,
            Msg::AddPartitionsToTxn {
                transactional_id: a.v3_and_below_transactional_id.0.to_string(),
                producer_id: ProducerId(a.v3_and_below_producer_id.0),
                epoch: ProducerEpoch(a.v3_and_below_producer_epoch),
                partitions,
            },
        )))
    }

    fn add_offsets_to_txn(
        &mut self,
        client: &str,
        a: km::AddOffsetsToTxnRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let g = self.group(&a.group_id)?;
        let node = self.producer_slot(client)?;
        pending.expect = MsgKind::AddOffsetsToTxnResponse;
        Ok(Some((
            node,
            Msg::AddOffsetsToTxn {
                transactional_id: a.transactional_id.0.to_string(),
                producer_id: ProducerId(a.producer_id.0),
                epoch: ProducerEpoch(a.producer_epoch),
                group: g,
            },
        )))
    }

    fn end_txn(
        &mut self,
        client: &str,
        t: km::EndTxnRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let node = self.producer_slot(client)?;
        pending.expect = MsgKind::EndTxnResponse;
        Ok(Some((
            node,
            Msg::EndTxn {
                transactional_id: t.transactional_id.0.to_string(),
                producer_id: ProducerId(t.producer_id.0),
                epoch: ProducerEpoch(t.producer_epoch),
                commit: t.committed,
            },
        )))
    }

    fn txn_offset_commit(
        &mut self,
        client: &str,
        t: km::TxnOffsetCommitRequest,
        pending: &mut Pending,
    ) -> Result<Option<(Node, Msg)>, Reply> {
        let g = self.group(&t.group_id)?;
        let node = self.producer_slot(client)?;
        let mut offsets = Vec::new();
        for topic in &t.topics {
            let name = topic.name.0.to_string();
            for p in &topic.partitions {
                if let Some(tp) = pending.partition(&self.engine, &name, p.partition_index) {
                    offsets.push((tp, Offset(p.committed_offset)));
                    match pending.txn_offsets.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, v)) => v.push(p.partition_index),
                        None => pending
                            .txn_offsets
                            .push((name.clone(), vec![p.partition_index])),
                    }
                }
            }
        }
        pending.expect = MsgKind::TxnOffsetCommitResponse;
        Ok(Some((
            node,
            Msg::TxnOffsetCommit {
                transactional_id: t.transactional_id.0.to_string(),
                producer_id: ProducerId(t.producer_id.0),
                epoch: ProducerEpoch(t.producer_epoch),
                group: g,
                member_id: t.member_id.to_string(),
                generation: GenerationId(t.generation_id),
                offsets,
            },
        )))
    }

    // ---- the engine's answers -------------------------------------------------

    fn answer(&mut self, to: Node, from: Node, msg: Msg) {
        let Node::Broker(b) = from else { return };
        let id = match &msg {
            Msg::ProduceResponse { request_id, .. } => Some(*request_id),
            Msg::FetchResponse { fetch_id, .. } => Some(*fetch_id),
            Msg::OffsetCommitResponse { commit_id, .. } => Some(*commit_id),
            _ => None,
        };
        let kind = match msg.kind() {
            // A heartbeat's answer is one kind on the wire, with or without
            // an assignment.
            MsgKind::ConsumerGroupHeartbeatAssignment => MsgKind::ConsumerGroupHeartbeatResponse,
            k => k,
        };
        let Some(i) = self.pending.iter().position(|p| {
            p.node == to && p.broker == b && p.expect == kind && (id.is_none() || p.id == id)
        }) else {
            if self.verbose {
                eprintln!("live: unmatched {kind:?} to {to:?} from broker {}", b.0);
            }
            return; // its client gave up on it (closed the connection)
        };
        let p = self.pending.remove(i);
        if let Msg::JoinGroupResponse {
            group, member_id, ..
        } = &msg
        {
            if !member_id.is_empty() {
                self.members.insert((*group, member_id.clone()), to);
            }
        }
        if let Msg::ConsumerGroupHeartbeatResponse { group, resp } = &msg {
            let key = (*group, resp.member_id.clone());
            match resp.error {
                None if resp.member_epoch >= 0 => {
                    self.members.insert(key, to);
                }
                // It left: its slot is free for the next member.
                None => {
                    self.members.remove(&key);
                }
                Some(_) => {}
            }
        }
        if self.verbose {
            eprintln!(
                "live: {} broker {} -> {to:?}: {:?} {:?}",
                self.wall_ms(),
                b.0,
                kind,
                msg.error()
            );
        }
        let reply = self.response(&p, msg);
        let _ = p.reply.send(reply);
    }
}

/// A request the engine has no room for (too many client slots, a group
/// id out of bounds): said on stderr, since the client only sees its
/// connection close.
fn refused(who: &str, why: &str) -> Reply {
    eprintln!("live: refused a request from {who:?}: {why}");
    Reply::Close
}

/// An operator command: `crash-broker N`, `restart-broker N` or
/// `slow-broker N MS` (the page's fault buttons, for a terminal).
pub fn parse_control(line: &str) -> Result<crate::engine::command::Command, String> {
    use crate::engine::command::Command;
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> Result<u32, String> {
        words
            .get(i)
            .and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("{line:?}: expected a number after {:?}", words[i - 1]))
    };
    match words.first().copied() {
        Some("crash-broker") => Ok(Command::CrashBroker {
            broker: BrokerId(num(1)? as u16),
        }),
        Some("restart-broker") => Ok(Command::RestartBroker {
            broker: BrokerId(num(1)? as u16),
        }),
        Some("slow-broker") => Ok(Command::SlowBroker {
            broker: BrokerId(num(1)? as u16),
            extra_ms: num(2)?,
        }),
        _ => Err(format!(
            "{line:?}: commands are crash-broker N, restart-broker N, slow-broker N MS"
        )),
    }
}

/// The engine's answer to a request of `api`.
fn expected_answer(api: ApiKey) -> MsgKind {
    match api {
        ApiKey::Produce => MsgKind::ProduceResponse,
        ApiKey::Fetch => MsgKind::FetchResponse,
        ApiKey::ListOffsets => MsgKind::ListOffsetsResponse,
        ApiKey::JoinGroup => MsgKind::JoinGroupResponse,
        ApiKey::SyncGroup => MsgKind::SyncGroupResponse,
        ApiKey::Heartbeat => MsgKind::HeartbeatResponse,
        ApiKey::LeaveGroup => MsgKind::LeaveGroupResponse,
        ApiKey::OffsetCommit => MsgKind::OffsetCommitResponse,
        ApiKey::OffsetFetch => MsgKind::OffsetFetchResponse,
        ApiKey::InitProducerId => MsgKind::InitProducerIdResponse,
        ApiKey::AddPartitionsToTxn => MsgKind::AddPartitionsToTxnResponse,
        ApiKey::AddOffsetsToTxn => MsgKind::AddOffsetsToTxnResponse,
        ApiKey::EndTxn => MsgKind::EndTxnResponse,
        ApiKey::TxnOffsetCommit => MsgKind::TxnOffsetCommitResponse,
        ApiKey::ConsumerGroupHeartbeat => MsgKind::ConsumerGroupHeartbeatResponse,
        _ => MsgKind::ApiVersionsResponse,
    }
}

/// The group member id a request names, if any.
fn member_of(r: &RequestKind) -> Option<String> {
    let m = match r {
        RequestKind::JoinGroup(j) => &j.member_id,
        RequestKind::SyncGroup(x) => &x.member_id,
        RequestKind::Heartbeat(x) => &x.member_id,
        RequestKind::LeaveGroup(x) => &x.member_id,
        RequestKind::OffsetCommit(x) => &x.member_id,
        RequestKind::ConsumerGroupHeartbeat(x) => &x.member_id,
        RequestKind::OffsetFetch(x) => match x.groups.first().and_then(|g| g.member_id.as_ref()) {
            Some(m) => m,
            None => return None,
        },
        _ => return None,
    };
    (!m.is_empty()).then(|| m.to_string())
}
