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

use crate::engine::broker::{DelayedKind, DelayedOp};
use crate::engine::controller::TRANSACTION_STATE;
use crate::engine::event::{ErrorCode, EventKind, Node, TxnState};
use crate::engine::ids::*;
use crate::engine::java::partition_for_id;
use crate::engine::log::ControlType;
use crate::engine::network::Msg;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

/// `transaction.abort.timed.out.transaction.cleanup.interval.ms`.
pub const TIMEOUT_CHECK_INTERVAL_MS: u64 = 10_000;

/// What to do once a transaction-log write is replicated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnNext {
    /// Answer InitProducerId.
    ReplyInit { to: Node, instance: u32 },
    /// Answer AddPartitionsToTxn.
    ReplyAddPartitions { to: Node, partitions: Vec<Tp> },
    /// Answer AddOffsetsToTxn.
    ReplyAddOffsets { to: Node, group: GroupIdx },
    /// Answer EndTxn (if a client asked), then write the markers.
    WriteMarkers {
        reply: Option<Node>,
        control: ControlType,
    },
    /// The transaction is complete.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnMeta {
    pub transactional_id: String,
    pub producer_id: ProducerId,
    pub epoch: ProducerEpoch,
    pub state: TxnState,
    /// Partitions in the current transaction (the offsets partition included).
    pub partitions: Vec<Tp>,
    pub started_ms: u64,
    pub timeout_ms: u32,
    /// Markers written but not yet acknowledged.
    pub pending_markers: Vec<Tp>,
    /// A transaction-log write in flight and what follows it.
    pub next: Option<TxnNext>,
    /// Transactions completed, for the UI.
    pub committed: u32,
    pub aborted: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TxnCoordinator {
    pub txns: VecMap<String, TxnMeta>,
    check_scheduled: bool,
    /// A periodic timeout check is in the queue.
    check_armed: bool,
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
}

/// The transaction coordinator's timers, dispatched by [`Engine::txn_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnTimer {
    /// Abort transactions open longer than `transaction.timeout.ms`.
    TimeoutCheck,
    /// Resend transaction markers whose partition leader moved.
    MarkersRetry,
}

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
            self.txn.check_armed = true;
            self.schedule_in(
                TIMEOUT_CHECK_INTERVAL_MS,
                Action::TxnCoordinator(TxnTimer::TimeoutCheck),
            );
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
            let meta = &self.txn.txns[&tid];
            if matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
                && meta.next.is_none()
            {
                self.txn_send_markers(&tid);
            }
        }
    }

    fn set_txn_state(&mut self, tid: &str, state: TxnState) {
        let Some(meta) = self.txn.txns.get_mut(tid) else {
            return;
        };
        meta.state = state;
        let (producer_id, epoch) = (meta.producer_id, meta.epoch);
        self.emit(EventKind::TxnStateChanged {
            transactional_id: tid.to_string(),
            state,
            producer_id,
            epoch,
        });
    }

    /// Writes the transaction's state to `__transaction_state`; `next` runs once replicated.
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
        match self.broker_internal_append(b, tp, &[id]) {
            Ok(end) => {
                self.txn.txns.get_mut(tid).expect("txn").next = Some(next);
                let op_id = self.next_id();
                let op = DelayedOp {
                    id: op_id,
                    waiting: vec![(tp, end)],
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
        let Some(meta) = self.txn.txns.get(tid).cloned() else {
            return;
        };
        let coordinator = self
            .txn_coordinator_for(tid)
            .map(Node::Broker)
            .unwrap_or(Node::Controller);
        match next {
            TxnNext::ReplyInit { to, instance } => self.send(
                coordinator,
                to,
                Msg::InitProducerIdResponse {
                    error,
                    producer_id: meta.producer_id,
                    epoch: meta.epoch,
                    instance,
                },
            ),
            TxnNext::ReplyAddPartitions { to, partitions } => self.send(
                coordinator,
                to,
                Msg::AddPartitionsToTxnResponse { error, partitions },
            ),
            TxnNext::ReplyAddOffsets { to, group } => self.send(
                coordinator,
                to,
                Msg::AddOffsetsToTxnResponse { error, group },
            ),
            TxnNext::WriteMarkers { reply, control } => {
                if let Some(to) = reply {
                    self.send(coordinator, to, Msg::EndTxnResponse { error });
                }
                if error.is_none() {
                    let _ = control;
                    self.txn_send_markers(tid);
                }
            }
            TxnNext::Done => {}
        }
    }

    fn txn_send_markers(&mut self, tid: &str) {
        let meta = self.txn.txns[tid].clone();
        let control = match meta.state {
            TxnState::PrepareCommit => ControlType::Commit,
            _ => ControlType::Abort,
        };
        let Some(coord) = self.txn_coordinator_for(tid) else {
            return;
        };
        if meta.partitions.is_empty() {
            self.txn_complete(tid);
            return;
        }
        self.txn.txns.get_mut(tid).expect("txn").pending_markers = meta.partitions.clone();
        // One WriteTxnMarkers request per partition leader.
        let mut by_leader: VecMap<BrokerId, Vec<Tp>> = VecMap::new();
        for tp in &meta.partitions {
            if let Some(l) = self.leader_of(*tp) {
                by_leader.entry_or_default(l).push(*tp);
            }
        }
        for (leader, partitions) in by_leader {
            self.send(
                Node::Broker(coord),
                Node::Broker(leader),
                Msg::WriteTxnMarkers {
                    transactional_id: tid.to_string(),
                    producer_id: meta.producer_id,
                    epoch: meta.epoch,
                    control,
                    partitions,
                },
            );
        }
    }

    pub(crate) fn txn_markers_written(
        &mut self,
        _b: BrokerId,
        tid: String,
        parts: Vec<(Tp, Option<ErrorCode>)>,
    ) {
        let Some(meta) = self.txn.txns.get_mut(&tid) else {
            return;
        };
        // The duplicate answer to a resend can arrive after the transaction
        // completed; it must not complete it a second time (as an abort).
        if !matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort) {
            return;
        }
        let mut retry = false;
        for (tp, err) in parts {
            if err.is_none() {
                meta.pending_markers.retain(|x| *x != tp);
            } else {
                retry = true;
            }
        }
        if meta.pending_markers.is_empty() {
            self.txn_complete(&tid);
        } else if retry {
            // A leader moved: the markers are resent to the new leaders.
            self.schedule_in(100, Action::TxnCoordinator(TxnTimer::MarkersRetry));
        }
    }

    fn txn_complete(&mut self, tid: &str) {
        let state = self.txn.txns[tid].state;
        let done = if state == TxnState::PrepareCommit {
            self.txn.txns.get_mut(tid).expect("txn").committed += 1;
            TxnState::CompleteCommit
        } else {
            self.txn.txns.get_mut(tid).expect("txn").aborted += 1;
            TxnState::CompleteAbort
        };
        {
            let meta = self.txn.txns.get_mut(tid).expect("txn");
            meta.partitions.clear();
            meta.pending_markers.clear();
        }
        self.set_txn_state(tid, done);
        self.txn_log_write(tid, TxnNext::Done);
    }

    /// Aborts the open transaction (timeout, fence or an EndTxn(abort)).
    fn txn_begin_abort(&mut self, tid: &str, reply: Option<Node>) {
        self.set_txn_state(tid, TxnState::PrepareAbort);
        self.txn_log_write(
            tid,
            TxnNext::WriteMarkers {
                reply,
                control: ControlType::Abort,
            },
        );
    }

    /// `prepareFenceProducerEpoch` then `endTransaction(ABORT)`: the epoch is
    /// bumped in memory (`PrepareEpochFence` is only a pending state, never
    /// written to the transaction log) and the abort is written with the
    /// bumped epoch, so its markers fence the old epoch in every partition
    /// of the transaction.
    /// (`announce` shows the pending state, as a new instance's fence does.)
    fn txn_fence_and_abort(&mut self, tid: &str, announce: bool) {
        {
            let m = self.txn.txns.get_mut(tid).expect("txn");
            m.epoch = ProducerEpoch(m.epoch.0 + 1);
        }
        if announce {
            self.set_txn_state(tid, TxnState::PrepareEpochFence);
        }
        self.txn_begin_abort(tid, None);
    }

    /// Markers that failed (a leader moved) are sent again.
    pub(crate) fn txn_markers_retry(&mut self) {
        let ids: Vec<String> = self.txn.txns.keys().cloned().collect();
        for tid in ids {
            let meta = &self.txn.txns[&tid];
            if meta.next.is_none()
                && matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
                && !meta.pending_markers.is_empty()
            {
                self.txn_send_markers(&tid);
            }
        }
    }

    /// The coordinator's periodic `abortTimedOutTransactions` (every
    /// `TIMEOUT_CHECK_INTERVAL_MS` since start-up).
    pub(crate) fn txn_timeout_check(&mut self) {
        self.txn.check_armed = false;
        let now = self.now_ms;
        let ids: Vec<String> = self.txn.txns.keys().cloned().collect();
        for tid in ids {
            let meta = self.txn.txns[&tid].clone();
            if meta.next.is_some() {
                continue;
            }
            if meta.state == TxnState::Ongoing && now >= meta.started_ms + meta.timeout_ms as u64 {
                // The coordinator aborts with a bumped epoch: the producer that
                // left the transaction open is fenced.
                self.emit(EventKind::Note {
                    text: format!(
                        "Transaction of {tid} open longer than transaction.timeout.ms ({} ms): the coordinator aborts it and bumps the epoch.",
                        meta.timeout_ms
                    ),
                });
                self.txn_fence_and_abort(&tid, false);
            } else if matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
                && !meta.pending_markers.is_empty()
            {
                self.txn_send_markers(&tid);
            }
        }
        if self.txn.txns.values().any(|t| t.state == TxnState::Ongoing) || !self.txn.check_scheduled
        {
            self.txn.check_armed = true;
            self.schedule_in(
                TIMEOUT_CHECK_INTERVAL_MS,
                Action::TxnCoordinator(TxnTimer::TimeoutCheck),
            );
        }
    }

    /// Requests addressed to a broker as transaction coordinator.
    pub(crate) fn txn_coordinator_receive(&mut self, b: BrokerId, from: Node, msg: Msg) {
        match msg {
            Msg::InitProducerId {
                transactional_id: None,
                instance,
            } => {
                let id = ProducerId(self.next_producer_id);
                self.next_producer_id += 1;
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::InitProducerIdResponse {
                        error: None,
                        producer_id: id,
                        epoch: ProducerEpoch(0),
                        instance,
                    },
                );
            }
            Msg::InitProducerId {
                transactional_id: Some(tid),
                instance,
            } => self.txn_init(b, from, tid, instance),
            Msg::AddPartitionsToTxn {
                transactional_id,
                producer_id,
                epoch,
                partitions,
            } => {
                if let Err(e) = self.txn_validate(&transactional_id, producer_id, epoch) {
                    self.send(
                        Node::Broker(b),
                        from,
                        Msg::AddPartitionsToTxnResponse {
                            error: Some(e),
                            partitions,
                        },
                    );
                    return;
                }
                self.txn_add(&transactional_id, &partitions);
                self.txn_log_write(
                    &transactional_id,
                    TxnNext::ReplyAddPartitions {
                        to: from,
                        partitions,
                    },
                );
            }
            Msg::AddOffsetsToTxn {
                transactional_id,
                producer_id,
                epoch,
                group,
            } => {
                if let Err(e) = self.txn_validate(&transactional_id, producer_id, epoch) {
                    self.send(
                        Node::Broker(b),
                        from,
                        Msg::AddOffsetsToTxnResponse {
                            error: Some(e),
                            group,
                        },
                    );
                    return;
                }
                let otp = self.groups[group.0 as usize].offsets_tp;
                self.txn_add(&transactional_id, &[otp]);
                self.txn_log_write(
                    &transactional_id,
                    TxnNext::ReplyAddOffsets { to: from, group },
                );
            }
            Msg::EndTxn {
                transactional_id,
                producer_id,
                epoch,
                commit,
            } => self.txn_end(b, from, transactional_id, producer_id, epoch, commit),
            other => self.unroutable(Node::Broker(b), &other),
        }
    }

    fn txn_validate(
        &self,
        tid: &str,
        pid: ProducerId,
        epoch: ProducerEpoch,
    ) -> Result<(), ErrorCode> {
        let Some(meta) = self.txn.txns.get(tid) else {
            return Err(ErrorCode::InvalidTxnState);
        };
        if meta.producer_id != pid || epoch < meta.epoch {
            return Err(ErrorCode::ProducerFenced);
        }
        if meta.next.is_some()
            || matches!(
                meta.state,
                TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence
            )
        {
            return Err(ErrorCode::ConcurrentTransactions);
        }
        Ok(())
    }

    fn txn_add(&mut self, tid: &str, partitions: &[Tp]) {
        let now = self.now_ms;
        let meta = self.txn.txns.get_mut(tid).expect("validated");
        for tp in partitions {
            if !meta.partitions.contains(tp) {
                meta.partitions.push(*tp);
            }
        }
        if meta.state != TxnState::Ongoing {
            meta.started_ms = now;
            self.set_txn_state(tid, TxnState::Ongoing);
        }
        if !self.txn.check_scheduled {
            self.txn.check_scheduled = true;
        }
        if !self.txn.check_armed {
            // The periodic check stopped while nothing was open: it runs
            // again at its next tick, so this transaction can time out too.
            self.txn.check_armed = true;
            let next = (now / TIMEOUT_CHECK_INTERVAL_MS + 1) * TIMEOUT_CHECK_INTERVAL_MS;
            self.schedule(next, Action::TxnCoordinator(TxnTimer::TimeoutCheck));
        }
    }

    fn txn_init(&mut self, b: BrokerId, from: Node, tid: String, instance: u32) {
        let timeout_ms = match from {
            Node::Producer(p) => self.cfg.producers[p.0 as usize].transaction_timeout_ms,
            _ => 60_000,
        };
        let Some(meta) = self.txn.txns.get(&tid).cloned() else {
            let pid = ProducerId(self.next_producer_id);
            self.next_producer_id += 1;
            self.txn.txns.insert(
                tid.clone(),
                TxnMeta {
                    transactional_id: tid.clone(),
                    producer_id: pid,
                    epoch: ProducerEpoch(0),
                    state: TxnState::Empty,
                    partitions: Vec::new(),
                    started_ms: 0,
                    timeout_ms,
                    pending_markers: Vec::new(),
                    next: None,
                    committed: 0,
                    aborted: 0,
                },
            );
            self.set_txn_state(&tid, TxnState::Empty);
            self.txn_log_write(&tid, TxnNext::ReplyInit { to: from, instance });
            return;
        };
        let busy = meta.next.is_some()
            || matches!(
                meta.state,
                TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence
            );
        let reply_concurrent = |e: &mut Engine| {
            e.send(
                Node::Broker(b),
                from,
                Msg::InitProducerIdResponse {
                    error: Some(ErrorCode::ConcurrentTransactions),
                    producer_id: meta.producer_id,
                    epoch: meta.epoch,
                    instance,
                },
            );
        };
        if busy {
            reply_concurrent(self);
            return;
        }
        if meta.state == TxnState::Ongoing {
            // A new instance while the old one's transaction is open: fence the
            // old epoch and abort its transaction; the new one retries.
            self.txn_fence_and_abort(&tid, true);
            reply_concurrent(self);
            return;
        }
        // Empty or Complete*: bump the epoch (a new producer id when exhausted).
        {
            let next_pid = self.next_producer_id;
            let m = self.txn.txns.get_mut(&tid).expect("txn");
            m.timeout_ms = timeout_ms;
            if m.epoch.0 == i16::MAX - 1 {
                m.producer_id = ProducerId(next_pid);
                m.epoch = ProducerEpoch(0);
                self.next_producer_id += 1;
            } else {
                m.epoch = ProducerEpoch(m.epoch.0 + 1);
            }
        }
        self.set_txn_state(&tid, TxnState::Empty);
        self.txn_log_write(&tid, TxnNext::ReplyInit { to: from, instance });
    }

    fn txn_end(
        &mut self,
        b: BrokerId,
        from: Node,
        tid: String,
        pid: ProducerId,
        epoch: ProducerEpoch,
        commit: bool,
    ) {
        let Some(meta) = self.txn.txns.get(&tid).cloned() else {
            self.send(
                Node::Broker(b),
                from,
                Msg::EndTxnResponse {
                    error: Some(ErrorCode::InvalidTxnState),
                },
            );
            return;
        };
        if meta.producer_id != pid || epoch < meta.epoch {
            self.send(
                Node::Broker(b),
                from,
                Msg::EndTxnResponse {
                    error: Some(ErrorCode::ProducerFenced),
                },
            );
            return;
        }
        let reply = |e: &mut Engine, error: Option<ErrorCode>| {
            e.send(Node::Broker(b), from, Msg::EndTxnResponse { error })
        };
        match (meta.state, commit) {
            (TxnState::Ongoing, _) if meta.next.is_none() => {
                if commit {
                    self.set_txn_state(&tid, TxnState::PrepareCommit);
                    self.txn_log_write(
                        &tid,
                        TxnNext::WriteMarkers {
                            reply: Some(from),
                            control: ControlType::Commit,
                        },
                    );
                } else {
                    self.txn_begin_abort(&tid, Some(from));
                }
            }
            // Retries of an EndTxn that already completed are answered again.
            (TxnState::CompleteCommit, true)
            | (TxnState::CompleteAbort, false)
            | (TxnState::Empty, false) => reply(self, None),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                reply(self, Some(ErrorCode::ConcurrentTransactions))
            }
            _ => reply(self, Some(ErrorCode::InvalidTxnState)),
        }
    }
}
