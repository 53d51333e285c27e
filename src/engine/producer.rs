//! The producer client: stages 1–4 and 6 of a record's life, batching,
//! retries and idempotence (`KafkaProducer`, `RecordAccumulator`, `Sender`).
//!
//! 1. **Create** — the application calls `send(topic, key, value)`.
//! 2. **Serialize** — key and value become bytes (UTF-8 key, JSON value).
//! 3. **Partition** — an explicit partition wins; a keyed record goes to
//!    `toPositive(murmur2(keyBytes)) % numPartitions`; a null key uses the
//!    built-in sticky partitioner (KIP-794): keep one partition until
//!    `batch.size` bytes went to it and all its batches are full (or twice
//!    `batch.size` went to it), then draw another, weighted towards the
//!    partitions with fewer batches waiting in the accumulator.
//! 4. **Send** — records wait in a per-partition batch until it is full or
//!    `linger.ms` passed; the sender drains ready batches into one Produce
//!    request per leader broker (with the next batch of every other
//!    partition that broker leads, lingering or not), at most
//!    `max.in.flight.requests.per.connection` at a time.
//! 6. **Acknowledge** — the response completes the batch's futures, or a
//!    retriable error sends it back to the front of its queue after
//!    `retry.backoff.ms` (exponential, capped by `retry.backoff.max.ms`),
//!    until `delivery.timeout.ms`.
//!
//! Without idempotence a retry after a lost response appends the batch a
//! second time, and with several requests in flight a retried batch can land
//! after a later one. With idempotence (the default since Kafka 3.0) the
//! producer gets a producer id and epoch and numbers each partition's batches
//! from 0, so the broker can drop the duplicate and refuse gaps.
//!
//! **When a batch is lost anyway** (KIP-360, `TransactionManager`): a batch
//! that fails for good leaves a gap in its partition's sequence, and every
//! later batch would be refused with OUT_OF_ORDER_SEQUENCE_NUMBER. So the
//! idempotent producer bumps its own epoch and restarts that partition's
//! sequence at 0 (`bumpIdempotentEpochAndResetIdIfNeeded`): only the failed
//! records are lost. If the batch had been sent and then expired, nobody
//! knows whether the broker wrote it: the partition takes no new batch until
//! its earlier ones are done (`maybeResolveSequences`). A transactional
//! producer instead enters an abortable error: the transaction, which
//! would miss the record, can only be aborted, and InitProducerId bumps the
//! epoch after the abort.
//!
//! ## Where the rules live
//!
//! The accumulator's rules (append, the head of a queue, `allBatchesFull`)
//! are in `accumulator.rs`; the partitioner's (stage 3) in
//! `partitioner.rs`; the sender's (which batches are ready, the drain,
//! what an answer means, retries, expiry) in `sender.rs`, and the
//! sequence numbers and epoch bumps in `idempotence.rs`. They are methods
//! of [`Producer`] that write their events, timers and messages into an
//! `Outbox`. This file is the engine glue: it creates records and moves
//! them through stages 1–3, gathers what the rules need (the
//! configuration, the time, a topic's size, the records' creation times,
//! the seeded random source), applies their outbox where Kafka's client
//! would act, and does what reaches beyond the producer (InitProducerId,
//! EndTxn, the metadata refresh, request ids and the network's latency).

use crate::engine::accumulator::{Appended, RecordAccumulator};
use crate::engine::client_metadata::ClientMetadata;
use crate::engine::config::{Acks, KeyMode, ProducerConfig};
use crate::engine::event::{ErrorCode, EventKind, Node, PartitionChoice};
use crate::engine::idempotence::EpochBump;
use crate::engine::ids::*;
use crate::engine::network::{BatchResult, CoordinatorKey, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::partitioner::TopicInfo;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sender::Outgoing;
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

pub use crate::engine::accumulator::{BatchState, ProducerBatch, BATCH_OVERHEAD_BYTES};
pub use crate::engine::idempotence::SeqState;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InFlightRequest {
    pub request_id: u64,
    pub broker: BrokerId,
    pub batches: Vec<BatchId>,
    pub sent_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StickyState {
    pub partition: Option<u32>,
    pub produced_bytes: u32,
}

/// Client-side transaction state (`TransactionManager`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProducerTxn {
    pub open: bool,
    /// Partitions confirmed by AddPartitionsToTxn.
    pub added: Vec<Tp>,
    /// Partitions with an AddPartitionsToTxn in flight.
    pub adding: Vec<Tp>,
    /// Commit (true) / abort (false) requested: flush, then EndTxn.
    pub ending: Option<bool>,
    pub end_sent: bool,
    /// Offsets to commit with the transaction (`sendOffsetsToTransaction`).
    pub pending_offsets: Option<(GroupIdx, String, GenerationId, Vec<(Tp, Offset)>)>,
    pub offsets_state: u8,
    pub records_in_txn: u32,
    pub fenced: bool,
    /// The abortable error a failed batch left (`ABORTABLE_ERROR`): the
    /// transaction can only be aborted.
    pub abortable: Option<ErrorCode>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Producer {
    pub idx: ProducerIdx,
    pub client_id: String,
    pub alive: bool,
    /// Incremented when a new instance (same transactional.id) starts.
    pub instance: u32,
    pub acks: Acks,
    pub idempotent: bool,
    pub transactional_id: Option<String>,
    pub producer_id: Option<(ProducerId, ProducerEpoch)>,
    pub init_in_flight: bool,
    pub next_seq: VecMap<Tp, i32>,
    pub seq: SeqState,
    /// Its batches, per partition (`RecordAccumulator`).
    pub acc: RecordAccumulator,
    pub in_flight: Vec<InFlightRequest>,
    pub sticky: VecMap<TopicId, StickyState>,
    pub next_event_id: u32,
    pub workload_sent: u32,
    pub drop_next_response: bool,
    pub txn: ProducerTxn,
    /// Records between Create and Partition (stages 1–3).
    pub staging: u32,
    pub acked_records: u64,
    pub failed_records: u64,
    /// Sum of (ack time − create time) over acknowledged records, for latency figures.
    pub total_ack_latency_ms: u64,
    /// The application thread of a transactional consume-transform-produce loop.
    pub owner_consumer: Option<ConsumerIdx>,
    /// Who leads each partition, as far as this producer knows.
    pub metadata: ClientMetadata,
}

impl Producer {
    /// A new client: no producer id yet, nothing queued, its metadata
    /// cache just bootstrapped.
    pub(crate) fn new(
        idx: ProducerIdx,
        pc: &ProducerConfig,
        idempotent: bool,
        owner_consumer: Option<ConsumerIdx>,
        metadata: ClientMetadata,
    ) -> Producer {
        Producer {
            idx,
            client_id: pc.client_id.clone(),
            alive: true,
            instance: 0,
            acks: pc.acks,
            idempotent,
            transactional_id: pc.transactional_id.clone(),
            producer_id: None,
            init_in_flight: false,
            next_seq: VecMap::new(),
            seq: SeqState::default(),
            acc: RecordAccumulator::default(),
            in_flight: Vec::new(),
            sticky: VecMap::new(),
            next_event_id: 0,
            workload_sent: 0,
            drop_next_response: false,
            txn: ProducerTxn::default(),
            staging: 0,
            acked_records: 0,
            failed_records: 0,
            total_ack_latency_ms: 0,
            owner_consumer,
            metadata,
        }
    }

    pub(crate) fn is_ready(&self) -> bool {
        !self.alive || !self.idempotent || self.producer_id.is_some()
    }

    pub(crate) fn has_pending_work(&self) -> bool {
        // A fenced producer is in a fatal state (ProducerFencedException):
        // it never sends again, so a commit it had begun is not pending.
        self.alive
            && !self.txn.fenced
            && (self.staging > 0
                || !self.acc.is_empty()
                || self.init_in_flight
                || self.txn.ending.is_some()
                || !self.txn.adding.is_empty())
    }

    pub fn cfg<'a>(&self, cfg: &'a crate::engine::config::ScenarioConfig) -> &'a ProducerConfig {
        &cfg.producers[self.idx.0 as usize]
    }

    /// Records waiting in the accumulator or in flight.
    pub fn unacked_records(&self) -> usize {
        self.acc.record_count()
    }
}

/// A producer's own timers, dispatched by [`Engine::producer_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProducerTimer {
    /// The application calls `send()` for this record (stage 1).
    Create { record: RecordId },
    /// The record moves on: serialized (stage 2), or partitioned (stage 3).
    Stage { record: RecordId, serialize: bool },
    /// `linger.ms` passed: the sender looks for ready batches.
    Linger,
    /// A retry backoff (or a batch's expiry) passed: the sender runs again.
    RetryBackoffDone,
    /// `request.timeout.ms` passed with no answer to this Produce request.
    RequestTimeout { broker: BrokerId, request_id: u64 },
    /// The scenario's workload sends its next record.
    WorkloadNext,
    /// Ask for a producer id again (InitProducerId backoff).
    RetryInit,
    /// A transactional producer resends its outstanding request.
    TxnRetry,
}

impl Engine {
    /// Runs one of `p`'s timers.
    pub(crate) fn producer_timer(&mut self, p: ProducerIdx, timer: ProducerTimer) {
        match timer {
            ProducerTimer::Create { record } => self.producer_create(p, record),
            ProducerTimer::Stage { record, serialize } => self.producer_stage(p, record, serialize),
            ProducerTimer::Linger | ProducerTimer::RetryBackoffDone => self.producer_sender_run(p),
            ProducerTimer::RequestTimeout { broker, request_id } => {
                self.producer_request_timeout(p, broker, request_id)
            }
            ProducerTimer::WorkloadNext => self.producer_workload_next(p),
            ProducerTimer::RetryInit => self.producer_init_id(p),
            ProducerTimer::TxnRetry => self.producer_txn_retry(p),
        }
    }

    pub(crate) fn init_producers(&mut self) {
        let cfgs = self.cfg.producers.clone();
        for (i, pc) in cfgs.iter().enumerate() {
            let idx = ProducerIdx(i as u16);
            let metadata = self.producer_bootstrap(pc, None);
            self.producers
                .push(Producer::new(idx, pc, pc.idempotent(), None, metadata));
            if self.producers[i].idempotent {
                self.producer_init_id(idx);
            }
        }
    }

    /// A new producer process's metadata: the leaders, its transaction
    /// coordinator and, for an exactly-once processor, its group's
    /// coordinator (the bootstrap lookups, done before the picture).
    pub(crate) fn producer_bootstrap(
        &self,
        pc: &ProducerConfig,
        owner: Option<ConsumerIdx>,
    ) -> crate::engine::client_metadata::ClientMetadata {
        let mut keys = Vec::new();
        if let Some(t) = &pc.transactional_id {
            keys.push(CoordinatorKey::Transaction(t.clone()));
        }
        if let Some(c) = owner {
            keys.push(CoordinatorKey::Group(self.consumers[c.0 as usize].group));
        }
        self.bootstrap_metadata(&keys)
    }

    fn producer(&mut self, p: ProducerIdx) -> &mut Producer {
        &mut self.producers[p.0 as usize]
    }

    /// Starts the producers' workloads (after the warm-up, so that consumers
    /// are already in their groups when the first record is created).
    pub(crate) fn start_workloads(&mut self) {
        for i in 0..self.producers.len() {
            let w = &self.cfg.producers[i].workload;
            if w.records > 0 {
                let at = self.now_ms + w.start_ms as u64;
                self.schedule(
                    at,
                    Action::Producer {
                        producer: ProducerIdx(i as u16),
                        timer: ProducerTimer::WorkloadNext,
                    },
                );
            }
        }
    }

    /// InitProducerId: to any broker for idempotence, to the transaction
    /// coordinator for a transactional producer.
    pub(crate) fn producer_init_id(&mut self, p: ProducerIdx) {
        let pr = &self.producers[p.0 as usize];
        if !pr.may_init_producer_id() {
            return;
        }
        let target = match pr.transactional_id.clone() {
            Some(t) => self.client_coordinator(Node::Producer(p), CoordinatorKey::Transaction(t)),
            // `leastLoadedNode`: a broker whose connection has not failed.
            None => {
                let (now, n) = (self.now_ms, self.cfg.cluster.brokers);
                self.producer(p).metadata.pick_node(now, n).ok()
            }
        };
        self.producer_rule(p, |pr, now, pc, out| {
            pr.init_producer_id(now, target, pc, out)
        });
    }

    // ---- stages 1–3 ----------------------------------------------------------

    pub(crate) fn cmd_produce(
        &mut self,
        p: ProducerIdx,
        topic: Option<&str>,
        key: Option<String>,
        value: Option<String>,
        partition: Option<u32>,
    ) -> Result<(), String> {
        let pi = self.check_producer(p)?;
        if !self.producers[pi].alive {
            return Err(format!("{} is not running", self.producers[pi].client_id));
        }
        // A transactional producer sends only inside a transaction: Kafka's
        // send() throws IllegalStateException otherwise ("Cannot call send in
        // state READY"), and a fenced one can never send again.
        let pr = &self.producers[pi];
        if pr.transactional_id.is_some() {
            if pr.txn.fenced {
                return Err(format!(
                    "{} was fenced (PRODUCER_FENCED): a newer instance with its transactional.id took over, and a fenced producer can never send again. Reset to replay the scenario.",
                    pr.client_id
                ));
            }
            if !pr.txn.open || pr.txn.ending.is_some() {
                return Err(format!(
                    "{} is transactional and no transaction is open: Kafka's send() outside beginTransaction() … commitTransaction() throws IllegalStateException. This scenario's script sends its records; Reset to replay it, or pick Your own scenario to send records by hand.",
                    pr.client_id
                ));
            }
        }
        let topic_name = topic
            .map(str::to_string)
            .unwrap_or_else(|| self.cfg.producers[pi].workload.topic.clone());
        let topic = self
            .topic_id(&topic_name)
            .filter(|t| !self.topic(*t).internal)
            .ok_or_else(|| format!("there is no topic {topic_name:?}"))?;
        if let Some(part) = partition {
            let n = self.topic(topic).partitions.len() as u32;
            if part >= n {
                return Err(format!(
                    "topic {topic_name:?} has partitions 0–{}, not {part}",
                    n - 1
                ));
            }
        }
        if let Some(k) = &key {
            if k.len() > 256 {
                return Err("keys are limited to 256 bytes here".into());
            }
        }
        if let Some(v) = &value {
            if v.len() > 4096 {
                return Err("values are limited to 4096 bytes here".into());
            }
        }
        let key = match key {
            Some(k) => KeySource::Text(k),
            None => KeySource::Null,
        };
        let value = match value {
            Some(v) => ValueSource::Text(v),
            None => ValueSource::Generated,
        };
        self.producer_create_record(p, topic, key, value, partition);
        Ok(())
    }

    fn producer_create_record(
        &mut self,
        p: ProducerIdx,
        topic: TopicId,
        key: KeySource,
        value: ValueSource,
        partition: Option<u32>,
    ) -> RecordId {
        let event_id = {
            let pr = self.producer(p);
            let e = pr.next_event_id;
            pr.next_event_id += 1;
            e
        };
        // Event ids are unique across producers: producer k numbers from k·1,000,000.
        let event_id = EventId(p.0 as u32 * 1_000_000 + event_id);
        let id = RecordId(self.records.len() as u32);
        crate::engine::cow_vec::push_in_place!(self.records.push(RecordData {
            id,
            event_id,
            producer: Some(p),
            topic,
            key,
            value,
            kind: RecordKind::Data,
            created_ms: self.now_ms,
            partition: None,
            explicit_partition: partition,
        }));
        self.producer(p).staging += 1;
        self.schedule_in(
            0,
            Action::Producer {
                producer: p,
                timer: ProducerTimer::Create { record: id },
            },
        );
        id
    }

    pub(crate) fn producer_workload_next(&mut self, p: ProducerIdx) {
        let cfg = std::sync::Arc::clone(&self.cfg);
        let pc = &cfg.producers[p.0 as usize];
        let pr = &self.producers[p.0 as usize];
        if !pr.alive || pr.workload_sent >= pc.workload.records || pr.owner_consumer.is_some() {
            return;
        }
        #[cfg(not(engine_speed))]
        let topic = self.topic_id(&pc.workload.topic);
        #[cfg(engine_speed)] // (the id remembered: `producer_workload_topic`, at the end)
        let topic = self.producer_workload_topic(p, &pc.workload.topic);
        // The workload's topic, by name (none yet: nothing to send).
        let Some(topic) = topic else { return };
        let n = pr.workload_sent;
        let key = match &pc.workload.keys {
            KeyMode::Null => KeySource::Null,
            KeyMode::EventId => KeySource::EventId,
            KeyMode::Cycle(keys) => KeySource::Text(keys[n as usize % keys.len()].clone()),
        };
        if self.producers[p.0 as usize].transactional_id.is_some()
            && !self.producers[p.0 as usize].txn.open
        {
            if self.producers[p.0 as usize].txn.ending.is_some()
                || self.producers[p.0 as usize].producer_id.is_none()
            {
                // Wait for the previous transaction to finish (or for InitProducerId).
                self.schedule_in(
                    pc.workload.interval_ms.max(1) as u64,
                    Action::Producer {
                        producer: p,
                        timer: ProducerTimer::WorkloadNext,
                    },
                );
                return;
            }
            let _ = self.cmd_begin_transaction(p);
        }
        self.producer(p).workload_sent += 1;
        self.producer_create_record(p, topic, key, ValueSource::Generated, None);
        if self.producers[p.0 as usize].transactional_id.is_some() {
            let txn = &mut self.producer(p).txn;
            txn.records_in_txn += 1;
            let done = self.producers[p.0 as usize].workload_sent >= pc.workload.records;
            if self.producers[p.0 as usize].txn.records_in_txn >= pc.records_per_transaction || done
            {
                let _ = self.cmd_end_transaction(p, true);
            }
        }
        if self.producers[p.0 as usize].workload_sent < pc.workload.records {
            self.schedule_in(
                pc.workload.interval_ms as u64,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::WorkloadNext,
                },
            );
        }
    }

    /// Stage 1: the application's `send()` call.
    pub(crate) fn producer_create(&mut self, p: ProducerIdx, record: RecordId) {
        if !self.producers[p.0 as usize].alive {
            return;
        }
        self.emit(EventKind::Created {
            producer: p,
            record,
        });
        self.schedule_in(
            0,
            Action::Producer {
                producer: p,
                timer: ProducerTimer::Stage {
                    record,
                    serialize: true,
                },
            },
        );
    }

    pub(crate) fn producer_stage(&mut self, p: ProducerIdx, record: RecordId, serialize: bool) {
        if !self.producers[p.0 as usize].alive {
            return;
        }
        if serialize {
            self.emit(EventKind::Serialized {
                producer: p,
                record,
            });
            self.schedule_in(
                0,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::Stage {
                        record,
                        serialize: false,
                    },
                },
            );
            return;
        }
        let (tp, choice) = self.producer_choose_partition(p, record);
        self.records[record.0 as usize].partition = Some(tp.partition);
        self.producer(p).staging -= 1;
        self.emit(EventKind::Partitioned {
            producer: p,
            record,
            tp,
            choice,
        });
        let appended = self.producer_accumulate(p, tp, record);
        if matches!(choice, PartitionChoice::Sticky { .. }) {
            let (topic, bytes) = (self.topic_info(tp.topic), appended.bytes);
            let batch_size = self.cfg.producers[p.0 as usize].batch_size;
            let pr = &mut self.producers[p.0 as usize];
            pr.sticky_appended(topic, tp, bytes, batch_size, &mut self.rng);
        }
        if self.producers[p.0 as usize].transactional_id.is_some() {
            self.producer_maybe_add_partition(p, tp);
        }
        // `KafkaProducer.doSend`: the sender is woken only when the append
        // filled a batch or opened a new one; otherwise it sleeps until its
        // own next deadline (linger, backoff, expiry) or a response.
        if appended.wake_sender {
            self.producer_sender_run(p);
        }
    }

    /// Stage 3 (see `partitioner.rs`): the engine knows the record, its
    /// topic's size and the random source.
    fn producer_choose_partition(
        &mut self,
        p: ProducerIdx,
        record: RecordId,
    ) -> (Tp, PartitionChoice) {
        let r = &self.records[record.0 as usize];
        let explicit = r.explicit_partition;
        let topic = self.topic_info(r.topic);
        let batch_size = self.cfg.producers[p.0 as usize].batch_size;
        let pr = &mut self.producers[p.0 as usize];
        let rng = &mut self.rng;
        // The page keeps the key's allocation (less code); natively it is hashed off the stack.
        #[cfg(not(engine_speed))]
        {
            let key = explicit.is_none().then(|| r.key_bytes()).flatten();
            pr.choose_partition(topic, explicit, key.as_deref(), batch_size, rng)
        }
        #[cfg(engine_speed)] // (an explicit partition wins: `choose_partition` skips the key)
        {
            r.with_key_bytes(|key| pr.choose_partition(topic, explicit, key, batch_size, rng))
        }
    }

    fn topic_info(&self, topic: TopicId) -> TopicInfo {
        TopicInfo {
            id: topic,
            partitions: self.topic(topic).partitions.len() as u32,
        }
    }

    /// Appends the record to its partition's open batch, or to a new one;
    /// returns the bytes the append added (`appendedBytes`: a new batch
    /// counts its header too).
    /// `RecordAccumulator.append`; returns what the append did.
    fn producer_accumulate(&mut self, p: ProducerIdx, tp: Tp, record: RecordId) -> Appended {
        #[cfg(engine_speed)] // (natively its open batch first: `append_to_open`, at the end)
        if let Some(a) = self.producer_append_to_open(p, tp, record) {
            return a;
        }
        let size = self.records[record.0 as usize].size_bytes();
        let pc = &self.cfg.producers[p.0 as usize];
        let (batch_size, delivery_ms) = (pc.batch_size, pc.delivery_timeout_ms as u64);
        let new_id = BatchId(self.next_batch_id);
        let now = self.now_ms;
        let a = self.producers[p.0 as usize].acc.append(
            tp,
            record,
            size,
            batch_size,
            now,
            delivery_ms,
            new_id,
        );
        if a.new_batch {
            self.next_batch_id += 1;
        }
        a
    }

    // ---- stage 4: the sender -----------------------------------------------------

    /// `Sender.runOnce`: drain ready batches into Produce requests. The
    /// rules are the producer's (`sender.rs`); this glue runs them in
    /// Kafka's order and applies each one's outbox before the next step,
    /// with what only the engine does in between (InitProducerId after the
    /// last epoch, EndTxn once an abort can go, the metadata refresh).
    pub(crate) fn producer_sender_run(&mut self, p: ProducerIdx) {
        let pi = p.0 as usize;
        if !self.producers[pi].alive || self.producers[pi].txn.fenced {
            return;
        }
        if self.producers[pi].idempotent && self.producers[pi].producer_id.is_none() {
            return;
        }
        // `runOnce` starts with `maybeResolveSequences` and
        // `bumpIdempotentEpochAndResetIdIfNeeded` (KIP-360), before
        // `sendProducerData` expires and drains batches.
        if self.producers[pi].idempotent {
            self.producer_maybe_resolve_sequences(p);
            self.producer_bump_epoch_if_needed(p);
            if !self.producers[pi].alive || self.producers[pi].producer_id.is_none() {
                return; // a new producer id is on its way
            }
        }
        let cfg = std::sync::Arc::clone(&self.cfg);
        let pc = &cfg.producers[pi];
        let now = self.now_ms;
        let flushing = self.producers[pi].txn.ending.is_some();
        // `RecordAccumulator.expiredBatches`: a batch waiting in the
        // accumulator (backing off, or without a leader) fails with a
        // TimeoutException as soon as delivery.timeout.ms has passed since
        // its creation, not at some later response; a batch in flight
        // expires too, and a response that comes later is ignored.
        let delivery_ms = pc.delivery_timeout_ms as u64;
        let tps: Vec<Tp> = self.producers[pi].acc.queues.keys().copied().collect();
        let unresolved_before = self.producers[pi].seq.unresolved.len();
        if now >= self.producers[pi].acc.next_expiry_ms {
            let (expired, next) = self.producers[pi].expired_batches(now, delivery_ms);
            for id in expired {
                self.producer_expire_batch(p, id);
            }
            self.producers[pi].acc.next_expiry_ms = next;
        }
        if self.producers[pi].seq.unresolved.len() > unresolved_before {
            // A sent batch expired: its sequence is resolved at the next
            // `runOnce`, as in Kafka (and the epoch bump is its own step).
            self.schedule_in(
                0,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::RetryBackoffDone,
                },
            );
        }
        if let Some(error) = self.producers[pi].txn.abortable {
            self.producer_rule(p, |pr, _, _, out| pr.abort_undrained(error, out));
        }
        // `NetworkClient.poll` → `maybeUpdate`: refresh the metadata if due.
        self.client_maybe_update_metadata(Node::Producer(p));
        let drain = self.producer_rule(p, |pr, now, pc, out| {
            pr.plan_drain(now, &tps, pc, flushing, out)
        });
        for (broker, batch_ids) in drain.requests {
            self.producer_send_request(p, broker, batch_ids, pc);
        }
        if let Some(at) = drain.wake_at {
            self.schedule(
                at,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::RetryBackoffDone,
                },
            );
        }
        self.producer_maybe_end_txn(p);
    }

    /// Sends one Produce request (see `Producer::produce_request`): the
    /// engine numbers the request and knows the link's latency.
    fn producer_send_request(
        &mut self,
        p: ProducerIdx,
        broker: BrokerId,
        batch_ids: Vec<BatchId>,
        pc: &ProducerConfig,
    ) {
        let request_id = self.next_id();
        let (now, mut out) = (self.now_ms, self.outbox());
        let arrive_ms = now + self.latency_ms(Node::Producer(p), Node::Broker(broker));
        let to = Outgoing {
            broker,
            request_id,
            arrive_ms,
        };
        let records = &self.records;
        let created_ms = |r: RecordId| records[r.0 as usize].created_ms;
        let pr = &mut self.producers[p.0 as usize];
        pr.produce_request(now, to, batch_ids, pc, created_ms, &mut out);
        self.apply_outbox(out);
    }

    // ---- responses, errors, retries ---------------------------------------------

    pub(crate) fn producer_receive(&mut self, p: ProducerIdx, from: Node, msg: Msg) {
        self.client_coordinator_error(Node::Producer(p), from, msg.error());
        match msg {
            Msg::FindCoordinatorResponse { key, coordinator } => {
                self.client_coordinator_response(Node::Producer(p), key, coordinator)
            }
            Msg::ApiVersionsResponse {} => {
                if let Node::Broker(b) = from {
                    self.producer(p).metadata.connected(b);
                }
                self.producer_sender_run(p);
            }
            Msg::MetadataResponse { partitions } => {
                if let Node::Broker(b) = from {
                    self.client_metadata_response(Node::Producer(p), b, &partitions);
                }
                self.producer_sender_run(p);
            }
            Msg::ProduceResponse {
                request_id,
                results,
            } => {
                if self.producers[p.0 as usize].drop_next_response {
                    self.producer(p).drop_next_response = false;
                    self.emit(crate::engine::broker::injected_drop(
                        from,
                        Node::Producer(p),
                        crate::engine::event::MsgKind::ProduceResponse,
                    ));
                    return; // the request stays in flight until request.timeout.ms
                }
                if !self.producer(p).request_answered(request_id) {
                    return;
                }
                for r in results {
                    self.producer_handle_result(p, r);
                }
                self.producer_sender_run(p);
            }
            Msg::InitProducerIdResponse {
                error,
                producer_id,
                epoch,
                instance,
            } => {
                let id = (producer_id, epoch);
                let assigned = self.producer_rule(p, |pr, now, pc, out| {
                    pr.handle_init_producer_id_response(now, error, id, instance, pc, out)
                });
                if assigned {
                    self.producer_sender_run(p);
                    self.processor_producer_ready(p);
                }
            }
            other => self.producer_txn_receive(p, from, other),
        }
    }

    /// One batch's answer in a ProduceResponse (see
    /// `Producer::handle_produce_result`).
    fn producer_handle_result(&mut self, p: ProducerIdx, r: BatchResult) {
        let cfg = std::sync::Arc::clone(&self.cfg);
        let mut out = self.outbox();
        let (now, records) = (self.now_ms, &self.records);
        let created_ms = |r: RecordId| records[r.0 as usize].created_ms;
        let pc = &cfg.producers[p.0 as usize];
        let pr = &mut self.producers[p.0 as usize];
        let abortable = pr.handle_produce_result(now, r, pc, &mut self.rng, created_ms, &mut out);
        self.apply_outbox(out);
        self.producer_after_failure(p, abortable);
    }

    /// A batch attempt failed: the producer retries it or gives up
    /// (`Producer::handle_batch_failed`).
    fn producer_batch_failed(&mut self, p: ProducerIdx, id: BatchId, error: ErrorCode) {
        let cfg = std::sync::Arc::clone(&self.cfg);
        let (now, mut out) = (self.now_ms, self.outbox());
        let pr = &mut self.producers[p.0 as usize];
        let pc = &cfg.producers[p.0 as usize];
        let abortable = pr.handle_batch_failed(now, id, error, pc, &mut self.rng, &mut out);
        self.apply_outbox(out);
        self.producer_after_failure(p, abortable);
    }

    /// Runs one of `p`'s rules with the time and its configuration, then
    /// applies what it decided at once (before anything else happens, so
    /// the order of events, messages and timers is the rule's own).
    fn producer_rule<R>(
        &mut self,
        p: ProducerIdx,
        rule: impl FnOnce(&mut Producer, u64, &ProducerConfig, &mut Outbox) -> R,
    ) -> R {
        let cfg = std::sync::Arc::clone(&self.cfg);
        let mut out = self.outbox();
        let pr = &mut self.producers[p.0 as usize];
        let answer = rule(pr, self.now_ms, &cfg.producers[p.0 as usize], &mut out);
        self.apply_outbox(out);
        answer
    }

    /// After a batch failed for good: if that put the producer in a new
    /// abortable error, the transaction may now end (an abort, once
    /// nothing is in flight).
    fn producer_after_failure(&mut self, p: ProducerIdx, abortable: bool) {
        if abortable {
            self.producer_maybe_end_txn(p);
        }
    }

    /// `maybeResolveSequences` (see `Producer::maybe_resolve_sequences`).
    fn producer_maybe_resolve_sequences(&mut self, p: ProducerIdx) {
        let abortable = self.producer_rule(p, |pr, _, _, out| pr.maybe_resolve_sequences(out));
        self.producer_after_failure(p, abortable);
    }

    /// `bumpIdempotentEpochAndResetIdIfNeeded` (see
    /// `Producer::bump_epoch_if_needed`): shows the bump, or asks for a new
    /// producer id at the last epoch.
    fn producer_bump_epoch_if_needed(&mut self, p: ProducerIdx) {
        let (producer_id, epoch, restarted) = match self.producer(p).bump_epoch_if_needed() {
            EpochBump::None => return,
            EpochBump::NewProducerId => return self.producer_init_id(p),
            EpochBump::Bumped {
                producer_id,
                epoch,
                restarted,
            } => (producer_id, epoch, restarted),
        };
        let client = self.producers[p.0 as usize].client_id.clone();
        self.emit(EventKind::ProducerIdAssigned {
            producer: p,
            producer_id,
            epoch,
        });
        let parts: Vec<String> = restarted
            .iter()
            .map(|tp| format!("{}-{}", self.topic(tp.topic).name, tp.partition.0))
            .collect();
        self.emit(EventKind::Note {
            text: format!(
                "{client} bumps its producer epoch to {} and restarts the sequence numbers of {} at 0 (KIP-360): the failed batch's records are lost, and the batches after it are accepted again.",
                epoch.0,
                if parts.is_empty() { "its partitions".to_string() } else { parts.join(", ") }
            ),
        });
    }

    /// A batch passed `delivery.timeout.ms` (see `Producer::expire_batch`).
    fn producer_expire_batch(&mut self, p: ProducerIdx, id: BatchId) {
        let abortable = self.producer_rule(p, |pr, _, _, out| pr.expire_batch(id, out));
        self.producer_after_failure(p, abortable);
    }

    pub(crate) fn producer_request_timeout(
        &mut self,
        p: ProducerIdx,
        broker: BrokerId,
        request_id: u64,
    ) {
        let pi = p.0 as usize;
        if !self.producers[pi]
            .in_flight
            .iter()
            .any(|r| r.request_id == request_id)
        {
            return;
        }
        // The client closes the connection: this request times out and every
        // other in-flight request on it fails with a network error.
        self.producer_connection_lost(p, broker, Some(request_id));
        self.producer_sender_run(p);
    }

    /// The connection to `broker` closed: the client's metadata learns it,
    /// and the batches of every request in flight on it fail (see
    /// `Producer::connection_lost`).
    fn producer_connection_lost(
        &mut self,
        p: ProducerIdx,
        broker: BrokerId,
        timed_out: Option<u64>,
    ) {
        self.client_metadata_disconnected(Node::Producer(p), broker);
        for (b, error) in self.producer(p).connection_lost(broker, timed_out) {
            if self.producers[p.0 as usize].acc.batches.contains_key(&b) {
                self.producer_batch_failed(p, b, error);
            }
        }
    }

    pub(crate) fn producer_disconnected(&mut self, p: ProducerIdx, broker: BrokerId) {
        let pi = p.0 as usize;
        if !self.producers[pi].alive {
            return;
        }
        self.producer_connection_lost(p, broker, None);
        self.producer_rule(p, |pr, now, pc, out| pr.init_connection_lost(now, pc, out));
        self.producer_txn_disconnected(p, broker);
        self.producer_sender_run(p);
    }
}

/// Natively a record joins its partition's open batch in stage 3's own code
/// (inlined where the timer runs): the accumulator's hint names the batch
/// (`OpenHint`, in `accumulator.rs`), and only a record that needs a new
/// batch (or whose partition's hint is stale) calls the page's
/// `producer_accumulate` path, `RecordAccumulator::append`. Both
/// give the same `Appended`.
#[cfg(engine_speed)]
impl Engine {
    #[inline(always)]
    fn producer_append_to_open(
        &mut self,
        p: ProducerIdx,
        tp: Tp,
        record: RecordId,
    ) -> Option<Appended> {
        let size = self.records[record.0 as usize].size_bytes_fast();
        let batch_size = self.cfg.producers[p.0 as usize].batch_size;
        (self.producers[p.0 as usize].acc).append_to_open(tp, record, size, batch_size)
    }
}

/// Natively (`cfg(engine_speed)`), the workload's topic id remembered per producer.
///
/// Why: stage 1 (`producer_workload_next`) runs once a record, and the page finds the
/// topic's id by its name every time (`Engine::topic_id`: a scan of the topics and a
/// string comparison, ~40 instructions). Natively the id found is kept in the
/// producer's accumulator hint (`OpenHint::workload_topic`, `accumulator.rs`) with the
/// number of topics there were when it was found, and used again while that number is
/// unchanged.
///
/// It can only be stale, never wrong: topics are only ever added (the controller's
/// `add_topic`; ids are positions in its list), and a producer's workload topic name is
/// fixed when the producer is created, so while the topic count is the one recorded the
/// list, and the name's id in it, are the ones the id was found in. Any change of the
/// count (a topic created, or one removed, should the engine ever remove them) makes the
/// next record look the name up again; a topic not found is never remembered (the page
/// sends nothing, and the next record looks again). A time-travel restore swaps the
/// whole engine, producers and controller together, so it brings back the hint its own
/// state had. Debug builds check every answer against the page's look-up.
#[cfg(engine_speed)]
impl Engine {
    #[inline(always)]
    fn producer_workload_topic(&self, p: ProducerIdx, name: &str) -> Option<TopicId> {
        let hint = &self.producers[p.0 as usize].acc.open_hint.workload_topic;
        let count = self.topics().len();
        let topic = match hint.get() {
            Some((known, id)) if known == count => Some(id),
            _ => self.producer_find_workload_topic(p, name, count),
        };
        debug_assert_eq!(topic, self.topic_id(name), "the workload topic's id");
        topic
    }

    /// The hint missed (the first record, or the topics changed): the page's look-up by
    /// name, remembered if found.
    #[cold]
    #[inline(never)]
    fn producer_find_workload_topic(
        &self,
        p: ProducerIdx,
        name: &str,
        count: usize,
    ) -> Option<TopicId> {
        let topic = self.topic_id(name)?;
        let hint = &self.producers[p.0 as usize].acc.open_hint.workload_topic;
        hint.set(Some((count, topic)));
        Some(topic)
    }
}
