//! The producer's record accumulator (`RecordAccumulator.java` in
//! `clients/src/main/java/org/apache/kafka/clients/producer/internals/`): one queue of batches
//! per partition, where `send()` leaves a record and the sender thread picks batches up.
//!
//! - **Append** (`RecordAccumulator.append`, `tryAppend`): a record joins the last batch of its
//!   partition's queue if that batch is still open and has room under `batch.size`; otherwise
//!   the last batch is closed and a new one is opened (a lone record larger than `batch.size`
//!   still gets a batch of its own). The answer says whether the batch **is full** or **a new
//!   batch was created** — the only two cases in which `KafkaProducer.doSend` wakes the sender.
//!   Any other append leaves the sender asleep until its own next deadline (linger, backoff,
//!   expiry) or a response: that is why a producer sending 100,000 records does not run its
//!   sender 100,000 times. (Natively the engine first looks for the open batch through a
//!   hint, `OpenHint`, at the end of this file.)
//! - **The head of a queue**: batches stay in their queue while in flight (so a retry keeps its
//!   place and ordering can be checked), so the next batch to drain is the first one not in
//!   flight.
//! - **All batches full** (`allBatchesFull`, used by the sticky partitioner of KIP-794): the
//!   last batch not yet sent is closed or full.
//! - **Expiry** (`expiredBatches`, `nextExpiryTimeMs`): the accumulator remembers the earliest
//!   time any waiting batch can pass `delivery.timeout.ms`, so the sender skips the expiry scan
//!   until then.
//!
//! The accumulator owns only these rules and its batches; the sender (`sender.rs`) decides what
//! to send, and the engine numbers batches (ids are shared with the brokers' internal appends).

use crate::engine::ids::*;
use crate::engine::vecmap::VecMap;
use std::collections::VecDeque;

/// `RecordBatch` v2 header size, counted towards `batch.size`.
pub const BATCH_OVERHEAD_BYTES: u32 = 61;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchState {
    /// Still accepting records (the last batch of its partition's queue).
    Open,
    /// Waiting in the queue (closed, or backing off before a retry).
    Queued,
    InFlight,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerBatch {
    pub id: BatchId,
    pub tp: Tp,
    pub records: Vec<RecordId>,
    pub bytes: u32,
    pub created_ms: u64,
    pub base_seq: Option<i32>,
    /// Produce attempts so far.
    pub attempts: u32,
    /// A retry may not be sent before this time.
    pub retry_at_ms: u64,
    pub state: BatchState,
    pub linger_scheduled: bool,
    /// The producer epoch the batch's sequence belongs to (set with it).
    pub epoch: Option<ProducerEpoch>,
    /// Its sequence was rewritten by an epoch bump (`sequenceHasBeenReset`).
    pub seq_reset: bool,
    /// The partition's leader epoch when the batch was last sent: a retry skips its backoff
    /// once the leader has changed since (KIP-951, `hasLeaderChangedForTheOngoingRetry`).
    pub sent_leader_epoch: Option<LeaderEpoch>,
}

/// What one append did (`RecordAppendResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Bytes counted towards `batch.size` (with the batch header if it opened a new batch).
    pub bytes: u32,
    /// A new batch was opened, with the id the caller handed in.
    pub new_batch: bool,
    /// `batchIsFull || newBatchCreated`: the sender must be woken.
    pub wake_sender: bool,
}

/// The batches of one producer, per partition, in creation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordAccumulator {
    pub queues: VecMap<Tp, VecDeque<BatchId>>,
    pub batches: VecMap<BatchId, ProducerBatch>,
    /// No waiting batch can expire before this (Kafka's
    /// `nextBatchExpiryTimeMs`): the sender skips the expiry scan until then.
    pub next_expiry_ms: u64,
    /// Natively, each partition's open batch, if known (`OpenHint`, at the end of this file).
    #[cfg(engine_speed)]
    pub(crate) open_hint: OpenHint,
}

impl Default for RecordAccumulator {
    fn default() -> Self {
        RecordAccumulator {
            queues: VecMap::new(),
            batches: VecMap::new(),
            next_expiry_ms: 0,
            #[cfg(engine_speed)]
            open_hint: OpenHint::default(),
        }
    }
}

impl RecordAccumulator {
    /// Appends a record of `size` bytes to `tp`'s last batch, or opens batch
    /// `new_id` for it (`RecordAccumulator.append`).
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        tp: Tp,
        record: RecordId,
        size: u32,
        batch_size: u32,
        now_ms: u64,
        delivery_timeout_ms: u64,
        new_id: BatchId,
    ) -> Appended {
        let q = self.queues.entry_or_default(tp);
        if let Some(last) = q.back() {
            let b = self.batches.get_mut(last).expect("queued batch exists");
            if b.state == BatchState::Open && b.bytes + size <= batch_size {
                b.records.push(record);
                b.bytes += size;
                return Appended {
                    bytes: size,
                    new_batch: false,
                    wake_sender: b.bytes >= batch_size,
                };
            }
            if b.state == BatchState::Open {
                b.state = BatchState::Queued;
            }
        }
        q.push_back(new_id);
        self.next_expiry_ms = self.next_expiry_ms.min(now_ms + delivery_timeout_ms);
        self.batches.insert(
            new_id,
            ProducerBatch {
                id: new_id,
                tp,
                records: vec![record],
                bytes: BATCH_OVERHEAD_BYTES + size,
                created_ms: now_ms,
                base_seq: None,
                attempts: 0,
                retry_at_ms: 0,
                state: BatchState::Open,
                linger_scheduled: false,
                epoch: None,
                seq_reset: false,
                sent_leader_epoch: None,
            },
        );
        Appended {
            bytes: BATCH_OVERHEAD_BYTES + size,
            new_batch: true,
            wake_sender: true,
        }
    }

    /// Whether `tp` has a batch in flight, and its first batch that is not
    /// (the next one to drain).
    pub fn waiting_head(&self, tp: Tp) -> (bool, Option<BatchId>) {
        let mut in_flight = false;
        for id in self.queues.get(&tp).into_iter().flatten() {
            if self.batches[id].state == BatchState::InFlight {
                in_flight = true;
            } else {
                return (in_flight, Some(*id));
            }
        }
        (in_flight, None)
    }

    /// `RecordAccumulator.allBatchesFull`: the partition's last batch not yet
    /// sent is full (or closed), or there is none.
    pub fn all_batches_full(&self, tp: Tp, batch_size: u32) -> bool {
        match self.queues.get(&tp).and_then(|q| q.back()) {
            None => true,
            Some(id) => {
                let b = &self.batches[id];
                b.state != BatchState::Open || b.bytes >= batch_size
            }
        }
    }

    /// Takes a batch out of the accumulator (acknowledged, failed or expired).
    pub fn remove(&mut self, id: BatchId) -> Option<ProducerBatch> {
        let b = self.batches.remove(&id)?;
        if let Some(q) = self.queues.get_mut(&b.tp) {
            q.retain(|x| *x != id);
            if q.is_empty() {
                self.queues.remove(&b.tp);
            }
        }
        Some(b)
    }

    /// Drops every batch (a transaction aborted before they were sent, or
    /// the producer closed).
    pub fn clear(&mut self) {
        self.batches.clear();
        self.queues.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Records waiting or in flight.
    pub fn record_count(&self) -> usize {
        self.batches.values().map(|b| b.records.len()).sum()
    }

    /// Whether some batch holds `record`.
    pub fn holds(&self, record: RecordId) -> bool {
        self.batches.values().any(|b| b.records.contains(&record))
    }
}

/// Natively (`cfg(engine_speed)`), where each partition's open batch is: the batch id,
/// per partition number, of the open batch last found in that partition's queue.
///
/// Why: every `send()` appends, and the page's [`RecordAccumulator::append`] finds the
/// partition's queue by a binary search over the queues (an out-of-line `entry_or_default`,
/// about 100 instructions) before it looks at the queue's last batch. A producer keeps
/// appending to the same dozen open batches, a few hundred records each, so natively stage 3
/// (`producer.rs`) asks this hint first ([`RecordAccumulator::append_to_open`], inlined
/// there) and calls `append` only when the hint is stale or the batch has no room.
///
/// It is a cache, never state: it can only be stale, never wrong, because the batch it
/// names is looked up again by id and used only if it still exists and is still open. Batch
/// ids are never reused, so that batch is still the partition's (debug builds check), and
/// an open batch is always the last of its partition's queue (`append` closes the last
/// batch before it opens another; a drain or a retry makes a batch `InFlight` or `Queued`,
/// and `reenqueue` puts a retried batch before any open one; debug builds check this too).
/// So it is not compared (two accumulators with the same batches are equal whatever they
/// remember) and costs the page nothing.
///
/// It also remembers the producer's workload topic id for stage 1 (`workload_topic`, read
/// and checked by `producer_workload_topic` at the end of `producer.rs`): a `send()` names
/// its topic, and the page finds the id by name for every record. It lives here because
/// this is the producer's one native-only state (a field of `Producer` itself would move
/// the page's lines).
#[cfg(engine_speed)]
#[derive(Clone, Debug, Default)]
pub(crate) struct OpenHint {
    /// Per partition number, the open batch last found in that partition's queue.
    open: Vec<Option<(Tp, BatchId)>>,
    /// The workload topic's id, with the number of topics there were when it was found
    /// by name; a `Cell` because stage 1 reads it while it holds the producer shared.
    pub(crate) workload_topic: std::cell::Cell<Option<(usize, TopicId)>>,
}

#[cfg(engine_speed)]
impl PartialEq for OpenHint {
    fn eq(&self, _: &OpenHint) -> bool {
        true
    }
}

#[cfg(engine_speed)]
impl Eq for OpenHint {}

#[cfg(engine_speed)]
impl RecordAccumulator {
    /// [`RecordAccumulator::append`] when `tp`'s last batch is open and has room for
    /// `size` more bytes, found through the [`OpenHint`]: the record joins it. `None`
    /// (nothing done) when there is no such batch: the caller takes the page's `append`,
    /// which closes the last batch and opens a new one.
    #[inline(always)]
    pub(crate) fn append_to_open(
        &mut self,
        tp: Tp,
        record: RecordId,
        size: u32,
        batch_size: u32,
    ) -> Option<Appended> {
        let hinted = match self.open_hint.open.get(tp.partition.0 as usize) {
            Some(&Some((t, id))) if t == tp => Some(id),
            _ => None,
        };
        let b = match hinted.and_then(|id| self.batches.get_mut(&id)) {
            Some(b) if b.state == BatchState::Open => b,
            _ => self.learn_open(tp)?,
        };
        debug_assert_eq!(b.tp, tp, "a batch id is never reused");
        let id = b.id;
        if b.bytes + size > batch_size {
            return None;
        }
        b.records.push(record);
        b.bytes += size;
        let wake_sender = b.bytes >= batch_size;
        debug_assert_eq!(
            self.queues.get(&tp).and_then(|q| q.back()),
            Some(&id),
            "an open batch is the last of its partition's queue"
        );
        Some(Appended {
            bytes: size,
            new_batch: false,
            wake_sender,
        })
    }

    /// The hint missed (a partition's first append, or its open batch was closed or sent
    /// since): `tp`'s last batch if it is open, remembered for the next append.
    #[cold]
    #[inline(never)]
    fn learn_open(&mut self, tp: Tp) -> Option<&mut ProducerBatch> {
        let id = *self.queues.get(&tp)?.back()?;
        let b = self.batches.get_mut(&id).expect("queued batch exists");
        if b.state != BatchState::Open {
            return None;
        }
        let (hint, slot) = (&mut self.open_hint.open, tp.partition.0 as usize);
        if hint.len() <= slot {
            hint.resize(slot + 1, None);
        }
        hint[slot] = Some((tp, id));
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH: u32 = 200;
    const TIMEOUT: u64 = 120_000;

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// Appends records 0..n of `size` bytes to `tp`, batch ids from 1.
    fn fill(acc: &mut RecordAccumulator, tp: Tp, sizes: &[u32]) -> Vec<Appended> {
        let mut next = acc.batches.keys().map(|b| b.0 + 1).max().unwrap_or(1);
        sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                let a = acc.append(tp, RecordId(i as u32), s, BATCH, 10, TIMEOUT, BatchId(next));
                if a.new_batch {
                    next += 1;
                }
                a
            })
            .collect()
    }

    #[test]
    fn only_a_new_batch_or_a_full_one_wakes_the_sender() {
        let mut acc = RecordAccumulator::default();
        // 61 + 40 = 101, +40 = 141, +40 = 181, +19 = 200 (full), then a new batch.
        let woke: Vec<(bool, bool)> = fill(&mut acc, tp(0), &[40, 40, 40, 19, 10])
            .iter()
            .map(|a| (a.new_batch, a.wake_sender))
            .collect();
        assert_eq!(
            woke,
            [
                (true, true),
                (false, false),
                (false, false),
                (false, true),
                (true, true)
            ]
        );
        assert_eq!(acc.queues[&tp(0)].len(), 2);
        assert_eq!(acc.batches[&BatchId(1)].state, BatchState::Queued);
        assert_eq!(acc.batches[&BatchId(2)].state, BatchState::Open);
    }

    #[test]
    fn a_record_larger_than_batch_size_gets_a_batch_of_its_own() {
        let mut acc = RecordAccumulator::default();
        let a = fill(&mut acc, tp(0), &[500, 10]);
        assert!(a[0].new_batch && a[1].new_batch);
        assert_eq!(acc.batches[&BatchId(1)].records, [RecordId(0)]);
        assert_eq!(acc.batches[&BatchId(1)].bytes, BATCH_OVERHEAD_BYTES + 500);
    }

    #[test]
    fn the_next_batch_to_drain_is_the_first_not_in_flight() {
        let mut acc = RecordAccumulator::default();
        fill(&mut acc, tp(0), &[150, 150, 150]);
        assert_eq!(acc.waiting_head(tp(0)), (false, Some(BatchId(1))));
        acc.batches.get_mut(&BatchId(1)).unwrap().state = BatchState::InFlight;
        assert_eq!(acc.waiting_head(tp(0)), (true, Some(BatchId(2))));
        assert_eq!(acc.waiting_head(tp(1)), (false, None));
    }

    #[test]
    fn all_batches_are_full_once_the_last_is_closed_full_or_absent() {
        let mut acc = RecordAccumulator::default();
        assert!(acc.all_batches_full(tp(0), BATCH));
        fill(&mut acc, tp(0), &[50]);
        assert!(!acc.all_batches_full(tp(0), BATCH));
        fill(&mut acc, tp(0), &[89]); // 61 + 50 + 89 = 200
        assert!(acc.all_batches_full(tp(0), BATCH));
    }

    #[test]
    fn the_earliest_expiry_is_that_of_the_oldest_batch() {
        let mut acc = RecordAccumulator {
            next_expiry_ms: u64::MAX,
            ..Default::default()
        };
        acc.append(tp(0), RecordId(0), 10, BATCH, 5, TIMEOUT, BatchId(1));
        acc.append(tp(1), RecordId(1), 10, BATCH, 9, TIMEOUT, BatchId(2));
        assert_eq!(acc.next_expiry_ms, 5 + TIMEOUT);
    }

    /// Natively, the hinted append (and `append` when it declines) does what `append`
    /// alone does, through new batches, a closed batch, a sent one and a removed one.
    #[cfg(engine_speed)]
    #[test]
    fn the_open_batch_hint_appends_as_append_does() {
        let (mut plain, mut hinted) = (RecordAccumulator::default(), RecordAccumulator::default());
        let mut next = 1;
        for i in 0..60u32 {
            let (tp, size) = (tp(i % 3), 20 + i % 7 * 10);
            if i == 25 || i == 40 {
                for acc in [&mut plain, &mut hinted] {
                    let id = *acc.queues[&tp].back().unwrap();
                    acc.batches.get_mut(&id).unwrap().state = BatchState::InFlight;
                }
            }
            if i == 50 {
                plain.remove(BatchId(1));
                hinted.remove(BatchId(1));
            }
            let a = plain.append(tp, RecordId(i), size, BATCH, 10, TIMEOUT, BatchId(next));
            let h = match hinted.append_to_open(tp, RecordId(i), size, BATCH) {
                Some(h) => h,
                None => hinted.append(tp, RecordId(i), size, BATCH, 10, TIMEOUT, BatchId(next)),
            };
            assert_eq!(a, h, "record {i}");
            next += u32::from(a.new_batch);
        }
        assert_eq!(plain.queues, hinted.queues);
        assert_eq!(plain.batches, hinted.batches);
        assert!(hinted.open_hint.open.iter().all(Option::is_some));
    }

    #[test]
    fn a_removed_batch_leaves_its_queue_and_an_empty_queue_goes() {
        let mut acc = RecordAccumulator::default();
        fill(&mut acc, tp(0), &[150, 150]);
        assert_eq!(acc.record_count(), 2);
        assert!(acc.holds(RecordId(1)));
        let b = acc.remove(BatchId(1)).expect("batch 1");
        assert_eq!(b.records, [RecordId(0)]);
        assert_eq!(acc.queues[&tp(0)].len(), 1);
        acc.remove(BatchId(2));
        assert!(acc.queues.get(&tp(0)).is_none() && acc.is_empty());
        assert!(acc.remove(BatchId(2)).is_none());
    }
}
