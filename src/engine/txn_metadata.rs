//! One transactional id's state at its coordinator, and the rules for
//! changing it (`TransactionMetadata.scala`).
//!
//! A transaction moves through these states; Kafka lists, for each, the
//! states it may be entered from (`validPreviousStates`), and so does
//! [`TxnState::valid_previous_states`]:
//!
//! | state | entered from |
//! | --- | --- |
//! | Empty | Empty, CompleteCommit, CompleteAbort (InitProducerId) |
//! | Ongoing | Ongoing, Empty, CompleteCommit, CompleteAbort (AddPartitions) |
//! | PrepareCommit | Ongoing (EndTxn commit) |
//! | PrepareAbort | Ongoing, PrepareEpochFence (EndTxn abort, fence, timeout) |
//! | CompleteCommit | PrepareCommit (every marker written) |
//! | CompleteAbort | PrepareAbort (every marker written) |
//! | PrepareEpochFence | Ongoing (a new instance while a transaction is open) |
//! | Dead | Empty, CompleteCommit, CompleteAbort (expiry; not modelled) |
//!
//! [`TxnMeta::transition_to`] refuses anything else. The `prepare_*`
//! methods are Kafka's transitions: `prepare_increment_producer_epoch` (a
//! new producer instance: the next epoch, which fences every older one),
//! `prepare_producer_id_rotation` (the epochs of an id are used up),
//! `prepare_fence_producer_epoch` (an open transaction's producer is fenced
//! before its transaction is aborted), `prepare_add_partitions`,
//! [`TxnMeta::prepare_end`] (what EndTxn decides) and `prepare_complete`.
//! Each takes what it needs as arguments, changes only this transaction
//! and writes the state change it shows into an [`Outbox`], so each is
//! unit-tested here alone; the coordinator (`txn_coordinator.rs`) picks
//! the transaction a request names and the engine writes the new state to
//! the transaction log.
//!
//! Kafka's code: `core/src/main/scala/kafka/coordinator/transaction/TransactionMetadata.scala`
//! and the checks of `TransactionCoordinator.scala`.

use crate::engine::event::{ErrorCode, EventKind, Node, TxnState};
use crate::engine::ids::*;
use crate::engine::log::ControlType;
use crate::engine::network::Msg;
use crate::engine::outbox::Outbox;
use crate::engine::vecmap::VecMap;

impl TxnState {
    /// `TransactionState.validPreviousStates`: the states a transaction may
    /// be in to move to this one.
    pub fn valid_previous_states(self) -> &'static [TxnState] {
        use TxnState::*;
        match self {
            Empty => &[Empty, CompleteCommit, CompleteAbort],
            Ongoing => &[Ongoing, Empty, CompleteCommit, CompleteAbort],
            PrepareCommit => &[Ongoing],
            PrepareAbort => &[Ongoing, PrepareEpochFence],
            CompleteCommit => &[PrepareCommit],
            CompleteAbort => &[PrepareAbort],
            Dead => &[Empty, CompleteAbort, CompleteCommit],
            PrepareEpochFence => &[Ongoing],
        }
    }

    /// Whether a transaction in `self` may move to `to`.
    pub fn may_become(self, to: TxnState) -> bool {
        to.valid_previous_states().contains(&self)
    }
}

/// What to do once a transaction-log write is replicated (the callback of
/// Kafka's `appendTransactionToLog`).
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

/// How InitProducerId moves an existing transactional id on
/// ([`TxnMeta::prepare_init`], `prepareInitProducerIdTransit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitTransit {
    /// `prepareIncrementProducerEpoch`: the next epoch, state Empty.
    IncrementEpoch,
    /// `prepareProducerIdRotation`: the epochs are exhausted; a new producer
    /// id at epoch 0.
    RotateProducerId,
    /// `prepareFenceProducerEpoch`: a transaction is open; fence its
    /// producer's epoch and abort it; the caller retries.
    FenceProducerEpoch,
}

/// What EndTxn does ([`TxnMeta::prepare_end`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndTxn {
    /// `prepareAbortOrCommit`: move to PrepareCommit or PrepareAbort.
    Prepare(TxnState),
    /// A retry of an EndTxn that already completed: answer OK again.
    AlreadyEnded,
}

/// Where a transaction's markers stand after an answer
/// ([`TxnMeta::markers_written`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markers {
    /// Every partition has its marker: the transaction completes.
    AllWritten,
    /// A leader refused one (its leadership moved): send them again.
    Refused,
    /// Some answers are still to come.
    Waiting,
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
    /// A transaction-log write in flight and what follows it (Kafka's
    /// `pendingState`).
    pub next: Option<TxnNext>,
    /// Transactions completed, for the UI.
    pub committed: u32,
    pub aborted: u32,
}

impl TxnMeta {
    /// A transactional id seen for the first time (state Empty, epoch 0).
    pub fn new(transactional_id: &str, producer_id: ProducerId, timeout_ms: u32) -> TxnMeta {
        TxnMeta {
            transactional_id: transactional_id.to_string(),
            producer_id,
            epoch: ProducerEpoch(0),
            state: TxnState::Empty,
            partitions: Vec::new(),
            started_ms: 0,
            timeout_ms,
            pending_markers: Vec::new(),
            next: None,
            committed: 0,
            aborted: 0,
        }
    }

    /// Moves to `to` and shows it. A transition Kafka does not allow
    /// ([`TxnState::valid_previous_states`]) is refused: a debug build (every
    /// test) stops on it, a release build leaves the state as it was.
    pub fn transition_to(&mut self, to: TxnState, out: &mut Outbox) {
        if !self.state.may_become(to) {
            debug_assert!(
                false,
                "{}: {} cannot become {}",
                self.transactional_id,
                self.state.name(),
                to.name()
            );
            return;
        }
        self.state = to;
        out.event(EventKind::TxnStateChanged {
            transactional_id: self.transactional_id.clone(),
            state: to,
            producer_id: self.producer_id,
            epoch: self.epoch,
        });
    }

    /// `TransactionMetadata.isProducerEpochExhausted`: the last epoch a
    /// client may use is `i16::MAX - 1`, so the coordinator can always fence.
    pub fn is_epoch_exhausted(&self) -> bool {
        self.epoch.0 >= i16::MAX - 1
    }

    /// A state write in flight, or a decided transaction whose markers are
    /// not written yet: requests get `CONCURRENT_TRANSACTIONS`.
    pub fn is_busy(&self) -> bool {
        self.next.is_some()
            || matches!(
                self.state,
                TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence
            )
    }

    /// The checks of AddPartitionsToTxn and AddOffsetsToTxn: the producer's
    /// id and epoch (a zombie with an older epoch is `PRODUCER_FENCED`),
    /// then whether the transaction is busy.
    pub fn check_request(&self, pid: ProducerId, epoch: ProducerEpoch) -> Result<(), ErrorCode> {
        if self.producer_id != pid || epoch < self.epoch {
            return Err(ErrorCode::ProducerFenced);
        }
        if self.is_busy() {
            return Err(ErrorCode::ConcurrentTransactions);
        }
        Ok(())
    }

    /// `prepareInitProducerIdTransit` for an id the coordinator knows.
    pub fn prepare_init(&self) -> Result<InitTransit, ErrorCode> {
        if self.is_busy() {
            return Err(ErrorCode::ConcurrentTransactions);
        }
        match self.state {
            TxnState::Ongoing => Ok(InitTransit::FenceProducerEpoch),
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                Ok(if self.is_epoch_exhausted() {
                    InitTransit::RotateProducerId
                } else {
                    InitTransit::IncrementEpoch
                })
            }
            // Never a resting state here.
            TxnState::Dead | TxnState::PrepareCommit | TxnState::PrepareAbort => {
                Err(ErrorCode::InvalidTxnState)
            }
            TxnState::PrepareEpochFence => Err(ErrorCode::ConcurrentTransactions),
        }
    }

    /// `prepareIncrementProducerEpoch`: a new instance gets the next epoch.
    pub fn prepare_increment_producer_epoch(&mut self, timeout_ms: u32, out: &mut Outbox) {
        self.timeout_ms = timeout_ms;
        self.epoch = ProducerEpoch(self.epoch.0 + 1);
        self.transition_to(TxnState::Empty, out);
    }

    /// `prepareProducerIdRotation`: the epochs of the old id are used up.
    pub fn prepare_producer_id_rotation(
        &mut self,
        producer_id: ProducerId,
        timeout_ms: u32,
        out: &mut Outbox,
    ) {
        self.timeout_ms = timeout_ms;
        self.producer_id = producer_id;
        self.epoch = ProducerEpoch(0);
        self.transition_to(TxnState::Empty, out);
    }

    /// `prepareFenceProducerEpoch`: the epoch is bumped in memory only
    /// (`PrepareEpochFence` is a pending state, never a log record); the
    /// abort that follows is written with it, and its markers fence the old
    /// epoch in every partition of the transaction. `announce` shows the
    /// pending state, as a new instance's fence does.
    pub fn prepare_fence_producer_epoch(&mut self, announce: bool, out: &mut Outbox) {
        self.epoch = ProducerEpoch(self.epoch.0 + 1);
        if announce {
            self.transition_to(TxnState::PrepareEpochFence, out);
        }
    }

    /// `prepareAddPartitions`: the partitions join the transaction, which is
    /// Ongoing from now (its timeout counts from its first partition).
    pub fn prepare_add_partitions(&mut self, partitions: &[Tp], now_ms: u64, out: &mut Outbox) {
        for tp in partitions {
            if !self.partitions.contains(tp) {
                self.partitions.push(*tp);
            }
        }
        if self.state != TxnState::Ongoing {
            self.started_ms = now_ms;
            self.transition_to(TxnState::Ongoing, out);
        }
    }

    /// `endTransaction`'s checks, in Kafka's order: the producer (a zombie
    /// is `PRODUCER_FENCED`), then the state: an open transaction is
    /// decided; a retry of the same decision is answered again (OK once
    /// complete, `CONCURRENT_TRANSACTIONS` while its markers are written);
    /// anything else is `INVALID_TXN_STATE`.
    pub fn prepare_end(
        &self,
        pid: ProducerId,
        epoch: ProducerEpoch,
        commit: bool,
    ) -> Result<EndTxn, ErrorCode> {
        if self.producer_id != pid || epoch < self.epoch {
            return Err(ErrorCode::ProducerFenced);
        }
        match (self.state, commit) {
            (TxnState::Ongoing, true) if self.next.is_none() => {
                Ok(EndTxn::Prepare(TxnState::PrepareCommit))
            }
            (TxnState::Ongoing, false) if self.next.is_none() => {
                Ok(EndTxn::Prepare(TxnState::PrepareAbort))
            }
            (TxnState::CompleteCommit, true)
            | (TxnState::CompleteAbort, false)
            | (TxnState::Empty, false) => Ok(EndTxn::AlreadyEnded),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                Err(ErrorCode::ConcurrentTransactions)
            }
            _ => Err(ErrorCode::InvalidTxnState),
        }
    }

    /// The coordinator's own abort of a transaction open too long
    /// (`abortTimedOutTransactions`): fence the epoch, decide to abort.
    /// Returns what follows the abort's log write.
    pub fn abort_timed_out(&mut self, out: &mut Outbox) -> TxnNext {
        out.event(EventKind::Note {
            text: format!(
                "Transaction of {} open longer than transaction.timeout.ms ({} ms): the coordinator aborts it and bumps the epoch.",
                self.transactional_id, self.timeout_ms
            ),
        });
        self.prepare_fence_producer_epoch(false, out);
        self.transition_to(TxnState::PrepareAbort, out);
        TxnNext::WriteMarkers {
            reply: None,
            control: ControlType::Abort,
        }
    }

    /// Open, with no write pending, for longer than its timeout
    /// (`TransactionStateManager.timedOutTransactions`).
    pub fn has_timed_out(&self, now_ms: u64) -> bool {
        self.next.is_none()
            && self.state == TxnState::Ongoing
            && now_ms >= self.started_ms + self.timeout_ms as u64
    }

    /// Decided and written, so its markers are due.
    pub fn markers_due(&self) -> bool {
        self.next.is_none()
            && matches!(self.state, TxnState::PrepareCommit | TxnState::PrepareAbort)
    }

    /// Markers were sent and some are not acknowledged yet.
    pub fn markers_unacknowledged(&self) -> bool {
        self.markers_due() && !self.pending_markers.is_empty()
    }

    /// The state write finished (with `error`, if it failed): answers the
    /// request that waited for it. Returns whether the markers go out now.
    pub fn written(
        &self,
        next: TxnNext,
        coordinator: Node,
        error: Option<ErrorCode>,
        out: &mut Outbox,
    ) -> bool {
        match next {
            TxnNext::ReplyInit { to, instance } => out.send(
                coordinator,
                to,
                Msg::InitProducerIdResponse {
                    error,
                    producer_id: self.producer_id,
                    epoch: self.epoch,
                    instance,
                },
            ),
            TxnNext::ReplyAddPartitions { to, partitions } => out.send(
                coordinator,
                to,
                Msg::AddPartitionsToTxnResponse { error, partitions },
            ),
            TxnNext::ReplyAddOffsets { to, group } => out.send(
                coordinator,
                to,
                Msg::AddOffsetsToTxnResponse { error, group },
            ),
            TxnNext::WriteMarkers { reply, .. } => {
                if let Some(to) = reply {
                    out.send(coordinator, to, Msg::EndTxnResponse { error });
                }
                return error.is_none();
            }
            TxnNext::Done => {}
        }
        false
    }

    /// Sends one WriteTxnMarkers request per partition leader (a partition
    /// without a leader waits for the retry). Returns false when the
    /// transaction has no partitions: it completes at once.
    pub fn write_markers(
        &mut self,
        coordinator: BrokerId,
        leader_of: impl Fn(Tp) -> Option<BrokerId>,
        out: &mut Outbox,
    ) -> bool {
        if self.partitions.is_empty() {
            return false;
        }
        let control = match self.state {
            TxnState::PrepareCommit => ControlType::Commit,
            _ => ControlType::Abort,
        };
        self.pending_markers = self.partitions.clone();
        let mut by_leader: VecMap<BrokerId, Vec<Tp>> = VecMap::new();
        for tp in &self.partitions {
            if let Some(l) = leader_of(*tp) {
                by_leader.entry_or_default(l).push(*tp);
            }
        }
        for (leader, partitions) in by_leader {
            out.send(
                Node::Broker(coordinator),
                Node::Broker(leader),
                Msg::WriteTxnMarkers {
                    transactional_id: self.transactional_id.clone(),
                    producer_id: self.producer_id,
                    epoch: self.epoch,
                    control,
                    partitions,
                },
            );
        }
        true
    }

    /// Partition leaders answered WriteTxnMarkers for `parts` (each with
    /// its error, if refused). An answer that arrives once the transaction
    /// no longer waits for markers (the duplicate answer to a resend, after
    /// it completed) changes nothing.
    pub fn markers_written(&mut self, parts: Vec<(Tp, Option<ErrorCode>)>) -> Markers {
        if !matches!(self.state, TxnState::PrepareCommit | TxnState::PrepareAbort) {
            return Markers::Waiting;
        }
        let mut refused = false;
        for (tp, err) in parts {
            if err.is_none() {
                self.pending_markers.retain(|x| *x != tp);
            } else {
                refused = true;
            }
        }
        if self.pending_markers.is_empty() {
            Markers::AllWritten
        } else if refused {
            Markers::Refused
        } else {
            Markers::Waiting
        }
    }

    /// `prepareComplete`: every marker is written; the transaction ends.
    pub fn prepare_complete(&mut self, out: &mut Outbox) {
        let done = if self.state == TxnState::PrepareCommit {
            self.committed += 1;
            TxnState::CompleteCommit
        } else {
            self.aborted += 1;
            TxnState::CompleteAbort
        };
        self.partitions.clear();
        self.pending_markers.clear();
        self.transition_to(done, out);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const TID: &str = "tx-1";
    const TIMEOUT: u32 = 60_000;

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// The transaction states `out` shows, with their epochs.
    pub(crate) fn states(out: &Outbox) -> Vec<(TxnState, i16)> {
        out.events()
            .filter_map(|e| match e {
                EventKind::TxnStateChanged { state, epoch, .. } => Some((*state, epoch.0)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_decided_transaction_completes_once_every_partition_leader_wrote_its_marker() {
        let mut m = TxnMeta::new(TID, ProducerId(5), TIMEOUT);
        m.prepare_add_partitions(&[tp(0), tp(1)], 1_000, &mut Outbox::new());
        m.transition_to(TxnState::PrepareCommit, &mut Outbox::new());
        assert!(m.markers_due());
        // Partitions 0 and 1 have different leaders: one request each.
        let mut out = Outbox::new();
        let leader = |tp: Tp| Some(BrokerId(tp.partition.0 as u16 + 1));
        assert!(m.write_markers(BrokerId(0), leader, &mut out));
        let to: Vec<Node> = out.sent().map(|(_, to, _)| to).collect();
        assert_eq!(to, [Node::Broker(BrokerId(1)), Node::Broker(BrokerId(2))]);
        assert!(out.sent().all(|(_, _, msg)| matches!(
            msg,
            Msg::WriteTxnMarkers {
                control: ControlType::Commit,
                ..
            }
        )));
        // One is refused (its leader moved), one written; then the other.
        let refused = vec![(tp(0), None), (tp(1), Some(ErrorCode::NotLeaderOrFollower))];
        assert_eq!(m.markers_written(refused), Markers::Refused);
        assert!(m.markers_unacknowledged());
        assert_eq!(m.markers_written(vec![(tp(1), None)]), Markers::AllWritten);
        let mut out = Outbox::new();
        m.prepare_complete(&mut out);
        assert_eq!(states(&out), [(TxnState::CompleteCommit, 0)]);
        assert_eq!((m.committed, m.aborted), (1, 0));
        assert!(m.partitions.is_empty() && m.pending_markers.is_empty());
        // A resend's duplicate answer, arriving now, changes nothing.
        assert_eq!(m.markers_written(vec![(tp(1), None)]), Markers::Waiting);
        assert_eq!(m.state, TxnState::CompleteCommit);
    }

    #[test]
    fn a_transaction_without_partitions_has_no_markers_to_write() {
        let mut m = TxnMeta::new(TID, ProducerId(5), TIMEOUT);
        m.state = TxnState::PrepareAbort;
        let mut out = Outbox::new();
        assert!(!m.write_markers(BrokerId(0), |_| Some(BrokerId(1)), &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn the_timeout_counts_from_the_first_partition_of_the_transaction() {
        let mut m = TxnMeta::new(TID, ProducerId(5), TIMEOUT);
        let mut out = Outbox::new();
        m.prepare_add_partitions(&[tp(0)], 1_000, &mut out);
        m.prepare_add_partitions(&[tp(1), tp(0)], 5_000, &mut out);
        assert_eq!(states(&out), [(TxnState::Ongoing, 0)], "shown once");
        assert_eq!(
            (m.started_ms, m.partitions.clone()),
            (1_000, vec![tp(0), tp(1)])
        );
        assert!(!m.has_timed_out(60_999));
        assert!(m.has_timed_out(61_000));
        m.next = Some(TxnNext::Done);
        assert!(!m.has_timed_out(61_000), "not while a write is pending");
    }

    #[test]
    fn each_state_follows_exactly_the_states_kafka_allows() {
        use TxnState::*;
        let all = [
            Empty,
            Ongoing,
            PrepareCommit,
            PrepareAbort,
            CompleteCommit,
            CompleteAbort,
            Dead,
            PrepareEpochFence,
        ];
        // (from, to) pairs of TransactionMetadata.scala's table.
        let allowed = [
            (Empty, Empty),
            (CompleteCommit, Empty),
            (CompleteAbort, Empty),
            (Ongoing, Ongoing),
            (Empty, Ongoing),
            (CompleteCommit, Ongoing),
            (CompleteAbort, Ongoing),
            (Ongoing, PrepareCommit),
            (Ongoing, PrepareAbort),
            (PrepareEpochFence, PrepareAbort),
            (PrepareCommit, CompleteCommit),
            (PrepareAbort, CompleteAbort),
            (Empty, Dead),
            (CompleteAbort, Dead),
            (CompleteCommit, Dead),
            (Ongoing, PrepareEpochFence),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{} -> {}",
                    from.name(),
                    to.name()
                );
            }
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "CompleteCommit cannot become CompleteAbort")]
    fn an_invalid_transition_stops_a_debug_build() {
        let mut m = TxnMeta::new(TID, ProducerId(1), TIMEOUT);
        m.state = TxnState::CompleteCommit;
        m.transition_to(TxnState::CompleteAbort, &mut Outbox::new());
    }

    #[test]
    #[cfg(not(debug_assertions))]
    fn an_invalid_transition_is_refused() {
        let mut m = TxnMeta::new(TID, ProducerId(1), TIMEOUT);
        m.state = TxnState::CompleteCommit;
        let mut out = Outbox::new();
        m.transition_to(TxnState::CompleteAbort, &mut out);
        assert_eq!(m.state, TxnState::CompleteCommit);
        assert!(out.is_empty());
    }

    #[test]
    fn end_txn_decides_an_open_transaction_and_answers_retries_of_a_finished_one() {
        let mut m = TxnMeta::new(TID, ProducerId(5), TIMEOUT);
        let (pid, e0) = (ProducerId(5), ProducerEpoch(0));
        assert_eq!(
            m.prepare_end(pid, e0, true),
            Err(ErrorCode::InvalidTxnState)
        );
        assert_eq!(m.prepare_end(pid, e0, false), Ok(EndTxn::AlreadyEnded));
        m.state = TxnState::Ongoing;
        assert_eq!(
            m.prepare_end(pid, e0, true),
            Ok(EndTxn::Prepare(TxnState::PrepareCommit))
        );
        assert_eq!(
            m.prepare_end(pid, e0, false),
            Ok(EndTxn::Prepare(TxnState::PrepareAbort))
        );
        assert_eq!(
            m.prepare_end(ProducerId(6), e0, true),
            Err(ErrorCode::ProducerFenced)
        );
        m.state = TxnState::CompleteCommit;
        assert_eq!(m.prepare_end(pid, e0, true), Ok(EndTxn::AlreadyEnded));
        assert_eq!(
            m.prepare_end(pid, e0, false),
            Err(ErrorCode::InvalidTxnState)
        );
        m.state = TxnState::CompleteAbort;
        assert_eq!(m.prepare_end(pid, e0, false), Ok(EndTxn::AlreadyEnded));
    }
}
