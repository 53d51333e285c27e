//! Produce at the partition leader, the high watermark, and the purgatory.
//!
//! A Produce request carries one batch per partition. For each, the leader
//! (`ReplicaManager.appendRecords` → `Partition.appendRecordsToLeader`):
//!
//! - refuses it with `NOT_LEADER_OR_FOLLOWER` if it does not lead the
//!   partition (the producer refreshes its metadata and retries);
//! - with `acks=all`, refuses it with `NOT_ENOUGH_REPLICAS` *before
//!   writing anything* if the ISR is smaller than `min.insync.replicas`;
//! - checks the producer's sequence and epoch
//!   ([`crate::engine::producer_state`]): a duplicate is answered with the
//!   offsets it got the first time, a gap with `OUT_OF_ORDER_SEQUENCE_NUMBER`,
//!   an older epoch with `INVALID_PRODUCER_EPOCH`;
//! - appends the batch to its log, which may advance the **high watermark**
//!   at once (a lone ISR) and wake long-polling fetches.
//!
//! Then it answers according to `acks`: `0` never (on an error it closes
//! the connection instead, `KafkaApis.handleProduceRequest`), `1` right
//! away, `all` only once the high watermark has passed every batch: the
//! request waits in the **purgatory** ([`crate::engine::purgatory`],
//! `DelayedProduce.scala`), decided partition by partition, until its
//! timeout. Offset commits, transaction-log records and transaction markers
//! wait there the same way.
//!
//! The high watermark (`Partition.maybeIncrementLeaderHW`) is the smallest
//! log end offset over the ISR (and caught-up replicas), and stands still
//! while the ISR is below `min.insync.replicas` (KAFKA-15583); the rule is
//! [`LeaderState::high_watermark`]. Each time it moves, the operations
//! waiting on the partition are tried again (`tryCompleteDelayedRequests`).
//!
//! The [`Broker`] methods here decide; the `impl Engine` glue hands them the
//! request and a [`ClusterView`], applies the broker's outbox, and routes a
//! finished offset commit or transaction-log write to its coordinator.

use crate::engine::broker::{Broker, BrokerTimer, ClusterView, DelayedKind, DelayedOp, Replica};
use crate::engine::config::Acks;
use crate::engine::cow_vec::Shared;
use crate::engine::event::{ErrorCode, EventKind, InternalRecords, Node};
use crate::engine::ids::*;
use crate::engine::log::{AppendBatch, AppendOutcome};
use crate::engine::network::{BatchResult, Msg, WireBatch};
use crate::engine::partition_leader::LeaderState;
use crate::engine::purgatory::{PartitionView, Status};
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::TpMap;

/// A delayed operation that finished and belongs to another component (an
/// offset commit, a transaction-log record, a transaction marker), with
/// its error if any. The broker answers produce requests itself.
pub type Completed = (DelayedOp, Option<ErrorCode>);

/// `tryComplete` for one op, with each of its partitions as the broker
/// holding it sees them now.
#[cfg_attr(engine_speed, inline)]
fn try_complete(
    replicas: &TpMap<Shared<Replica>>,
    view: &ClusterView,
    op: &mut DelayedOp,
) -> Status {
    op.try_complete(|tp| {
        let rep = replicas.get(&tp).filter(|r| r.leader.is_some())?;
        Some(PartitionView {
            hw: rep.log.hw(),
            under_min_isr: view.under_min_isr(tp),
        })
    })
}

impl Broker {
    /// One batch of a Produce request (`Partition.appendRecordsToLeader`):
    /// its result goes to `results`, and the offset the HW must pass to
    /// `waiting`. Returns whether the log grew (the HW may move, parked
    /// fetches may wake).
    pub fn append_produce(
        &mut self,
        view: &ClusterView,
        acks: Acks,
        wb: WireBatch,
        results: &mut Vec<BatchResult>,
        waiting: &mut Vec<(Tp, Offset)>,
    ) -> bool {
        let (tp, batch) = (wb.tp, wb.batch);
        let result = |result, duplicate| BatchResult {
            batch,
            tp,
            result,
            duplicate,
        };
        let Some(leader_epoch) = self.led(tp).map(|l| l.epoch) else {
            results.push(result(Err(ErrorCode::NotLeaderOrFollower), false));
            return false;
        };
        if acks == Acks::All && view.under_min_isr(tp) {
            results.push(result(Err(ErrorCode::NotEnoughReplicas), false));
            return false;
        }
        self.settle_quiet(tp, true);
        let rep = self.replicas.get_mut(&tp).expect("leader has the replica");
        let outcome = rep.log.append_as_leader(
            &AppendBatch {
                batch,
                records: &wb.records,
                producer: wb.producer,
                transactional: wb.transactional,
            },
            leader_epoch,
            view.now_ms,
        );
        match outcome {
            AppendOutcome::Appended {
                first_offset,
                last_offset,
            } => {
                let (leo, hw) = (rep.log.leo(), rep.log.hw());
                self.out.event(EventKind::Appended {
                    broker: self.id,
                    tp,
                    batch,
                    records: wb.records,
                    first: first_offset,
                    leo,
                    hw,
                    epoch: leader_epoch,
                });
                waiting.push((tp, last_offset.next()));
                results.push(result(Ok(first_offset), false));
                true
            }
            AppendOutcome::Duplicate {
                first_offset,
                last_offset,
            } => {
                self.out.event(EventKind::DuplicateDropped {
                    broker: self.id,
                    tp,
                    batch,
                    records: wb.records,
                    first: first_offset,
                });
                waiting.push((tp, last_offset.next()));
                results.push(result(Ok(first_offset), true));
                false
            }
            AppendOutcome::OutOfOrder { .. } => {
                results.push(result(Err(ErrorCode::OutOfOrderSequenceNumber), false));
                false
            }
            // `ProducerAppendInfo.checkProducerEpoch`: since Kafka 2.7 a
            // produce with an older epoch gets INVALID_PRODUCER_EPOCH,
            // transactional or not (no longer PRODUCER_FENCED), so the
            // client can abort its transaction instead of dying.
            AppendOutcome::StaleEpoch => {
                results.push(result(Err(ErrorCode::InvalidProducerEpoch), false));
                false
            }
        }
    }

    /// Appends internal records (offset commits, the transaction log) as
    /// the partition leader, optionally inside a producer's transaction.
    /// Returns the offset after the last one. The list goes on into the
    /// `InternalAppended` event.
    pub fn append_internal(
        &mut self,
        now_ms: u64,
        tp: Tp,
        batch: BatchId,
        records: InternalRecords,
        txn: Option<(ProducerId, ProducerEpoch)>,
    ) -> Result<Offset, ErrorCode> {
        self.settle_quiet(tp, true);
        let rep = match self.replicas.get_mut(&tp) {
            Some(r) if r.leader.is_some() => r,
            _ => return Err(ErrorCode::NotCoordinator),
        };
        let epoch = rep.leader.as_ref().map(|l| l.epoch).unwrap_or_default();
        match rep.log.append_as_leader(
            &AppendBatch {
                batch,
                records: &records,
                producer: txn.map(|(pid, e)| (pid, e, -1)),
                transactional: txn.is_some(),
            },
            epoch,
            now_ms,
        ) {
            AppendOutcome::Appended {
                first_offset,
                last_offset,
            } => {
                let leo = rep.log.leo();
                self.out.event(EventKind::InternalAppended {
                    broker: self.id,
                    tp,
                    records,
                    first: first_offset,
                    leo,
                });
                Ok(last_offset.next())
            }
            AppendOutcome::StaleEpoch => Err(ErrorCode::ProducerFenced),
            _ => Err(ErrorCode::NotCoordinator),
        }
    }

    /// `Partition.maybeIncrementLeaderHW`: advances the HW of a partition
    /// led here when [`LeaderState::high_watermark`] allows it. Returns
    /// whether it moved (what waits on it is then tried again).
    pub fn raise_hw(&mut self, tp: Tp, view: &ClusterView) -> bool {
        let Some(rep) = self.replicas.get(&tp) else {
            return false;
        };
        let Some(leader) = rep.leader.as_ref() else {
            return false;
        };
        let Some(new_hw) = leader.high_watermark(
            rep.log.leo(),
            view.isr(tp),
            view.min_isr(tp),
            view.now_ms,
            view.lag_ms,
            |id| view.usable(id),
        ) else {
            return false;
        };
        if new_hw <= rep.log.hw() {
            return false;
        }
        self.settle_quiet(tp, true);
        let rep = self.replicas.get_mut(&tp).expect("checked above");
        rep.log.set_hw(new_hw);
        let hw = rep.log.hw();
        self.out.event(EventKind::HighWatermark {
            broker: self.id,
            tp,
            hw,
            leader: true,
        });
        true
    }

    /// Puts `op` in the purgatory with a timer at its deadline, unless it
    /// can complete at once.
    pub fn add_delayed(&mut self, mut op: DelayedOp, view: &ClusterView) -> Option<Completed> {
        if let Some(error) = try_complete(&self.replicas, view, &mut op) {
            return self.complete(op, error);
        }
        let (deadline, id) = (op.deadline_ms, op.id);
        self.delayed.push(op);
        self.timer_at(
            deadline,
            BrokerTimer::DelayedProduceExpired { request_id: id },
        );
        None
    }

    /// Tries the operations waiting on `tp` again, from position `*from`
    /// on: answers the produce requests that are done, and stops at the
    /// first finished operation that belongs to another component (the
    /// caller routes it, then calls again with the same `from`).
    pub fn complete_ready(
        &mut self,
        tp: Tp,
        view: &ClusterView,
        from: &mut usize,
    ) -> Option<Completed> {
        while *from < self.delayed.len() {
            let op = &mut self.delayed[*from];
            if !op.waits_on(tp) {
                *from += 1;
                continue;
            }
            match try_complete(&self.replicas, view, op) {
                None => *from += 1,
                Some(error) => {
                    let op = self.delayed.remove(*from);
                    if let Some(done) = self.complete(op, error) {
                        return Some(done);
                    }
                }
            }
        }
        None
    }

    /// An operation's deadline passed (`DelayedProduce.onExpiration`).
    pub fn expire_delayed(&mut self, id: u64) -> Option<Completed> {
        let pos = self.delayed.iter().position(|op| op.id == id)?;
        let mut op = self.delayed.remove(pos);
        let error = op.expire();
        self.complete(op, error)
    }

    /// Takes out every operation that waits on `tp` (this broker stopped
    /// leading it), to be failed one by one with [`Broker::fail_delayed`].
    pub fn take_delayed_on(&mut self, tp: Tp) -> Vec<DelayedOp> {
        let (fail, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|op| op.waits_on(tp));
        self.delayed = keep;
        fail
    }

    /// Fails `op` on `tp` with `error`. A delayed produce answers for each
    /// of its partitions separately (`DelayedProduce`): only `tp`'s status
    /// gets the error, and the request waits on while another partition is
    /// pending.
    pub fn fail_delayed(
        &mut self,
        mut op: DelayedOp,
        tp: Tp,
        error: ErrorCode,
    ) -> Option<Completed> {
        if matches!(op.kind, DelayedKind::Produce { .. }) {
            op.partition_done(tp, Some(error));
            if !op.waiting.is_empty() {
                self.delayed.push(op);
                return None;
            }
        }
        self.complete(op, Some(error))
    }
    #[cfg_attr(engine_speed, inline(always))]
    /// Answers a finished operation this broker answers itself (a produce,
    /// a transactional offset commit), or hands it back.
    fn complete(&mut self, op: DelayedOp, error: Option<ErrorCode>) -> Option<Completed> {
        let me = Node::Broker(self.id);
        match op.kind {
            DelayedKind::Produce {
                from,
                request_id,
                results,
            } => {
                // Each partition's status was set as it stopped pending.
                self.out.send(
                    me,
                    from,
                    Msg::ProduceResponse {
                        request_id,
                        results,
                    },
                );
                None
            }
            DelayedKind::TxnOffsetCommit { group, from } => {
                let error = error.map(|_| ErrorCode::CoordinatorNotAvailable);
                self.out
                    .send(me, from, Msg::TxnOffsetCommitResponse { error, group });
                None
            }
            _ => Some((op, error)),
        }
    }
}

impl Engine {
    pub(crate) fn broker_handle_produce(
        &mut self,
        b: BrokerId,
        from: Node,
        request_id: u64,
        acks: Acks,
        timeout_ms: u32,
        batches: Vec<WireBatch>,
    ) {
        let mut results = Vec::with_capacity(batches.len());
        let mut waiting = Vec::with_capacity(batches.len());
        for wb in batches {
            let tp = wb.tp;
            let (broker, view) = self.broker_view(b);
            let appended = broker.append_produce(&view, acks, wb, &mut results, &mut waiting);
            self.broker_flush(b);
            if appended {
                self.broker_after_leader_append(b, tp);
            }
        }
        match acks {
            // No response to carry an error: the broker closes the
            // connection instead, so the producer refreshes its metadata
            // (`KafkaApis.handleProduceRequest`, acks=0).
            Acks::Zero if results.iter().any(|r| r.result.is_err()) => {
                let delay = self.latency_ms(Node::Broker(b), from);
                self.schedule_in(
                    delay,
                    Action::Disconnect {
                        node: from,
                        broker: b,
                    },
                );
            }
            Acks::Zero => {}
            Acks::One => self.send(
                Node::Broker(b),
                from,
                Msg::ProduceResponse {
                    request_id,
                    results,
                },
            ),
            Acks::All => {
                let id = self.next_id();
                let op = DelayedOp {
                    id,
                    waiting: waiting.into(),
                    deadline_ms: self.now_ms + timeout_ms as u64,
                    kind: DelayedKind::Produce {
                        from,
                        request_id,
                        results,
                    },
                };
                self.broker_add_delayed(b, op);
            }
        }
    }
    #[cfg(not(engine_speed))]
    /// Registers a delayed operation, completing it at once if possible.
    pub(crate) fn broker_add_delayed(&mut self, b: BrokerId, op: DelayedOp) {
        let (broker, view) = self.broker_view(b);
        let done = broker.add_delayed(op, &view);
        self.broker_flush(b);
        self.broker_route_completed(b, done);
    }

    pub(crate) fn broker_delayed_produce_expired(&mut self, b: BrokerId, id: u64) {
        let done = self.broker(b).expire_delayed(id);
        self.broker_flush(b);
        self.broker_route_completed(b, done);
    }

    /// Completes every delayed operation that waits on `tp` with an error
    /// (the broker stopped leading it).
    pub(crate) fn broker_fail_delayed_for(&mut self, b: BrokerId, tp: Tp, error: ErrorCode) {
        for op in self.broker(b).take_delayed_on(tp) {
            let done = self.broker(b).fail_delayed(op, tp, error);
            self.broker_flush(b);
            self.broker_route_completed(b, done);
        }
    }
    #[cfg(not(engine_speed))]
    /// `tryCompleteDelayedRequests` on `tp`.
    fn broker_try_complete_delayed(&mut self, b: BrokerId, tp: Tp) {
        let mut from = 0;
        loop {
            let (broker, view) = self.broker_view(b);
            let done = broker.complete_ready(tp, &view, &mut from);
            self.broker_flush(b);
            if done.is_none() {
                return;
            }
            self.broker_route_completed(b, done);
        }
    }
    #[cfg_attr(engine_speed, inline(always))]
    /// Hands a finished write to the component that waited on it.
    fn broker_route_completed(&mut self, b: BrokerId, done: Option<Completed>) {
        let Some((op, error)) = done else {
            return;
        };
        match op.kind {
            DelayedKind::OffsetCommit {
                group,
                from,
                commit_id,
                offsets,
                auto,
                member,
            } => {
                self.group_commit_completed(b, group, from, commit_id, offsets, auto, member, error)
            }
            DelayedKind::TxnLog { transactional_id } => {
                self.txn_log_written(b, transactional_id, error)
            }
            DelayedKind::Marker {
                coordinator,
                transactional_id,
                tp,
                producer_id,
                control,
            } => {
                if error.is_none() {
                    self.txn_marker_replicated(tp, producer_id, control);
                }
                self.send(
                    Node::Broker(b),
                    Node::Broker(coordinator),
                    Msg::WriteTxnMarkersResponse {
                        transactional_id,
                        partitions: vec![(tp, error)],
                    },
                );
            }
            // Answered by the broker itself (`Broker::complete`).
            DelayedKind::Produce { .. } | DelayedKind::TxnOffsetCommit { .. } => {}
        }
    }

    /// After any leader append: the HW may move (a lone ISR) and parked
    /// fetches may now have data.
    pub(crate) fn broker_after_leader_append(&mut self, b: BrokerId, tp: Tp) {
        self.broker_hw_after_append(b, tp);
        self.broker(b).wake_parked(tp);
        self.broker_flush(b);
    }

    /// Appends internal records as the leader of `tp`: the offset after the last one, or an error.
    #[cfg(not(engine_speed))] // (natively: at the end of this file)
    pub(crate) fn broker_internal_append(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: Vec<RecordId>,
    ) -> Result<Offset, ErrorCode> {
        self.broker_internal_append_as(b, tp, records, None)
    }
    #[cfg(not(engine_speed))]
    /// As [`Engine::broker_internal_append`], optionally as part of a
    /// producer's transaction (TxnOffsetCommit writes with its id and epoch).
    pub(crate) fn broker_internal_append_as(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: Vec<RecordId>,
        txn: Option<(ProducerId, ProducerEpoch)>,
    ) -> Result<Offset, ErrorCode> {
        let now = self.now_ms;
        let batch = BatchId(self.next_batch_id);
        self.next_batch_id += 1;
        let end = self
            .broker(b)
            .append_internal(now, tp, batch, records, txn)?;
        // (The append's event goes out first, then what the append caused.)
        self.broker_flush_after_append(b, tp);
        Ok(end)
    }
    #[cfg(not(engine_speed))]
    /// Advances the HW of the partition `b` leads when its rule allows it,
    /// then completes what waited for it and wakes parked fetches.
    pub(crate) fn broker_maybe_increment_hw(&mut self, b: BrokerId, tp: Tp) {
        let (broker, view) = self.broker_view(b);
        if !broker.raise_hw(tp, &view) {
            return;
        }
        self.broker_flush(b);
        self.broker_try_complete_delayed(b, tp);
        self.broker(b).wake_parked(tp);
        self.broker_flush(b);
    }

    /// The leader's periodic ISR check (`Partition.maybeShrinkIsr`).
    pub(crate) fn broker_isr_expiration(&mut self, b: BrokerId) {
        if !self.brokers[b.0 as usize].alive {
            return;
        }
        let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
        let led: Vec<Tp> = self.brokers[b.0 as usize]
            .replicas
            .iter()
            .filter(|(_, r)| r.leader.is_some())
            .map(|(tp, _)| *tp)
            .collect();
        for tp in led {
            let (broker, view) = self.broker_view(b);
            if let Some((epoch, isr)) = broker.shrink_isr(tp, &view) {
                self.controller_alter_partition(tp, b, epoch, isr);
                self.broker_maybe_increment_hw(b, tp);
                self.broker_try_complete_delayed(b, tp);
            }
        }
        self.schedule_in(
            lag / 2,
            Action::Broker {
                broker: b,
                timer: BrokerTimer::IsrExpiration,
            },
        );
    }
}

impl Broker {
    /// `Partition.maybeShrinkIsr`: the ISR without the followers of `tp`
    /// that have not caught up within `replica.lag.time.max.ms`, with the
    /// leader epoch to send it with (`None` when every member keeps up).
    pub fn shrink_isr(
        &mut self,
        tp: Tp,
        view: &ClusterView,
    ) -> Option<(LeaderEpoch, Vec<BrokerId>)> {
        self.settle_quiet(tp, false);
        let isr = view.isr(tp);
        let rep = self.replicas.get(&tp)?;
        let leader: &LeaderState = rep.leader.as_ref()?;
        let out = leader.out_of_sync(self.id, isr, rep.log.leo(), view.now_ms, view.lag_ms);
        if out.is_empty() {
            return None;
        }
        let new_isr = isr.iter().copied().filter(|r| !out.contains(r)).collect();
        Some((leader.epoch, new_isr))
    }
}

/// The page's steps after a leader append: the high-watermark check is
/// [`Engine::broker_maybe_increment_hw`] itself, and an internal append's
/// event is applied before it.
#[cfg(not(engine_speed))]
impl Engine {
    #[inline(always)]
    fn broker_hw_after_append(&mut self, b: BrokerId, tp: Tp) {
        self.broker_maybe_increment_hw(b, tp);
    }

    #[inline(always)]
    fn broker_flush_after_append(&mut self, b: BrokerId, tp: Tp) {
        self.broker_flush(b);
        self.broker_after_leader_append(b, tp);
    }
}

/// Natively, the high-watermark check after a leader append skips the full
/// rule when a cheap look shows that the HW cannot move.
///
/// Why: an append only raises the leader's own log end offset, and while
/// a follower lags (which is always, between a record's append and the
/// follower's next fetch) the HW stays where it is. In W1 full every
/// offset commit's `__consumer_offsets` append asked
/// [`LeaderState::high_watermark`] anyway: the ISR and `min.insync.replicas`
/// from the controller, every follower's progress, ~145 instructions, and
/// never a move.
#[cfg(engine_speed)]
impl Engine {
    /// Whether the HW of `tp` on `b` surely stays where it is
    /// ([`Broker::hw_cannot_move`]); debug builds check the answer with
    /// the full rule.
    #[inline(always)]
    fn broker_hw_stays(&mut self, b: BrokerId, tp: Tp) -> bool {
        let (broker, view) = self.broker_view(b);
        let stays = broker.hw_cannot_move(tp, &view);
        debug_assert!(
            !stays || !broker.raise_hw(tp, &view),
            "the high watermark of {tp:?} moved where it could not"
        );
        stays
    }

    #[inline(always)]
    fn broker_hw_after_append(&mut self, b: BrokerId, tp: Tp) {
        if !self.broker_hw_stays(b, tp) {
            self.broker_maybe_increment_hw(b, tp);
        }
    }

    /// After an internal append (an offset commit's record, a transaction
    /// log write): when the HW cannot move, the append's event stays
    /// queued in the broker's outbox behind nothing, and the answers of
    /// the parked fetches it wakes queue behind it, so one flush applies
    /// them all in the order the page's two flushes do (applying an effect
    /// only sends, schedules or emits: it reads nothing `wake_parked`
    /// changes). Otherwise the page's steps.
    #[inline(always)]
    fn broker_flush_after_append(&mut self, b: BrokerId, tp: Tp) {
        let stays = self.broker_hw_stays(b, tp);
        self.broker_flush_after_unshown_append(b, tp, stays);
    }

    /// [`Engine::broker_flush_after_append`] once whether the HW `stays`
    /// is known (an internal append asks it of the partition it holds).
    #[inline(always)]
    fn broker_flush_after_unshown_append(&mut self, b: BrokerId, tp: Tp, stays: bool) {
        if !stays {
            self.broker_flush(b);
            self.broker_maybe_increment_hw(b, tp);
        }
        self.broker(b).wake_parked(tp);
        self.broker_flush(b);
    }
}

#[cfg(engine_speed)]
impl Broker {
    /// Whether [`Broker::raise_hw`] would surely find nothing to do: `tp`
    /// is not led here, or a follower in its ISR has a log end offset at or
    /// below the HW. An ISR member always counts in the rule, and the HW is
    /// at most the smallest log end offset counted, so it cannot pass that
    /// follower's (and while the ISR is below `min.insync.replicas` it
    /// does not move at all). `false` means "maybe": the full rule decides.
    #[inline(always)]
    fn hw_cannot_move(&self, tp: Tp, view: &ClusterView) -> bool {
        let Some(rep) = self.replicas.get(&tp) else {
            return true;
        };
        let Some(leader) = rep.leader.as_ref() else {
            return true;
        };
        leader.isr_follower_pins_hw(view.isr(tp), rep.log.hw())
    }
}

/// Natively, a delayed operation that waits has its deadline timer
/// scheduled directly, not through the broker's outbox.
///
/// Why: every offset commit waits here (W1 full: one a record), and on the
/// page's path its `DelayedProduceExpired` timer was recorded as an effect,
/// then taken out again by a flush of its own (`broker_apply_out`: the
/// outbox taken, the effect popped and dispatched, the outbox put back),
/// ~75 instructions around the one `schedule` that the trace sees. When
/// the broker's outbox holds nothing else (always after an append, which
/// flushes), scheduling the timer at once is that same `schedule` at the
/// same point; otherwise the timer queues behind what is there, as on the
/// page.
#[cfg(engine_speed)]
impl Engine {
    /// Registers a delayed operation, completing it at once if possible
    /// (the page's [`Broker::add_delayed`], with its timer set here).
    ///
    /// A coordinator write that waits on one partition (an offset commit,
    /// just appended) is parked here, in its caller: its partition's HW
    /// decides it ([`one_partition_status`]), and when it must wait it is
    /// pushed and timed without the out-of-line call, the 88-byte copy of
    /// the operation into it, and [`try_complete_lazy`]'s general walk.
    /// Anything else, and anything that completes at once, takes
    /// [`Engine::broker_add_delayed_general`]. Debug builds check the
    /// decision against [`try_complete`].
    #[inline(always)]
    pub(crate) fn broker_add_delayed(&mut self, b: BrokerId, op: DelayedOp) {
        let broker = &mut self.brokers[b.0 as usize];
        if let crate::engine::purgatory::Waiting::One([(tp, required)]) = op.waiting {
            if !op.is_produce()
                && broker.out.is_empty()
                && one_partition_status(broker.led_hw(tp), required).is_none()
            {
                #[cfg(debug_assertions)]
                {
                    let (broker, view) = self.broker_view(b);
                    let status = try_complete(&broker.replicas, &view, &mut op.clone());
                    debug_assert_eq!(status, None, "a parked write that could complete");
                }
                let (deadline, id) = (op.deadline_ms, op.id);
                self.brokers[b.0 as usize].delayed.push(op);
                let timer = BrokerTimer::DelayedProduceExpired { request_id: id };
                self.schedule(deadline, Action::Broker { broker: b, timer });
                return;
            }
        }
        self.broker_add_delayed_general(b, op);
    }

    /// [`Engine::broker_add_delayed`] for any operation.
    #[inline(never)]
    fn broker_add_delayed_general(&mut self, b: BrokerId, op: DelayedOp) {
        let (broker, view) = self.broker_view(b);
        match broker.park_delayed(op, &view) {
            Ok((deadline, id)) => {
                let timer = BrokerTimer::DelayedProduceExpired { request_id: id };
                if broker.out.is_empty() {
                    self.schedule(deadline, Action::Broker { broker: b, timer });
                } else {
                    broker.timer_at(deadline, timer);
                    self.broker_flush(b);
                }
            }
            Err(done) => {
                self.broker_flush(b);
                self.broker_route_completed(b, done);
            }
        }
    }
}

/// Natively, a completed operation that another component waits on stays
/// in the purgatory's list until the engine takes it out to route it.
///
/// Why: on the page's path [`Broker::complete_ready`] removed the operation
/// (a `DelayedOp` of 88 bytes), passed it through [`Broker::complete`] and
/// returned it in an `Option` that [`Engine::broker_route_completed`]
/// matched again: three copies of the operation and two matches on its
/// kind for each offset commit (W1 full completes one a record). Here the
/// scan returns the operation's position, and the engine removes it and
/// hands its fields to the group coordinator in one step. Same operations
/// tried in the same order, the same ones answered by the broker itself,
/// the same flushes: applying the broker's outbox (sends, timers, events)
/// does not read the purgatory, so the removal may follow the flush.
#[cfg(engine_speed)]
impl Engine {
    /// `tryCompleteDelayedRequests` on `tp`.
    fn broker_try_complete_delayed(&mut self, b: BrokerId, tp: Tp) {
        let hw = self.brokers[b.0 as usize].led_hw(tp);
        self.broker_try_complete_delayed_at(b, tp, hw);
    }

    /// [`Engine::broker_try_complete_delayed`] once `tp`'s HW here is
    /// known (`hw`; after a move, the HW just set).
    #[inline(always)]
    fn broker_try_complete_delayed_at(&mut self, b: BrokerId, tp: Tp, mut hw: Option<Offset>) {
        let mut from = 0;
        loop {
            let (broker, view) = self.broker_view(b);
            let ready = broker.next_to_route(tp, hw, &view, &mut from);
            self.broker_flush(b);
            let Some((at, error)) = ready else {
                return;
            };
            let delayed = &mut self.brokers[b.0 as usize].delayed;
            if matches!(delayed[at].kind, DelayedKind::OffsetCommit { .. }) {
                // (Matched in place first, then moved out once: the fields
                // the page's `broker_route_completed` binds, bound here
                // because handing it the whole operation measured 2.7 M
                // more instructions in W1 full, a copy of it and a match.)
                if let DelayedKind::OffsetCommit {
                    group,
                    from,
                    commit_id,
                    offsets,
                    auto,
                    member,
                } = delayed.remove(at).kind
                {
                    self.group_commit_completed(
                        b, group, from, commit_id, offsets, auto, member, error,
                    );
                }
            } else {
                // A transaction-log write or a marker goes on to its
                // coordinator, which may append (and move an HW) here.
                let op = delayed.remove(at);
                self.broker_route_completed(b, Some((op, error)));
                hw = self.brokers[b.0 as usize].led_hw(tp);
            }
        }
    }
}

#[cfg(engine_speed)]
impl Broker {
    /// [`Broker::complete_ready`], except that the finished operation that
    /// belongs to another component is left at its position, which is
    /// returned with its error (the caller removes it; `*from` is then
    /// the next operation's position).
    #[inline(always)]
    fn next_to_route(
        &mut self,
        tp: Tp,
        hw: Option<Offset>,
        view: &ClusterView,
        from: &mut usize,
    ) -> Option<(usize, Option<ErrorCode>)> {
        debug_assert_eq!(
            hw,
            self.led_hw(tp),
            "the HW the caller read is the partition's"
        );
        while *from < self.delayed.len() {
            let op = &mut self.delayed[*from];
            let status = match op.waiting {
                crate::engine::purgatory::Waiting::One([(t, required)]) if !op.is_produce() => {
                    if t != tp {
                        *from += 1;
                        continue;
                    }
                    let status = one_partition_status(hw, required);
                    debug_assert_eq!(
                        status,
                        try_complete(&self.replicas, view, &mut op.clone()),
                        "a one-partition write decided from its partition's HW"
                    );
                    status
                }
                _ if !op.waits_on(tp) => {
                    *from += 1;
                    continue;
                }
                _ => try_complete_lazy(&self.replicas, view, op),
            };
            match status {
                None => *from += 1,
                Some(error) => {
                    if !matches!(
                        op.kind,
                        DelayedKind::Produce { .. } | DelayedKind::TxnOffsetCommit { .. }
                    ) {
                        return Some((*from, error));
                    }
                    let op = self.delayed.remove(*from);
                    let routed = self.complete(op, error);
                    debug_assert!(routed.is_none(), "the broker answers it itself");
                }
            }
        }
        None
    }

    /// [`Broker::add_delayed`] without its timer: `Ok` with the deadline
    /// and the id to time the parked operation with, or `Err` with what
    /// completed at once.
    #[inline(always)]
    fn park_delayed(
        &mut self,
        mut op: DelayedOp,
        view: &ClusterView,
    ) -> Result<(u64, u64), Option<Completed>> {
        if let Some(error) = try_complete_lazy(&self.replicas, view, &mut op) {
            return Err(self.complete(op, error));
        }
        let parked = (op.deadline_ms, op.id);
        self.delayed.push(op);
        Ok(parked)
    }
}

/// Natively, a high watermark that moves while the broker's outbox is empty
/// is shown by the engine itself, not recorded in the outbox and flushed.
///
/// Why: the page's [`Broker::raise_hw`] records the `HighWatermark` event,
/// and a flush of its own then takes the outbox, pops the effect and hands
/// it to the engine's general `emit`, which asks the event's kind whether
/// it is a headline, whether the ledger reads it, whether it owns memory
/// and whether it keeps a group's ownership sample (~220 instructions a
/// move in all; W1 full moves a `__consumer_offsets` HW about once a
/// record). Emitted here, the kind is known where it is made and those
/// questions fold away. With the outbox empty the event is the next effect
/// either way; otherwise the page's steps keep it behind what is queued.
#[cfg(engine_speed)]
impl Engine {
    /// What a moved HW lets go on: the delayed operations waiting on it,
    /// then the parked fetches.
    #[inline(always)]
    fn broker_after_hw_moved(&mut self, b: BrokerId, tp: Tp, hw: Option<Offset>) {
        self.broker_try_complete_delayed_at(b, tp, hw);
        self.broker(b).wake_parked(tp);
        self.broker_flush(b);
    }

    /// Advances the HW of the partition `b` leads when its rule allows it,
    /// then completes what waited for it and wakes parked fetches.
    pub(crate) fn broker_maybe_increment_hw(&mut self, b: BrokerId, tp: Tp) {
        let (broker, view) = self.broker_view(b);
        if !broker.out.is_empty() {
            // Something is queued before the event: the page's steps.
            if broker.raise_hw(tp, &view) {
                self.broker_flush(b);
                let hw = self.brokers[b.0 as usize].led_hw(tp);
                self.broker_after_hw_moved(b, tp, hw);
            }
        } else if let Some(hw) = broker.raise_hw_unshown(tp, &view) {
            self.emit(EventKind::HighWatermark {
                broker: b,
                tp,
                hw,
                leader: true,
            });
            self.broker_after_hw_moved(b, tp, Some(hw));
        }
    }
}

#[cfg(engine_speed)]
impl Broker {
    /// [`Broker::raise_hw`] without its event: the new HW when it moved.
    #[inline(always)]
    fn raise_hw_unshown(&mut self, tp: Tp, view: &ClusterView) -> Option<Offset> {
        let rep = self.replicas.get(&tp)?;
        let new_hw = rep.leader.as_ref()?.high_watermark(
            rep.log.leo(),
            view.isr(tp),
            view.min_isr(tp),
            view.now_ms,
            view.lag_ms,
            |id| view.usable(id),
        )?;
        if new_hw <= rep.log.hw() {
            return None;
        }
        self.settle_quiet(tp, true);
        let log = &mut self.replicas.get_mut(&tp)?.log;
        log.set_hw(new_hw);
        Some(log.hw())
    }
}

/// Natively, an internal append (an offset commit's record, a transaction
/// log write) made while the broker's outbox is empty has its
/// `InternalAppended` event shown by the engine itself, for the reason the
/// high watermark's is (see above): one a record in W1 full, where the
/// event went through the outbox, its flush and the general `emit`. The
/// check whether the HW can move after it ([`Broker::hw_cannot_move`]) is
/// asked of the partition the append already holds, not looked up again.
#[cfg(engine_speed)]
impl Engine {
    /// As [`Engine::broker_internal_append`], optionally as part of a
    /// producer's transaction (TxnOffsetCommit writes with its id and epoch).
    pub(crate) fn broker_internal_append_as(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: InternalRecords,
        txn: Option<(ProducerId, ProducerEpoch)>,
    ) -> Result<Offset, ErrorCode> {
        let now = self.now_ms;
        let batch = BatchId(self.next_batch_id);
        self.next_batch_id += 1;
        let (broker, view) = self.broker_view(b);
        if !broker.out.is_empty() {
            let end = broker.append_internal(now, tp, batch, records, txn)?;
            // (The append's event goes out first, then what the append caused.)
            self.broker_flush_after_append(b, tp);
            return Ok(end);
        }
        let (first, leo, end, stays) =
            broker.append_internal_unshown(now, tp, batch, &records, txn, &view)?;
        self.emit(EventKind::InternalAppended {
            broker: b,
            tp,
            records,
            first,
            leo,
        });
        debug_assert_eq!(stays, self.broker_hw_stays(b, tp), "the HW check in hand");
        self.broker_flush_after_unshown_append(b, tp, stays);
        Ok(end)
    }
}

#[cfg(engine_speed)]
impl Broker {
    /// [`Broker::append_internal`] without its event: the first offset,
    /// the log end offset after the append, the offset after the last
    /// record, and whether the HW surely stays where it is
    /// ([`Broker::hw_cannot_move`], asked of the partition already in hand).
    /// Records written without a producer (all but a TxnOffsetCommit's) go
    /// in through [`PartitionLog::append_unstamped`].
    ///
    /// [`PartitionLog::append_unstamped`]: crate::engine::log::PartitionLog::append_unstamped
    #[inline(always)]
    fn append_internal_unshown(
        &mut self,
        now_ms: u64,
        tp: Tp,
        batch: BatchId,
        records: &[RecordId],
        txn: Option<(ProducerId, ProducerEpoch)>,
        view: &ClusterView,
    ) -> Result<(Offset, Offset, Offset, bool), ErrorCode> {
        self.settle_quiet(tp, true);
        let Some(rep) = self.replicas.get_mut(&tp).filter(|r| r.leader.is_some()) else {
            return Err(ErrorCode::NotCoordinator);
        };
        let epoch = rep
            .leader
            .as_ref()
            .map_or(LeaderEpoch::default(), |l| l.epoch);
        let (first_offset, last_offset) = match txn {
            // No producer: nothing to check or track (`append_unstamped`).
            None => rep.log.append_unstamped(records, batch, epoch, now_ms),
            Some((pid, e)) => {
                let batch = AppendBatch {
                    batch,
                    records,
                    producer: Some((pid, e, -1)),
                    transactional: true,
                };
                match rep.log.append_as_leader(&batch, epoch, now_ms) {
                    AppendOutcome::Appended {
                        first_offset,
                        last_offset,
                    } => (first_offset, last_offset),
                    AppendOutcome::StaleEpoch => return Err(ErrorCode::ProducerFenced),
                    _ => return Err(ErrorCode::NotCoordinator),
                }
            }
        };
        let leader = rep.leader.as_ref().expect("checked above");
        let stays = leader.isr_follower_pins_hw(view.isr(tp), rep.log.hw());
        Ok((first_offset, rep.log.leo(), last_offset.next(), stays))
    }
}

/// Natively, the purgatory's completion after a high-watermark move reads
/// the moved partition once, not once for every operation it tries.
///
/// Why: on the page's path each operation waiting on the partition is
/// tried through [`try_complete`], whose view looks the replica up in the
/// broker's map and asks the controller whether the ISR is below
/// `min.insync.replicas` (two indexed walks), though an offset commit
/// waits on that one partition and only reads its HW, and only a produce
/// reads the ISR answer. W1 full tries ~105,000 operations in ~30,000
/// moves (two commits complete a move, and the scan starts again after
/// each), and checks ~60,000 new commits as they are parked. Here a
/// coordinator write that waits on one partition is decided from that
/// partition's HW, read once per move (and again after a completed write
/// went to a transaction coordinator, which may append here: an offset
/// commit's completion only answers its consumer and records the offsets
/// in the group), and the ISR question is asked of produces alone. The
/// same operations are tried in the same order with the same answers;
/// debug builds check each fast answer against [`try_complete`], and the
/// HW read against the partition's.
#[cfg(engine_speed)]
impl Broker {
    /// The HW of `tp` while this broker leads it (`None` when it does not:
    /// what a write waiting on it fails with).
    #[inline(always)]
    fn led_hw(&self, tp: Tp) -> Option<Offset> {
        let rep = self.replicas.get(&tp)?;
        rep.leader.as_ref().map(|_| rep.log.hw())
    }
}

/// `tryComplete` of a coordinator write waiting on one partition to reach
/// `required`, whose HW here is `hw` (`None`: no longer led here).
#[cfg(engine_speed)]
#[inline(always)]
fn one_partition_status(hw: Option<Offset>, required: Offset) -> Status {
    match hw {
        None => Some(Some(ErrorCode::NotLeaderOrFollower)),
        Some(hw) => (hw >= required).then_some(None),
    }
}

/// [`try_complete`], with the ISR asked about only for a produce (the one
/// kind whose rule reads it).
#[cfg(engine_speed)]
#[inline(always)]
fn try_complete_lazy(
    replicas: &TpMap<Shared<Replica>>,
    view: &ClusterView,
    op: &mut DelayedOp,
) -> Status {
    let produce = op.is_produce();
    op.try_complete(|tp| {
        let rep = replicas.get(&tp).filter(|r| r.leader.is_some())?;
        Some(PartitionView {
            hw: rep.log.hw(),
            under_min_isr: produce && view.under_min_isr(tp),
        })
    })
}

/// Natively, an internal append takes its records as the event will keep
/// them ([`InternalRecords`]: an offset commit's one record inline, no
/// allocation); a list built as a `Vec` (a transaction-log write) is moved
/// in as it is. The page's version takes the `Vec` it keeps.
#[cfg(engine_speed)]
impl Engine {
    /// Appends internal records (offset commits, transaction log) as the
    /// partition leader. Returns the offset after the last one, or an error.
    #[inline(always)]
    pub(crate) fn broker_internal_append(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: impl Into<InternalRecords>,
    ) -> Result<Offset, ErrorCode> {
        self.broker_internal_append_as(b, tp, records.into(), None)
    }
}
