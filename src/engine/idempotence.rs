//! The idempotent producer's id and sequence numbers, and how it recovers
//! from a gap in them (KIP-98, KIP-360; `TransactionManager.java` and
//! `TxnPartitionMap.java` in `clients/src/main/java/org/apache/kafka/clients/producer/internals/`),
//! as methods of [`Producer`].
//!
//! An idempotent producer numbers each partition's batches from 0 under
//! its producer id and epoch; the broker keeps the last five batches per
//! producer and partition, drops a duplicate and refuses a gap
//! (OUT_OF_ORDER_SEQUENCE_NUMBER). The client keeps, per partition, the
//! epoch its sequence belongs to and the last sequence the broker
//! acknowledged ([`SeqState`]).
//!
//! - **The producer id** (InitProducerId): asked of any broker by an
//!   idempotent producer, of its transaction coordinator by a
//!   transactional one; retried after the backoff, and an answer meant
//!   for an earlier instance (same `transactional.id`) is ignored. A new
//!   id or epoch restarts every partition's sequence at 0.
//!
//! - **OUT_OF_ORDER_SEQUENCE_NUMBER** (`canRetry`): for a batch that is not
//!   the next after the last acknowledged one, an earlier batch is still on
//!   its way: retry and wait. For the next one it is a real gap: the
//!   idempotent producer asks for an epoch bump for that partition
//!   (`requestEpochBumpForPartition`); a transactional one cannot retry.
//! - **A batch that fails for good** (`handleFailedBatch`) leaves the same
//!   gap: the idempotent producer bumps its epoch, a transactional one
//!   enters an **abortable error** (the transaction would miss a record, so
//!   it can only be aborted; InitProducerId bumps the epoch after the abort).
//! - **A sent batch that expired** leaves its partition *unresolved*: the
//!   broker may or may not have it. Once nothing of it is in flight
//!   (`maybeResolveSequences`), either a later batch got through (resolved)
//!   or there is a gap (as above).
//! - **The bump** (`bumpIdempotentEpochAndResetIdIfNeeded`), at the start of
//!   the next sender run: no request, the broker accepts a higher epoch
//!   starting at sequence 0; the waiting batches of the partitions that
//!   asked for it are renumbered from 0 (`startSequencesAtBeginning`). At
//!   the last epoch the producer asks for a new producer id instead.
//!
//! The methods change only the producer and write what it shows into an
//! [`Outbox`]; a `true` answer means the producer just entered an abortable
//! error, and the engine glue then sees whether the transaction can end.
//! Unit-tested on a `Producer` alone.

use crate::engine::config::ProducerConfig;
use crate::engine::event::{ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::network::Msg;
use crate::engine::outbox::Outbox;
use crate::engine::producer::{Producer, ProducerTimer};
use crate::engine::vecmap::VecMap;

/// The client's sequence bookkeeping per partition (`TxnPartitionMap`) and
/// the epoch-bump flags of `TransactionManager` (KIP-360).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SeqState {
    /// The epoch each partition's sequence numbers belong to.
    pub epoch: VecMap<Tp, ProducerEpoch>,
    /// The last sequence the broker acknowledged, per partition.
    pub last_acked: VecMap<Tp, i32>,
    /// Partitions where a batch that was already sent expired: whether the
    /// broker has it is unknown (`partitionsWithUnresolvedSequences`, with
    /// the sequence after it). No new batch goes there until it is resolved.
    pub unresolved: VecMap<Tp, i32>,
    /// `epochBumpRequired`: the idempotent producer bumps its epoch locally
    /// at its next sender run; a transactional one, after its abort, with
    /// InitProducerId.
    pub bump_required: bool,
    /// `partitionsToRewriteSequences`: their batches restart at sequence 0.
    pub rewrite: Vec<Tp>,
}

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
    /// Whether the producer may ask for a producer id now: it is running
    /// and has no InitProducerId in flight.
    pub fn may_init_producer_id(&self) -> bool {
        self.alive && !self.init_in_flight
    }

    /// InitProducerId (`TransactionManager.initializeTransactions`, the
    /// idempotent producer's `InitProducerIdHandler`): to `target`, the
    /// transaction coordinator of a transactional producer or the least
    /// loaded broker of an idempotent one. With none known it asks again
    /// after `retry.backoff.ms` (at least 100 ms).
    pub fn init_producer_id(
        &mut self,
        now_ms: u64,
        target: Option<BrokerId>,
        pc: &ProducerConfig,
        out: &mut Outbox,
    ) {
        let Some(target) = target else {
            let backoff = (pc.retry_backoff_ms as u64).max(100);
            out.timer_at(now_ms + backoff, (self.idx, ProducerTimer::RetryInit));
            return;
        };
        self.init_in_flight = true;
        let request = Msg::InitProducerId {
            transactional_id: self.transactional_id.clone(),
            instance: self.instance,
        };
        out.send(Node::Producer(self.idx), Node::Broker(target), request);
    }

    /// The answer to InitProducerId. An answer meant for an earlier
    /// instance of this producer is ignored; an error is retried after
    /// `retry.backoff.ms`; a new producer id and epoch restart every
    /// partition's sequence at 0. Returns whether the producer now has its
    /// id (the glue then runs the sender and tells a processor waiting on it).
    pub fn handle_init_producer_id_response(
        &mut self,
        now_ms: u64,
        error: Option<ErrorCode>,
        (producer_id, epoch): (ProducerId, ProducerEpoch),
        instance: u32,
        pc: &ProducerConfig,
        out: &mut Outbox,
    ) -> bool {
        if instance != self.instance {
            return false;
        }
        self.init_in_flight = false;
        if error.is_some() {
            let at = now_ms + pc.retry_backoff_ms as u64;
            out.timer_at(at, (self.idx, ProducerTimer::RetryInit));
            return false;
        }
        self.producer_id = Some((producer_id, epoch));
        self.next_seq.clear();
        self.seq = SeqState::default();
        out.event(EventKind::ProducerIdAssigned {
            producer: self.idx,
            producer_id,
            epoch,
        });
        true
    }

    /// A connection closed while InitProducerId was in flight: the answer
    /// will not come, so the producer asks again after the backoff.
    pub fn init_connection_lost(&mut self, now_ms: u64, pc: &ProducerConfig, out: &mut Outbox) {
        if self.init_in_flight {
            self.init_in_flight = false;
            let at = now_ms + pc.retry_backoff_ms as u64;
            out.timer_at(at, (self.idx, ProducerTimer::RetryInit));
        }
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
    pub(crate) fn handle_failed_batch(
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
    pub(crate) fn abortable_error(&mut self, error: ErrorCode, out: &mut Outbox) -> bool {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sender::tests::{config, producer, sent_batch, tp};

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

    fn retry_init_at(out: &Outbox) -> Vec<u64> {
        let retry = crate::engine::sim::Action::from((ProducerIdx(0), ProducerTimer::RetryInit));
        out.timers()
            .filter(|(_, a)| **a == retry)
            .map(|(at, _)| at)
            .collect()
    }

    #[test]
    fn init_producer_id_goes_to_the_target_or_waits_at_least_100_ms_for_one() {
        let (mut pr, pc) = (producer(), config());
        pr.producer_id = None;
        let mut out = Outbox::new();
        pr.init_producer_id(10, None, &pc, &mut out);
        assert_eq!(
            retry_init_at(&out),
            [10 + (pc.retry_backoff_ms as u64).max(100)]
        );
        assert!(pr.may_init_producer_id());
        let mut out = Outbox::new();
        pr.init_producer_id(10, Some(BrokerId(2)), &pc, &mut out);
        let sent: Vec<_> = out.sent().map(|(_, to, m)| (to, m.clone())).collect();
        let request = Msg::InitProducerId {
            transactional_id: None,
            instance: 0,
        };
        assert_eq!(sent, [(Node::Broker(BrokerId(2)), request)]);
        assert!(!pr.may_init_producer_id(), "one at a time");
        // The connection closes before the answer: ask again after the backoff.
        let mut out = Outbox::new();
        pr.init_connection_lost(20, &pc, &mut out);
        assert_eq!(retry_init_at(&out), [20 + pc.retry_backoff_ms as u64]);
        assert!(pr.may_init_producer_id());
    }

    #[test]
    fn a_new_producer_id_restarts_every_sequence_and_an_older_instances_answer_is_ignored() {
        let (mut pr, pc) = (producer(), config());
        sent_batch(&mut pr, tp(0), 1, 3, 2);
        pr.seq.last_acked.insert(tp(0), 2);
        pr.init_in_flight = true;
        pr.instance = 1;
        let id = (ProducerId(8), ProducerEpoch(0));
        let mut out = Outbox::new();
        assert!(!pr.handle_init_producer_id_response(5, None, id, 0, &pc, &mut out));
        assert!(out.is_empty() && pr.init_in_flight, "meant for instance 0");
        let error = Some(ErrorCode::CoordinatorNotAvailable);
        assert!(!pr.handle_init_producer_id_response(5, error, id, 1, &pc, &mut out));
        assert_eq!(retry_init_at(&out), [5 + pc.retry_backoff_ms as u64]);
        let mut out = Outbox::new();
        assert!(pr.handle_init_producer_id_response(9, None, id, 1, &pc, &mut out));
        assert_eq!(pr.producer_id, Some(id));
        assert!(pr.next_seq.is_empty() && pr.seq == SeqState::default());
        assert!(matches!(
            out.events().next(),
            Some(EventKind::ProducerIdAssigned { .. })
        ));
    }
}
