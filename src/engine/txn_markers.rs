//! Transaction markers at the partition leader (`WriteTxnMarkers`,
//! KIP-98).
//!
//! Once a transaction's outcome is decided (PrepareCommit or PrepareAbort
//! is in the transaction log), its coordinator sends WriteTxnMarkers to the
//! leader of every partition the transaction wrote to. Each leader appends
//! one **control record**, a COMMIT or ABORT marker that uses up one offset
//! (`ReplicaManager.appendRecords` with `origin = Coordinator`,
//! `ProducerStateManager.completeTxn`):
//!
//! - the producer's open transaction in that partition ends, so the **last
//!   stable offset** may move past it and `read_committed` consumers get
//!   the records (committed) or skip them (aborted, listed in the fetch
//!   answer's aborted transactions);
//! - the leader answers the coordinator only once the marker is replicated
//!   (the high watermark passed it), through the purgatory like an
//!   `acks=all` produce; a partition it no longer leads is answered
//!   `NOT_LEADER_OR_FOLLOWER` at once, and the coordinator retries.
//!
//! The marker itself is [`Broker::append_marker`]; the engine glue
//! settles the transaction's records in the delivery ledger and in the
//! consumer groups (a transactional offset commit becomes visible), and
//! puts the answer in the purgatory.

use crate::engine::broker::{Broker, DelayedKind, DelayedOp};
use crate::engine::event::{ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::log::ControlType;
use crate::engine::network::Msg;
use crate::engine::sim::Engine;

/// How long a marker waits for replication before its answer times out.
const MARKER_TIMEOUT_MS: u64 = 30_000;

impl Broker {
    /// Appends `control` for `producer_id` to `tp` (led here with
    /// `leader_epoch`). Returns its offset, and the records of the
    /// transaction in this partition that it commits or aborts.
    #[allow(clippy::too_many_arguments)]
    pub fn append_marker(
        &mut self,
        now_ms: u64,
        tp: Tp,
        batch: BatchId,
        leader_epoch: LeaderEpoch,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        control: ControlType,
    ) -> (Offset, Vec<RecordId>) {
        self.settle_quiet(tp, true);
        let rep = self.replicas.get_mut(&tp).expect("leader");
        let first = rep
            .log
            .producer_state()
            .entry(producer_id)
            .and_then(|e| e.current_txn_first_offset);
        let offset =
            rep.log
                .append_marker(producer_id, epoch, control, batch, leader_epoch, now_ms);
        let in_txn = match first {
            Some(first) => rep
                .log
                .read(first, offset, usize::MAX)
                .iter()
                .filter(|e| e.producer.is_some_and(|p| p.producer_id == producer_id))
                .filter_map(|e| e.record)
                .collect(),
            None => Vec::new(),
        };
        (offset, in_txn)
    }
}

impl Engine {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn broker_write_markers(
        &mut self,
        b: BrokerId,
        from: Node,
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        control: ControlType,
        partitions: Vec<Tp>,
    ) {
        let Node::Broker(coordinator) = from else {
            return;
        };
        let now = self.now_ms;
        for tp in partitions {
            let Some(leader_epoch) = self.brokers[b.0 as usize].led(tp).map(|l| l.epoch) else {
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::WriteTxnMarkersResponse {
                        transactional_id: transactional_id.clone(),
                        partitions: vec![(tp, Some(ErrorCode::NotLeaderOrFollower))],
                    },
                );
                continue;
            };
            let batch = BatchId(self.next_batch_id);
            self.next_batch_id += 1;
            let (offset, in_txn) = self.broker(b).append_marker(
                now,
                tp,
                batch,
                leader_epoch,
                producer_id,
                epoch,
                control,
            );
            // The transaction's records in this partition are now committed or aborted.
            self.txn_marker_settles(control, &in_txn);
            self.emit(EventKind::MarkerWritten {
                broker: b,
                tp,
                offset,
                control,
                producer_id,
            });
            self.broker_after_leader_append(b, tp);
            let id = self.next_id();
            let op = DelayedOp {
                id,
                waiting: crate::engine::broker::wait_for(tp, offset.next()),
                deadline_ms: now + MARKER_TIMEOUT_MS,
                kind: DelayedKind::Marker {
                    coordinator,
                    transactional_id: transactional_id.clone(),
                    tp,
                    producer_id,
                    control,
                },
            };
            self.broker_add_delayed(b, op);
        }
    }
}
