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
//! - **Ready and drain** (`RecordAccumulator.ready`, `drain`): a
//!   partition's next batch is ready when it is full (`batch.size`, or a
//!   later batch exists), `linger.ms` has passed, the producer flushes, or
//!   it is a retry whose backoff passed; a lingering batch sets its linger
//!   timer once. A leader with one ready partition gets one Produce
//!   request with the next batch of every partition it leads (lingering
//!   ones piggy-back), unless its connection already carries
//!   `max.in.flight.requests.per.connection` requests; with 1 a partition
//!   is muted while its batch is in flight (`guaranteeMessageOrder`). A
//!   partition without a known leader asks for metadata; a closed
//!   connection is set up again (ApiVersions) before anything is sent.
//! - **Send** (`Sender.sendProduceRequest`): an idempotent producer numbers
//!   a batch on its first send; the request waits in flight until its
//!   answer or `request.timeout.ms`, and with acks=0 it is acknowledged as
//!   soon as it is written.
//! - **Completion** (`Sender.completeBatch`): an acknowledged batch leaves
//!   the accumulator and moves the partition's last acknowledged sequence
//!   (`maybeUpdateLastAckedSequence`). A failed one is retried when the
//!   error is retriable, `retries` are left and `delivery.timeout.ms` has
//!   not passed (`Sender.canRetry`): it goes back to the front of its queue
//!   (`reenqueue`) after an exponential, jittered backoff — none if the
//!   partition has a new leader since (KIP-951). Otherwise it fails with the
//!   broker's error, or `DeliveryTimeout` once the time is up.
//! - **Idempotence**: what a gap in a partition's sequence means and how
//!   the producer recovers (epoch bumps, KIP-360) is in `idempotence.rs`.
//!
//! Kafka's code: `clients/src/main/java/org/apache/kafka/clients/producer/internals/`
//! `Sender.java` (`runOnce`, `sendProducerData`, `sendProduceRequest`,
//! `completeBatch`, `failBatch`, `canRetry`), `RecordAccumulator.java`
//! (`ready`, `drain`, `expiredBatches`, `reenqueue`) and
//! `TransactionManager.java` (`maybeUpdateLastAckedSequence`).

use crate::engine::accumulator::BatchState;
use crate::engine::config::{Acks, ProducerConfig};
use crate::engine::event::{ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::network::{BatchResult, Msg, WireBatch};
use crate::engine::outbox::Outbox;
use crate::engine::producer::{InFlightRequest, Producer, ProducerTimer};
use crate::engine::rng::Pcg32;
use crate::engine::vecmap::VecMap;

/// Where one partition stands at a sender run (`RecordAccumulator.ready`
/// and the checks `RecordAccumulator.drain` makes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Nothing goes from it now: nothing waits, its leader's connection
    /// already carries `max.in.flight.requests.per.connection` requests, it
    /// is muted, it waits for AddPartitionsToTxn, for older sequences, for
    /// an earlier batch in flight, or for a new connection to its leader.
    Skip,
    /// Its next batch lingers (not full, `linger.ms` not passed): it goes
    /// only with a request to its `leader` that a ready partition starts.
    Lingering {
        batch: BatchId,
        leader: Option<BrokerId>,
    },
    /// Look again at this time: a retry's backoff, no leader known, or the
    /// leader's reconnect backoff.
    WakeAt(u64),
    /// Its next batch goes to `leader` now.
    Ready { batch: BatchId, leader: BrokerId },
}

/// What a sender run sends (`RecordAccumulator.drain`) and when it runs
/// again if nothing else wakes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drain {
    /// One Produce request per ready leader, with its batches.
    pub requests: VecMap<BrokerId, Vec<BatchId>>,
    pub wake_at: Option<u64>,
}

/// A Produce request about to leave: the engine hands out its id and knows
/// when it arrives (the link's latency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub broker: BrokerId,
    pub request_id: u64,
    pub arrive_ms: u64,
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

    /// `Sender.sendProducerData` after the expiry: each partition's
    /// [`Readiness`], in partition order, then `RecordAccumulator.drain`: a
    /// leader with one ready partition is a ready node, and the drain takes
    /// the next batch of every partition it leads, ready or still
    /// lingering (they piggy-back on the request).
    pub fn plan_drain(
        &mut self,
        now_ms: u64,
        tps: &[Tp],
        pc: &ProducerConfig,
        flushing: bool,
        out: &mut Outbox,
    ) -> Drain {
        let mut wake_at: Option<u64> = None;
        // Each partition's next batch and its leader, and whether the batch
        // is ready itself.
        let mut drainable: Vec<(BatchId, BrokerId, bool)> = Vec::new();
        for &tp in tps {
            match self.readiness(now_ms, tp, pc, flushing, out) {
                Readiness::Skip | Readiness::Lingering { leader: None, .. } => {}
                Readiness::Lingering {
                    batch,
                    leader: Some(leader),
                } => drainable.push((batch, leader, false)),
                Readiness::WakeAt(at) => wake_at = Some(wake_at.map_or(at, |w| w.min(at))),
                Readiness::Ready { batch, leader } => drainable.push((batch, leader, true)),
            }
        }
        let ready: Vec<BrokerId> = drainable.iter().filter(|x| x.2).map(|x| x.1).collect();
        let mut requests: VecMap<BrokerId, Vec<BatchId>> = VecMap::new();
        for (batch, leader, _) in drainable {
            if ready.contains(&leader) {
                requests.entry_or_default(leader).push(batch);
            }
        }
        Drain { requests, wake_at }
    }

    /// Whether `tp`'s next batch can be sent now (`RecordAccumulator.ready`,
    /// `drainBatchesForOneNode`, `NetworkClient.ready`). A lingering batch
    /// sets its `linger.ms` timer once; a partition without a leader asks
    /// for metadata (`unknownLeaderTopics`); a leader whose connection
    /// closed gets a new one first (ApiVersions).
    pub fn readiness(
        &mut self,
        now_ms: u64,
        tp: Tp,
        pc: &ProducerConfig,
        flushing: bool,
        out: &mut Outbox,
    ) -> Readiness {
        // A leader whose connection already carries max.in.flight requests
        // takes nothing now; its next response runs the sender again.
        // (Checked first: it is the common case under load.)
        let max_in_flight = pc.max_in_flight_requests_per_connection as usize;
        if let Some(leader) = self.metadata.leader(tp) {
            if self.in_flight.iter().filter(|r| r.broker == leader).count() >= max_in_flight {
                return Readiness::Skip;
            }
        }
        let (in_flight_here, head) = self.acc.waiting_head(tp);
        // Kafka's accumulator deque holds only batches not yet sent (a
        // drained batch leaves it), so the next batch to drain is the first
        // one here that is not in flight: with
        // max.in.flight.requests.per.connection > 1 several batches of one
        // partition can be in flight, which is what lets a retried batch
        // land after a later one without idempotence. With max.in.flight = 1
        // (`guaranteeMessageOrder`) the partition is muted while one of its
        // batches is in flight.
        if in_flight_here && pc.max_in_flight_requests_per_connection == 1 {
            return Readiness::Skip;
        }
        let Some(head) = head else {
            return Readiness::Skip;
        };
        let b = &self.acc.batches[&head];
        if self.transactional_id.is_some() && !self.txn.added.contains(&tp) {
            return Readiness::Skip; // waits for AddPartitionsToTxn
        }
        // `shouldStopDrainBatchesForPartition`: a batch without a sequence
        // waits while the partition still has batches numbered under an
        // older epoch, or an expired batch whose fate is unknown.
        if self.idempotent && b.base_seq.is_none() {
            let current = self.producer_id.map(|x| x.1);
            let acc = &self.acc;
            let sequenced = acc.queues[&tp]
                .iter()
                .any(|x| acc.batches[x].base_seq.is_some());
            if sequenced && self.seq.epoch.get(&tp).copied() != current {
                return Readiness::Skip;
            }
            if self.seq.unresolved.contains_key(&tp) {
                return Readiness::Skip;
            }
        }
        // Ready: full (a later batch exists or it is closed), linger
        // passed, flushing, or a retry whose backoff passed.
        let full = self.acc.queues[&tp].back() != Some(&head)
            || b.state == BatchState::Queued
            || b.bytes >= pc.batch_size;
        let lingered = now_ms >= b.created_ms + pc.linger_ms as u64;
        if b.attempts > 0 && now_ms < b.retry_at_ms && !self.leader_changed_since_sent(head) {
            return Readiness::WakeAt(b.retry_at_ms);
        }
        if !(full || lingered || flushing || b.attempts > 0) {
            if !b.linger_scheduled {
                let at = b.created_ms + pc.linger_ms as u64;
                self.acc
                    .batches
                    .get_mut(&head)
                    .expect("batch")
                    .linger_scheduled = true;
                self.timer(out, at, ProducerTimer::Linger);
            }
            return Readiness::Lingering {
                batch: head,
                leader: self.metadata.leader(tp),
            };
        }
        // Idempotence keeps order: a retried batch waits for earlier
        // in-flight batches of its partition.
        if self.idempotent && b.attempts > 0 {
            let seq = b.base_seq.unwrap_or(0);
            let earlier_in_flight = self.acc.batches.values().any(|o| {
                o.tp == tp && o.state == BatchState::InFlight && o.base_seq.is_some_and(|s| s < seq)
            });
            if earlier_in_flight {
                return Readiness::Skip;
            }
        }
        let known = self.metadata.leader(tp);
        // `NetworkClient.ready`: a leader whose connection just closed is
        // not ready until its reconnect backoff ends.
        let reconnect_at = known.and_then(|l| self.metadata.reconnect_at(l, now_ms));
        let Some(leader) = known.filter(|_| reconnect_at.is_none()) else {
            // No leader known (`unknownLeaderTopics`: ask for metadata), or
            // not reachable yet: check again after the backoff, or when the
            // batch expires if that comes first.
            let expires = b.created_ms + pc.delivery_timeout_ms as u64;
            if known.is_none() {
                self.metadata.request_update();
            }
            let at = reconnect_at.unwrap_or(now_ms + pc.retry_backoff_ms as u64);
            return Readiness::WakeAt(at.min(expires));
        };
        // `NetworkClient.ready`: no batch goes to a broker whose connection
        // closed until a new one is set up (`initiateConnect`, whose first
        // request is ApiVersions); a dead broker refuses it and its
        // reconnect backoff grows. No retry is spent.
        if self.metadata.closed.contains(&leader) {
            if !self.metadata.connecting.contains(&leader) {
                self.metadata.connecting.push(leader);
                let (from, to) = (Node::Producer(self.idx), Node::Broker(leader));
                out.send(from, to, Msg::ApiVersions {});
            }
            return Readiness::Skip;
        }
        // (The leader's connection has room: checked at the top.)
        Readiness::Ready {
            batch: head,
            leader,
        }
    }

    /// `Sender.sendProduceRequest`: the batches leave in one Produce
    /// request. An idempotent producer numbers a batch on its first send
    /// (`maybeUpdateProducerIdAndEpoch`: a partition whose sequence belongs
    /// to an older epoch starts again at 0). With acks=0 the futures
    /// complete as soon as the request is written; otherwise the request
    /// waits in flight for its answer until `request.timeout.ms`.
    pub fn produce_request(
        &mut self,
        now_ms: u64,
        to: Outgoing,
        batch_ids: Vec<BatchId>,
        pc: &ProducerConfig,
        created_ms: impl Fn(RecordId) -> u64,
        out: &mut Outbox,
    ) {
        let (pid, idempotent) = (self.producer_id, self.idempotent);
        let transactional = self.transactional_id.is_some();
        let mut wire = Vec::new();
        for id in &batch_ids {
            let leader_epoch = self.metadata.leader_epoch(self.acc.batches[id].tp);
            let (tp, unnumbered, n) = {
                let b = &self.acc.batches[id];
                (b.tp, b.base_seq.is_none(), b.records.len() as i32)
            };
            if let (true, true, Some((_, epoch))) = (idempotent, unnumbered, pid) {
                // The sender drains a partition with an older epoch's
                // sequence only once its older batches are done.
                if self.seq.epoch.get(&tp) != Some(&epoch) {
                    self.seq.epoch.insert(tp, epoch);
                    self.next_seq.insert(tp, 0);
                    self.seq.last_acked.remove(&tp);
                }
                let seq = self.next_seq.entry_or_insert_with(tp, || 0);
                let base = *seq;
                *seq = seq.wrapping_add(n);
                let b = self.acc.batches.get_mut(id).expect("batch");
                b.base_seq = Some(base);
                b.epoch = Some(epoch);
            }
            let b = self.acc.batches.get_mut(id).expect("batch");
            b.state = BatchState::InFlight;
            b.attempts += 1;
            b.sent_leader_epoch = Some(leader_epoch);
            wire.push(WireBatch {
                batch: b.id,
                tp: b.tp,
                records: b.records.clone(),
                producer: match (idempotent, pid, b.epoch, b.base_seq) {
                    (true, Some((id, _)), Some(epoch), Some(seq)) => Some((id, epoch, seq)),
                    _ => None,
                },
                transactional,
            });
        }
        for wb in &wire {
            out.event(EventKind::Sent {
                producer: self.idx,
                broker: to.broker,
                tp: wb.tp,
                batch: wb.batch,
                records: wb.records.clone(),
                attempt: self.acc.batches[&wb.batch].attempts,
                arrive_ms: to.arrive_ms,
            });
        }
        let request = Msg::Produce {
            request_id: to.request_id,
            acks: pc.acks,
            timeout_ms: pc.request_timeout_ms,
            batches: wire.clone(),
        };
        out.send(Node::Producer(self.idx), Node::Broker(to.broker), request);
        if pc.acks == Acks::Zero {
            // Fire and forget: the future completes once the request is written.
            for wb in wire {
                self.complete_batch(now_ms, wb.batch, None, &created_ms, out);
            }
            return;
        }
        // A batch whose delivery.timeout.ms ends before this request can
        // time out expires in flight (see `expired_batches`).
        let timeout_at = now_ms + pc.request_timeout_ms as u64;
        let oldest = (batch_ids.iter())
            .map(|id| self.acc.batches[id].created_ms)
            .min();
        if let Some(at) = oldest
            .map(|c| c + pc.delivery_timeout_ms as u64)
            .filter(|at| *at < timeout_at)
        {
            self.acc.next_expiry_ms = self.acc.next_expiry_ms.min(at);
            self.timer(out, at, ProducerTimer::RetryBackoffDone);
        }
        self.in_flight.push(InFlightRequest {
            request_id: to.request_id,
            broker: to.broker,
            batches: batch_ids,
            sent_ms: now_ms,
        });
        let timeout = ProducerTimer::RequestTimeout {
            broker: to.broker,
            request_id: to.request_id,
        };
        self.timer(out, timeout_at, timeout);
    }

    /// The connection to `broker` closed (`NetworkClient`'s
    /// `handleDisconnections`, `handleTimedOutRequests`): every request in
    /// flight on it is lost, and each of its batches fails with
    /// NETWORK_EXCEPTION, or REQUEST_TIMED_OUT for the request whose
    /// `request.timeout.ms` passed (`timed_out`). Returns the batches with
    /// their error, in send order; one that already left the accumulator
    /// (expired in flight) is skipped by the caller.
    pub fn connection_lost(
        &mut self,
        broker: BrokerId,
        timed_out: Option<u64>,
    ) -> Vec<(BatchId, ErrorCode)> {
        let (lost, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|r| r.broker == broker);
        self.in_flight = rest;
        let error = |r: &InFlightRequest| match timed_out {
            Some(id) if id == r.request_id => ErrorCode::RequestTimedOut,
            _ => ErrorCode::NetworkException,
        };
        (lost.iter())
            .flat_map(|r| r.batches.iter().map(move |b| (*b, error(r))))
            .collect()
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

    /// A ProduceResponse arrived (`InFlightRequests.completeNext`): its
    /// request leaves the in-flight list, freeing room on the connection.
    /// Returns false for an answer to a request no longer in flight (it
    /// timed out, or its connection closed): it is ignored.
    pub fn request_answered(&mut self, request_id: u64) -> bool {
        let pos = self
            .in_flight
            .iter()
            .position(|r| r.request_id == request_id);
        pos.map(|i| self.in_flight.remove(i)).is_some()
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

    pub(crate) fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// The configuration the tests use: Kafka's defaults, idempotent.
    pub(crate) fn config() -> ProducerConfig {
        ProducerConfig {
            enable_idempotence: Some(true),
            ..ProducerConfig::default()
        }
    }

    /// An idempotent producer with id 7, epoch 0, no batches, that knows
    /// broker 0 leads partitions 0 and 1 at leader epoch 0.
    pub(crate) fn producer() -> Producer {
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

    /// Appends a record of `bytes` to `tp` at `now` as batch `id` (or to
    /// the partition's open batch), as `send()` would.
    fn append(pr: &mut Producer, tp: Tp, id: u32, bytes: u32, now: u64) {
        let pc = config();
        let timeout = pc.delivery_timeout_ms as u64;
        let _ = (pr.acc).append(
            tp,
            RecordId(id),
            bytes,
            pc.batch_size,
            now,
            timeout,
            BatchId(id),
        );
    }

    fn readiness(pr: &mut Producer, now: u64, tp: Tp) -> (Readiness, Outbox) {
        let mut out = Outbox::new();
        let r = pr.readiness(now, tp, &config(), false, &mut out);
        (r, out)
    }

    /// Whether partition 0's next batch goes now.
    fn is_ready(pr: &mut Producer, now: u64) -> bool {
        matches!(readiness(pr, now, tp(0)).0, Readiness::Ready { .. })
    }

    const LINGER: ProducerTimer = ProducerTimer::Linger;

    #[test]
    fn a_batch_waits_for_linger_unless_full() {
        let mut pr = producer();
        append(&mut pr, tp(0), 1, 100, 0);
        let lingering = Readiness::Lingering {
            batch: BatchId(1),
            leader: Some(BrokerId(0)),
        };
        let (r, out) = readiness(&mut pr, 1, tp(0));
        assert_eq!(r, lingering);
        let linger_at = config().linger_ms as u64;
        assert_eq!(
            out.timers().collect::<Vec<_>>(),
            [(linger_at, &Action::from((P, LINGER)))],
            "the linger.ms timer"
        );
        // Its timer is set once.
        let (r, out) = readiness(&mut pr, 2, tp(0));
        assert!(r == lingering && out.is_empty());
        // linger.ms passed: ready.
        let ready = Readiness::Ready {
            batch: BatchId(1),
            leader: BrokerId(0),
        };
        assert_eq!(readiness(&mut pr, linger_at, tp(0)).0, ready);
        // Full (batch.size reached) before linger.ms: ready at once.
        let mut pr = producer();
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        assert_eq!(readiness(&mut pr, 0, tp(0)).0, ready);
        // Or flushing (commitTransaction, flush()).
        let mut pr = producer();
        append(&mut pr, tp(0), 1, 100, 0);
        let r = pr.readiness(0, tp(0), &config(), true, &mut Outbox::new());
        assert_eq!(r, ready);
    }

    #[test]
    fn a_lingering_batch_piggy_backs_on_a_request_its_leader_starts() {
        let mut pr = producer();
        append(&mut pr, tp(0), 1, config().batch_size, 0); // full
        append(&mut pr, tp(1), 2, 100, 0); // lingering, same leader
        let tps = [tp(0), tp(1)];
        let drain = pr.plan_drain(1, &tps, &config(), false, &mut Outbox::new());
        let mut expected = VecMap::new();
        expected.insert(BrokerId(0), vec![BatchId(1), BatchId(2)]);
        assert_eq!(drain.requests, expected);
        // Without a ready partition, nothing goes.
        let mut pr = producer();
        append(&mut pr, tp(1), 2, 100, 0);
        let drain = pr.plan_drain(1, &tps, &config(), false, &mut Outbox::new());
        assert!(drain.requests.is_empty() && drain.wake_at.is_none());
    }

    #[test]
    fn a_leader_with_max_in_flight_requests_takes_nothing_until_an_answer() {
        let mut pr = producer();
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        let max = config().max_in_flight_requests_per_connection as u64;
        for request_id in 0..max {
            pr.in_flight.push(InFlightRequest {
                request_id,
                broker: BrokerId(0),
                batches: vec![],
                sent_ms: 0,
            });
        }
        assert_eq!(readiness(&mut pr, 0, tp(0)).0, Readiness::Skip);
        pr.in_flight.pop();
        assert!(is_ready(&mut pr, 0));
    }

    #[test]
    fn with_one_request_in_flight_per_connection_a_partition_is_muted() {
        // Batch 1 is in flight; batch 2 waits behind it.
        let mut pc = config();
        pc.enable_idempotence = Some(false);
        let mut pr = producer();
        pr.idempotent = false;
        append(&mut pr, tp(0), 1, pc.batch_size, 0);
        append(&mut pr, tp(0), 2, pc.batch_size, 0);
        pr.acc.batches.get_mut(&BatchId(1)).unwrap().state = BatchState::InFlight;
        for (max_in_flight, muted) in [(1, true), (5, false)] {
            pc.max_in_flight_requests_per_connection = max_in_flight;
            let r = pr.readiness(0, tp(0), &pc, false, &mut Outbox::new());
            assert_eq!(r == Readiness::Skip, muted, "max.in.flight {max_in_flight}");
        }
    }

    #[test]
    fn a_retry_waits_out_its_backoff() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 0, 1);
        pr.acc.batches.get_mut(&BatchId(1)).unwrap().retry_at_ms = 100;
        assert_eq!(readiness(&mut pr, 50, tp(0)).0, Readiness::WakeAt(100));
        let drain = pr.plan_drain(50, &[tp(0)], &config(), false, &mut Outbox::new());
        assert_eq!(drain.wake_at, Some(100));
        assert!(is_ready(&mut pr, 100));
    }

    #[test]
    fn a_partition_without_a_leader_asks_for_metadata_and_looks_again_after_the_backoff() {
        let mut pr = producer();
        pr.metadata.partitions.get_mut(&tp(0)).unwrap().leader = None;
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        let at = 10 + config().retry_backoff_ms as u64;
        assert_eq!(readiness(&mut pr, 10, tp(0)).0, Readiness::WakeAt(at));
        assert!(pr.metadata.update_requested);
    }

    #[test]
    fn a_leader_whose_connection_closed_is_connected_again_first() {
        let mut pr = producer();
        pr.metadata.closed.push(BrokerId(0));
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        let (r, out) = readiness(&mut pr, 0, tp(0));
        assert_eq!(r, Readiness::Skip);
        let sent: Vec<_> = out.sent().map(|(_, to, m)| (to, m.clone())).collect();
        assert_eq!(sent, [(Node::Broker(BrokerId(0)), Msg::ApiVersions {})]);
        // One connection attempt at a time.
        assert!(readiness(&mut pr, 0, tp(0)).1.is_empty());
    }

    #[test]
    fn a_transactional_batch_waits_until_its_partition_is_in_the_transaction() {
        let mut pr = producer();
        pr.transactional_id = Some("t".into());
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        assert_eq!(readiness(&mut pr, 0, tp(0)).0, Readiness::Skip);
        pr.txn.added.push(tp(0));
        assert!(is_ready(&mut pr, 0));
    }

    #[test]
    fn a_new_batch_waits_while_its_partition_still_has_an_older_epochs_batches() {
        let mut pr = producer();
        sent_batch(&mut pr, tp(0), 1, 0, 1);
        in_flight(&mut pr, 1);
        append(&mut pr, tp(0), 2, config().batch_size, 0);
        assert!(is_ready(&mut pr, 0));
        pr.producer_id = Some((ProducerId(7), ProducerEpoch(1)));
        assert_eq!(readiness(&mut pr, 0, tp(0)).0, Readiness::Skip);
    }

    fn send(pr: &mut Producer, pc: &ProducerConfig, batches: &[u32]) -> Outbox {
        let to = Outgoing {
            broker: BrokerId(0),
            request_id: 42,
            arrive_ms: 13,
        };
        let ids = batches.iter().map(|b| BatchId(*b)).collect();
        let mut out = Outbox::new();
        pr.produce_request(10, to, ids, pc, |_| 0, &mut out);
        out
    }

    #[test]
    fn an_idempotent_producer_numbers_each_batch_on_its_first_send() {
        let mut pr = producer();
        append(&mut pr, tp(0), 1, config().batch_size, 0);
        append(&mut pr, tp(0), 2, 100, 0);
        let out = send(&mut pr, &config(), &[1, 2]);
        let seqs: Vec<_> = (pr.acc.batches.values())
            .map(|b| (b.base_seq, b.state, b.attempts))
            .collect();
        let in_flight = BatchState::InFlight;
        assert_eq!(seqs, [(Some(0), in_flight, 1), (Some(1), in_flight, 1)]);
        assert_eq!(pr.next_seq.get(&tp(0)), Some(&2));
        // Sent, Sent, the request, then its request.timeout.ms timer.
        assert_eq!(out.events().count(), 2);
        let Some((_, _, Msg::Produce { batches, .. })) = out.sent().next() else {
            panic!("{out:?}");
        };
        assert_eq!(
            batches[1].producer,
            Some((ProducerId(7), ProducerEpoch(0), 1))
        );
        let timeout = ProducerTimer::RequestTimeout {
            broker: BrokerId(0),
            request_id: 42,
        };
        let at = 10 + config().request_timeout_ms as u64;
        assert_eq!(
            out.timers().collect::<Vec<_>>(),
            [(at, &Action::from((P, timeout)))]
        );
        assert_eq!(pr.in_flight.len(), 1);
    }

    #[test]
    fn with_acks_zero_a_batch_is_acknowledged_once_written() {
        let mut pc = config();
        pc.acks = Acks::Zero;
        let mut pr = producer();
        pr.acks = Acks::Zero;
        append(&mut pr, tp(0), 1, 100, 0);
        let out = send(&mut pr, &pc, &[1]);
        assert!(pr.acc.is_empty() && pr.in_flight.is_empty());
        assert!(matches!(
            out.events().last(),
            Some(EventKind::Acked {
                first: None,
                acks_zero: true,
                ..
            })
        ));
        assert_eq!(out.timers().count(), 0);
    }

    #[test]
    fn a_timed_out_request_fails_its_batches_and_the_rest_of_its_connection_with_network_errors() {
        let mut pr = producer();
        let request = |request_id, broker, batches: &[u32]| InFlightRequest {
            request_id,
            broker: BrokerId(broker),
            batches: batches.iter().map(|b| BatchId(*b)).collect(),
            sent_ms: 0,
        };
        pr.in_flight = vec![
            request(1, 0, &[1, 2]),
            request(2, 1, &[3]),
            request(3, 0, &[4]),
        ];
        let lost = pr.connection_lost(BrokerId(0), Some(3));
        let (net, timed_out) = (ErrorCode::NetworkException, ErrorCode::RequestTimedOut);
        assert_eq!(
            lost,
            [
                (BatchId(1), net),
                (BatchId(2), net),
                (BatchId(4), timed_out)
            ]
        );
        assert_eq!(pr.in_flight, [request(2, 1, &[3])]);
        // A plain disconnect: every batch gets a network error.
        let lost = pr.connection_lost(BrokerId(1), None);
        assert_eq!(lost, [(BatchId(3), net)]);
        assert!(pr.in_flight.is_empty());
    }

    #[test]
    fn a_late_answer_to_a_request_no_longer_in_flight_is_ignored() {
        let mut pr = producer();
        pr.in_flight.push(InFlightRequest {
            request_id: 7,
            broker: BrokerId(0),
            batches: vec![],
            sent_ms: 0,
        });
        assert!(pr.request_answered(7));
        assert!(pr.in_flight.is_empty());
        assert!(!pr.request_answered(7), "answered, or timed out, already");
    }
}
