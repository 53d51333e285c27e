//! The producer's sender thread (`Sender.java`) and the idempotence rules
//! of its `TransactionManager`, as a component of [`Producer`].
//!
//! Kafka's producer has two threads. The application's `send()` appends a
//! record to the [`RecordAccumulator`](crate::engine::accumulator); the
//! **sender** loops in `Sender.runOnce`:
//!
//! ```text
//! runOnce ─▶ maybeResolveSequences, bumpIdempotentEpochAndResetIdIfNeeded   (KIP-360)
//!         ─▶ sendProducerData: expire batches past delivery.timeout.ms
//!                              ready?  (full, linger.ms passed, flushing, a retry whose backoff passed)
//!                              drain:  one Produce request per ready leader
//!         ─▶ poll: responses ─▶ completeBatch: acknowledge, retry, or fail for good
//! ```
//!
//! The rules here are methods on [`Producer`] that take the time and what
//! they need (the producer's configuration, the random source for the
//! backoff's jitter) and write what the engine must do — an event to show,
//! a timer to set, a message to send — into an [`Outbox`]. They touch
//! nothing outside the producer, so each is unit-tested on a `Producer`
//! alone. The engine glue in `producer.rs` gathers the inputs, calls them,
//! applies the outbox at the point where Kafka's client would act, and runs
//! what is not the producer's to decide (InitProducerId, EndTxn).
//!
//! - **Completion** (`Sender.completeBatch`): an acknowledged batch leaves
//!   the accumulator and moves the partition's last acknowledged sequence
//!   (`maybeUpdateLastAckedSequence`). A failed one is retried when the
//!   error is retriable, `retries` are left and `delivery.timeout.ms` has
//!   not passed (`Sender.canRetry`): it goes back to the front of its queue
//!   (`reenqueue`) after an exponential, jittered backoff — none if the
//!   partition has a new leader since (KIP-951). Otherwise it fails with the
//!   broker's error, or `DeliveryTimeout` once the time is up.
//! - **Idempotence** (KIP-98, KIP-360, `TransactionManager`): an
//!   OUT_OF_ORDER_SEQUENCE_NUMBER for a batch that is not the next after the
//!   last acknowledged one just waits for the earlier ones (`canRetry`); for
//!   the next one it is a real gap, and the idempotent producer bumps its
//!   epoch and restarts the partition's sequence at 0
//!   (`requestEpochBumpForPartition`). A batch that fails for good leaves the
//!   same gap (`handleFailedBatch`); a transactional producer instead enters
//!   an abortable error. A sent batch that expired leaves the partition
//!   *unresolved* until nothing of it is in flight (`maybeResolveSequences`).
//!
//! Kafka's code: `clients/src/main/java/org/apache/kafka/clients/producer/internals/`
//! `Sender.java` (`runOnce`, `sendProducerData`, `completeBatch`,
//! `failBatch`, `canRetry`) and `TransactionManager.java` (`canRetry`,
//! `handleFailedBatch`, `maybeResolveSequences`,
//! `bumpIdempotentEpochAndResetIdIfNeeded`, `maybeUpdateLastAckedSequence`).

use crate::engine::accumulator::BatchState;
use crate::engine::config::{Acks, ProducerConfig};
use crate::engine::event::{ErrorCode, EventKind};
use crate::engine::ids::*;
use crate::engine::network::BatchResult;
use crate::engine::outbox::Outbox;
use crate::engine::producer::{Producer, ProducerTimer, SeqState};
use crate::engine::rng::Pcg32;

/// What `bumpIdempotentEpochAndResetIdIfNeeded` did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum EpochBump {
    /// No bump was asked for (or the producer is transactional).
    None,
    /// The epoch was at its maximum: the producer forgot its id and must
    /// ask for a new one (InitProducerId).
    NewProducerId,
    /// The epoch went up by one; these partitions restarted at sequence 0.
    Bumped {
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        restarted: Vec<Tp>,
    },
}

impl Producer {
    /// Sets one of this producer's timers.
    fn timer(&self, out: &mut Outbox, at_ms: u64, timer: ProducerTimer) {
        out.timer_at(at_ms, (self.idx, timer));
    }

    /// `ProducerBatch.hasLeaderChangedForTheOngoingRetry`: the partition's
    /// leader epoch is newer than when the batch was last sent.
    pub fn leader_changed_since_sent(&self, id: BatchId) -> bool {
        let b = &self.acc.batches[&id];
        b.sent_leader_epoch
            .is_some_and(|e| e < self.metadata.leader_epoch(b.tp))
    }

    /// `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)
    /// .backoff(attempts - 1)`: the term doubles per attempt up to the max,
    /// the ±20 % jitter applies to the term, and the result is capped at
    /// the max (so a backoff at the cap is never above it). With
    /// `retry.backoff.max.ms` not above `retry.backoff.ms` the backoff is
    /// constant: `retry.backoff.ms`, without jitter.
    pub fn retry_backoff_ms(pc: &ProducerConfig, attempts: u32, rng: &mut Pcg32) -> u64 {
        let initial = pc.retry_backoff_ms as u64;
        let max = pc.retry_backoff_max_ms as u64;
        if max <= initial {
            return initial;
        }
        let term = (initial << attempts.saturating_sub(1).min(32)).min(max);
        let jitter = rng.below(41) as u64; // 0..=40 → 80%..120%
        (term * (80 + jitter) / 100).min(max)
    }

    /// Stage 6: the batch's records are acknowledged (`first = None` for
    /// acks=0). `created_ms` tells when a record was created, for latency.
    pub fn complete_batch(
        &mut self,
        now_ms: u64,
        id: BatchId,
        first: Option<Offset>,
        created_ms: impl Fn(RecordId) -> u64,
        out: &mut Outbox,
    ) {
        let acks_zero = self.acks == Acks::Zero;
        let Some(b) = self.acc.remove(id) else {
            return;
        };
        if let (Some(base), Some(epoch)) = (b.base_seq, b.epoch) {
            // `maybeUpdateLastAckedSequence`.
            if self.seq.epoch.get(&b.tp) == Some(&epoch) {
                let last = base.wrapping_add(b.records.len() as i32 - 1);
                let acked = self.seq.last_acked.entry_or_insert_with(b.tp, || last);
                *acked = (*acked).max(last);
            }
        }
        let latency: u64 = b
            .records
            .iter()
            .map(|r| now_ms.saturating_sub(created_ms(*r)))
            .sum();
        self.acked_records += b.records.len() as u64;
        self.total_ack_latency_ms += latency;
        out.event(EventKind::Acked {
            producer: self.idx,
            tp: b.tp,
            batch: id,
            records: b.records,
            first,
            acks_zero,
        });
    }

    /// One batch's answer in a ProduceResponse (`Sender.completeBatch`):
    /// acknowledged, or failed. An error that says the metadata is stale
    /// (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH: an
    /// `InvalidMetadataException`) asks for a refresh before the retry, so
    /// the retry finds the new leader. A batch that is gone already
    /// (expired in flight) ignores its late answer. A duplicate the broker
    /// dropped is answered with its first write's offset, so it completes
    /// like any other. Returns whether the producer just entered an
    /// abortable error.
    pub fn handle_produce_result(
        &mut self,
        now_ms: u64,
        r: BatchResult,
        pc: &ProducerConfig,
        rng: &mut Pcg32,
        created_ms: impl Fn(RecordId) -> u64,
        out: &mut Outbox,
    ) -> bool {
        if !self.acc.batches.contains_key(&r.batch) {
            return false;
        }
        match r.result {
            Ok(first) => {
                self.complete_batch(now_ms, r.batch, Some(first), created_ms, out);
                false
            }
            Err(e) => {
                if e.invalidates_metadata() {
                    self.metadata.request_update();
                }
                self.handle_batch_failed(now_ms, r.batch, e, pc, rng, out)
            }
        }
    }

    /// A batch attempt failed: retry it or give up (`Sender.completeBatch`,
    /// `canRetry`, `reenqueueBatch`, `failBatch`). Returns whether the
    /// producer just entered an abortable error (the glue then sees whether
    /// the transaction can end).
    pub fn handle_batch_failed(
        &mut self,
        now_ms: u64,
        id: BatchId,
        error: ErrorCode,
        pc: &ProducerConfig,
        rng: &mut Pcg32,
        out: &mut Outbox,
    ) -> bool {
        let (attempts, created, tp, records, base_seq) = {
            let b = &self.acc.batches[&id];
            (
                b.attempts,
                b.created_ms,
                b.tp,
                b.records.clone(),
                b.base_seq,
            )
        };
        let fenced = error == ErrorCode::ProducerFenced;
        let deadline = created + pc.delivery_timeout_ms as u64;
        let timed_out = now_ms >= deadline;
        // `Sender.canRetry`: within the delivery timeout and the retries,
        // and the error is retriable (`TransactionManager.canRetry` for an
        // idempotent producer's OUT_OF_ORDER_SEQUENCE_NUMBER).
        let retriable = !timed_out
            && attempts <= pc.retries
            && match error {
                ErrorCode::OutOfOrderSequenceNumber => self.can_retry_out_of_order(id),
                ErrorCode::ProducerFenced | ErrorCode::InvalidProducerEpoch => false,
                e => e.is_retriable(),
            };
        if retriable {
            // KIP-951: a retry to a new leader does not back off
            // (`RecordAccumulator.shouldBackoff`).
            let backoff = if self.leader_changed_since_sent(id) {
                0
            } else {
                Producer::retry_backoff_ms(pc, attempts, rng).max(1)
            };
            self.reenqueue(id, now_ms + backoff, deadline);
            out.event(EventKind::ProduceFailed {
                producer: self.idx,
                tp,
                batch: id,
                records,
                error,
                retry_in_ms: Some(backoff),
                attempt: attempts,
            });
            self.timer(out, now_ms + backoff, ProducerTimer::RetryBackoffDone);
            if deadline < now_ms + backoff {
                // The batch expires while it backs off (see `expired_batches`).
                self.timer(out, deadline, ProducerTimer::RetryBackoffDone);
            }
            return false;
        }
        // Kafka's `Sender.failBatch` completes the future with the broker's
        // own error once retries are exhausted (e.g.
        // NotEnoughReplicasException); only the delivery timeout is reported
        // as a client-side TimeoutException.
        let final_error = if timed_out {
            ErrorCode::DeliveryTimeout
        } else {
            error
        };
        self.acc.remove(id);
        self.failed_records += records.len() as u64;
        if fenced {
            self.txn.fenced = true;
            out.event(EventKind::ProducerFenced {
                producer: self.idx,
                by_epoch: self.producer_id.map(|x| x.1).unwrap_or_default(),
            });
        }
        out.event(EventKind::ProduceFailed {
            producer: self.idx,
            tp,
            batch: id,
            records,
            error: final_error,
            retry_in_ms: None,
            attempt: attempts,
        });
        // Sequences are adjusted only if the retries were not exhausted:
        // after the last retry nobody knows whether the broker has it.
        let adjust = attempts <= pc.retries;
        self.handle_failed_batch(tp, error, adjust && base_seq.is_some(), out)
    }

    /// `RecordAccumulator.reenqueue`: a batch to retry waits again, from
    /// `retry_at_ms`, back at the front of its queue in sequence order.
    fn reenqueue(&mut self, id: BatchId, retry_at_ms: u64, deadline_ms: u64) {
        let acc = &mut self.acc;
        let b = acc.batches.get_mut(&id).expect("batch");
        let tp = b.tp;
        b.state = BatchState::Queued;
        b.retry_at_ms = retry_at_ms;
        // Waiting again: it may now be the next batch to expire.
        acc.next_expiry_ms = acc.next_expiry_ms.min(deadline_ms);
        let q = acc.queues.entry_or_default(tp);
        q.retain(|x| *x != id);
        let seq = acc.batches[&id].base_seq;
        let pos = q
            .iter()
            .position(|x| {
                let o = &acc.batches[x];
                o.state != BatchState::InFlight
                    && (seq.is_none() || o.base_seq.is_none() || o.base_seq > seq)
            })
            .unwrap_or(q.len());
        q.insert(pos, id);
    }

    /// `TransactionManager.canRetry` for OUT_OF_ORDER_SEQUENCE_NUMBER: a
    /// batch that is not the next one after the last acknowledged sequence
    /// waits for the earlier ones; the next one means a real gap, and the
    /// idempotent producer bumps its epoch and retries from sequence 0.
    pub fn can_retry_out_of_order(&mut self, id: BatchId) -> bool {
        let b = &self.acc.batches[&id];
        let tp = b.tp;
        let base = b.base_seq.unwrap_or(0);
        let last_acked = self.seq.last_acked.get(&tp).copied().unwrap_or(-1);
        let is_next = base.wrapping_sub(last_acked) == 1;
        let unresolved = self.seq.unresolved.get(&tp).copied();
        if unresolved.is_none() && (b.seq_reset || !is_next) {
            return true;
        }
        if self.transactional_id.is_some() {
            return false;
        }
        if unresolved.is_none() || unresolved == Some(base) {
            self.request_epoch_bump(tp);
        }
        true
    }

    /// `requestEpochBumpForPartition`.
    pub fn request_epoch_bump(&mut self, tp: Tp) {
        self.seq.bump_required = true;
        if !self.seq.rewrite.contains(&tp) {
            self.seq.rewrite.push(tp);
        }
    }

    /// `TransactionManager.handleFailedBatch`: a transactional producer
    /// enters an abortable error (the application must abort, and the
    /// epoch is bumped after the abort); an idempotent one bumps its epoch
    /// and restarts the partition's sequence, so later batches do not fail
    /// with OUT_OF_ORDER_SEQUENCE_NUMBER behind the gap. Returns whether the
    /// producer just entered an abortable error.
    fn handle_failed_batch(
        &mut self,
        tp: Tp,
        error: ErrorCode,
        adjust_sequences: bool,
        out: &mut Outbox,
    ) -> bool {
        if !self.idempotent || self.txn.fenced || error == ErrorCode::ProducerFenced {
            return false;
        }
        if self.transactional_id.is_some() {
            return self.abortable_error(error, out);
        }
        if error == ErrorCode::OutOfOrderSequenceNumber || adjust_sequences {
            self.request_epoch_bump(tp);
        }
        false
    }

    /// `transitionToAbortableError`: the open transaction cannot commit (it
    /// would miss a record). The application's `commitTransaction()` or
    /// next `send()` throws, and it calls `abortTransaction()`; after the
    /// abort, InitProducerId bumps the epoch (KIP-360). Returns whether this
    /// is a new abortable error.
    fn abortable_error(&mut self, error: ErrorCode, out: &mut Outbox) -> bool {
        self.seq.bump_required = true;
        if self.txn.abortable.is_some() {
            return false;
        }
        self.txn.abortable = Some(error);
        let t = &mut self.txn;
        if t.open && !t.end_sent && t.ending != Some(false) {
            t.ending = Some(false);
        }
        out.event(EventKind::Note {
            text: format!(
                "{}: a batch of the open transaction failed ({}), so the transaction can no longer commit without it. The application gets the error and aborts the transaction; the producer then bumps its epoch.",
                self.client_id,
                error.name()
            ),
        });
        true
    }

    /// `RecordAccumulator.abortUndrainedBatches`: in an abortable error,
    /// batches not sent yet fail with it; batches in flight finish first.
    pub fn abort_undrained(&mut self, error: ErrorCode, out: &mut Outbox) {
        let ids: Vec<BatchId> = (self.acc.batches.values())
            .filter(|b| b.state != BatchState::InFlight)
            .map(|b| b.id)
            .collect();
        for id in ids {
            let Some(b) = self.acc.remove(id) else {
                continue;
            };
            self.failed_records += b.records.len() as u64;
            out.event(EventKind::ProduceFailed {
                producer: self.idx,
                tp: b.tp,
                batch: id,
                records: b.records,
                error,
                retry_in_ms: None,
                attempt: b.attempts,
            });
        }
    }

    /// `maybeResolveSequences`: once a partition with an expired, already
    /// sent batch has nothing in flight, either the batches after it got
    /// through (resolved) or there is a gap: the idempotent producer bumps
    /// its epoch for that partition, a transactional one must abort.
    /// Returns whether the producer just entered an abortable error.
    pub fn maybe_resolve_sequences(&mut self, out: &mut Outbox) -> bool {
        let mut abortable = false;
        let tps: Vec<Tp> = self.seq.unresolved.keys().copied().collect();
        for tp in tps {
            let acc = &self.acc;
            let busy = (acc.queues.get(&tp))
                .is_some_and(|q| q.iter().any(|x| acc.batches[x].base_seq.is_some()));
            if busy {
                continue;
            }
            let next = self.next_seq.get(&tp).copied().unwrap_or(0);
            let last = self.seq.last_acked.get(&tp).copied().unwrap_or(-1);
            self.seq.unresolved.remove(&tp);
            if next.wrapping_sub(last) == 1 {
                continue;
            }
            if self.transactional_id.is_some() {
                abortable |= self.abortable_error(ErrorCode::DeliveryTimeout, out);
            } else {
                self.request_epoch_bump(tp);
            }
        }
        abortable
    }

    /// `bumpIdempotentEpochAndResetIdIfNeeded`: the idempotent producer
    /// bumps its own epoch (no request: the broker accepts a higher epoch
    /// starting at sequence 0) and renumbers the waiting batches of the
    /// partitions that asked for it from 0 (`startSequencesAtBeginning`).
    /// At the last epoch it forgets its producer id instead.
    pub fn bump_epoch_if_needed(&mut self) -> EpochBump {
        if self.transactional_id.is_some() || !self.seq.bump_required {
            return EpochBump::None;
        }
        let Some((pid, epoch)) = self.producer_id else {
            return EpochBump::None;
        };
        if epoch.0 == i16::MAX {
            self.producer_id = None;
            self.next_seq.clear();
            self.seq = SeqState::default();
            return EpochBump::NewProducerId;
        }
        let new = ProducerEpoch(epoch.0 + 1);
        self.producer_id = Some((pid, new));
        self.seq.bump_required = false;
        let rewrite = std::mem::take(&mut self.seq.rewrite);
        for &tp in &rewrite {
            let acc = &mut self.acc;
            let mut ids: Vec<BatchId> = (acc.queues.get(&tp).into_iter().flatten().copied())
                .filter(|x| acc.batches[x].base_seq.is_some())
                .collect();
            ids.sort_by_key(|x| acc.batches[x].base_seq);
            let mut seq = 0i32;
            for id in ids {
                let b = acc.batches.get_mut(&id).expect("batch");
                b.base_seq = Some(seq);
                b.epoch = Some(new);
                b.seq_reset = true;
                seq = seq.wrapping_add(b.records.len() as i32);
            }
            self.next_seq.insert(tp, seq);
            self.seq.epoch.insert(tp, new);
            self.seq.last_acked.remove(&tp);
            self.seq.unresolved.remove(&tp);
        }
        EpochBump::Bumped {
            producer_id: pid,
            epoch: new,
            restarted: rewrite,
        }
    }

    /// `RecordAccumulator.expiredBatches` and `getExpiredInflightBatches`:
    /// the batches past `delivery.timeout.ms` since their creation, in the
    /// order they fail, and the earliest time one of the others can expire.
    ///
    /// Like Kafka, only each partition's oldest batches are looked at: its
    /// batches in flight, in send order, up to the first that has not
    /// expired; then its waiting ones from the head, likewise. A queue is in
    /// creation order, so the scan stays O(partitions) however many batches
    /// wait behind.
    pub fn expired_batches(&self, now_ms: u64, delivery_timeout_ms: u64) -> (Vec<BatchId>, u64) {
        let (acc, mut expired, mut next) = (&self.acc, Vec::new(), u64::MAX);
        let expires = |id: &BatchId| acc.batches[id].created_ms + delivery_timeout_ms;
        for q in acc.queues.values() {
            let in_flight = |id: &&BatchId| acc.batches[*id].state == BatchState::InFlight;
            let waiting = q.iter().filter(|id| !in_flight(id));
            for ids in [
                q.iter().take_while(in_flight).collect::<Vec<_>>(),
                waiting.collect(),
            ] {
                for id in ids {
                    if now_ms < expires(id) {
                        next = next.min(expires(id));
                        break;
                    }
                    expired.push(*id);
                }
            }
        }
        (expired, next)
    }

    /// A batch passed `delivery.timeout.ms`, waiting or in flight: it fails
    /// with a TimeoutException ("Expiring N record(s) … since batch
    /// creation"), and a batch that was sent leaves its partition's sequence
    /// unresolved (`markSequenceUnresolved`). Returns whether the producer
    /// just entered an abortable error.
    pub fn expire_batch(&mut self, id: BatchId, out: &mut Outbox) -> bool {
        let Some(b) = self.acc.remove(id) else {
            return false;
        };
        self.failed_records += b.records.len() as u64;
        let (tp, n, base_seq) = (b.tp, b.records.len() as i32, b.base_seq);
        out.event(EventKind::ProduceFailed {
            producer: self.idx,
            tp: b.tp,
            batch: id,
            records: b.records,
            error: ErrorCode::DeliveryTimeout,
            retry_in_ms: None,
            attempt: b.attempts,
        });
        let abortable = self.handle_failed_batch(tp, ErrorCode::DeliveryTimeout, false, out);
        if let Some(base) = base_seq {
            // Sent at least once: the broker may or may not have it.
            let next = base.wrapping_add(n);
            let u = self.seq.unresolved.entry_or_insert_with(tp, || next);
            *u = (*u).max(next);
        }
        abortable
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::accumulator::ProducerBatch;
    use crate::engine::client_metadata::{ClientMetadata, LeaderInfo};
    use crate::engine::outbox::Effect;
    use crate::engine::sim::Action;
    use crate::engine::vecmap::VecMap;

    const P: ProducerIdx = ProducerIdx(0);

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// The configuration the tests use: Kafka's defaults, idempotent.
    fn config() -> ProducerConfig {
        ProducerConfig {
            enable_idempotence: Some(true),
            ..ProducerConfig::default()
        }
    }

    /// An idempotent producer with id 7, epoch 0, no batches, that knows
    /// broker 0 leads partitions 0 and 1 at leader epoch 0.
    fn producer() -> Producer {
        let mut leaders = VecMap::new();
        for p in 0..2 {
            let info = LeaderInfo {
                leader: Some(BrokerId(0)),
                epoch: LeaderEpoch(0),
            };
            leaders.insert(tp(p), info);
        }
        let metadata = ClientMetadata::bootstrapped(0, leaders);
        let mut pr = Producer::new(P, &config(), true, None, metadata);
        pr.producer_id = Some((ProducerId(7), ProducerEpoch(0)));
        pr
    }

    /// Adds a batch of `n` records to `tp`, already numbered from `base` in
    /// epoch 0 and sent once, waiting in its queue.
    pub(crate) fn sent_batch(pr: &mut Producer, tp: Tp, id: u32, base: i32, n: usize) {
        pr.acc.batches.insert(
            BatchId(id),
            ProducerBatch {
                id: BatchId(id),
                tp,
                records: (0..n as u32).map(|r| RecordId(id * 10 + r)).collect(),
                bytes: 100,
                created_ms: 0,
                base_seq: Some(base),
                attempts: 1,
                retry_at_ms: 0,
                state: BatchState::Queued,
                linger_scheduled: false,
                epoch: Some(ProducerEpoch(0)),
                seq_reset: false,
                sent_leader_epoch: None,
            },
        );
        pr.acc.queues.entry_or_default(tp).push_back(BatchId(id));
        pr.seq.epoch.insert(tp, ProducerEpoch(0));
        pr.next_seq.insert(tp, base + n as i32);
    }

    /// Batch `id` of `pr` is in flight, sent at leader epoch 0.
    fn in_flight(pr: &mut Producer, id: u32) {
        let b = pr.acc.batches.get_mut(&BatchId(id)).expect("batch");
        b.state = BatchState::InFlight;
        b.sent_leader_epoch = Some(LeaderEpoch(0));
    }

    /// A producer whose batch 1 of `n` records (partition 0, sequence 0)
    /// is in flight.
    fn one_in_flight(n: usize) -> Producer {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 0, n);
        in_flight(&mut pr, 1);
        pr
    }

    fn rng() -> Pcg32 {
        Pcg32::new(1, 2)
    }

    /// What the producer showed: (error, retry_in_ms) of each ProduceFailed.
    fn failures(out: &Outbox) -> Vec<(ErrorCode, Option<u64>)> {
        out.events()
            .filter_map(|e| match e {
                EventKind::ProduceFailed {
                    error, retry_in_ms, ..
                } => Some((*error, *retry_in_ms)),
                _ => None,
            })
            .collect()
    }

    fn fail(pr: &mut Producer, now: u64, id: u32, error: ErrorCode) -> (Outbox, bool) {
        let mut out = Outbox::new();
        let abortable =
            pr.handle_batch_failed(now, BatchId(id), error, &config(), &mut rng(), &mut out);
        (out, abortable)
    }

    /// Batch `id` of partition 0 gets `result` in a ProduceResponse.
    fn answer(
        pr: &mut Producer,
        now: u64,
        id: u32,
        result: Result<Offset, ErrorCode>,
    ) -> (Outbox, bool) {
        let r = BatchResult {
            batch: BatchId(id),
            tp: tp(0),
            result,
            duplicate: false,
        };
        let mut out = Outbox::new();
        let abortable = pr.handle_produce_result(now, r, &config(), &mut rng(), |_| 0, &mut out);
        (out, abortable)
    }

    fn sender_wakes(out: &Outbox) -> Vec<u64> {
        out.timers()
            .filter(|(_, a)| {
                **a == Action::Producer {
                    producer: P,
                    timer: ProducerTimer::RetryBackoffDone,
                }
            })
            .map(|(at, _)| at)
            .collect()
    }

    #[test]
    fn the_retry_backoff_is_capped_after_its_jitter() {
        let mut pc = config();
        pc.retry_backoff_ms = 100;
        pc.retry_backoff_max_ms = 1_000;
        let mut rng = rng();
        let at_cap: Vec<u64> = (0..200)
            .map(|_| Producer::retry_backoff_ms(&pc, 10, &mut rng))
            .collect();
        assert!(
            at_cap.iter().all(|b| (800..=1_000).contains(b)),
            "{at_cap:?}"
        );
        assert!(at_cap.contains(&1_000));
        let first: Vec<u64> = (0..200)
            .map(|_| Producer::retry_backoff_ms(&pc, 1, &mut rng))
            .collect();
        assert!(first.iter().all(|b| (80..=120).contains(b)), "{first:?}");
        pc.retry_backoff_max_ms = 100;
        assert_eq!(
            Producer::retry_backoff_ms(&pc, 5, &mut rng),
            100,
            "no exponential, no jitter"
        );
    }

    #[test]
    fn not_leader_refreshes_metadata_and_retries_after_a_backoff() {
        let mut pr = one_in_flight(1);
        let (out, abortable) = answer(&mut pr, 1_000, 1, Err(ErrorCode::NotLeaderOrFollower));
        assert!(!abortable);
        assert!(pr.metadata.update_requested, "asks for new metadata");
        let b = &pr.acc.batches[&BatchId(1)];
        assert_eq!(b.state, BatchState::Queued);
        let [(ErrorCode::NotLeaderOrFollower, Some(backoff))] = failures(&out)[..] else {
            panic!("{:?}", failures(&out));
        };
        assert!(backoff > 0 && b.retry_at_ms == 1_000 + backoff);
        assert_eq!(sender_wakes(&out), [1_000 + backoff]);
    }

    #[test]
    fn a_retry_to_a_new_leader_skips_its_backoff() {
        for (new_leader, backs_off) in [(false, true), (true, false)] {
            let mut pr = producer();
            sent_batch(&mut pr, tp(0), 1, 0, 1);
            in_flight(&mut pr, 1);
            if new_leader {
                // The producer's metadata already knows a newer leader epoch.
                pr.metadata.partitions.get_mut(&tp(0)).unwrap().epoch = LeaderEpoch(1);
            }
            fail(&mut pr, 50, 1, ErrorCode::NotLeaderOrFollower);
            let b = &pr.acc.batches[&BatchId(1)];
            assert_eq!(b.state, BatchState::Queued);
            assert_eq!(b.retry_at_ms > 50, backs_off, "new leader: {new_leader}");
        }
    }

    #[test]
    fn a_retried_batch_goes_back_before_the_later_waiting_ones() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 0, 1);
        sent_batch(&mut pr, tp(0), 2, 1, 1);
        in_flight(&mut pr, 1);
        // Batch 1 was sent, then leaves the queue's front behind batch 2.
        let q = pr.acc.queues.get_mut(&tp(0)).unwrap();
        q.retain(|x| *x != BatchId(1));
        q.push_back(BatchId(1));
        fail(&mut pr, 10, 1, ErrorCode::NetworkException);
        let q: Vec<BatchId> = pr.acc.queues[&tp(0)].iter().copied().collect();
        assert_eq!(q, [BatchId(1), BatchId(2)]);
    }

    #[test]
    fn a_batch_out_of_retries_fails_with_the_brokers_own_error() {
        let mut pr = one_in_flight(2);
        pr.acc.batches.get_mut(&BatchId(1)).unwrap().attempts = config().retries + 1;
        let (out, _) = fail(&mut pr, 10, 1, ErrorCode::NotEnoughReplicas);
        assert_eq!(failures(&out), [(ErrorCode::NotEnoughReplicas, None)]);
        assert!(pr.acc.is_empty());
        assert_eq!(pr.failed_records, 2);
        // Nobody knows whether the broker has it: no epoch bump.
        assert!(!pr.seq.bump_required);
    }

    #[test]
    fn a_batch_failing_after_delivery_timeout_fails_with_a_timeout_and_bumps_the_epoch() {
        let mut pr = one_in_flight(1);
        let deadline = config().delivery_timeout_ms as u64;
        let (out, abortable) = fail(&mut pr, deadline, 1, ErrorCode::NotLeaderOrFollower);
        assert_eq!(failures(&out), [(ErrorCode::DeliveryTimeout, None)]);
        assert!(!abortable);
        assert!(pr.seq.bump_required && pr.seq.rewrite == [tp(0)]);
    }

    #[test]
    fn a_retry_that_would_outlive_delivery_timeout_also_wakes_the_sender_at_the_deadline() {
        let mut pr = one_in_flight(1);
        let deadline = config().delivery_timeout_ms as u64;
        let (out, _) = fail(&mut pr, deadline - 1, 1, ErrorCode::NetworkException);
        let wakes = sender_wakes(&out);
        assert_eq!(wakes.len(), 2);
        assert!(wakes[0] > deadline && wakes[1] == deadline, "{wakes:?}");
        assert_eq!(pr.acc.next_expiry_ms, 0, "the earlier expiry stays");
    }

    #[test]
    fn producer_fenced_is_fatal() {
        let mut pr = producer();
        pr.transactional_id = Some("t".into());
        sent_batch(&mut pr, tp(0), 1, 0, 1);
        in_flight(&mut pr, 1);
        let (out, abortable) = fail(&mut pr, 10, 1, ErrorCode::ProducerFenced);
        assert!(pr.txn.fenced && !abortable);
        assert!(matches!(
            out.effects()[0],
            Effect::Event(EventKind::ProducerFenced { .. })
        ));
        assert_eq!(failures(&out), [(ErrorCode::ProducerFenced, None)]);
    }

    #[test]
    fn a_failed_batch_of_a_transaction_is_an_abortable_error_once() {
        let mut pr = producer();
        pr.transactional_id = Some("t".into());
        pr.txn.open = true;
        pr.txn.ending = Some(true);
        sent_batch(&mut pr, tp(0), 1, 0, 1);
        sent_batch(&mut pr, tp(1), 2, 0, 1);
        for id in [1, 2] {
            in_flight(&mut pr, id);
            pr.acc.batches.get_mut(&BatchId(id)).unwrap().attempts = config().retries + 1;
        }
        let (out, abortable) = fail(&mut pr, 10, 1, ErrorCode::NotEnoughReplicas);
        assert!(abortable, "the glue then sees whether the abort can go");
        assert_eq!(pr.txn.abortable, Some(ErrorCode::NotEnoughReplicas));
        assert_eq!(pr.txn.ending, Some(false), "a commit became an abort");
        assert_eq!(out.events().count(), 2, "ProduceFailed, then the note");
        let (out, abortable) = fail(&mut pr, 10, 2, ErrorCode::NotEnoughReplicas);
        assert!(!abortable && out.events().count() == 1);
    }

    #[test]
    fn an_acknowledged_batch_moves_the_last_acked_sequence_and_its_latency() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 4, 3);
        in_flight(&mut pr, 1);
        let mut out = Outbox::new();
        pr.complete_batch(100, BatchId(1), Some(Offset(9)), |_| 40, &mut out);
        assert_eq!(pr.seq.last_acked.get(&tp(0)), Some(&6));
        assert_eq!((pr.acked_records, pr.total_ack_latency_ms), (3, 180));
        assert!(matches!(
            out.events().next(),
            Some(EventKind::Acked {
                first: Some(Offset(9)),
                acks_zero: false,
                ..
            })
        ));
        // A late answer for a batch that is gone does nothing.
        assert!(answer(&mut pr, 100, 1, Ok(Offset(9))).0.is_empty());
    }

    #[test]
    fn an_epoch_bump_renumbers_the_partitions_waiting_batches_from_zero() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 3, 2);
        sent_batch(&mut pr, tp(0), 2, 5, 3);
        pr.seq.last_acked.insert(tp(0), 2);
        pr.request_epoch_bump(tp(0));
        assert_eq!(
            pr.bump_epoch_if_needed(),
            EpochBump::Bumped {
                producer_id: ProducerId(7),
                epoch: ProducerEpoch(1),
                restarted: vec![tp(0)]
            }
        );
        assert_eq!(pr.producer_id, Some((ProducerId(7), ProducerEpoch(1))));
        let seqs: Vec<_> = [1, 2]
            .iter()
            .map(|i| {
                let b = &pr.acc.batches[&BatchId(*i)];
                (b.base_seq, b.epoch, b.seq_reset)
            })
            .collect();
        assert_eq!(
            seqs,
            vec![
                (Some(0), Some(ProducerEpoch(1)), true),
                (Some(2), Some(ProducerEpoch(1)), true)
            ]
        );
        assert_eq!(pr.next_seq.get(&tp(0)), Some(&5));
        assert_eq!(pr.seq.epoch.get(&tp(0)), Some(&ProducerEpoch(1)));
        assert_eq!(pr.seq.last_acked.get(&tp(0)), None);
        assert!(!pr.seq.bump_required && pr.seq.rewrite.is_empty());
        assert_eq!(pr.bump_epoch_if_needed(), EpochBump::None);
    }

    #[test]
    fn at_the_last_epoch_the_producer_asks_for_a_new_producer_id() {
        let mut pr = producer();
        pr.producer_id = Some((ProducerId(7), ProducerEpoch(i16::MAX)));
        pr.request_epoch_bump(tp(0));
        assert_eq!(pr.bump_epoch_if_needed(), EpochBump::NewProducerId);
        assert_eq!(pr.producer_id, None);
        assert_eq!(pr.seq, SeqState::default());
    }

    #[test]
    fn an_unresolved_partition_bumps_the_epoch_only_if_its_sequence_has_a_gap() {
        // The expired batch 3..5 is unresolved; the broker acknowledged up
        // to 2 (it never made it: a gap) or up to 5 (a later batch got
        // through after it: resolved).
        for (last_acked, gap) in [(2, true), (5, false)] {
            let mut pr = producer();
            pr.next_seq.insert(tp(0), 6);
            pr.seq.last_acked.insert(tp(0), last_acked);
            pr.seq.unresolved.insert(tp(0), 6);
            assert!(!pr.maybe_resolve_sequences(&mut Outbox::new()));
            assert!(pr.seq.unresolved.is_empty());
            assert_eq!(pr.seq.bump_required, gap);
            assert_eq!(pr.seq.rewrite.contains(&tp(0)), gap);
        }
    }

    #[test]
    fn an_unresolved_partition_waits_while_it_still_has_numbered_batches() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 3, 1);
        pr.seq.unresolved.insert(tp(0), 3);
        assert!(!pr.maybe_resolve_sequences(&mut Outbox::new()));
        assert_eq!(pr.seq.unresolved.get(&tp(0)), Some(&3));
        assert!(!pr.seq.bump_required);
    }

    #[test]
    fn an_unresolved_gap_in_a_transaction_is_an_abortable_error() {
        let mut pr = producer();
        pr.transactional_id = Some("t".into());
        pr.next_seq.insert(tp(0), 6);
        pr.seq.unresolved.insert(tp(0), 6);
        let mut out = Outbox::new();
        assert!(pr.maybe_resolve_sequences(&mut out));
        assert_eq!(pr.txn.abortable, Some(ErrorCode::DeliveryTimeout));
        assert_eq!(out.events().count(), 1);
    }

    #[test]
    fn out_of_order_for_a_batch_that_is_not_next_is_retried_without_a_bump() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 3, 1);
        pr.seq.last_acked.insert(tp(0), 1); // 2 is still pending
        assert!(pr.can_retry_out_of_order(BatchId(1)));
        assert!(!pr.seq.bump_required);
        // The next one after the last acknowledged: a real gap → bump.
        pr.seq.last_acked.insert(tp(0), 2);
        assert!(pr.can_retry_out_of_order(BatchId(1)));
        assert!(pr.seq.bump_required);
        // A transactional producer cannot bump on its own: not retriable.
        let mut pr = producer();
        pr.transactional_id = Some("t".into());
        sent_batch(&mut pr, tp(0), 1, 3, 1);
        pr.seq.last_acked.insert(tp(0), 2);
        assert!(!pr.can_retry_out_of_order(BatchId(1)));
    }

    #[test]
    fn expiry_looks_at_each_partitions_oldest_batches_in_flight_then_waiting() {
        let mut pr = producer();
        let timeout = 1_000;
        for (id, created) in [(1, 0), (2, 10), (3, 0), (4, 500)] {
            sent_batch(&mut pr, tp(0), id, id as i32, 1);
            pr.acc.batches.get_mut(&BatchId(id)).unwrap().created_ms = created;
        }
        in_flight(&mut pr, 1);
        in_flight(&mut pr, 2);
        // In flight: 1 expired, 2 not (the scan stops there); waiting: 3
        // expired, 4 not.
        let (expired, next) = pr.expired_batches(1_005, timeout);
        assert_eq!(expired, [BatchId(1), BatchId(3)]);
        assert_eq!(next, 1_010);
    }

    #[test]
    fn an_expired_sent_batch_leaves_its_partition_unresolved() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 3, 2);
        let mut out = Outbox::new();
        assert!(!pr.expire_batch(BatchId(1), &mut out));
        assert_eq!(failures(&out), [(ErrorCode::DeliveryTimeout, None)]);
        assert_eq!(pr.seq.unresolved.get(&tp(0)), Some(&5));
        assert_eq!(pr.failed_records, 2);
    }
}
