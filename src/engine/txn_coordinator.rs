//! The transaction coordinator (KIP-98, KIP-447) and producer ids.
//!
//! Every idempotent producer first asks a broker for a producer id
//! (InitProducerId). A *transactional* producer asks its **transaction
//! coordinator**: the leader of partition `abs(hash(transactional.id)) % 50`
//! of `__transaction_state`. The coordinator keeps one small state machine
//! per `transactional.id` (`TransactionMetadata.scala`) and writes every
//! transition to its transaction log before acting on it:
//!
//! ```text
//! Empty ─AddPartitions─▶ Ongoing ─EndTxn(commit)─▶ PrepareCommit ─markers─▶ CompleteCommit
//!   ▲                      │  └──EndTxn(abort) / timeout──▶ PrepareAbort ─markers─▶ CompleteAbort
//!   └──── InitProducerId ──┴── (a new instance) ─▶ PrepareEpochFence ─▶ PrepareAbort …
//! ```
//!
//! - `initTransactions` bumps the producer **epoch**: any older instance with
//!   the same `transactional.id` is now a zombie, and its next request is
//!   refused (`PRODUCER_FENCED`). If the old instance left a transaction
//!   open, it is aborted first and the new one retries (`CONCURRENT_TRANSACTIONS`).
//! - The decision point is the write of PrepareCommit/PrepareAbort; the
//!   client gets its EndTxn answer right then. The coordinator then writes a
//!   **marker** (a control record that uses up one offset) into every
//!   partition of the transaction — the consumer offsets partition included —
//!   and finally records CompleteCommit/CompleteAbort.
//! - Fencing an open transaction (`prepareFenceProducerEpoch`) bumps the
//!   epoch in memory only: `PrepareEpochFence` is a pending state, never a
//!   transaction-log record. The abort that follows is written with the
//!   bumped epoch, and its markers carry it into every partition of the
//!   transaction, where the old epoch's produce requests then get
//!   `INVALID_PRODUCER_EPOCH`.
//! - A transaction open longer than `transaction.timeout.ms` is aborted by
//!   the coordinator's periodic check (`abortTimedOutTransactions`, every
//!   10 s), which fences the epoch the same way: its producer's next
//!   EndTxn or AddPartitionsToTxn gets `PRODUCER_FENCED`.
//!
//! ## The component and the engine
//!
//! [`TxnCoordinator`] owns every transaction's [`TxnMeta`] (whose states
//! and transitions live in `txn_metadata.rs`) and the producer id counter
//! (Kafka's `ProducerIdManager`). Its `handle_*` methods take the time and
//! a request and decide: the answer, the state change, the timer, all
//! written into an [`Outbox`]; when the new state must first be written to
//! the transaction log they return a [`Write`] saying what follows once it
//! is replicated. It also decides which transactions have timed out
//! ([`TxnCoordinator::timeout_check`]) and when markers are retried. It
//! sees nothing else, so each rule is unit-tested here on the component
//! alone.
//!
//! The `impl Engine` glue at the end of this file only gathers what the
//! component cannot see (which broker leads a transactional id's
//! `__transaction_state` partition, the leaders of a transaction's
//! partitions for the markers, a producer's `transaction.timeout.ms`),
//! appends a state record to that broker's log with a delayed operation in
//! its purgatory, applies the outbox, and routes.
//!
//! Kafka's code: `core/src/main/scala/kafka/coordinator/transaction/TransactionCoordinator.scala`
//! (`handleInitProducerId`, `handleAddPartitionsToTransaction`,
//! `endTransaction`, `abortTimedOutTransactions`) and
//! `core/src/main/scala/kafka/coordinator/transaction/TransactionMetadata.scala`.
//!
//! Where this model answers differently from Kafka, on purpose or not yet:
//! a wrong producer id is answered `PRODUCER_FENCED` (Kafka:
//! `INVALID_PRODUCER_ID_MAPPING`); a newer epoch than the coordinator's is
//! accepted; an EndTxn(abort) with nothing open is answered OK (Kafka:
//! `INVALID_TXN_STATE`); an EndTxn while an AddPartitions write is pending
//! gets `INVALID_TXN_STATE` (Kafka: `CONCURRENT_TRANSACTIONS`); and the
//! CONCURRENT_TRANSACTIONS answer to a new instance that fences an open
//! transaction goes out when the abort is *started*, not once it is written.
//! A WriteTxnMarkers answer names neither the epoch nor the decision, so
//! answers count only while a decision waits for its markers (Kafka tracks
//! each marker request by producer id and epoch).

use crate::engine::broker::{DelayedKind, DelayedOp};
use crate::engine::controller::TRANSACTION_STATE;
use crate::engine::event::{ErrorCode, Node, TxnState};
use crate::engine::ids::*;
use crate::engine::java::partition_for_id;
use crate::engine::log::ControlType;
use crate::engine::network::Msg;
use crate::engine::outbox::Outbox;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::Engine;
use crate::engine::txn_metadata::{EndTxn, InitTransit, Markers, TxnMeta, TxnNext};
use crate::engine::vecmap::VecMap;

/// `transaction.abort.timed.out.transaction.cleanup.interval.ms`.
pub const TIMEOUT_CHECK_INTERVAL_MS: u64 = 10_000;

/// The first producer id handed out.
const FIRST_PRODUCER_ID: i64 = 1000;

/// How long the coordinator waits before resending markers a partition
/// leader refused (its leadership moved).
const MARKERS_RETRY_MS: u64 = 100;

/// A request's new state must be written to the transaction log: the engine
/// appends it, runs `next` once it is replicated, and applies `then` right
/// after starting the write.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Write {
    pub transactional_id: String,
    pub next: TxnNext,
    pub then: Outbox,
}

impl Write {
    fn new(transactional_id: &str, next: TxnNext) -> Write {
        Write {
            transactional_id: transactional_id.to_string(),
            next,
            then: Outbox::new(),
        }
    }
}

/// The header every transactional request carries (AddPartitionsToTxn,
/// AddOffsetsToTxn, EndTxn), with who sent it and which broker answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnRequest<'a> {
    /// The broker that took the request as coordinator: it sends the answer.
    pub coordinator: Node,
    pub from: Node,
    pub transactional_id: &'a str,
    pub producer_id: ProducerId,
    pub epoch: ProducerEpoch,
}

impl<'a> TxnRequest<'a> {
    pub fn new(
        coordinator: Node,
        from: Node,
        transactional_id: &'a str,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
    ) -> TxnRequest<'a> {
        TxnRequest {
            coordinator,
            from,
            transactional_id,
            producer_id,
            epoch,
        }
    }
}

/// What the periodic check does about one transaction
/// ([`TxnCoordinator::timeout_check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overdue {
    /// Open longer than its timeout: fence its epoch and abort it.
    Abort,
    /// Decided, with markers not yet acknowledged: send them again.
    ResendMarkers,
}

/// What AddPartitionsToTxn or AddOffsetsToTxn adds to a transaction
/// ([`TxnCoordinator::handle_add`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Adding {
    /// AddPartitionsToTxn: partitions the producer is about to write to.
    Partitions(Vec<Tp>),
    /// AddOffsetsToTxn (KIP-447): the group's `__consumer_offsets`
    /// partition, so its TxnOffsetCommit gets a marker too.
    Offsets { group: GroupIdx, offsets_tp: Tp },
}

impl Adding {
    fn partitions(&self) -> &[Tp] {
        match self {
            Adding::Partitions(partitions) => partitions,
            Adding::Offsets { offsets_tp, .. } => std::slice::from_ref(offsets_tp),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnCoordinator {
    pub txns: VecMap<String, TxnMeta>,
    /// Some transaction has begun since start-up: the periodic check keeps
    /// running only while one is open after that.
    started_any: bool,
    /// A periodic timeout check is in the queue.
    check_armed: bool,
    /// The next producer id to hand out (Kafka's `ProducerIdManager`).
    next_producer_id: i64,
}

impl Default for TxnCoordinator {
    fn default() -> TxnCoordinator {
        TxnCoordinator {
            txns: VecMap::new(),
            started_any: false,
            check_armed: false,
            next_producer_id: FIRST_PRODUCER_ID,
        }
    }
}

/// The transaction coordinator's timers, dispatched by [`Engine::txn_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnTimer {
    /// Abort transactions open longer than `transaction.timeout.ms`.
    TimeoutCheck,
    /// Resend transaction markers whose partition leader moved.
    MarkersRetry,
}

impl TxnCoordinator {
    pub(crate) fn has_pending_work(&self) -> bool {
        self.txns.values().any(|t| {
            t.next.is_some()
                || matches!(
                    t.state,
                    TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence
                )
        })
    }

    pub fn get(&self, transactional_id: &str) -> Option<&TxnMeta> {
        self.txns.get(transactional_id)
    }

    /// `ProducerIdManager.generateProducerId`.
    pub fn generate_producer_id(&mut self) -> ProducerId {
        let id = ProducerId(self.next_producer_id);
        self.next_producer_id += 1;
        id
    }

    /// Start-up: the periodic timeout check begins.
    pub fn start(&mut self, now_ms: u64, out: &mut Outbox) {
        self.check_armed = true;
        out.timer_at(now_ms + TIMEOUT_CHECK_INTERVAL_MS, TxnTimer::TimeoutCheck);
    }

    /// A transaction began: the periodic check runs again at its next tick
    /// if it had stopped while nothing was open, so this one can time out too.
    fn arm_timeout_check(&mut self, now_ms: u64, out: &mut Outbox) {
        self.started_any = true;
        if !self.check_armed {
            self.check_armed = true;
            let next = (now_ms / TIMEOUT_CHECK_INTERVAL_MS + 1) * TIMEOUT_CHECK_INTERVAL_MS;
            out.timer_at(next, TxnTimer::TimeoutCheck);
        }
    }

    /// The periodic check fired (`abortTimedOutTransactions`): what to do
    /// about each transaction, in transactional-id order. Once the engine
    /// has acted on them, [`TxnCoordinator::rearm_timeout_check`].
    pub fn timeout_check(&mut self, now_ms: u64) -> Vec<(String, Overdue)> {
        self.check_armed = false;
        self.txns
            .iter()
            .filter_map(|(tid, m)| {
                if m.has_timed_out(now_ms) {
                    Some((tid.clone(), Overdue::Abort))
                } else if m.markers_unacknowledged() {
                    Some((tid.clone(), Overdue::ResendMarkers))
                } else {
                    None
                }
            })
            .collect()
    }

    /// After a timeout check: it comes round again while a transaction is
    /// open, or while none has begun yet.
    pub fn rearm_timeout_check(&mut self, now_ms: u64, out: &mut Outbox) {
        if self.txns.values().any(|t| t.state == TxnState::Ongoing) || !self.started_any {
            self.check_armed = true;
            out.timer_at(now_ms + TIMEOUT_CHECK_INTERVAL_MS, TxnTimer::TimeoutCheck);
        }
    }

    /// Partition leaders answered WriteTxnMarkers for `tid`. Returns
    /// whether every marker is written (the transaction completes); markers
    /// a leader refused are sent again after a moment.
    pub fn markers_written(
        &mut self,
        tid: &str,
        parts: Vec<(Tp, Option<ErrorCode>)>,
        now_ms: u64,
        out: &mut Outbox,
    ) -> bool {
        let Some(meta) = self.txns.get_mut(tid) else {
            return false;
        };
        match meta.markers_written(parts) {
            Markers::AllWritten => true,
            Markers::Refused => {
                // A leader moved: the markers are resent to the new leaders.
                out.timer_at(now_ms + MARKERS_RETRY_MS, TxnTimer::MarkersRetry);
                false
            }
            Markers::Waiting => false,
        }
    }

    /// InitProducerId (`handleInitProducerId`). Without a transactional id
    /// it is a plain idempotent producer's id. With one: a new id starts at
    /// epoch 0; a known one gets the next epoch (or a new producer id when
    /// the epochs are used up), which fences any older instance; if that
    /// instance left a transaction open, it is fenced and aborted first and
    /// the caller is told `CONCURRENT_TRANSACTIONS` to retry.
    pub fn handle_init_producer_id(
        &mut self,
        coordinator: Node,
        from: Node,
        transactional_id: Option<String>,
        instance: u32,
        timeout_ms: u32,
        out: &mut Outbox,
    ) -> Option<Write> {
        let reply = |error, producer_id, epoch| Msg::InitProducerIdResponse {
            error,
            producer_id,
            epoch,
            instance,
        };
        let Some(tid) = transactional_id else {
            let pid = self.generate_producer_id();
            out.send(coordinator, from, reply(None, pid, ProducerEpoch(0)));
            return None;
        };
        let reply_init = TxnNext::ReplyInit { to: from, instance };
        let Some(meta) = self.txns.get(&tid) else {
            let pid = self.generate_producer_id();
            let meta = self
                .txns
                .entry_or_insert_with(tid.clone(), || TxnMeta::new(&tid, pid, timeout_ms));
            meta.transition_to(TxnState::Empty, out);
            return Some(Write::new(&tid, reply_init));
        };
        let concurrent = reply(
            Some(ErrorCode::ConcurrentTransactions),
            meta.producer_id,
            meta.epoch,
        );
        let transit = match meta.prepare_init() {
            Ok(t) => t,
            Err(e) => {
                out.send(
                    coordinator,
                    from,
                    reply(Some(e), meta.producer_id, meta.epoch),
                );
                return None;
            }
        };
        match transit {
            InitTransit::FenceProducerEpoch => {
                let meta = self.txns.get_mut(&tid).expect("known");
                meta.prepare_fence_producer_epoch(true, out);
                meta.transition_to(TxnState::PrepareAbort, out);
                let mut write = Write::new(
                    &tid,
                    TxnNext::WriteMarkers {
                        reply: None,
                        control: ControlType::Abort,
                    },
                );
                write.then.send(coordinator, from, concurrent);
                return Some(write);
            }
            InitTransit::RotateProducerId => {
                let pid = self.generate_producer_id();
                let meta = self.txns.get_mut(&tid).expect("known");
                meta.prepare_producer_id_rotation(pid, timeout_ms, out);
            }
            InitTransit::IncrementEpoch => {
                let meta = self.txns.get_mut(&tid).expect("known");
                meta.prepare_increment_producer_epoch(timeout_ms, out);
            }
        }
        Some(Write::new(&tid, reply_init))
    }

    /// AddPartitionsToTxn and AddOffsetsToTxn
    /// (`handleAddPartitionsToTransaction`): the producer is checked, then
    /// the partitions join the transaction, which is Ongoing from now, and
    /// the new state is written; the producer is answered once it is.
    pub fn handle_add(
        &mut self,
        req: TxnRequest,
        adding: Adding,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Option<Write> {
        let (tid, from) = (req.transactional_id, req.from);
        let added = self
            .txns
            .get_mut(tid)
            .map_or(Err(ErrorCode::InvalidTxnState), |meta| {
                meta.check_request(req.producer_id, req.epoch)?;
                meta.prepare_add_partitions(adding.partitions(), now_ms, out);
                Ok(())
            });
        if added.is_ok() {
            self.arm_timeout_check(now_ms, out);
        }
        let error = added.err();
        let (next, refusal) = match adding {
            Adding::Partitions(partitions) => (
                TxnNext::ReplyAddPartitions {
                    to: from,
                    partitions: partitions.clone(),
                },
                Msg::AddPartitionsToTxnResponse { error, partitions },
            ),
            Adding::Offsets { group, .. } => (
                TxnNext::ReplyAddOffsets { to: from, group },
                Msg::AddOffsetsToTxnResponse { error, group },
            ),
        };
        if error.is_some() {
            out.send(req.coordinator, from, refusal);
            return None;
        }
        Some(Write::new(tid, next))
    }

    /// EndTxn (`handleEndTransaction`): the decision is the write of
    /// PrepareCommit or PrepareAbort; the client is answered once it is
    /// written, and then the markers go out.
    pub fn handle_end_txn(
        &mut self,
        req: TxnRequest,
        commit: bool,
        out: &mut Outbox,
    ) -> Option<Write> {
        let (tid, coordinator, from) = (req.transactional_id, req.coordinator, req.from);
        let decision = self
            .txns
            .get(tid)
            .ok_or(ErrorCode::InvalidTxnState)
            .and_then(|m| m.prepare_end(req.producer_id, req.epoch, commit));
        match decision {
            Ok(EndTxn::Prepare(state)) => {
                let meta = self.txns.get_mut(tid).expect("known");
                meta.transition_to(state, out);
                let control = if state == TxnState::PrepareCommit {
                    ControlType::Commit
                } else {
                    ControlType::Abort
                };
                Some(Write::new(
                    tid,
                    TxnNext::WriteMarkers {
                        reply: Some(from),
                        control,
                    },
                ))
            }
            Ok(EndTxn::AlreadyEnded) => {
                out.send(coordinator, from, Msg::EndTxnResponse { error: None });
                None
            }
            Err(e) => {
                out.send(coordinator, from, Msg::EndTxnResponse { error: Some(e) });
                None
            }
        }
    }
}

// ---- the engine's side: gathering arguments, the transaction log, routing ----

impl Engine {
    /// Runs one of the transaction coordinator's timers.
    pub(crate) fn txn_timer(&mut self, timer: TxnTimer) {
        match timer {
            TxnTimer::TimeoutCheck => self.txn_timeout_check(),
            TxnTimer::MarkersRetry => self.txn_markers_retry(),
        }
    }

    pub(crate) fn init_txn(&mut self) {
        if self.topic_id(TRANSACTION_STATE).is_some() {
            let mut out = Outbox::new();
            self.txn.start(self.now_ms, &mut out);
            self.apply_outbox(out);
        }
    }

    /// The `__transaction_state` partition of a transactional id.
    pub fn txn_partition(&self, transactional_id: &str) -> Option<Tp> {
        let t = self.topic_id(TRANSACTION_STATE)?;
        let n = self.topic(t).partitions.len() as u32;
        Some(Tp::new(t, partition_for_id(transactional_id, n)))
    }

    /// The broker coordinating `transactional_id`, if it is up.
    pub(crate) fn txn_coordinator_for(&self, transactional_id: &str) -> Option<BrokerId> {
        let tp = self.txn_partition(transactional_id)?;
        self.leader_of(tp)
            .filter(|b| self.brokers[b.0 as usize].alive)
    }

    pub(crate) fn txn_coordinator_moved(&mut self, tp: Tp) {
        // The new coordinator loads the transaction metadata from its copy of
        // the log; ours is kept in one place. A state write still waiting for
        // the old leader's HW is taken as loaded (the new leader came from the
        // ISR): its next step runs, or the transaction would answer
        // CONCURRENT_TRANSACTIONS forever. Markers in flight are sent again.
        let ids: Vec<String> = self.txn.txns.keys().cloned().collect();
        for tid in ids {
            let here = self.txn_partition(&tid) == Some(tp);
            if let Some(next) = self
                .txn
                .txns
                .get_mut(&tid)
                .and_then(|m| m.next.take_if(|_| here))
            {
                self.txn_run_next(&tid, next, None);
            }
            if self.txn.txns[&tid].markers_due() {
                self.txn_send_markers(&tid);
            }
        }
    }

    /// Applies what a request decided and, if it asked for one, writes the
    /// transaction's state to its log.
    fn txn_carry_out(&mut self, out: Outbox, write: Option<Write>) {
        self.apply_outbox(out);
        if let Some(w) = write {
            self.txn_log_write(&w.transactional_id, w.next);
            self.apply_outbox(w.then);
        }
    }

    /// Writes the transaction's state to `__transaction_state` on the
    /// coordinator (the partition's leader, if up); `next` runs once replicated.
    fn txn_log_write(&mut self, tid: &str, next: TxnNext) {
        let Some(tp) = self.txn_partition(tid) else {
            return;
        };
        let Some(b) = self
            .leader_of(tp)
            .filter(|b| self.brokers[b.0 as usize].alive)
        else {
            return;
        };
        let state = self.txn.txns[tid].state;
        let id = RecordId(self.records.len() as u32);
        self.records.push(RecordData {
            id,
            event_id: EventId(u32::MAX),
            producer: None,
            topic: tp.topic,
            key: KeySource::Text(tid.to_string()),
            value: ValueSource::Internal,
            kind: RecordKind::TxnLog {
                transactional_id: tid.to_string(),
                state,
            },
            created_ms: self.now_ms,
            partition: Some(tp.partition),
            explicit_partition: None,
        });
        match self.broker_internal_append(b, tp, vec![id]) {
            Ok(end) => {
                self.txn.txns.get_mut(tid).expect("txn").next = Some(next);
                let op_id = self.next_id();
                let op = DelayedOp {
                    id: op_id,
                    waiting: crate::engine::broker::wait_for(tp, end),
                    deadline_ms: self.now_ms + 30_000,
                    kind: DelayedKind::TxnLog {
                        transactional_id: tid.to_string(),
                    },
                };
                self.broker_add_delayed(b, op);
            }
            Err(_) => {
                // Not the coordinator any more: the client retries.
                self.txn_run_next(tid, next, Some(ErrorCode::NotCoordinator));
            }
        }
    }

    pub(crate) fn txn_log_written(&mut self, _b: BrokerId, tid: String, error: Option<ErrorCode>) {
        let Some(next) = self.txn.txns.get_mut(&tid).and_then(|m| m.next.take()) else {
            return;
        };
        let error = error.map(|_| ErrorCode::CoordinatorNotAvailable);
        self.txn_run_next(&tid, next, error);
    }

    fn txn_run_next(&mut self, tid: &str, next: TxnNext, error: Option<ErrorCode>) {
        let coordinator = self
            .txn_coordinator_for(tid)
            .map(Node::Broker)
            .unwrap_or(Node::Controller);
        let Some(meta) = self.txn.txns.get(tid) else {
            return;
        };
        let mut out = Outbox::new();
        let markers = meta.written(next, coordinator, error, &mut out);
        self.apply_outbox(out);
        if markers {
            self.txn_send_markers(tid);
        }
    }

    fn txn_send_markers(&mut self, tid: &str) {
        let Some(coord) = self.txn_coordinator_for(tid) else {
            return;
        };
        let topics = self.controller.topics();
        let leader_of =
            |tp: Tp| topics[tp.topic.0 as usize].partitions[tp.partition.0 as usize].leader;
        let mut out = Outbox::new();
        let meta = self.txn.txns.get_mut(tid).expect("txn");
        if meta.write_markers(coord, leader_of, &mut out) {
            self.apply_outbox(out);
        } else {
            self.txn_complete(tid);
        }
    }

    pub(crate) fn txn_markers_written(
        &mut self,
        _b: BrokerId,
        tid: String,
        parts: Vec<(Tp, Option<ErrorCode>)>,
    ) {
        let mut out = Outbox::new();
        if self.txn.markers_written(&tid, parts, self.now_ms, &mut out) {
            self.txn_complete(&tid);
        } else {
            self.apply_outbox(out);
        }
    }

    fn txn_complete(&mut self, tid: &str) {
        let mut out = Outbox::new();
        self.txn
            .txns
            .get_mut(tid)
            .expect("txn")
            .prepare_complete(&mut out);
        self.apply_outbox(out);
        self.txn_log_write(tid, TxnNext::Done);
    }

    /// Markers that failed (a leader moved) are sent again.
    pub(crate) fn txn_markers_retry(&mut self) {
        let ids: Vec<String> = self.txn.txns.keys().cloned().collect();
        for tid in ids {
            if self.txn.txns[&tid].markers_unacknowledged() {
                self.txn_send_markers(&tid);
            }
        }
    }

    /// The coordinator's periodic `abortTimedOutTransactions` (every
    /// `TIMEOUT_CHECK_INTERVAL_MS` since start-up).
    pub(crate) fn txn_timeout_check(&mut self) {
        let now = self.now_ms;
        for (tid, overdue) in self.txn.timeout_check(now) {
            match overdue {
                Overdue::Abort => {
                    let mut out = Outbox::new();
                    let meta = self.txn.txns.get_mut(&tid).expect("txn");
                    let next = meta.abort_timed_out(&mut out);
                    self.apply_outbox(out);
                    self.txn_log_write(&tid, next);
                }
                Overdue::ResendMarkers => self.txn_send_markers(&tid),
            }
        }
        let mut out = Outbox::new();
        self.txn.rearm_timeout_check(now, &mut out);
        self.apply_outbox(out);
    }

    /// Requests addressed to a broker as transaction coordinator.
    pub(crate) fn txn_coordinator_receive(&mut self, b: BrokerId, from: Node, msg: Msg) {
        let (me, now) = (Node::Broker(b), self.now_ms);
        let mut out = Outbox::new();
        let write = match msg {
            Msg::InitProducerId {
                transactional_id,
                instance,
            } => {
                let timeout_ms = match from {
                    Node::Producer(p) => self.cfg.producers[p.0 as usize].transaction_timeout_ms,
                    _ => 60_000,
                };
                self.txn.handle_init_producer_id(
                    me,
                    from,
                    transactional_id,
                    instance,
                    timeout_ms,
                    &mut out,
                )
            }
            Msg::AddPartitionsToTxn {
                transactional_id,
                producer_id,
                epoch,
                partitions,
            } => {
                let req = TxnRequest::new(me, from, &transactional_id, producer_id, epoch);
                let adding = Adding::Partitions(partitions);
                self.txn.handle_add(req, adding, now, &mut out)
            }
            Msg::AddOffsetsToTxn {
                transactional_id,
                producer_id,
                epoch,
                group,
            } => {
                let req = TxnRequest::new(me, from, &transactional_id, producer_id, epoch);
                let offsets_tp = self.groups[group.0 as usize].offsets_tp;
                let adding = Adding::Offsets { group, offsets_tp };
                self.txn.handle_add(req, adding, now, &mut out)
            }
            Msg::EndTxn {
                transactional_id,
                producer_id,
                epoch,
                commit,
            } => {
                let req = TxnRequest::new(me, from, &transactional_id, producer_id, epoch);
                self.txn.handle_end_txn(req, commit, &mut out)
            }
            other => {
                self.unroutable(me, &other);
                return;
            }
        };
        self.txn_carry_out(out, write);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::EventKind;
    use crate::engine::producer_state::{BatchMetadata, ProducerStateManager, SequenceCheck};
    use crate::engine::sim::Action;
    use crate::engine::txn_metadata::tests::states;

    const COORD: Node = Node::Broker(BrokerId(0));
    const APP: Node = Node::Producer(ProducerIdx(0));
    const TID: &str = "tx-1";
    const TIMEOUT: u32 = 60_000;

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// The engine's part of a write: it is appended, then replicated, and
    /// what waited for it runs. Returns the answers and whether the markers
    /// are due.
    fn replicate(c: &mut TxnCoordinator, write: Option<Write>) -> (Outbox, bool) {
        let w = write.expect("a transaction-log write");
        let meta = c.txns.get_mut(&w.transactional_id).expect("known");
        meta.next = Some(w.next);
        let next = meta.next.take().expect("in flight");
        let mut out = Outbox::new();
        let markers = meta.written(next, COORD, None, &mut out);
        (out, markers)
    }

    fn init(c: &mut TxnCoordinator, out: &mut Outbox) -> Option<Write> {
        c.handle_init_producer_id(COORD, APP, Some(TID.into()), 1, TIMEOUT, out)
    }

    /// A request from the application's producer at `epoch`, with the
    /// producer id the coordinator knows (1000 before any).
    fn request(c: &TxnCoordinator, epoch: i16) -> TxnRequest<'static> {
        let pid = c.get(TID).map_or(ProducerId(1000), |m| m.producer_id);
        TxnRequest::new(COORD, APP, TID, pid, ProducerEpoch(epoch))
    }

    fn add(c: &mut TxnCoordinator, epoch: i16, parts: &[u32], now: u64) -> (Outbox, Option<Write>) {
        let mut out = Outbox::new();
        let adding = Adding::Partitions(parts.iter().map(|p| tp(*p)).collect());
        let w = c.handle_add(request(c, epoch), adding, now, &mut out);
        (out, w)
    }

    fn end(c: &mut TxnCoordinator, epoch: i16, commit: bool) -> (Outbox, Option<Write>) {
        let mut out = Outbox::new();
        let w = c.handle_end_txn(request(c, epoch), commit, &mut out);
        (out, w)
    }

    /// The coordinator's answers in `out` (as their error codes).
    fn answers(out: &Outbox) -> Vec<Option<ErrorCode>> {
        out.sent()
            .filter(|(_, to, _)| *to == APP)
            .map(|(_, _, m)| m.error())
            .collect()
    }

    /// A transactional id initialised at epoch 0 with a transaction open on
    /// partitions 0 and 1 since t=1000.
    fn ongoing() -> TxnCoordinator {
        let mut c = TxnCoordinator::default();
        let w = init(&mut c, &mut Outbox::new());
        replicate(&mut c, w);
        let (_, w) = add(&mut c, 0, &[0, 1], 1_000);
        replicate(&mut c, w);
        assert_eq!(c.get(TID).map(|m| m.state), Some(TxnState::Ongoing));
        c
    }

    #[test]
    fn a_new_transactional_id_gets_a_producer_id_at_epoch_zero_once_its_state_is_written() {
        let mut c = TxnCoordinator::default();
        let mut out = Outbox::new();
        let w = init(&mut c, &mut out);
        assert_eq!(states(&out), [(TxnState::Empty, 0)]);
        assert!(
            answers(&out).is_empty(),
            "nothing is answered before the write"
        );
        let (out, markers) = replicate(&mut c, w);
        assert!(!markers);
        let replies: Vec<&Msg> = out.sent().map(|(_, _, m)| m).collect();
        assert_eq!(
            replies,
            [&Msg::InitProducerIdResponse {
                error: None,
                producer_id: ProducerId(1000),
                epoch: ProducerEpoch(0),
                instance: 1,
            }]
        );
        // A plain idempotent producer gets the next id, at once.
        let mut out = Outbox::new();
        let w = c.handle_init_producer_id(COORD, APP, None, 2, TIMEOUT, &mut out);
        assert!(w.is_none());
        assert!(matches!(
            out.sent().next(),
            Some((
                _,
                _,
                Msg::InitProducerIdResponse {
                    producer_id: ProducerId(1001),
                    ..
                }
            ))
        ));
    }

    #[test]
    fn a_new_instance_bumps_the_epoch_and_the_old_one_is_producer_fenced() {
        let mut c = TxnCoordinator::default();
        let w = init(&mut c, &mut Outbox::new());
        replicate(&mut c, w);
        let mut out = Outbox::new();
        let w = init(&mut c, &mut out);
        assert_eq!(states(&out), [(TxnState::Empty, 1)]);
        replicate(&mut c, w);
        // The zombie (epoch 0) is refused everything; the new instance is not.
        let (out, w) = add(&mut c, 0, &[0], 10);
        assert!(w.is_none());
        assert_eq!(answers(&out), [Some(ErrorCode::ProducerFenced)]);
        let (out, _) = end(&mut c, 0, true);
        assert_eq!(answers(&out), [Some(ErrorCode::ProducerFenced)]);
        let (_, w) = add(&mut c, 1, &[0], 10);
        assert!(w.is_some());
        // A different producer id is fenced too.
        let m = c.get(TID).unwrap();
        assert_eq!(
            m.check_request(ProducerId(7), ProducerEpoch(1)),
            Err(ErrorCode::ProducerFenced)
        );
    }

    #[test]
    fn a_new_instance_fences_and_aborts_an_open_transaction_and_is_told_to_retry() {
        let mut c = ongoing();
        let mut out = Outbox::new();
        let w = init(&mut c, &mut out).expect("the abort is written");
        // PrepareEpochFence is shown but never written; the abort carries the
        // bumped epoch.
        assert_eq!(
            states(&out),
            [
                (TxnState::PrepareEpochFence, 1),
                (TxnState::PrepareAbort, 1)
            ]
        );
        assert_eq!(
            w.next,
            TxnNext::WriteMarkers {
                reply: None,
                control: ControlType::Abort
            }
        );
        // CONCURRENT_TRANSACTIONS goes out after the write starts, with the
        // epoch the caller knew.
        let retry: Vec<&Msg> = w.then.sent().map(|(_, _, m)| m).collect();
        assert_eq!(
            retry,
            [&Msg::InitProducerIdResponse {
                error: Some(ErrorCode::ConcurrentTransactions),
                producer_id: ProducerId(1000),
                epoch: ProducerEpoch(0),
                instance: 1,
            }]
        );
        let (_, markers) = replicate(&mut c, Some(w));
        assert!(markers, "the abort's markers are due");
        let mut out = Outbox::new();
        let meta = c.txns.get_mut(TID).unwrap();
        assert!(meta.write_markers(BrokerId(0), |_| Some(BrokerId(2)), &mut out));
        let Some((_, _, Msg::WriteTxnMarkers { epoch, control, .. })) = out.sent().next() else {
            panic!("a WriteTxnMarkers request");
        };
        assert_eq!((*epoch, *control), (ProducerEpoch(1), ControlType::Abort));
        // At the partition leader, that marker fences the old epoch: its
        // produce requests get INVALID_PRODUCER_EPOCH.
        let mut leader = ProducerStateManager::default();
        let batch = BatchMetadata {
            first_seq: 0,
            last_seq: 0,
            first_offset: Offset(0),
            last_offset: Offset(0),
        };
        leader.record_batch(ProducerId(1000), ProducerEpoch(0), batch, true);
        leader.record_marker(ProducerId(1000), *epoch, Offset(1));
        assert_eq!(
            leader.check(ProducerId(1000), ProducerEpoch(0), 1, 1),
            SequenceCheck::StaleEpoch {
                current: ProducerEpoch(1)
            }
        );
    }

    #[test]
    fn exhausted_epochs_rotate_to_a_new_producer_id() {
        let mut c = TxnCoordinator::default();
        let w = init(&mut c, &mut Outbox::new());
        replicate(&mut c, w);
        c.txns.get_mut(TID).unwrap().epoch = ProducerEpoch(i16::MAX - 1);
        assert_eq!(
            c.get(TID).unwrap().prepare_init(),
            Ok(InitTransit::RotateProducerId)
        );
        let mut out = Outbox::new();
        let w = init(&mut c, &mut out);
        replicate(&mut c, w);
        let m = c.get(TID).unwrap();
        assert_eq!(
            (m.producer_id, m.epoch),
            (ProducerId(1001), ProducerEpoch(0))
        );
    }

    #[test]
    fn requests_get_concurrent_transactions_while_a_transaction_completes() {
        let mut c = ongoing();
        let (out, w) = end(&mut c, 0, true);
        assert!(
            answers(&out).is_empty(),
            "answered once PrepareCommit is written"
        );
        assert_eq!(states(&out), [(TxnState::PrepareCommit, 0)]);
        // While the decision is being written (a pending state) ...
        c.txns.get_mut(TID).unwrap().next = w.map(|w| w.next);
        let (out, _) = add(&mut c, 0, &[2], 5_000);
        assert_eq!(answers(&out), [Some(ErrorCode::ConcurrentTransactions)]);
        // ... and while its markers are written.
        c.txns.get_mut(TID).unwrap().next = None;
        let (out, _) = add(&mut c, 0, &[2], 5_000);
        assert_eq!(answers(&out), [Some(ErrorCode::ConcurrentTransactions)]);
        let (out, _) = end(&mut c, 0, true);
        assert_eq!(answers(&out), [Some(ErrorCode::ConcurrentTransactions)]);
        let mut out = Outbox::new();
        assert!(init(&mut c, &mut out).is_none());
        assert_eq!(answers(&out), [Some(ErrorCode::ConcurrentTransactions)]);
        // The opposite decision is not a retry.
        let (out, _) = end(&mut c, 0, false);
        assert_eq!(answers(&out), [Some(ErrorCode::InvalidTxnState)]);
    }

    #[test]
    fn a_commit_is_answered_at_the_decision_and_refused_markers_are_retried() {
        let mut c = ongoing();
        let (_, w) = end(&mut c, 0, true);
        let (out, markers) = replicate(&mut c, w);
        assert_eq!(
            answers(&out),
            [None],
            "the client is answered at the decision"
        );
        assert!(markers);
        let meta = c.txns.get_mut(TID).unwrap();
        meta.write_markers(BrokerId(0), |_| Some(BrokerId(1)), &mut Outbox::new());
        // A refused marker (its leader moved) is retried in a moment.
        let mut out = Outbox::new();
        let parts = vec![(tp(0), None), (tp(1), Some(ErrorCode::NotLeaderOrFollower))];
        assert!(!c.markers_written(TID, parts, 2_000, &mut out));
        assert_eq!(
            out.timers().collect::<Vec<_>>(),
            [(2_100, &Action::TxnCoordinator(TxnTimer::MarkersRetry))]
        );
        let mut out = Outbox::new();
        assert!(c.markers_written(TID, vec![(tp(1), None)], 2_200, &mut out));
        assert!(out.is_empty());
        // An unknown transactional id is refused EndTxn.
        let mut c = TxnCoordinator::default();
        let (out, w) = end(&mut c, 0, true);
        assert!(w.is_none());
        assert_eq!(answers(&out), [Some(ErrorCode::InvalidTxnState)]);
    }

    #[test]
    fn a_transaction_open_longer_than_its_timeout_is_aborted_with_a_bumped_epoch() {
        let mut c = ongoing();
        // Open since 1000 with a 60 s timeout.
        assert!(c.timeout_check(60_999).is_empty());
        assert_eq!(c.timeout_check(61_000), [(TID.to_string(), Overdue::Abort)]);
        // Not while a write is pending.
        c.txns.get_mut(TID).unwrap().next = Some(TxnNext::Done);
        assert!(c.timeout_check(61_000).is_empty());
        c.txns.get_mut(TID).unwrap().next = None;
        let mut out = Outbox::new();
        let next = c.txns.get_mut(TID).unwrap().abort_timed_out(&mut out);
        assert_eq!(
            next,
            TxnNext::WriteMarkers {
                reply: None,
                control: ControlType::Abort
            }
        );
        // Fenced without showing PrepareEpochFence; the producer's next
        // request is PRODUCER_FENCED.
        assert_eq!(states(&out), [(TxnState::PrepareAbort, 1)]);
        assert!(matches!(out.events().next(), Some(EventKind::Note { .. })));
        let (out, _) = end(&mut c, 0, true);
        assert_eq!(answers(&out), [Some(ErrorCode::ProducerFenced)]);
    }

    #[test]
    fn the_timeout_check_comes_round_only_while_a_transaction_is_open() {
        let mut c = TxnCoordinator::default();
        let mut out = Outbox::new();
        c.start(0, &mut out);
        assert_eq!(
            out.timers().map(|(at, _)| at).collect::<Vec<_>>(),
            [TIMEOUT_CHECK_INTERVAL_MS]
        );
        // Before any transaction it keeps running.
        c.timeout_check(10_000);
        let mut out = Outbox::new();
        c.rearm_timeout_check(10_000, &mut out);
        assert_eq!(out.timers().count(), 1);
        // A transaction began and ended: it stops ...
        let w = init(&mut c, &mut Outbox::new());
        replicate(&mut c, w);
        let (out, w) = add(&mut c, 0, &[0], 12_345);
        assert_eq!(out.timers().count(), 0, "already armed");
        replicate(&mut c, w);
        c.txns.get_mut(TID).unwrap().state = TxnState::CompleteAbort;
        c.timeout_check(20_000);
        let mut out = Outbox::new();
        c.rearm_timeout_check(20_000, &mut out);
        assert_eq!(out.timers().count(), 0);
        // ... and the next transaction arms it again, on the next tick.
        let (out, _) = add(&mut c, 0, &[0], 23_456);
        assert_eq!(out.timers().map(|(at, _)| at).collect::<Vec<_>>(), [30_000]);
        assert_eq!(c.get(TID).unwrap().started_ms, 23_456);
    }
}
