//! One replica's partition log: an append-only sequence of records with dense
//! offsets, and the four positions Kafka tracks on it.
//!
//! Mirrors the parts of `UnifiedLog.scala` that matter for what a student
//! sees:
//! - **log start offset**: the first offset still stored;
//! - **high watermark (HW)**: every offset below it is on all in-sync
//!   replicas, so it is safe to hand to consumers (`read_uncommitted` stops here);
//! - **last stable offset (LSO)**: the first offset of the earliest
//!   transaction that is still open, or decided but with its marker not yet
//!   below the HW; the HW if there is none (`read_committed` stops here).
//!   Like `UnifiedLog.updateHighWatermarkMetadata`, moving the HW tells the
//!   producer state, which lets the LSO move past transactions whose marker
//!   is now replicated;
//! - **log end offset (LEO)**: the offset the next record will get.
//!
//! `log start ≤ LSO ≤ HW ≤ LEO` always holds; [`PartitionLog::check_invariants`]
//! says so in tests. The log also keeps the **leader epoch cache** (which
//! epoch started at which offset) that lets a returning replica find where
//! its log diverged from the new leader's and truncate there (KIP-101), and
//! the broker-side producer state used for idempotence and transactions.

use crate::engine::cow_vec::CowVec;
use crate::engine::ids::{BatchId, LeaderEpoch, Offset, ProducerEpoch, ProducerId, RecordId};
use crate::engine::producer_state::{BatchMetadata, ProducerStateManager, SequenceCheck};

/// `ControlRecordType`: ABORT = 0, COMMIT = 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ControlType {
    Abort,
    Commit,
}

/// Identity of the idempotent/transactional producer that wrote a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProducerStamp {
    pub producer_id: ProducerId,
    pub epoch: ProducerEpoch,
    /// Sequence of this record (`baseSequence + index in batch`).
    pub sequence: i32,
}

/// One offset of the log: a data record or a transaction marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub offset: Offset,
    /// The leader epoch in which the leader appended it.
    pub leader_epoch: LeaderEpoch,
    /// The data record, or `None` for a control (marker) record.
    pub record: Option<RecordId>,
    pub control: Option<ControlType>,
    pub producer: Option<ProducerStamp>,
    pub transactional: bool,
    /// The producer batch this entry arrived in, and its first offset.
    pub batch: BatchId,
    pub batch_base: Offset,
    /// Number of entries in the batch (for rebuilding producer state).
    pub batch_len: u32,
    /// Logical time of the leader's append.
    pub append_time_ms: u64,
}

/// An aborted transaction's span, as listed in read_committed fetch responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AbortedTxn {
    pub producer_id: ProducerId,
    pub first_offset: Offset,
    pub last_offset: Offset,
}

/// A batch on its way into a log (from a producer, or a marker).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendBatch<'a> {
    pub batch: BatchId,
    pub records: &'a [RecordId],
    pub producer: Option<(ProducerId, ProducerEpoch, i32)>,
    pub transactional: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PartitionLog {
    log_start: Offset,
    /// Chunked and shared between snapshots (see [`CowVec`]).
    entries: CowVec<LogEntry>,
    hw: Offset,
    /// Leader epoch cache: (epoch, start offset), ascending.
    epochs: Vec<(LeaderEpoch, Offset)>,
    producers: ProducerStateManager,
    aborted: Vec<AbortedTxn>,
}

/// Outcome of a leader append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendOutcome {
    Appended {
        first_offset: Offset,
        last_offset: Offset,
    },
    Duplicate {
        first_offset: Offset,
        last_offset: Offset,
    },
    OutOfOrder {
        expected_seq: i32,
    },
    StaleEpoch,
}

impl PartitionLog {
    pub fn new() -> PartitionLog {
        PartitionLog::default()
    }

    pub fn log_start(&self) -> Offset {
        self.log_start
    }

    /// Log end offset: the offset the next appended entry will get.
    pub fn leo(&self) -> Offset {
        Offset(self.log_start.0 + self.entries.len() as i64)
    }

    pub fn hw(&self) -> Offset {
        self.hw
    }

    /// Last stable offset: `min(first unstable offset, HW)`.
    pub fn lso(&self) -> Offset {
        match self.producers.first_unstable_offset() {
            Some(o) if o < self.hw => o,
            _ => self.hw,
        }
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + '_ {
        self.entries.iter()
    }

    pub fn entry(&self, offset: Offset) -> Option<&LogEntry> {
        if offset < self.log_start {
            return None;
        }
        self.entries.get((offset.0 - self.log_start.0) as usize)
    }

    /// Entries in `[from, until)`, at most `max` of them.
    pub fn read(&self, from: Offset, until: Offset, max: usize) -> Vec<LogEntry> {
        let lo = (from.0.max(self.log_start.0) - self.log_start.0) as usize;
        let hi = ((until.0.min(self.leo().0) - self.log_start.0).max(0) as usize)
            .min(lo.saturating_add(max));
        if lo >= hi {
            return Vec::new();
        }
        #[cfg(engine_speed)]
        return self.entries.copy_range(lo, hi); // (a leaf's run at a time)
        #[cfg(not(engine_speed))]
        self.entries.range(lo, hi).copied().collect()
    }

    pub fn producer_state(&self) -> &ProducerStateManager {
        &self.producers
    }

    /// Aborted transactions overlapping `[from, until)` (for read_committed).
    pub fn aborted_txns(&self, from: Offset, until: Offset) -> Vec<AbortedTxn> {
        self.aborted
            .iter()
            .filter(|a| a.last_offset >= from && a.first_offset < until)
            .copied()
            .collect()
    }

    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.epochs.last().map(|e| e.0)
    }

    /// The epoch of the last entry (sent as `lastFetchedEpoch`).
    pub fn last_entry_epoch(&self) -> Option<LeaderEpoch> {
        self.entries.last().map(|e| e.leader_epoch)
    }

    /// `LeaderEpochFileCache.endOffsetFor`: the largest epoch `<= epoch` and
    /// its end offset (the start offset of the next epoch, or LEO if it is
    /// the latest). An epoch below every cached one answers itself with the
    /// first cached start offset (what came before was removed); `None` is
    /// Kafka's `UNDEFINED_EPOCH_OFFSET` (empty cache, or an epoch above the
    /// latest).
    pub fn end_offset_for_epoch(&self, epoch: LeaderEpoch) -> Option<(LeaderEpoch, Offset)> {
        if epoch.0 < 0 {
            return None;
        }
        if self.latest_epoch() == Some(epoch) {
            return Some((epoch, self.leo()));
        }
        let higher = self.epochs.iter().position(|(e, _)| *e > epoch)?;
        match higher.checked_sub(1) {
            Some(floor) => Some((self.epochs[floor].0, self.epochs[higher].1)),
            None => Some((epoch, self.epochs[higher].1)),
        }
    }

    /// Where a follower truncates when the leader answers its fetch with
    /// `divergingEpoch {epoch, end_offset}` (`AbstractFetcherThread.
    /// getOffsetTruncationState`), using the follower's **own** epoch cache:
    /// - it knows `epoch` too: `min(end_offset, its own end of epoch, LEO)`;
    /// - it only knows an earlier epoch: `min(its end of that epoch, LEO)`,
    ///   and the next fetch asks again with the epoch it has left;
    /// - it knows no epoch at or below it (or the leader's epoch is
    ///   undefined): `min(end_offset, LEO)`.
    ///
    /// Each answer either removes records or leaves an epoch the leader
    /// agrees with, so repeated fetches converge on the leader's log.
    pub fn truncation_offset_for_diverging(
        &self,
        epoch: LeaderEpoch,
        end_offset: Offset,
    ) -> Offset {
        let leo = self.leo();
        if epoch.0 < 0 {
            return end_offset.min(leo);
        }
        match self.end_offset_for_epoch(epoch) {
            Some((own_epoch, own_end)) if own_epoch != epoch => own_end.min(leo),
            Some((_, own_end)) => own_end.min(end_offset).min(leo),
            None => end_offset.min(leo),
        }
    }

    /// Start offset of the given epoch (for `maybeExpandIsr`'s check).
    pub fn epoch_start_offset(&self, epoch: LeaderEpoch) -> Option<Offset> {
        self.epochs
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, s)| *s)
    }

    /// A new leader records the start of its epoch at its LEO.
    pub fn assign_epoch_start(&mut self, epoch: LeaderEpoch) {
        let leo = self.leo();
        if self.epochs.last().is_some_and(|(e, _)| *e >= epoch) {
            return;
        }
        // An epoch that started at the same offset but had no entries is replaced.
        while self.epochs.last().is_some_and(|(_, s)| *s >= leo) {
            self.epochs.pop();
        }
        self.epochs.push((epoch, leo));
    }

    /// Checks an idempotent/transactional batch without appending it.
    pub fn check_sequence(&self, batch: &AppendBatch<'_>) -> SequenceCheck {
        match batch.producer {
            // A negative sequence is `RecordBatch.NO_SEQUENCE` (TxnOffsetCommit):
            // only the epoch is checked.
            Some((pid, epoch, first_seq)) if first_seq < 0 => {
                match self.producers.entry(pid).and_then(|e| e.epoch) {
                    Some(current) if epoch < current => SequenceCheck::StaleEpoch { current },
                    _ => SequenceCheck::Accept,
                }
            }
            Some((pid, epoch, first_seq)) if !batch.records.is_empty() => {
                let last_seq = first_seq.wrapping_add(batch.records.len() as i32 - 1);
                self.producers.check(pid, epoch, first_seq, last_seq)
            }
            _ => SequenceCheck::Accept,
        }
    }

    /// Leader append of a producer batch, with idempotence checks.
    pub fn append_as_leader(
        &mut self,
        batch: &AppendBatch<'_>,
        leader_epoch: LeaderEpoch,
        now_ms: u64,
    ) -> AppendOutcome {
        match self.check_sequence(batch) {
            SequenceCheck::Accept => {}
            SequenceCheck::Duplicate {
                first_offset,
                last_offset,
            } => {
                return AppendOutcome::Duplicate {
                    first_offset,
                    last_offset,
                }
            }
            SequenceCheck::OutOfOrder { expected_seq } => {
                return AppendOutcome::OutOfOrder { expected_seq }
            }
            SequenceCheck::StaleEpoch { .. } => return AppendOutcome::StaleEpoch,
        }
        self.assign_epoch_start(leader_epoch);
        let first = self.leo();
        let len = batch.records.len() as u32;
        for (i, r) in batch.records.iter().enumerate() {
            let offset = Offset(first.0 + i as i64);
            self.entries.push(LogEntry {
                offset,
                leader_epoch,
                record: Some(*r),
                control: None,
                producer: batch
                    .producer
                    .map(|(producer_id, epoch, seq)| ProducerStamp {
                        producer_id,
                        epoch,
                        sequence: seq.wrapping_add(i as i32),
                    }),
                transactional: batch.transactional,
                batch: batch.batch,
                batch_base: first,
                batch_len: len,
                append_time_ms: now_ms,
            });
        }
        let last = Offset(first.0 + len as i64 - 1);
        self.track_producer_batch(first, last);
        AppendOutcome::Appended {
            first_offset: first,
            last_offset: last,
        }
    }

    /// Leader append of a transaction marker (WriteTxnMarkers): one control
    /// record that uses up one offset.
    pub fn append_marker(
        &mut self,
        pid: ProducerId,
        epoch: ProducerEpoch,
        control: ControlType,
        batch: BatchId,
        leader_epoch: LeaderEpoch,
        now_ms: u64,
    ) -> Offset {
        self.assign_epoch_start(leader_epoch);
        let offset = self.leo();
        self.entries.push(LogEntry {
            offset,
            leader_epoch,
            record: None,
            control: Some(control),
            producer: Some(ProducerStamp {
                producer_id: pid,
                epoch,
                sequence: -1,
            }),
            transactional: true,
            batch,
            batch_base: offset,
            batch_len: 1,
            append_time_ms: now_ms,
        });
        self.track_marker(offset);
        offset
    }

    /// Follower append of entries copied from the leader (offsets kept).
    pub fn append_as_follower(&mut self, entries: &[LogEntry]) {
        for e in entries {
            debug_assert_eq!(e.offset, self.leo(), "follower appends must be contiguous");
            if self
                .epochs
                .last()
                .is_none_or(|(ep, _)| *ep < e.leader_epoch)
            {
                self.epochs.push((e.leader_epoch, e.offset));
            }
            self.entries.push(*e);
            let batch_last = Offset(e.batch_base.0 + e.batch_len as i64 - 1);
            if e.control.is_some() {
                self.track_marker(e.offset);
            } else if e.offset == batch_last {
                self.track_batch_end(e, batch_last, entries);
            }
        }
    }

    #[cfg_attr(engine_speed, inline(always))]
    fn track_producer_batch(&mut self, first: Offset, last: Offset) {
        let Some(head) = self.entry(first).copied() else {
            return;
        };
        if let Some(p) = head.producer {
            let tail_seq = p.sequence.wrapping_add((last.0 - first.0) as i32);
            self.producers.record_batch(
                p.producer_id,
                p.epoch,
                BatchMetadata {
                    first_seq: p.sequence,
                    last_seq: tail_seq,
                    first_offset: first,
                    last_offset: last,
                },
                head.transactional,
            );
        }
    }

    fn track_marker(&mut self, offset: Offset) {
        let Some(e) = self.entry(offset).copied() else {
            return;
        };
        let (Some(p), Some(control)) = (e.producer, e.control) else {
            return;
        };
        let first = self.producers.record_marker(p.producer_id, p.epoch, offset);
        if control == ControlType::Abort {
            if let Some(first_offset) = first {
                self.aborted.push(AbortedTxn {
                    producer_id: p.producer_id,
                    first_offset,
                    last_offset: offset,
                });
            }
        }
    }

    /// Moves the HW (leader: by the replication rule; follower: from the
    /// leader's fetch response). Never beyond LEO. Completed transactions
    /// whose marker is now below it stop holding the LSO back
    /// (`updateHighWatermarkMetadata` → `onHighWatermarkUpdated`).
    pub fn set_hw(&mut self, hw: Offset) {
        self.hw = hw.min(self.leo()).max(self.log_start);
        self.producers.on_high_watermark_updated(self.hw);
    }

    /// Removes every entry at or above `offset` (a follower truncating to the
    /// leader's log after a leader change). Producer and transaction state are
    /// rebuilt from what remains, as Kafka reloads them from the log.
    pub fn truncate_to(&mut self, offset: Offset) -> Vec<LogEntry> {
        let offset = offset.max(self.log_start);
        if offset >= self.leo() {
            return Vec::new();
        }
        let keep = (offset.0 - self.log_start.0) as usize;
        let removed = self.entries.split_off(keep);
        while self.epochs.last().is_some_and(|(_, s)| *s >= offset) {
            self.epochs.pop();
        }
        self.hw = self.hw.min(offset);
        self.rebuild_producer_state();
        removed
    }

    fn rebuild_producer_state(&mut self) {
        self.producers.clear();
        self.aborted.clear();
        let entries = std::mem::take(&mut self.entries).to_vec();
        let mut rebuilt = PartitionLog {
            log_start: self.log_start,
            entries: CowVec::new(),
            hw: self.hw,
            epochs: self.epochs.clone(),
            producers: ProducerStateManager::default(),
            aborted: Vec::new(),
        };
        rebuilt.append_as_follower(&entries);
        rebuilt.producers.on_high_watermark_updated(self.hw);
        self.entries = rebuilt.entries;
        self.producers = rebuilt.producers;
        self.aborted = rebuilt.aborted;
    }

    /// `log start ≤ LSO ≤ HW ≤ LEO`, dense offsets, ascending epochs.
    pub fn check_invariants(&self) -> Result<(), String> {
        let (ls, lso, hw, leo) = (self.log_start, self.lso(), self.hw, self.leo());
        if !(ls <= lso && lso <= hw && hw <= leo) {
            return Err(format!(
                "offset order violated: logStart {ls} ≤ LSO {lso} ≤ HW {hw} ≤ LEO {leo}"
            ));
        }
        for (i, e) in self.entries.iter().enumerate() {
            if e.offset.0 != ls.0 + i as i64 {
                return Err(format!("offset gap at index {i}: {}", e.offset));
            }
        }
        if self
            .epochs
            .windows(2)
            .any(|w| w[0].0 >= w[1].0 || w[0].1 > w[1].1)
        {
            return Err(format!(
                "leader epoch cache not ascending: {:?}",
                self.epochs
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(records: &[RecordId]) -> AppendBatch<'_> {
        AppendBatch {
            batch: BatchId(0),
            records,
            producer: None,
            transactional: false,
        }
    }

    #[test]
    fn appends_take_dense_offsets_and_move_the_log_end_offset() {
        let mut log = PartitionLog::new();
        let out = log.append_as_leader(&batch(&[RecordId(1), RecordId(2)]), LeaderEpoch(0), 0);
        assert_eq!(
            out,
            AppendOutcome::Appended {
                first_offset: Offset(0),
                last_offset: Offset(1)
            }
        );
        assert_eq!(log.leo(), Offset(2));
        assert_eq!(
            log.hw(),
            Offset(0),
            "nothing is committed until the HW moves"
        );
        log.check_invariants().unwrap();
    }

    #[test]
    fn truncation_removes_the_suffix_and_clamps_hw() {
        let mut log = PartitionLog::new();
        log.append_as_leader(
            &batch(&[RecordId(1), RecordId(2), RecordId(3)]),
            LeaderEpoch(0),
            0,
        );
        log.set_hw(Offset(3));
        let removed = log.truncate_to(Offset(1));
        assert_eq!(removed.len(), 2);
        assert_eq!(log.leo(), Offset(1));
        assert_eq!(log.hw(), Offset(1));
        log.check_invariants().unwrap();
    }

    #[test]
    fn end_offset_for_epoch_finds_the_divergence_point() {
        let mut log = PartitionLog::new();
        log.append_as_leader(&batch(&[RecordId(1), RecordId(2)]), LeaderEpoch(0), 0);
        log.append_as_leader(&batch(&[RecordId(3)]), LeaderEpoch(2), 0);
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(0)),
            Some((LeaderEpoch(0), Offset(2)))
        );
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(1)),
            Some((LeaderEpoch(0), Offset(2)))
        );
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(2)),
            Some((LeaderEpoch(2), Offset(3)))
        );
    }

    #[test]
    fn end_offset_for_epoch_answers_like_the_leader_epoch_cache() {
        let mut log = PartitionLog::new();
        log.append_as_leader(&batch(&[RecordId(1)]), LeaderEpoch(2), 0);
        log.append_as_leader(&batch(&[RecordId(2)]), LeaderEpoch(4), 0);
        // Below every cached epoch: that epoch, ending where the first starts.
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(1)),
            Some((LeaderEpoch(1), Offset(0)))
        );
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(3)),
            Some((LeaderEpoch(2), Offset(1)))
        );
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(4)),
            Some((LeaderEpoch(4), Offset(2)))
        );
        assert_eq!(
            log.end_offset_for_epoch(LeaderEpoch(5)),
            None,
            "above the latest"
        );
        assert_eq!(log.end_offset_for_epoch(LeaderEpoch(-1)), None);
        assert_eq!(
            PartitionLog::new().end_offset_for_epoch(LeaderEpoch(0)),
            None
        );
    }

    /// Leader: epoch 0 at offsets 0..=2, epoch 3 from 3. Follower: epoch 0 at
    /// 0..=1, then epoch 1 (a leader the current one never followed) at
    /// 2..=4. The leader answers `divergingEpoch {0, 3}`; the follower's own
    /// cache says its epoch 0 ends at 2, so it truncates to 2, not to 3
    /// (which would keep offset 2 of epoch 1).
    #[test]
    fn a_follower_truncates_to_the_smaller_of_the_leaders_and_its_own_end_of_the_diverging_epoch() {
        let mut follower = PartitionLog::new();
        follower.append_as_leader(&batch(&[RecordId(1), RecordId(2)]), LeaderEpoch(0), 0);
        follower.append_as_leader(
            &batch(&[RecordId(3), RecordId(4), RecordId(5)]),
            LeaderEpoch(1),
            0,
        );
        assert_eq!(
            follower.truncation_offset_for_diverging(LeaderEpoch(0), Offset(3)),
            Offset(2)
        );
        // The leader's end wins when it is the smaller one.
        assert_eq!(
            follower.truncation_offset_for_diverging(LeaderEpoch(0), Offset(1)),
            Offset(1)
        );
        // An epoch the follower does not know: truncate to the end of the
        // largest epoch it knows below it, and ask again.
        let mut other = PartitionLog::new();
        other.append_as_leader(&batch(&[RecordId(1)]), LeaderEpoch(0), 0);
        other.append_as_leader(&batch(&[RecordId(2), RecordId(3)]), LeaderEpoch(2), 0);
        assert_eq!(
            other.truncation_offset_for_diverging(LeaderEpoch(1), Offset(3)),
            Offset(1)
        );
        // Never beyond the follower's own log end.
        assert_eq!(
            other.truncation_offset_for_diverging(LeaderEpoch(-1), Offset(9)),
            Offset(3)
        );
        follower.truncate_to(Offset(2));
        follower.check_invariants().unwrap();
        assert_eq!(follower.last_entry_epoch(), Some(LeaderEpoch(0)));
    }

    #[test]
    fn the_lso_stays_put_until_the_high_watermark_passes_the_marker() {
        let mut log = PartitionLog::new();
        let recs = [RecordId(1), RecordId(2)];
        let txn = AppendBatch {
            batch: BatchId(1),
            records: &recs,
            producer: Some((ProducerId(5), ProducerEpoch(0), 0)),
            transactional: true,
        };
        log.append_as_leader(&txn, LeaderEpoch(0), 0);
        log.set_hw(log.leo());
        let marker = log.append_marker(
            ProducerId(5),
            ProducerEpoch(0),
            ControlType::Commit,
            BatchId(2),
            LeaderEpoch(0),
            0,
        );
        assert_eq!(marker, Offset(2));
        assert_eq!(log.hw(), Offset(2));
        assert_eq!(
            log.lso(),
            Offset(0),
            "the COMMIT marker is in the leader's log but not replicated: \
             read_committed must not see offsets 0 and 1 yet"
        );
        log.set_hw(Offset(3));
        assert_eq!(log.lso(), Offset(3), "HW passed the marker");
        log.check_invariants().unwrap();
    }

    #[test]
    fn open_transaction_holds_the_lso_back_until_its_marker() {
        let mut log = PartitionLog::new();
        let recs = [RecordId(1)];
        let txn = AppendBatch {
            batch: BatchId(1),
            records: &recs,
            producer: Some((ProducerId(5), ProducerEpoch(0), 0)),
            transactional: true,
        };
        log.append_as_leader(&txn, LeaderEpoch(0), 0);
        log.append_as_leader(&batch(&[RecordId(2)]), LeaderEpoch(0), 0);
        log.set_hw(log.leo());
        assert_eq!(log.lso(), Offset(0), "the open transaction starts at 0");
        let marker = log.append_marker(
            ProducerId(5),
            ProducerEpoch(0),
            ControlType::Abort,
            BatchId(2),
            LeaderEpoch(0),
            0,
        );
        assert_eq!(marker, Offset(2), "the marker uses up an offset");
        log.set_hw(log.leo());
        assert_eq!(log.lso(), Offset(3));
        assert_eq!(
            log.aborted_txns(Offset(0), Offset(3)),
            vec![AbortedTxn {
                producer_id: ProducerId(5),
                first_offset: Offset(0),
                last_offset: Offset(2)
            }]
        );
        log.check_invariants().unwrap();
    }

    #[test]
    fn follower_copy_rebuilds_the_same_producer_state() {
        let mut leader = PartitionLog::new();
        let recs = [RecordId(1), RecordId(2)];
        leader.append_as_leader(
            &AppendBatch {
                batch: BatchId(1),
                records: &recs,
                producer: Some((ProducerId(1), ProducerEpoch(0), 0)),
                transactional: false,
            },
            LeaderEpoch(0),
            0,
        );
        let mut follower = PartitionLog::new();
        follower.append_as_follower(&leader.entries().copied().collect::<Vec<_>>());
        assert_eq!(follower.producer_state(), leader.producer_state());
        assert_eq!(
            follower.end_offset_for_epoch(LeaderEpoch(0)),
            leader.end_offset_for_epoch(LeaderEpoch(0))
        );
    }
}

/// The page's step at the end of a batch a follower appended: the batch's
/// producer state, read from its first entry.
#[cfg(not(engine_speed))]
impl PartitionLog {
    #[inline(always)]
    fn track_batch_end(&mut self, e: &LogEntry, last: Offset, _: &[LogEntry]) {
        self.track_producer_batch(e.batch_base, last);
    }
}

/// Natively, a batch without a producer (an offset commit's record, a
/// non-idempotent producer's records) whose first entry came in the same append is
/// known to leave the producer state alone without looking that entry up.
///
/// Why: `track_producer_batch` copies the batch's first entry out of the
/// log (`entry`: the offset's index, three bounds checks through the
/// copy-on-write chunks) only to find `producer: None` and return. When
/// that entry is in `appended` (the follower's contiguous new entries),
/// it is at a known index there. In W1 full ~120,000 follower appends end
/// a batch, nearly all of them an offset commit's one record, without a
/// producer.
#[cfg(engine_speed)]
impl PartitionLog {
    #[inline(always)]
    fn track_batch_end(&mut self, e: &LogEntry, last: Offset, appended: &[LogEntry]) {
        let head = usize::try_from(e.batch_base.0 - appended[0].offset.0)
            .ok()
            .and_then(|i| appended.get(i));
        if let Some(head) = head.filter(|h| h.producer.is_none()) {
            debug_assert!(
                self.entry(e.batch_base) == Some(head),
                "a batch's first entry is where the append put it"
            );
            return;
        }
        self.track_producer_batch(e.batch_base, last);
    }
}

/// The page's follower append of a fetch's entries.
#[cfg(not(engine_speed))]
impl PartitionLog {
    #[inline(always)]
    pub fn append_fetched(&mut self, entries: &[LogEntry]) {
        self.append_as_follower(entries);
    }
}

/// Natively, a follower appends a fetch's entries in one copy-on-write
/// `extend_from_slice`, then goes over them for the epoch cache and the
/// producer state.
///
/// Why: [`PartitionLog::append_as_follower`] pushes entry by entry, and each
/// push checks both chunks' counts and moves a 72-byte entry (~100
/// instructions an entry, 244,000 entries in ~61,000 fetch answers of the
/// 3 x 20k-record W1 full run). The order is the page's for everything
/// that reads it: the epoch cache and the producer state are updated entry
/// by entry as before, and what their updates read (an entry at or before
/// the one being tracked) is already in the log either way. Debug builds
/// check the result against the page's append.
#[cfg(engine_speed)]
impl PartitionLog {
    #[inline(always)]
    pub fn append_fetched(&mut self, entries: &[LogEntry]) {
        let Some(first) = entries.first() else {
            return;
        };
        debug_assert_eq!(
            first.offset,
            self.leo(),
            "follower appends must be contiguous"
        );
        debug_assert!(
            entries
                .windows(2)
                .all(|w| w[1].offset == w[0].offset.next()),
            "follower appends must be contiguous"
        );
        #[cfg(debug_assertions)]
        let page = {
            let mut page = self.clone();
            page.append_as_follower(entries);
            page
        };
        self.entries.extend_from_slice(entries);
        for e in entries {
            if self
                .epochs
                .last()
                .is_none_or(|(ep, _)| *ep < e.leader_epoch)
            {
                self.epochs.push((e.leader_epoch, e.offset));
            }
            let batch_last = Offset(e.batch_base.0 + e.batch_len as i64 - 1);
            if e.control.is_some() {
                self.track_marker(e.offset);
            } else if e.offset == batch_last {
                self.track_batch_end(e, batch_last, entries);
            }
        }
        #[cfg(debug_assertions)]
        assert!(*self == page, "a fetch's append differs from the page's");
    }
}

/// Natively, a leader's append of internal records written without a
/// producer (an offset commit's record, a transaction-log write) skips the
/// producer checks that cannot apply to it.
///
/// Why: [`PartitionLog::append_as_leader`] takes any batch. For one without
/// a producer its sequence check accepts at once, and its producer
/// bookkeeping reads the batch's first entry back out of the log (a walk
/// of the copy-on-write tree) only to find no producer stamp on it; its
/// outcome goes back through memory to be matched. W1 full appends one
/// such record for every offset commit, once a record. Here the entries
/// are pushed as the page pushes them, and the first and last offsets
/// returned; debug builds compare the log with the page's append.
#[cfg(engine_speed)]
impl PartitionLog {
    /// [`PartitionLog::append_as_leader`] of `records` as batch `batch`
    /// with no producer and outside any transaction: the first and last
    /// offsets they got (`last` is `first - 1` for no records).
    #[inline(always)]
    pub fn append_unstamped(
        &mut self,
        records: &[RecordId],
        batch: BatchId,
        leader_epoch: LeaderEpoch,
        now_ms: u64,
    ) -> (Offset, Offset) {
        #[cfg(debug_assertions)]
        let page = {
            let mut page = self.clone();
            let outcome = page.append_as_leader(
                &AppendBatch {
                    batch,
                    records,
                    producer: None,
                    transactional: false,
                },
                leader_epoch,
                now_ms,
            );
            (page, outcome)
        };
        self.assign_epoch_start(leader_epoch);
        let first = self.leo();
        let len = records.len() as u32;
        for (i, r) in records.iter().enumerate() {
            self.entries.push(LogEntry {
                offset: Offset(first.0 + i as i64),
                leader_epoch,
                record: Some(*r),
                control: None,
                producer: None,
                transactional: false,
                batch,
                batch_base: first,
                batch_len: len,
                append_time_ms: now_ms,
            });
        }
        let last = Offset(first.0 + len as i64 - 1);
        #[cfg(debug_assertions)]
        {
            assert!(
                *self == page.0,
                "an unstamped append differs from the page's"
            );
            assert_eq!(
                page.1,
                AppendOutcome::Appended {
                    first_offset: first,
                    last_offset: last,
                },
                "an unstamped append's offsets"
            );
        }
        (first, last)
    }
}

/// Natively, a follower's fetch reads its entries into the buffer of an
/// answer the leader kept (`SpareAnswers` in `replica_fetcher.rs`).
///
/// Why: [`PartitionLog::read`] allocates each answer's entries, and the
/// follower freed them after its append: a `malloc` and a `free` for each
/// of the ~61,000 follower reads with records in the 3 x 20k-record W1
/// full run. The entries are the same; only the buffer is one the leader
/// had before. Debug builds compare with `read`.
#[cfg(engine_speed)]
impl PartitionLog {
    /// [`PartitionLog::read`] appended to `out`.
    #[inline(always)]
    pub fn read_into(&self, from: Offset, until: Offset, max: usize, out: &mut Vec<LogEntry>) {
        let lo = (from.0.max(self.log_start.0) - self.log_start.0) as usize;
        let hi = ((until.0.min(self.leo().0) - self.log_start.0).max(0) as usize)
            .min(lo.saturating_add(max));
        #[cfg(debug_assertions)]
        let had = out.len();
        if lo < hi {
            self.entries.copy_range_into(lo, hi, out);
        }
        #[cfg(debug_assertions)]
        assert!(
            out[had..] == self.read(from, until, max),
            "a read's entries"
        );
    }
}
