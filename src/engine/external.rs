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
use crate::engine::network::Msg;
use crate::engine::producer::Producer;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::{Action, Engine};

/// A message a broker sent to an external client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalReply {
    pub to: Node,
    pub from: Node,
    pub msg: Msg,
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
        self.external.push(Node::Consumer(idx));
        self.emit(EventKind::ConsumerStarted {
            consumer: idx,
            restart: false,
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
    pub fn external_record(
        &mut self,
        producer: ProducerIdx,
        tp: Tp,
        key: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> RecordId {
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
                msg: std::sync::Arc::new(msg),
            },
        );
    }

    /// Moves the clock to `ms` (never backwards) and runs everything due by
    /// then: live mode's clock follows the wall clock between requests.
    pub fn advance_to_ms(&mut self, ms: u64) {
        self.run_to_ms(ms);
        if ms > self.now_ms {
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
        if let Some(pc) = std::sync::Arc::make_mut(&mut self.cfg)
            .producers
            .get_mut(producer.0 as usize)
        {
            pc.transaction_timeout_ms = ms.clamp(1, 900_000);
        }
    }

    /// A new producer-batch id for a batch a real client sent.
    pub fn external_batch_id(&mut self) -> BatchId {
        let id = BatchId(self.next_batch_id);
        self.next_batch_id += 1;
        id
    }

    /// What the brokers sent to real clients since the last call.
    pub fn take_external_replies(&mut self) -> Vec<ExternalReply> {
        std::mem::take(&mut self.external_replies)
    }

    /// A message for a real client arrived at its slot: keep the little
    /// the page shows about it (its member id and assignment), and set it
    /// aside for the gateway.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn external_deliver(&mut self, from: Node, to: Node, msg: Msg) {
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
                    self.consumers[c.0 as usize].assignment = tps;
                }
                _ => {}
            }
        }
        self.external_replies.push(ExternalReply { to, from, msg });
    }
}
