//! The transaction coordinator (KIP-98, KIP-447) and producer ids.
//!
//! Every producer that wants idempotence first asks a broker for a producer
//! id (InitProducerId). A *transactional* producer asks its transaction
//! coordinator — the leader of partition `abs(hash(transactional.id)) % 50`
//! of `__transaction_state` — which also bumps the epoch so that any older
//! instance with the same `transactional.id` is fenced.
//!
//! This file currently implements producer id allocation. Transactions
//! (AddPartitionsToTxn, EndTxn, markers, LSO) are issue #5.

use crate::engine::controller::TRANSACTION_STATE;
use crate::engine::event::{ErrorCode, Node};
use crate::engine::ids::*;
use crate::engine::java::partition_for_id;
use crate::engine::network::Msg;
use crate::engine::sim::Engine;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TxnCoordinator {}

impl TxnCoordinator {
    pub(crate) fn has_pending_work(&self) -> bool {
        false
    }
}

impl Engine {
    pub(crate) fn init_txn(&mut self) {}

    /// The broker coordinating `transactional_id`, if it is up.
    pub(crate) fn txn_coordinator_for(&self, transactional_id: &str) -> Option<BrokerId> {
        let t = self.topic_id(TRANSACTION_STATE)?;
        let n = self.topic(t).partitions.len() as u32;
        let tp = Tp::new(t, partition_for_id(transactional_id, n));
        self.leader_of(tp)
            .filter(|b| self.brokers[b.0 as usize].alive)
    }

    pub(crate) fn txn_coordinator_moved(&mut self, _tp: Tp) {}

    pub(crate) fn txn_coordinator_receive(&mut self, b: BrokerId, from: Node, msg: Msg) {
        if let Msg::InitProducerId {
            transactional_id: None,
            instance,
        } = msg
        {
            let id = ProducerId(self.next_producer_id);
            self.next_producer_id += 1;
            self.send(
                Node::Broker(b),
                from,
                Msg::InitProducerIdResponse {
                    error: None,
                    producer_id: id,
                    epoch: ProducerEpoch(0),
                    instance,
                },
            );
        } else if let Msg::InitProducerId {
            transactional_id: Some(_),
            instance,
        } = msg
        {
            self.send(
                Node::Broker(b),
                from,
                Msg::InitProducerIdResponse {
                    error: Some(ErrorCode::CoordinatorNotAvailable),
                    producer_id: ProducerId(-1),
                    epoch: ProducerEpoch(-1),
                    instance,
                },
            );
        }
    }

    pub(crate) fn txn_log_written(
        &mut self,
        _b: BrokerId,
        _tid: String,
        _error: Option<ErrorCode>,
    ) {
    }

    pub(crate) fn txn_markers_written(
        &mut self,
        _b: BrokerId,
        _tid: String,
        _parts: Vec<(Tp, Option<ErrorCode>)>,
    ) {
    }

    pub(crate) fn txn_timeout_check(&mut self) {}

    pub(crate) fn producer_txn_receive(&mut self, _p: ProducerIdx, _from: Node, _msg: Msg) {}

    pub(crate) fn producer_txn_disconnected(&mut self, _p: ProducerIdx, _b: BrokerId) {}

    pub(crate) fn producer_maybe_add_partition(&mut self, _p: ProducerIdx, _tp: Tp) {}

    pub(crate) fn producer_maybe_end_txn(&mut self, _p: ProducerIdx) {}

    pub(crate) fn consumer_txn_receive(&mut self, _c: ConsumerIdx, _from: Node, _msg: Msg) {}

    pub(crate) fn consumer_txn_crashed(&mut self, _c: ConsumerIdx) {}

    pub(crate) fn cmd_begin_transaction(&mut self, p: ProducerIdx) -> Result<(), String> {
        self.check_producer(p)?;
        Err("transactions are not available yet".into())
    }

    pub(crate) fn cmd_end_transaction(
        &mut self,
        p: ProducerIdx,
        _commit: bool,
    ) -> Result<(), String> {
        self.check_producer(p)?;
        Err("transactions are not available yet".into())
    }

    pub(crate) fn cmd_crash_producer(&mut self, p: ProducerIdx) -> Result<(), String> {
        self.check_producer(p)?;
        Err("producer crashes are not available yet".into())
    }

    pub(crate) fn cmd_start_producer_instance(&mut self, p: ProducerIdx) -> Result<(), String> {
        self.check_producer(p)?;
        Err("producer instances are not available yet".into())
    }
}
