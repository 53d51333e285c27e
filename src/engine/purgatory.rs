//! The broker's purgatory for writes that wait on replication
//! (`DelayedOperationPurgatory`, `DelayedProduce.scala` in Kafka's `core`,
//! `server/purgatory/DelayedOperation.java` in newer releases).
//!
//! A leader answers an `acks=all` produce, an offset commit, a transaction-log
//! write or a transaction marker only once the partition's **high watermark**
//! has passed the write: until then the request waits here. Each waiting
//! operation names every `(partition, offset)` the HW must reach and a
//! deadline (`request.timeout.ms` for a produce).
//!
//! - **Try to complete** (`DelayedProduce.tryComplete`,
//!   `checkEnoughReplicasReachOffset`), whenever the HW of one of its
//!   partitions moves, the ISR changes, or leadership is lost:
//!   - a produce is decided *per partition*: a partition whose HW passed its
//!     batch is done (with `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR is
//!     now below `min.insync.replicas`), one the broker no longer leads fails
//!     with `NOT_LEADER_OR_FOLLOWER`, and the request completes once no
//!     partition is pending, each with its own status;
//!   - any other write completes when every partition's HW passed it, or
//!     fails as a whole when the broker no longer leads one of them.
//! - **Expire** (`DelayedProduce.onExpiration`): at the deadline only the
//!   partitions still pending answer `REQUEST_TIMED_OUT`.
//!
//! The rules see a partition only through [`PartitionView`], so they are
//! unit-tested here without a cluster; the broker (`broker.rs`) supplies the
//! views and sends the answers.

use crate::engine::event::{ErrorCode, Node};
use crate::engine::ids::*;
use crate::engine::network::BatchResult;

/// What is waiting for a partition's HW to pass an offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DelayedKind {
    /// An acks=all produce request.
    Produce {
        from: Node,
        request_id: u64,
        results: Vec<BatchResult>,
    },
    /// A group coordinator write (offset commit) to `__consumer_offsets`.
    OffsetCommit {
        group: GroupIdx,
        from: Node,
        commit_id: u64,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        member: Option<ConsumerIdx>,
    },
    /// Offsets committed inside a transaction (TxnOffsetCommit).
    TxnOffsetCommit { group: GroupIdx, from: Node },
    /// A transaction coordinator write to `__transaction_state`.
    TxnLog { transactional_id: String },
    /// A transaction marker write, answered to the coordinator.
    Marker {
        coordinator: BrokerId,
        transactional_id: String,
        tp: Tp,
        producer_id: ProducerId,
        control: crate::engine::log::ControlType,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayedOp {
    pub id: u64,
    /// Every (partition, offset) the HW must reach.
    pub waiting: Waiting,
    pub deadline_ms: u64,
    pub kind: DelayedKind,
}

/// The (partition, offset) pairs a [`DelayedOp`] waits on, read as a slice.
///
/// Why not a plain `Vec`: every coordinator write (an offset commit, a
/// transaction-log write, a marker) waits on exactly one partition, and an
/// offset commit happens once a record in a workload that commits each
/// record. A one-entry `Vec` costs a heap allocation and a free each time;
/// [`Waiting::One`] keeps that entry inline. A produce, which may wait on
/// many partitions, keeps its `Vec` ([`Waiting::Many`]).
///
/// Speed-only: the page's build keeps the plain `Vec` (the enum's slice
/// glue grew its first load by ~400 B brotli, more than its budget).
#[cfg(engine_speed)]
#[derive(Clone)]
pub enum Waiting {
    /// Exactly one pair, stored inline (an array so it reads as a slice).
    One([(Tp, Offset); 1]),
    /// Any number of pairs, possibly none once a produce is decided.
    Many(Vec<(Tp, Offset)>),
}

#[cfg(engine_speed)]
impl Waiting {
    /// `Vec::retain`: keeps the pairs `f` accepts, in order.
    pub fn retain(&mut self, mut f: impl FnMut(&(Tp, Offset)) -> bool) {
        match self {
            Waiting::One([pair]) => {
                if !f(pair) {
                    // An empty `Vec` allocates nothing.
                    *self = Waiting::Many(Vec::new());
                }
            }
            Waiting::Many(pairs) => pairs.retain(f),
        }
    }
}

#[cfg(engine_speed)]
impl From<Vec<(Tp, Offset)>> for Waiting {
    fn from(pairs: Vec<(Tp, Offset)>) -> Self {
        Waiting::Many(pairs)
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for Waiting {
    type Target = [(Tp, Offset)];

    fn deref(&self) -> &[(Tp, Offset)] {
        match self {
            Waiting::One(pair) => pair,
            Waiting::Many(pairs) => pairs,
        }
    }
}

#[cfg(engine_speed)]
/// Equal when the same pairs wait, whichever form holds them.
impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

#[cfg(engine_speed)]
impl Eq for Waiting {}

#[cfg(engine_speed)]
/// Prints the pairs as a list, as the `Vec` it replaces did.
impl std::fmt::Debug for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The page's build: a plain `Vec` (see the speed-only enum above).
#[cfg(not(engine_speed))]
pub type Waiting = Vec<(Tp, Offset)>;

/// What a write that waits on one partition reaching `offset` waits on
/// (inline in the speed-only [`Waiting`], a one-entry `Vec` on the page).
pub fn wait_for(tp: Tp, offset: Offset) -> Waiting {
    #[cfg(engine_speed)]
    return Waiting::One([(tp, offset)]);
    #[cfg(not(engine_speed))]
    vec![(tp, offset)]
}

/// A partition as the purgatory needs to see it on the broker holding the op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionView {
    pub hw: Offset,
    /// The ISR is below `min.insync.replicas` (only a produce cares).
    pub under_min_isr: bool,
}

/// Whether an operation is done: `None` = keep waiting; `Some(None)` = done;
/// `Some(Some(e))` = done with error `e`.
pub type Status = Option<Option<ErrorCode>>;

impl DelayedOp {
    /// Whether the op waits on `tp`.
    pub fn waits_on(&self, tp: Tp) -> bool {
        // Matched, not read as a slice: the broker asks this of every
        // operation in its purgatory each time a high watermark moves.
        #[cfg(engine_speed)]
        return match &self.waiting {
            Waiting::One([(t, _)]) => *t == tp,
            Waiting::Many(pairs) => pairs.iter().any(|(t, _)| *t == tp),
        };
        #[cfg(not(engine_speed))]
        self.waiting.iter().any(|(t, _)| *t == tp)
    }

    /// `tryComplete`: decides what it can, given each partition as the
    /// broker sees it now (`None` where the broker no longer leads it). A
    /// produce drops each decided partition from `waiting`, recording its
    /// status in its results.
    #[cfg_attr(engine_speed, inline(always))]
    pub fn try_complete(&mut self, view: impl Fn(Tp) -> Option<PartitionView>) -> Status {
        if matches!(self.kind, DelayedKind::Produce { .. }) {
            // In place: a decided partition leaves `waiting`, and the next
            // one moves into its position.
            let mut i = 0;
            while let Some(&(tp, required)) = self.waiting.get(i) {
                let error = match view(tp) {
                    None => Some(ErrorCode::NotLeaderOrFollower),
                    Some(p) if p.hw < required => {
                        i += 1;
                        continue;
                    }
                    Some(p) => p
                        .under_min_isr
                        .then_some(ErrorCode::NotEnoughReplicasAfterAppend),
                };
                // (Entries of `tp` before `i`, if any, go too.)
                i -= self.waiting[..i].iter().filter(|(t, _)| *t == tp).count();
                self.partition_done(tp, error);
            }
            return self.waiting.is_empty().then_some(None);
        }
        #[cfg(engine_speed)]
        if let Waiting::One([(tp, required)]) = self.waiting {
            // The common case (one coordinator write), without the slice.
            return match view(tp) {
                None => Some(Some(ErrorCode::NotLeaderOrFollower)),
                Some(p) => (p.hw >= required).then_some(None),
            };
        }
        for (tp, required) in self.waiting.iter() {
            let Some(p) = view(*tp) else {
                return Some(Some(ErrorCode::NotLeaderOrFollower));
            };
            if p.hw < *required {
                return None;
            }
        }
        Some(None)
    }

    /// `onExpiration`: the status the op completes with at its deadline. A
    /// produce times out only its partitions still pending (the others keep
    /// the status they got), the rest as a whole.
    pub fn expire(&mut self) -> Option<ErrorCode> {
        if matches!(self.kind, DelayedKind::Produce { .. }) {
            while let Some(&(tp, _)) = self.waiting.first() {
                self.partition_done(tp, Some(ErrorCode::RequestTimedOut));
            }
            return None;
        }
        Some(ErrorCode::RequestTimedOut)
    }

    /// One partition of a produce stops pending, with `error` if any.
    pub fn partition_done(&mut self, tp: Tp, error: Option<ErrorCode>) {
        self.waiting.retain(|(t, _)| *t != tp);
        if let (Some(e), DelayedKind::Produce { results, .. }) = (error, &mut self.kind) {
            for r in results
                .iter_mut()
                .filter(|r| r.tp == tp && r.result.is_ok())
            {
                r.result = Err(e);
                r.duplicate = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    fn produce(waiting: &[(u32, i64)]) -> DelayedOp {
        DelayedOp {
            id: 1,
            waiting: Waiting::from(
                waiting
                    .iter()
                    .map(|(p, o)| (tp(*p), Offset(*o)))
                    .collect::<Vec<_>>(),
            ),
            deadline_ms: 30_000,
            kind: DelayedKind::Produce {
                from: Node::Producer(ProducerIdx(0)),
                request_id: 7,
                results: waiting
                    .iter()
                    .map(|(p, o)| BatchResult {
                        batch: BatchId(*p),
                        tp: tp(*p),
                        result: Ok(Offset(o - 1)),
                        duplicate: false,
                    })
                    .collect(),
            },
        }
    }

    fn results(op: &DelayedOp) -> Vec<Result<Offset, ErrorCode>> {
        match &op.kind {
            DelayedKind::Produce { results, .. } => results.iter().map(|r| r.result).collect(),
            _ => unreachable!(),
        }
    }

    fn hw(h: i64) -> Option<PartitionView> {
        Some(PartitionView {
            hw: Offset(h),
            under_min_isr: false,
        })
    }

    #[test]
    fn a_produce_completes_once_every_partitions_high_watermark_passed_its_batch() {
        let mut op = produce(&[(0, 5), (1, 3)]);
        assert_eq!(
            op.try_complete(|t| hw(if t == tp(0) { 5 } else { 2 })),
            None
        );
        assert_eq!(*op.waiting, [(tp(1), Offset(3))], "partition 0 is decided");
        assert_eq!(op.try_complete(|_| hw(3)), Some(None));
        assert_eq!(results(&op), [Ok(Offset(4)), Ok(Offset(2))]);
    }

    #[test]
    fn a_produce_partition_that_lost_its_leader_fails_alone() {
        let mut op = produce(&[(0, 5), (1, 3)]);
        let status = op.try_complete(|t| if t == tp(0) { None } else { hw(3) });
        assert_eq!(status, Some(None));
        assert_eq!(
            results(&op),
            [Err(ErrorCode::NotLeaderOrFollower), Ok(Offset(2))]
        );
    }

    #[test]
    fn a_produce_replicated_while_the_isr_fell_under_min_isr_is_not_enough_replicas_after_append() {
        let mut op = produce(&[(0, 5)]);
        let status = op.try_complete(|_| {
            Some(PartitionView {
                hw: Offset(5),
                under_min_isr: true,
            })
        });
        assert_eq!(status, Some(None));
        assert_eq!(results(&op), [Err(ErrorCode::NotEnoughReplicasAfterAppend)]);
    }

    #[test]
    fn an_expired_produce_times_out_only_its_pending_partitions() {
        let mut op = produce(&[(0, 5), (1, 3)]);
        op.try_complete(|t| hw(if t == tp(0) { 5 } else { 0 }));
        assert_eq!(op.expire(), None);
        assert_eq!(
            results(&op),
            [Ok(Offset(4)), Err(ErrorCode::RequestTimedOut)]
        );
    }

    #[test]
    fn a_coordinator_write_completes_or_fails_as_a_whole() {
        let commit = |w: &[(u32, i64)]| DelayedOp {
            id: 2,
            waiting: Waiting::from(
                w.iter()
                    .map(|(p, o)| (tp(*p), Offset(*o)))
                    .collect::<Vec<_>>(),
            ),
            deadline_ms: 5_000,
            kind: DelayedKind::TxnLog {
                transactional_id: "t".into(),
            },
        };
        let mut op = commit(&[(0, 4), (1, 4)]);
        assert_eq!(
            op.try_complete(|t| hw(if t == tp(0) { 4 } else { 3 })),
            None
        );
        assert_eq!(
            op.waiting.len(),
            2,
            "nothing is decided partition by partition"
        );
        assert_eq!(op.try_complete(|_| hw(4)), Some(None));
        let mut op = commit(&[(0, 4), (1, 4)]);
        assert_eq!(
            op.try_complete(|t| if t == tp(0) { None } else { hw(0) }),
            Some(Some(ErrorCode::NotLeaderOrFollower))
        );
        assert_eq!(op.expire(), Some(ErrorCode::RequestTimedOut));
    }

    #[test]
    fn an_op_waits_only_on_the_partitions_it_names() {
        let op = produce(&[(0, 5)]);
        assert!(op.waits_on(tp(0)));
        assert!(!op.waits_on(tp(1)));
    }
}

#[cfg(engine_speed)]
impl DelayedOp {
    /// A produce request (the one kind decided partition by partition, and
    /// the one whose rule reads the ISR).
    #[inline(always)]
    pub fn is_produce(&self) -> bool {
        matches!(self.kind, DelayedKind::Produce { .. })
    }
}
