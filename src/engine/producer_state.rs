//! Broker-side producer state: how a partition deduplicates an idempotent
//! producer's retries and rejects gaps (KIP-98).
//!
//! Mirrors `ProducerStateManager`, `ProducerStateEntry` and
//! `ProducerAppendInfo.checkSequence` in
//! `storage/src/main/java/org/apache/kafka/storage/internals/log/`.
//!
//! For every producer id that has written to a partition, the log remembers
//! the producer's epoch and the metadata of its **last five batches**
//! (`NUM_BATCHES_TO_RETAIN`). A retry of one of those five (same epoch, same
//! sequence range) is a duplicate: it is not appended again and the original
//! offsets are returned as if it had just succeeded. That is the whole trick
//! behind "the idempotent producer never writes a duplicate": the producer
//! numbers its batches per partition, and the broker remembers enough of the
//! numbering to recognise a resend. A batch that skips ahead (a gap) is
//! refused with `OUT_OF_ORDER_SEQUENCE_NUMBER`, which is how the broker
//! keeps batches in order even with five requests in flight.
//!
//! The same state tracks transactions for the **last stable offset**. A
//! transaction is *ongoing* from its first record until its marker; then it
//! is *unreplicated* until the high watermark passes the marker
//! (`ongoingTxns` and `unreplicatedTxns`, `completeTxn` and
//! `onHighWatermarkUpdated`). Both kinds are unstable: the LSO stays at the
//! first offset of the earliest of them, so a `read_committed` reader never
//! sees a transaction's records before its marker is on every in-sync
//! replica.

use crate::engine::ids::{Offset, ProducerEpoch, ProducerId};
use crate::engine::vecmap::VecMap;
use std::collections::VecDeque;

/// `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: Offset,
    pub last_offset: Offset,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProducerStateEntry {
    /// `None` plays the role of `RecordBatch.NO_PRODUCER_EPOCH`.
    pub epoch: Option<ProducerEpoch>,
    pub batches: VecDeque<BatchMetadata>,
    /// First offset of this producer's open transaction in this partition.
    pub current_txn_first_offset: Option<Offset>,
}

impl ProducerStateEntry {
    pub fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }
}

/// What the broker decides about an incoming producer batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Accept,
    /// A retry of a batch already in the log: answer with its original offsets.
    Duplicate {
        first_offset: Offset,
        last_offset: Offset,
    },
    /// `OUT_OF_ORDER_SEQUENCE_NUMBER`: a gap, or a non-zero start for a new epoch.
    OutOfOrder { expected_seq: i32 },
    /// The batch's epoch is older than the one the partition knows
    /// (`INVALID_PRODUCER_EPOCH`): a fenced instance.
    StaleEpoch { current: ProducerEpoch },
}

/// `inSequence(lastSeq, nextSeq)`: the sequence wraps from `Integer.MAX_VALUE` to 0.
pub fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq == last_seq.wrapping_add(1) || (next_seq == 0 && last_seq == i32::MAX)
}

/// A decided transaction whose marker the high watermark has not passed yet
/// (`TxnMetadata` in `unreplicatedTxns`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnreplicatedTxn {
    pub producer_id: ProducerId,
    pub first_offset: Offset,
    /// The offset of its COMMIT or ABORT marker (`CompletedTxn.lastOffset`).
    pub last_offset: Offset,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProducerStateManager {
    producers: VecMap<ProducerId, ProducerStateEntry>,
    /// Completed transactions waiting for the HW to pass their marker.
    unreplicated: Vec<UnreplicatedTxn>,
}

impl ProducerStateManager {
    pub fn entry(&self, pid: ProducerId) -> Option<&ProducerStateEntry> {
        self.producers.get(&pid)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&ProducerId, &ProducerStateEntry)> {
        self.producers.iter()
    }

    /// Validates a batch the way the leader does before appending it.
    pub fn check(
        &self,
        pid: ProducerId,
        epoch: ProducerEpoch,
        first_seq: i32,
        last_seq: i32,
    ) -> SequenceCheck {
        let Some(entry) = self.producers.get(&pid) else {
            // Unknown producer (new, or its state was removed by retention):
            // Kafka accepts any sequence.
            return SequenceCheck::Accept;
        };
        match entry.epoch {
            Some(current) if epoch < current => return SequenceCheck::StaleEpoch { current },
            _ => {}
        }
        // Duplicate detection comes first (UnifiedLog.analyzeAndValidateProducerState).
        if entry.epoch == Some(epoch) {
            if let Some(b) = entry
                .batches
                .iter()
                .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            {
                return SequenceCheck::Duplicate {
                    first_offset: b.first_offset,
                    last_offset: b.last_offset,
                };
            }
        }
        if entry.epoch != Some(epoch) {
            // A new epoch must start its sequence at 0 unless the partition
            // had no epoch recorded for this producer.
            if first_seq != 0 && entry.epoch.is_some() {
                return SequenceCheck::OutOfOrder { expected_seq: 0 };
            }
            SequenceCheck::Accept
        } else {
            match entry.last_seq() {
                Some(last) if !in_sequence(last, first_seq) => SequenceCheck::OutOfOrder {
                    expected_seq: last.wrapping_add(1),
                },
                _ => SequenceCheck::Accept,
            }
        }
    }

    /// Records an appended batch (on leaders and followers alike).
    pub fn record_batch(
        &mut self,
        pid: ProducerId,
        epoch: ProducerEpoch,
        meta: BatchMetadata,
        transactional: bool,
    ) {
        let entry = self.producers.entry_or_default(pid);
        if entry.epoch != Some(epoch) {
            entry.epoch = Some(epoch);
            entry.batches.clear();
        }
        entry.batches.push_back(meta);
        while entry.batches.len() > NUM_BATCHES_TO_RETAIN {
            entry.batches.pop_front();
        }
        if transactional && entry.current_txn_first_offset.is_none() {
            entry.current_txn_first_offset = Some(meta.first_offset);
        }
    }

    /// A transaction marker at `marker_offset` ends the producer's open
    /// transaction here (`completeTxn`): the transaction is decided but stays
    /// unstable until the high watermark passes the marker. A marker carries
    /// the (possibly bumped) epoch that ended the transaction. Returns the
    /// transaction's first offset, if one was open.
    pub fn record_marker(
        &mut self,
        pid: ProducerId,
        epoch: ProducerEpoch,
        marker_offset: Offset,
    ) -> Option<Offset> {
        let entry = self.producers.entry_or_default(pid);
        if entry.epoch.is_none_or(|e| epoch > e) {
            entry.epoch = Some(epoch);
            entry.batches.clear();
        }
        let first = entry.current_txn_first_offset.take();
        if let Some(first_offset) = first {
            self.unreplicated.push(UnreplicatedTxn {
                producer_id: pid,
                first_offset,
                last_offset: marker_offset,
            });
        }
        first
    }

    /// `onHighWatermarkUpdated`: transactions whose marker is below the new
    /// high watermark are replicated, and stop holding the LSO back.
    pub fn on_high_watermark_updated(&mut self, hw: Offset) {
        self.unreplicated.retain(|t| t.last_offset >= hw);
    }

    /// `firstUnstableOffset`: the first offset of the earliest transaction
    /// that is still open or whose marker is not yet below the high
    /// watermark (for the LSO).
    pub fn first_unstable_offset(&self) -> Option<Offset> {
        let ongoing = self
            .producers
            .values()
            .filter_map(|e| e.current_txn_first_offset);
        let unreplicated = self.unreplicated.iter().map(|t| t.first_offset);
        ongoing.chain(unreplicated).min()
    }

    pub fn clear(&mut self) {
        self.producers.clear();
        self.unreplicated.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(first_seq: i32, last_seq: i32, first_offset: i64) -> BatchMetadata {
        BatchMetadata {
            first_seq,
            last_seq,
            first_offset: Offset(first_offset),
            last_offset: Offset(first_offset + (last_seq - first_seq) as i64),
        }
    }

    const PID: ProducerId = ProducerId(7);
    const E0: ProducerEpoch = ProducerEpoch(0);

    #[test]
    fn retry_of_a_recent_batch_is_a_duplicate_with_original_offsets() {
        let mut s = ProducerStateManager::default();
        s.record_batch(PID, E0, meta(0, 2, 10), false);
        assert_eq!(
            s.check(PID, E0, 0, 2),
            SequenceCheck::Duplicate {
                first_offset: Offset(10),
                last_offset: Offset(12)
            }
        );
        assert_eq!(s.check(PID, E0, 3, 4), SequenceCheck::Accept);
    }

    #[test]
    fn only_the_last_five_batches_are_remembered() {
        let mut s = ProducerStateManager::default();
        for i in 0..6 {
            s.record_batch(PID, E0, meta(i, i, i as i64), false);
        }
        // Batch 0 has been forgotten: its retry is now out of order, not a duplicate.
        assert_eq!(
            s.check(PID, E0, 0, 0),
            SequenceCheck::OutOfOrder { expected_seq: 6 }
        );
        assert!(matches!(
            s.check(PID, E0, 1, 1),
            SequenceCheck::Duplicate { .. }
        ));
    }

    #[test]
    fn a_gap_in_sequence_is_out_of_order() {
        let mut s = ProducerStateManager::default();
        s.record_batch(PID, E0, meta(0, 0, 0), false);
        assert_eq!(
            s.check(PID, E0, 2, 2),
            SequenceCheck::OutOfOrder { expected_seq: 1 }
        );
    }

    #[test]
    fn a_new_epoch_must_start_at_sequence_zero() {
        let mut s = ProducerStateManager::default();
        s.record_batch(PID, E0, meta(0, 4, 0), false);
        assert_eq!(
            s.check(PID, ProducerEpoch(1), 5, 5),
            SequenceCheck::OutOfOrder { expected_seq: 0 }
        );
        assert_eq!(s.check(PID, ProducerEpoch(1), 0, 0), SequenceCheck::Accept);
    }

    #[test]
    fn an_older_epoch_is_rejected() {
        let mut s = ProducerStateManager::default();
        s.record_batch(PID, ProducerEpoch(3), meta(0, 0, 0), false);
        assert_eq!(
            s.check(PID, ProducerEpoch(2), 1, 1),
            SequenceCheck::StaleEpoch {
                current: ProducerEpoch(3)
            }
        );
    }

    #[test]
    fn sequence_wraps_after_max_int() {
        assert!(in_sequence(i32::MAX, 0));
        assert!(in_sequence(4, 5));
        assert!(!in_sequence(4, 6));
    }

    #[test]
    fn a_completed_transaction_stays_unstable_until_the_high_watermark_passes_its_marker() {
        let mut s = ProducerStateManager::default();
        s.record_batch(PID, E0, meta(0, 1, 4), true);
        assert_eq!(s.first_unstable_offset(), Some(Offset(4)), "ongoing");
        assert_eq!(s.record_marker(PID, E0, Offset(6)), Some(Offset(4)));
        assert_eq!(
            s.first_unstable_offset(),
            Some(Offset(4)),
            "decided, but the marker at 6 is not replicated"
        );
        s.on_high_watermark_updated(Offset(6));
        assert_eq!(
            s.first_unstable_offset(),
            Some(Offset(4)),
            "HW 6 has not passed the marker at 6"
        );
        s.on_high_watermark_updated(Offset(7));
        assert_eq!(s.first_unstable_offset(), None, "lastOffset 6 < HW 7");
    }

    #[test]
    fn unknown_producer_is_accepted_at_any_sequence() {
        let s = ProducerStateManager::default();
        assert_eq!(s.check(PID, E0, 42, 43), SequenceCheck::Accept);
    }
}
