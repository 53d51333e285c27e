//! External clients: real Kafka clients served by the engine (live mode).
//!
//! In live mode (`kafkascope live`, `src/live/`) a real `KafkaProducer` or
//! `KafkaConsumer` (kafka-python, librdkafka) talks to the engine's brokers
//! over TCP. The engine does not simulate such a client: the client runs
//! its own `RecordAccumulator`, partitioner, retries and group protocol, as
//! it would against a real cluster. What the engine keeps for it is a
//! *slot*, an ordinary producer or consumer entry (so the stage draws it
//! and the narration names it by its `client.id`) whose simulated logic
//! never runs:
//!
//! - its requests enter through [`Engine::external_request`], at the
//!   logical time they arrived, and are handled by the brokers, the group
//!   coordinator and the transaction coordinator exactly as the simulated
//!   clients' requests are;
//! - what the brokers send back to it is not handled but set aside for
//!   [`Engine::take_external_replies`], which the live gateway encodes
//!   onto the client's connection;
//! - it sets no timers, so nothing simulated happens in its name.
//!
//! Architecture invariant: an external slot is only ever driven by requests
//! handed in from outside; the engine stays sans-IO (the gateway owns the
//! sockets and the wall clock) and deterministic (the same requests at the
//! same logical times give the same run).

use crate::engine::config::{GroupConfig, ProducerConfig};
use crate::engine::event::{EventKind, Node};
use crate::engine::ids::*;
#[cfg(live_engine)]
use crate::engine::kafka_consumer::Membership;
use crate::engine::network::Msg;
use crate::engine::producer::Producer;
use crate::engine::sim::{Action, Engine};

/// A message a broker sent to an external client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalReply {
    pub to: Node,
    pub from: Node,
    pub msg: Msg,
}

/// One input to a live engine from outside: the **tape** of a live run.
/// The engine is deterministic, so the same configuration and the same
/// inputs in the same order give the same run ([`Engine::replay_live`]).
/// It is streamed to the live page and saved in links as JSON (serde).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LiveInput {
    Producer {
        client_id: String,
    },
    Group {
        group_id: String,
    },
    Consumer {
        client_id: String,
        group: GroupIdx,
    },
    Record {
        producer: ProducerIdx,
        tp: Tp,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    },
    BatchId,
    TransactionTimeout {
        producer: ProducerIdx,
        ms: u32,
    },
    Request {
        from: Node,
        to: BrokerId,
        msg: Msg,
    },
    /// The clock moved to `ms` (consecutive moves are kept as the last).
    Advance {
        ms: u64,
    },
    /// An operator's command (crash, restart, slow a broker).
    Command(crate::engine::command::Command),
}

/// The most external clients one engine keeps a slot for (each distinct
/// `client.id` and role takes one).
pub const MAX_EXTERNAL_CLIENTS: usize = 64;

/// The most bytes one external key or value may have.
pub const MAX_EXTERNAL_RECORD_BYTES: usize = 1024 * 1024;

impl Engine {
    /// Whether `node` is a real client's slot.
    pub fn is_external(&self, node: Node) -> bool {
        !self.external.is_empty() && self.external.contains(&node)
    }

    /// Adds a slot for a real producer named `client_id`.
    pub fn add_external_producer(&mut self, client_id: &str) -> Result<ProducerIdx, String> {
        self.check_external_room()?;
        let pc = ProducerConfig {
            client_id: client_id.to_string(),
            ..ProducerConfig::default()
        };
        let mut pc = pc;
        pc.workload.records = 0;
        std::sync::Arc::make_mut(&mut self.cfg)
            .producers
            .push(pc.clone());
        let idx = ProducerIdx(self.producers.len() as u16);
        let metadata = self.producer_bootstrap(&pc, None);
        self.producers
            .push(Producer::new(idx, &pc, false, None, metadata));
        self.acks_seen.push(0);
        self.external.push(Node::Producer(idx));
        self.emit(EventKind::ProducerStarted {
            producer: idx,
            zombie_of: None,
        });
        self.record_live(LiveInput::Producer {
            client_id: client_id.to_string(),
        });
        Ok(idx)
    }

    /// The group named `group_id`, added (with no consumers of its own) if
    /// the scenario does not have it: a real consumer may name any group.
    pub fn group_for_id(&mut self, group_id: &str) -> Result<GroupIdx, String> {
        if let Some(i) = self.cfg.groups.iter().position(|g| g.group_id == group_id) {
            return Ok(GroupIdx(i as u16));
        }
        if group_id.is_empty() || group_id.len() > 255 {
            return Err("a group id is 1 to 255 bytes here".into());
        }
        if self.cfg.groups.len() >= MAX_EXTERNAL_CLIENTS {
            return Err("too many groups".into());
        }
        let gc = GroupConfig {
            group_id: group_id.to_string(),
            consumers: 0,
            ..GroupConfig::default()
        };
        std::sync::Arc::make_mut(&mut self.cfg).groups.push(gc);
        self.record_live(LiveInput::Group {
            group_id: group_id.to_string(),
        });
        Ok(self.add_group_state(self.cfg.groups.len() - 1))
    }

    /// Adds a slot for a real consumer named `client_id` in group `group`.
    pub fn add_external_consumer(
        &mut self,
        client_id: &str,
        group: GroupIdx,
    ) -> Result<ConsumerIdx, String> {
        self.check_external_room()?;
        if group.0 as usize >= self.groups.len() {
            return Err(format!("there is no group #{group}"));
        }
        let gc = self.cfg.groups[group.0 as usize].clone();
        let idx = ConsumerIdx(self.consumers.len() as u16);
        let metadata = self.bootstrap_metadata(&[]);
        self.consumers
            .push(crate::engine::kafka_consumer::Consumer::new(
                idx,
                group,
                client_id.to_string(),
                None,
                &gc,
                self.now_ms,
                metadata,
            ));
        // The stage and the narration name a real consumer by its client.id.
        self.consumers[idx.0 as usize].label = client_id.to_string();
        self.external.push(Node::Consumer(idx));
        self.emit(EventKind::ConsumerStarted {
            consumer: idx,
            restart: false,
        });
        self.record_live(LiveInput::Consumer {
            client_id: client_id.to_string(),
            group,
        });
        Ok(idx)
    }

    fn check_external_room(&self) -> Result<(), String> {
        if self.external.len() >= MAX_EXTERNAL_CLIENTS {
            return Err(format!(
                "live mode serves at most {MAX_EXTERNAL_CLIENTS} clients"
            ));
        }
        if self.producers.len() >= u16::MAX as usize || self.consumers.len() >= u16::MAX as usize {
            return Err("too many clients".into());
        }
        Ok(())
    }

    /// Stores a record a real producer sent, exactly as its bytes came, and
    /// returns its id (for the [`crate::engine::network::WireBatch`]).
    #[cfg(live_engine)]
    pub fn external_record(
        &mut self,
        producer: ProducerIdx,
        tp: Tp,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> RecordId {
        use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
        if self.live {
            self.record_live(LiveInput::Record {
                producer,
                tp,
                key: key.clone(),
                value: value.clone(),
            });
        }
        let pr = &mut self.producers[producer.0 as usize];
        let n = pr.next_event_id;
        pr.next_event_id += 1;
        let id = RecordId(self.records.len() as u32);
        self.records.push(RecordData {
            id,
            event_id: EventId(producer.0 as u32 * 1_000_000 + n),
            producer: Some(producer),
            topic: tp.topic,
            key: key.map_or(KeySource::Null, KeySource::Wire),
            value: ValueSource::Wire(value.unwrap_or_default()),
            kind: RecordKind::Data,
            created_ms: self.now_ms,
            partition: Some(tp.partition),
            explicit_partition: Some(tp.partition.0),
        });
        id
    }

    /// A request from a real client reached broker `to` now: the broker
    /// handles it as its next action at this instant.
    pub fn external_request(&mut self, from: Node, to: BrokerId, msg: Msg) {
        if self.live {
            self.record_live(LiveInput::Request {
                from,
                to,
                msg: msg.clone(),
            });
        }
        #[cfg(live_engine)]
        if let (Msg::Produce { batches, acks, .. }, Node::Producer(p)) = (&msg, from) {
            // The client's own acks, for the stage and the narration.
            if self
                .cfg
                .producers
                .get(p.0 as usize)
                .is_some_and(|pc| pc.acks != *acks)
            {
                std::sync::Arc::make_mut(&mut self.cfg).producers[p.0 as usize].acks = *acks;
            }
            if *acks != crate::engine::config::Acks::Zero {
                // (Bounded: a batch whose answer never comes, to a crashed
                // broker, is forgotten after many others.)
                if self.external_batches.len() >= 4_096 {
                    self.external_batches.drain(..1_024);
                }
                self.external_batches
                    .extend(batches.iter().map(|b| (b.batch, b.records.clone())));
            }
        }
        let to = Node::Broker(to);
        self.emit(EventKind::Message {
            from,
            to,
            kind: msg.kind(),
            arrive_ms: self.now_ms,
            error: msg.error(),
        });
        let now = self.now_ms;
        self.schedule(
            now,
            Action::Deliver {
                from,
                to,
                msg: std::rc::Rc::new(msg),
            },
        );
    }

    /// Moves the clock to `ms` (never backwards) and runs everything due by
    /// then: live mode's clock follows the wall clock between requests.
    pub fn advance_to_ms(&mut self, ms: u64) {
        #[cfg(live_engine)]
        if self.live {
            // run_to_ms(a) then run_to_ms(b) with nothing in between is
            // run_to_ms(b): keep the tape short.
            if let Some(LiveInput::Advance { ms: last }) = self.live_tape.last_mut() {
                *last = ms;
            } else {
                self.live_tape.push(LiveInput::Advance { ms });
            }
        }
        self.run_to_ms(ms);
        if ms > self.now_ms {
            #[cfg(consumer_protocol)]
            self.ownership_tick(ms);
            self.now_ms = ms;
        }
    }

    /// The broker that coordinates `key` now, if its partition has a leader.
    pub fn coordinator_for(
        &self,
        key: &crate::engine::network::CoordinatorKey,
    ) -> Option<BrokerId> {
        self.current_coordinator(key)
    }

    /// A real producer's `transaction.timeout.ms`, which its InitProducerId
    /// carries and the transaction coordinator enforces.
    pub fn set_external_transaction_timeout(&mut self, producer: ProducerIdx, ms: u32) {
        self.record_live(LiveInput::TransactionTimeout { producer, ms });
        if let Some(pc) = std::sync::Arc::make_mut(&mut self.cfg)
            .producers
            .get_mut(producer.0 as usize)
        {
            pc.transaction_timeout_ms = ms.clamp(1, 900_000);
        }
    }

    /// A new producer-batch id for a batch a real client sent.
    pub fn external_batch_id(&mut self) -> BatchId {
        self.record_live(LiveInput::BatchId);
        let id = BatchId(self.next_batch_id);
        self.next_batch_id += 1;
        id
    }

    /// An operator's command in live mode (crash, restart or slow a
    /// broker), kept on the tape.
    pub fn live_command(&mut self, cmd: &crate::engine::command::Command) -> Result<(), String> {
        self.record_live(LiveInput::Command(cmd.clone()));
        self.apply(cmd)
    }

    fn record_live(&mut self, input: LiveInput) {
        #[cfg(live_engine)]
        if self.live {
            self.live_tape.push(input);
        }
        #[cfg(not(live_engine))]
        let _ = input;
    }

    /// Everything that entered this live engine from outside, in order.
    #[cfg(live_engine)]
    pub fn live_tape(&self) -> &[LiveInput] {
        &self.live_tape
    }

    /// A live run again, from its configuration and its tape: the engine
    /// the page would build from a live session's link.
    #[cfg(live_engine)]
    pub fn replay_live(
        cfg: crate::engine::config::ScenarioConfig,
        tape: &[LiveInput],
    ) -> Result<Engine, String> {
        let mut e = Engine::new_live(cfg).map_err(|errs| crate::engine::config::one_line(&errs))?;
        for (i, input) in tape.iter().enumerate() {
            e.apply_live_input(input.clone())
                .map_err(|what| format!("tape entry {i}: {what}"))?;
        }
        Ok(e)
    }

    /// Applies one entry of a live run's tape, as the live engine did when
    /// it happened: what [`Engine::replay_live`] does for each entry, and
    /// what the live page does as the tape streams in.
    #[cfg(live_engine)]
    pub fn apply_live_input(&mut self, input: LiveInput) -> Result<(), String> {
        match input {
            LiveInput::Producer { client_id } => {
                self.add_external_producer(&client_id)?;
            }
            LiveInput::Group { group_id } => {
                self.group_for_id(&group_id)?;
            }
            LiveInput::Consumer { client_id, group } => {
                if group.0 as usize >= self.cfg.groups.len() {
                    return Err(format!("no group {}", group.0));
                }
                self.add_external_consumer(&client_id, group)?;
            }
            LiveInput::Record {
                producer,
                tp,
                key,
                value,
            } => {
                if producer.0 as usize >= self.producers.len() {
                    return Err(format!("no producer {}", producer.0));
                }
                self.check_live_tp(tp)?;
                self.external_record(producer, tp, key, value);
            }
            LiveInput::BatchId => {
                self.external_batch_id();
            }
            LiveInput::TransactionTimeout { producer, ms } => {
                if producer.0 as usize >= self.producers.len() {
                    return Err(format!("no producer {}", producer.0));
                }
                self.set_external_transaction_timeout(producer, ms)
            }
            LiveInput::Request { from, to, msg } => {
                if !self.is_external(from) || to.0 as usize >= self.brokers.len() {
                    return Err(format!("a request from {from:?} to broker {}", to.0));
                }
                self.external_request(from, to, msg)
            }
            LiveInput::Advance { ms } => self.advance_to_ms(ms),
            LiveInput::Command(cmd) => {
                // A command the original refused is refused again.
                let _ = self.live_command(&cmd);
            }
        }
        Ok(())
    }

    #[cfg(live_engine)]
    fn check_live_tp(&self, tp: Tp) -> Result<(), String> {
        match self.topics().get(tp.topic.0 as usize) {
            Some(t) if (tp.partition.0 as usize) < t.partitions.len() => Ok(()),
            _ => Err(format!("no partition {tp:?}")),
        }
    }

    /// Stages 6 and 7 of a real client's records, as far as the engine can
    /// see them: the answer to a Produce reaching the producer
    /// (acknowledged), a fetch answer with records reaching the consumer
    /// (polled). What the client does next (its callback, its processing)
    /// happens in the client.
    #[cfg(live_engine)]
    fn narrate_external_delivery(&mut self, to: Node, msg: &Msg) {
        match (to, msg) {
            (Node::Producer(producer), Msg::ProduceResponse { results, .. }) => {
                for r in results {
                    let Some(i) = self
                        .external_batches
                        .iter()
                        .position(|(b, _)| *b == r.batch)
                    else {
                        continue;
                    };
                    let (batch, records) = self.external_batches.swap_remove(i);
                    if let Ok(first) = r.result {
                        self.emit(EventKind::Acked {
                            producer,
                            tp: r.tp,
                            batch,
                            records,
                            first: Some(first),
                            acks_zero: false,
                        });
                    }
                }
            }
            (Node::Consumer(consumer), Msg::FetchResponse { partitions, .. }) => {
                for p in partitions.iter().filter(|p| p.error.is_none()) {
                    let records: Vec<(RecordId, Offset)> = p
                        .entries
                        .iter()
                        .filter_map(|e| e.record.map(|r| (r, e.offset)))
                        .collect();
                    let Some(last) = p.entries.last() else {
                        continue;
                    };
                    if records.is_empty() {
                        continue;
                    }
                    let skipped_control = (p.entries.len() - records.len()) as u32;
                    self.emit(EventKind::Polled {
                        consumer,
                        tp: p.tp,
                        records,
                        position: Offset(last.offset.0 + 1),
                        skipped_control,
                    });
                }
            }
            _ => {}
        }
    }

    /// What the brokers sent to real clients since the last call.
    pub fn take_external_replies(&mut self) -> Vec<ExternalReply> {
        std::mem::take(&mut self.external_replies)
    }

    /// A message for a real client arrived at its slot: keep the little
    /// the page shows about it (its member id, where it is in the group
    /// protocol, its assignment), and set it aside for the gateway.
    #[cfg(live_engine)]
    pub(crate) fn external_deliver(&mut self, from: Node, to: Node, msg: Msg) {
        self.narrate_external_delivery(to, &msg);
        if let Node::Consumer(c) = to {
            match &msg {
                Msg::JoinGroupResponse {
                    error: None,
                    member_id,
                    generation,
                    ..
                } => {
                    let con = &mut self.consumers[c.0 as usize];
                    con.member_id = Some(member_id.clone());
                    con.generation = *generation;
                    con.membership = Membership::AwaitingSync;
                }
                Msg::HeartbeatResponse { error: Some(_), .. } => {
                    // REBALANCE_IN_PROGRESS and the like: it joins again.
                    self.consumers[c.0 as usize].membership = Membership::Joining;
                }
                Msg::LeaveGroupResponse { .. } => {
                    let con = &mut self.consumers[c.0 as usize];
                    con.membership = Membership::Unjoined;
                    con.member_id = None;
                    con.assignment.clear();
                }
                Msg::SyncGroupResponse {
                    error: None,
                    assignment,
                    ..
                } => {
                    let tps: Vec<Tp> = assignment
                        .iter()
                        .filter_map(|t| {
                            self.topic_id(&t.topic)
                                .map(|topic| Tp::new(topic, t.partition))
                        })
                        .collect();
                    let con = &mut self.consumers[c.0 as usize];
                    con.assignment = tps;
                    con.membership = Membership::Stable;
                }
                #[cfg(consumer_protocol)]
                Msg::ConsumerGroupHeartbeatResponse { resp, .. } => {
                    self.external_heartbeat_answered(c, resp.clone())
                }
                _ => {}
            }
        }
        self.external_replies.push(ExternalReply { to, from, msg });
    }

    /// A real consumer's ConsumerGroupHeartbeat was answered (KIP-848): its
    /// slot takes the member id, the member epoch (as its generation) and
    /// the assignment the answer carries, so the stage draws it as a member
    /// on the consumer protocol, as it draws the simulated ones.
    #[cfg(all(live_engine, consumer_protocol))]
    fn external_heartbeat_answered(
        &mut self,
        c: ConsumerIdx,
        resp: crate::engine::consumer_group::HeartbeatResponse,
    ) {
        use crate::engine::event::ErrorCode;
        let tps: Option<Vec<Tp>> = resp.assignment.as_ref().map(|a| {
            a.iter()
                .filter_map(|t| {
                    self.topic_id(&t.topic)
                        .map(|topic| Tp::new(topic, t.partition))
                })
                .collect()
        });
        let con = &mut self.consumers[c.0 as usize];
        match resp.error {
            None if resp.member_epoch >= 0 => {
                con.member_id = Some(resp.member_id);
                con.generation = GenerationId(resp.member_epoch);
                con.membership = Membership::Stable;
                con.modern.get_or_insert_with(Default::default).interval_ms =
                    resp.heartbeat_interval_ms as u64;
                if let Some(tps) = tps {
                    con.assignment = tps;
                }
            }
            // It left the group (epoch -1, or -2 for a static member).
            None => {
                con.membership = Membership::Unjoined;
                con.member_id = None;
                con.assignment.clear();
            }
            // Fenced: it loses its partitions and joins again at epoch 0.
            Some(ErrorCode::FencedMemberEpoch | ErrorCode::UnknownMemberId) => {
                con.membership = Membership::Joining;
                con.assignment.clear();
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::config::{Acks, ScenarioConfig};
    use crate::engine::network::WireBatch;

    fn cluster() -> ScenarioConfig {
        let mut cfg = ScenarioConfig::default();
        cfg.cluster.brokers = 3;
        cfg.topics[0].partitions = 3;
        cfg.topics[0].replication_factor = 3;
        cfg.producers.clear();
        cfg.groups.clear();
        cfg
    }

    /// A real producer's acks=all request through the leader, as the
    /// gateway hands it in.
    fn produce(e: &mut Engine, value: &[u8]) -> (Node, Tp) {
        let p = e.add_external_producer("kafka-python-producer-1").unwrap();
        let tp = Tp::new(e.topic_id("events").unwrap(), 0);
        let leader = e.topic(tp.topic).partitions[0].leader.unwrap();
        let r = e.external_record(p, tp, Some(b"k".to_vec()), Some(value.to_vec()));
        let batch = e.external_batch_id();
        e.external_request(
            Node::Producer(p),
            leader,
            Msg::Produce {
                request_id: 1 << 40,
                acks: Acks::All,
                timeout_ms: 30_000,
                batches: vec![WireBatch {
                    batch,
                    tp,
                    records: vec![r],
                    producer: None,
                    transactional: false,
                }],
            },
        );
        (Node::Producer(p), tp)
    }

    #[test]
    fn a_real_producers_request_is_answered_to_its_slot_with_the_bytes_kept() {
        let mut e = Engine::new_live(cluster()).unwrap();
        let now = e.now_ms();
        let (node, tp) = produce(&mut e, b"{\"event_id\": 0}");
        e.advance_to_ms(now + 1_000);
        // The page sees stage 6 of the record: the answer reached the client.
        let acked = e.take_events().into_iter().any(|ev| {
            matches!(ev.kind, EventKind::Acked { ref records, first: Some(Offset(0)), .. }
                if records == &[RecordId(0)])
        });
        assert!(
            acked,
            "the acknowledgement reaching the real producer is an event"
        );
        let replies = e.take_external_replies();
        let answer = replies
            .iter()
            .find(|r| r.to == node && matches!(r.msg, Msg::ProduceResponse { .. }))
            .expect("the produce is answered to the client's slot");
        match &answer.msg {
            Msg::ProduceResponse { results, .. } => {
                assert_eq!(results[0].tp, tp);
                assert_eq!(results[0].result, Ok(Offset(0)));
            }
            _ => unreachable!(),
        }
        let rec = e.record(RecordId(0));
        assert_eq!(rec.value_bytes(), b"{\"event_id\": 0}".to_vec());
        assert_eq!(rec.key_bytes(), Some(b"k".to_vec()));
    }

    /// A short live session (a record, a broker crash, a consumer joining),
    /// its cluster and the engine it leaves.
    pub(crate) fn sample_session() -> (ScenarioConfig, Engine) {
        let mut e = Engine::new_live(cluster()).unwrap();
        let now = e.now_ms();
        produce(&mut e, b"one");
        e.advance_to_ms(now + 5);
        e.live_command(&crate::engine::command::Command::CrashBroker {
            broker: BrokerId(2),
        })
        .unwrap();
        e.advance_to_ms(now + 20_000);
        let g = e.group_for_id("my-consumer-group").unwrap();
        e.add_external_consumer("kafka-python-3.0.12", g).unwrap();
        e.advance_to_ms(now + 21_000);
        let _ = e.take_external_replies();
        e.clear_events();
        (cluster(), e)
    }

    #[test]
    fn a_live_tape_replays_to_the_same_engine() {
        let (_, e) = sample_session();
        let mut again = Engine::replay_live(cluster(), e.live_tape()).unwrap();
        let _ = again.take_external_replies();
        again.clear_events();
        assert_eq!(format!("{again:?}"), format!("{e:?}"));

        // Without its crash, the tape gives another run.
        let cut: Vec<LiveInput> = e
            .live_tape()
            .iter()
            .filter(|i| !matches!(i, LiveInput::Command(_)))
            .cloned()
            .collect();
        let mut other = Engine::replay_live(cluster(), &cut).unwrap();
        let _ = other.take_external_replies();
        other.clear_events();
        assert_ne!(format!("{other:?}"), format!("{e:?}"));
    }

    #[test]
    fn a_tape_naming_a_slot_that_was_never_made_is_refused() {
        let tape = vec![LiveInput::Record {
            producer: ProducerIdx(3),
            tp: Tp::new(TopicId(0), 0),
            key: None,
            value: None,
        }];
        let err = Engine::replay_live(cluster(), &tape).unwrap_err();
        assert!(err.contains("tape entry 0"), "{err}");
    }

    #[test]
    fn a_live_tape_survives_json_and_replays_the_same() {
        let (cfg, e) = sample_session();
        let json = serde_json::to_string(e.live_tape()).unwrap();
        let tape: Vec<LiveInput> = serde_json::from_str(&json).unwrap();
        assert_eq!(tape, e.live_tape());
        let mut again = Engine::replay_live(cfg, &tape).unwrap();
        let _ = again.take_external_replies();
        again.clear_events();
        assert_eq!(format!("{again:?}"), format!("{e:?}"));
    }

    #[test]
    fn a_tape_request_to_a_broker_that_does_not_exist_is_refused() {
        let (cfg, e) = sample_session();
        let mut tape = e.live_tape().to_vec();
        for i in tape.iter_mut() {
            if let LiveInput::Request { to, .. } = i {
                *to = BrokerId(9);
            }
        }
        let err = Engine::replay_live(cfg, &tape).unwrap_err();
        assert!(err.contains("broker 9"), "{err}");
    }
}
