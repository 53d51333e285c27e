//! The producer's side of transactions (`TransactionManager` in the Java
//! client).
//!
//! ```text
//! initTransactions()      → InitProducerId(transactional.id): producer id + a bumped epoch
//! beginTransaction()      → client state only
//! send(record)            → first send to a partition: AddPartitionsToTxn, then Produce
//! sendOffsetsToTransaction(offsets, groupMetadata)
//!                         → AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator
//! commitTransaction()     → flush every batch, then EndTxn(commit)
//! abortTransaction()      → EndTxn(abort)
//! ```
//!
//! Records of a transaction are written to the log straight away, with the
//! producer id and epoch; whether anyone may *read* them is decided later by
//! the commit or abort marker. A producer whose epoch was bumped by a newer
//! instance is fenced: every request it makes is refused.
//!
//! A batch that fails for good (expired, or refused with
//! `INVALID_PRODUCER_EPOCH`) puts the producer in an *abortable error*: the
//! transaction would miss a record, so it can only be aborted. After the
//! abort, InitProducerId bumps the epoch so sequences start again at 0
//! (KIP-360). Only `PRODUCER_FENCED` is fatal.

use crate::engine::event::{ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::network::{CoordinatorKey, Msg};
use crate::engine::producer::ProducerTimer;
use crate::engine::producer::ProducerTxn;
use crate::engine::sim::{Action, Engine};

impl Engine {
    fn txn_target(
        &mut self,
        p: ProducerIdx,
    ) -> Option<(BrokerId, String, ProducerId, ProducerEpoch)> {
        let pr = &self.producers[p.0 as usize];
        let tid = pr.transactional_id.clone()?;
        let (pid, epoch) = pr.producer_id?;
        let key = CoordinatorKey::Transaction(tid.clone());
        let b = self.client_coordinator(Node::Producer(p), key)?;
        Some((b, tid, pid, epoch))
    }

    /// Sends a request to the producer's transaction coordinator, or, when
    /// none is known yet (no producer id, coordinator down), retries in
    /// 100 ms. Returns whether it was sent.
    fn txn_send(
        &mut self,
        p: ProducerIdx,
        request: impl FnOnce(String, ProducerId, ProducerEpoch) -> Msg,
    ) -> bool {
        let Some((b, tid, pid, epoch)) = self.txn_target(p) else {
            self.schedule_in(
                100,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::TxnRetry,
                },
            );
            return false;
        };
        self.send(Node::Producer(p), Node::Broker(b), request(tid, pid, epoch));
        true
    }

    pub(crate) fn cmd_begin_transaction(&mut self, p: ProducerIdx) -> Result<(), String> {
        let pi = self.check_producer(p)?;
        let pr = &self.producers[pi];
        if pr.transactional_id.is_none() {
            return Err(format!("{} has no transactional.id", pr.client_id));
        }
        if !pr.alive {
            return Err(format!("{} is not running", pr.client_id));
        }
        if pr.txn.fenced {
            return Err(format!(
                "{} was fenced by a newer instance (PRODUCER_FENCED)",
                pr.client_id
            ));
        }
        if pr.txn.open {
            return Err("a transaction is already open".into());
        }
        if pr.producer_id.is_none() {
            return Err("initTransactions() has not completed yet".into());
        }
        let pr = &mut self.producers[pi];
        pr.txn.open = true;
        pr.txn.records_in_txn = 0;
        self.emit(EventKind::TxnBegun { producer: p });
        Ok(())
    }

    pub(crate) fn cmd_end_transaction(
        &mut self,
        p: ProducerIdx,
        commit: bool,
    ) -> Result<(), String> {
        let pi = self.check_producer(p)?;
        let pr = &self.producers[pi];
        if !pr.txn.open {
            return Err("no transaction is open".into());
        }
        if pr.txn.ending.is_some() {
            return Err("the transaction is already ending".into());
        }
        self.producers[pi].txn.ending = Some(commit);
        self.producer_maybe_end_txn(p);
        Ok(())
    }

    /// The first record for a partition adds it to the transaction.
    pub(crate) fn producer_maybe_add_partition(&mut self, p: ProducerIdx, tp: Tp) {
        let pr = &self.producers[p.0 as usize];
        if !pr.txn.open || pr.txn.added.contains(&tp) || pr.txn.adding.contains(&tp) {
            return;
        }
        self.producers[p.0 as usize].txn.adding.push(tp);
        self.emit(EventKind::TxnPartitionAdded { producer: p, tp });
        self.producer_send_add_partitions(p);
    }

    fn producer_send_add_partitions(&mut self, p: ProducerIdx) {
        let partitions = self.producers[p.0 as usize].txn.adding.clone();
        if partitions.is_empty() {
            return;
        }
        self.txn_send(p, |transactional_id, producer_id, epoch| {
            Msg::AddPartitionsToTxn {
                transactional_id,
                producer_id,
                epoch,
                partitions,
            }
        });
    }

    /// `sendOffsetsToTransaction`: the consumer's offsets are committed only
    /// if the transaction commits (with the consumer's generation, KIP-447).
    pub(crate) fn producer_send_offsets(
        &mut self,
        p: ProducerIdx,
        group: GroupIdx,
        member_id: String,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
    ) {
        let pr = &mut self.producers[p.0 as usize];
        pr.txn.pending_offsets = Some((group, member_id, generation, offsets));
        pr.txn.offsets_state = 1;
        self.producer_send_add_offsets(p);
    }

    fn producer_send_add_offsets(&mut self, p: ProducerIdx) {
        let Some((group, ..)) = self.producers[p.0 as usize].txn.pending_offsets.clone() else {
            return;
        };
        self.txn_send(p, |transactional_id, producer_id, epoch| {
            Msg::AddOffsetsToTxn {
                transactional_id,
                producer_id,
                epoch,
                group,
            }
        });
    }

    fn producer_send_txn_offset_commit(&mut self, p: ProducerIdx) {
        let pr = &self.producers[p.0 as usize];
        let Some((group, member_id, generation, offsets)) = pr.txn.pending_offsets.clone() else {
            return;
        };
        let (Some(tid), Some((pid, epoch))) = (pr.transactional_id.clone(), pr.producer_id) else {
            return;
        };
        let Some(b) = self.client_coordinator(Node::Producer(p), CoordinatorKey::Group(group))
        else {
            self.schedule_in(
                100,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::TxnRetry,
                },
            );
            return;
        };
        self.producers[p.0 as usize].txn.offsets_state = 2;
        self.send(
            Node::Producer(p),
            Node::Broker(b),
            Msg::TxnOffsetCommit {
                transactional_id: tid,
                producer_id: pid,
                epoch,
                group,
                member_id,
                generation,
                offsets,
            },
        );
    }

    /// Sends EndTxn once every batch of the transaction is acknowledged and
    /// every partition and the offsets are part of it.
    pub(crate) fn producer_maybe_end_txn(&mut self, p: ProducerIdx) {
        let pr = &self.producers[p.0 as usize];
        let Some(commit) = pr.txn.ending else { return };
        if pr.txn.end_sent || !pr.alive || pr.txn.fenced {
            return;
        }
        if !pr.acc.is_empty() || pr.staging > 0 || !pr.txn.adding.is_empty() {
            return; // commitTransaction() flushes first
        }
        if matches!(pr.txn.offsets_state, 1 | 2) {
            return;
        }
        if self.txn_send(p, |transactional_id, producer_id, epoch| Msg::EndTxn {
            transactional_id,
            producer_id,
            epoch,
            commit,
        }) {
            self.producers[p.0 as usize].txn.end_sent = true;
        }
    }

    /// Resends whatever transactional request is outstanding.
    pub(crate) fn producer_txn_retry(&mut self, p: ProducerIdx) {
        let pr = &self.producers[p.0 as usize];
        if !pr.alive || pr.txn.fenced {
            return;
        }
        if !pr.txn.adding.is_empty() {
            self.producer_send_add_partitions(p);
        }
        match self.producers[p.0 as usize].txn.offsets_state {
            1 => self.producer_send_add_offsets(p),
            2 => self.producer_send_txn_offset_commit(p),
            _ => {}
        }
        if self.producers[p.0 as usize].txn.end_sent {
            self.producers[p.0 as usize].txn.end_sent = false;
        }
        self.producer_maybe_end_txn(p);
        self.producer_sender_run(p);
    }

    fn producer_fenced(&mut self, p: ProducerIdx, error: ErrorCode) {
        let pr = &mut self.producers[p.0 as usize];
        if pr.txn.fenced {
            return;
        }
        pr.txn.fenced = true;
        let epoch = pr.producer_id.map(|x| x.1).unwrap_or_default();
        let _ = error;
        self.emit(EventKind::ProducerFenced {
            producer: p,
            by_epoch: epoch,
        });
        self.processor_txn_finished(p, false);
    }

    pub(crate) fn producer_txn_receive(&mut self, p: ProducerIdx, _from: Node, msg: Msg) {
        if !self.producers[p.0 as usize].alive {
            return;
        }
        let retry_or_fence = |e: &mut Engine, error: ErrorCode| match error {
            ErrorCode::ProducerFenced | ErrorCode::InvalidProducerEpoch => {
                e.producer_fenced(p, error)
            }
            _ => e.schedule_in(
                100,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::TxnRetry,
                },
            ),
        };
        match msg {
            Msg::AddPartitionsToTxnResponse { error, partitions } => match error {
                None => {
                    let txn = &mut self.producers[p.0 as usize].txn;
                    for tp in partitions {
                        txn.adding.retain(|x| *x != tp);
                        if !txn.added.contains(&tp) {
                            txn.added.push(tp);
                        }
                    }
                    self.producer_sender_run(p);
                    self.producer_maybe_end_txn(p);
                }
                Some(e) => retry_or_fence(self, e),
            },
            Msg::AddOffsetsToTxnResponse { error, .. } => match error {
                None => self.producer_send_txn_offset_commit(p),
                Some(e) => retry_or_fence(self, e),
            },
            Msg::TxnOffsetCommitResponse { error, group } => match error {
                None => {
                    self.producers[p.0 as usize].txn.offsets_state = 3;
                    self.producer_maybe_end_txn(p);
                }
                Some(ErrorCode::IllegalGeneration) | Some(ErrorCode::UnknownMemberId) => {
                    // KIP-447: a consumer that lost its partitions cannot commit
                    // offsets in a transaction; the transaction must abort.
                    let error = error.unwrap_or(ErrorCode::CommitFailed);
                    if let Some(c) = self.producers[p.0 as usize].owner_consumer {
                        self.emit(EventKind::CommitFailed {
                            group,
                            consumer: c,
                            error,
                        });
                    }
                    let txn = &mut self.producers[p.0 as usize].txn;
                    txn.offsets_state = 3;
                    txn.ending = Some(false);
                    self.producer_maybe_end_txn(p);
                }
                Some(e) => retry_or_fence(self, e),
            },
            Msg::EndTxnResponse { error } => match error {
                None => {
                    let commit = self.producers[p.0 as usize].txn.ending.unwrap_or(false);
                    let pr = &mut self.producers[p.0 as usize];
                    pr.txn = ProducerTxn::default();
                    if pr.seq.bump_required {
                        // KIP-360: after aborting a transaction that lost a
                        // batch, InitProducerId bumps the epoch (the client
                        // is INITIALIZING until it answers), so the
                        // partitions' sequences start again at 0.
                        pr.producer_id = None;
                        pr.next_seq.clear();
                        pr.seq = Default::default();
                        self.producer_init_id(p);
                    }
                    self.processor_txn_finished(p, commit);
                }
                Some(ErrorCode::ConcurrentTransactions)
                | Some(ErrorCode::CoordinatorNotAvailable)
                | Some(ErrorCode::NotCoordinator) => {
                    self.producers[p.0 as usize].txn.end_sent = false;
                    self.schedule_in(
                        100,
                        Action::Producer {
                            producer: p,
                            timer: ProducerTimer::TxnRetry,
                        },
                    );
                }
                Some(e) => retry_or_fence(self, e),
            },
            other => self.unroutable(Node::Producer(p), &other),
        }
    }

    pub(crate) fn producer_txn_disconnected(&mut self, p: ProducerIdx, _b: BrokerId) {
        let pr = &self.producers[p.0 as usize];
        if pr.transactional_id.is_some()
            && (!pr.txn.adding.is_empty()
                || matches!(pr.txn.offsets_state, 1 | 2)
                || pr.txn.end_sent)
        {
            self.schedule_in(
                100,
                Action::Producer {
                    producer: p,
                    timer: ProducerTimer::TxnRetry,
                },
            );
        }
    }

    pub(crate) fn cmd_crash_producer(&mut self, p: ProducerIdx) -> Result<(), String> {
        let pi = self.check_producer(p)?;
        if !self.producers[pi].alive {
            return Err(format!("{} is not running", self.producers[pi].client_id));
        }
        self.producer_crash(p);
        Ok(())
    }

    /// The producer process dies: its buffers and in-flight requests are
    /// gone, its open transaction stays open at the coordinator.
    pub(crate) fn producer_crash(&mut self, p: ProducerIdx) {
        let pr = &mut self.producers[p.0 as usize];
        pr.alive = false;
        pr.acc.clear();
        pr.in_flight.clear();
        pr.staging = 0;
        pr.init_in_flight = false;
        self.emit(EventKind::ProducerCrashed { producer: p });
    }

    /// Starts a process again with the same configuration (and the same
    /// `transactional.id`): initTransactions fences the previous instance.
    pub(crate) fn producer_restart(&mut self, p: ProducerIdx) {
        let pr = &mut self.producers[p.0 as usize];
        pr.alive = true;
        pr.instance += 1;
        pr.producer_id = None;
        pr.init_in_flight = false;
        pr.next_seq.clear();
        pr.seq = Default::default();
        pr.acc.clear();
        pr.in_flight.clear();
        pr.staging = 0;
        pr.txn = ProducerTxn::default();
        // A new process bootstraps its metadata again.
        let (pc, owner) = (self.cfg.producers[p.0 as usize].clone(), pr.owner_consumer);
        self.producers[p.0 as usize].metadata = self.producer_bootstrap(&pc, owner);
        self.emit(EventKind::ProducerStarted {
            producer: p,
            zombie_of: None,
        });
        self.producer_init_id(p);
    }

    /// A second instance of a transactional producer starts while the first
    /// keeps running: the first becomes a zombie and is fenced.
    pub(crate) fn cmd_start_producer_instance(&mut self, p: ProducerIdx) -> Result<(), String> {
        let pi = self.check_producer(p)?;
        let cfg = self.cfg.producers[pi].clone();
        if cfg.transactional_id.is_none() {
            return Err(format!(
                "{} has no transactional.id to share",
                cfg.client_id
            ));
        }
        if self.producers.len() >= crate::engine::config::limits::MAX_PRODUCERS + 2 {
            return Err("too many producers in this scenario".into());
        }
        let idx = ProducerIdx(self.producers.len() as u16);
        let mut new_cfg = cfg.clone();
        new_cfg.client_id = format!("{}-2", cfg.client_id);
        new_cfg.workload.records = 0;
        std::sync::Arc::make_mut(&mut self.cfg)
            .producers
            .push(new_cfg.clone());
        let mut pr = self.producers[pi].clone();
        pr.idx = idx;
        pr.client_id = new_cfg.client_id.clone();
        pr.alive = true;
        pr.instance = 0;
        pr.producer_id = None;
        pr.init_in_flight = false;
        pr.next_seq.clear();
        pr.seq = Default::default();
        pr.acc.clear();
        pr.in_flight.clear();
        pr.staging = 0;
        pr.txn = ProducerTxn::default();
        pr.acked_records = 0;
        pr.failed_records = 0;
        pr.total_ack_latency_ms = 0;
        pr.owner_consumer = None;
        pr.next_event_id = 0;
        pr.workload_sent = 0;
        pr.metadata = self.producer_bootstrap(&new_cfg, None);
        self.producers.push(pr);
        self.acks_seen_grow();
        self.emit(EventKind::ProducerStarted {
            producer: idx,
            zombie_of: Some(p),
        });
        self.producer_init_id(idx);
        Ok(())
    }
}
