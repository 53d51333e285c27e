//! Exactly-once stream processing: the consume-transform-produce loop
//! (KIP-98 + KIP-447), and what transaction markers settle.
//!
//! A consumer in `CommitMode::Transactional` owns a transactional producer.
//! For every batch that `poll()` returns it:
//!
//! 1. `beginTransaction()`;
//! 2. processes each record and sends the result to the output topic — inside
//!    the transaction;
//! 3. `sendOffsetsToTransaction(positions, groupMetadata)` — its consumer
//!    offsets are written into the *same* transaction;
//! 4. `commitTransaction()`.
//!
//! Either the outputs and the offsets both become visible (COMMIT markers),
//! or neither does (ABORT). If the process dies mid-way, the transaction is
//! aborted (by the timeout, or when the restarted instance calls
//! `initTransactions()` and fences the old epoch), the offsets were never
//! committed, and the records are processed again — but the first attempt's
//! outputs are invisible to `read_committed` readers. That is why the delivery
//! ledger counts a record as processed when its output's transaction commits.

use crate::engine::config::CommitMode;
use crate::engine::consumer::{AfterCommit, AppState, ConsumerTimer};
use crate::engine::event::{CrashPoint, EventKind};
use crate::engine::ids::*;
use crate::engine::log::ControlType;
use crate::engine::producer::ProducerTimer;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::{Action, Engine};

impl Engine {
    pub(crate) fn group_is_transactional(&self, g: GroupIdx) -> bool {
        self.cfg.groups[g.0 as usize].commit_mode == CommitMode::Transactional
    }

    /// Gives a new transactional consumer its producer (`transactional.id`
    /// `<group>-<label>`, stable across restarts so a restart fences the
    /// previous instance).
    pub(crate) fn processor_attach(&mut self, c: ConsumerIdx) {
        let con = &self.consumers[c.0 as usize];
        let g = con.group;
        if !self.group_is_transactional(g) || con.txn_producer.is_some() {
            return;
        }
        let gc = self.cfg.groups[g.0 as usize].clone();
        let idx = ProducerIdx(self.producers.len() as u16);
        let mut pc = crate::engine::config::ProducerConfig::default();
        pc.client_id = format!("processor-{}", con.label);
        pc.transactional_id = Some(format!("{}-{}", gc.group_id, con.label));
        pc.workload.records = 0;
        pc.workload.topic = gc.output_topic.clone().unwrap_or_default();
        std::sync::Arc::make_mut(&mut self.cfg)
            .producers
            .push(pc.clone());
        let metadata = self.producer_bootstrap(&pc, Some(c));
        self.producers.push(crate::engine::producer::Producer::new(
            idx,
            &pc,
            true,
            Some(c),
            metadata,
        ));
        self.acks_seen_grow();
        self.consumers[c.0 as usize].txn_producer = Some(idx);
        self.producer_init_id(idx);
    }

    /// Called when the producer has its id: a batch may be waiting.
    pub(crate) fn processor_producer_ready(&mut self, p: ProducerIdx) {
        let Some(c) = self.producers[p.0 as usize].owner_consumer else {
            return;
        };
        let con = &self.consumers[c.0 as usize];
        if con.alive
            && con.app == AppState::Processing
            && !con.current.is_empty()
            && !self.producers[p.0 as usize].txn.open
        {
            self.processor_begin(c);
        }
    }

    /// Starts the transaction for a freshly polled batch. Returns false if
    /// the producer is not ready yet (the batch waits).
    pub(crate) fn processor_begin(&mut self, c: ConsumerIdx) -> bool {
        let Some(p) = self.consumers[c.0 as usize].txn_producer else {
            return false;
        };
        if self.producers[p.0 as usize].producer_id.is_none() || !self.producers[p.0 as usize].alive
        {
            self.consumers[c.0 as usize].app = AppState::Processing;
            return false;
        }
        if self.producers[p.0 as usize].txn.open {
            return true;
        }
        if self.cmd_begin_transaction(p).is_err() {
            return false;
        }
        self.consumer_rule(c, |con, now, out| con.start_processing(now, out));
        true
    }

    /// A record was processed: its transformed copy goes to the output topic,
    /// inside the transaction.
    pub(crate) fn processor_emit_output(&mut self, c: ConsumerIdx, record: RecordId) {
        let con = &self.consumers[c.0 as usize];
        let Some(p) = con.txn_producer else { return };
        let g = con.group;
        let Some(topic) = self.cfg.groups[g.0 as usize]
            .output_topic
            .clone()
            .and_then(|t| self.topic_id(&t))
        else {
            return;
        };
        let src = self.records[record.0 as usize].clone();
        let id = RecordId(self.records.len() as u32);
        self.records.push(RecordData {
            id,
            event_id: src.event_id,
            producer: Some(p),
            topic,
            key: match src.key_text() {
                Some(k) => KeySource::Text(k),
                None => KeySource::Null,
            },
            value: ValueSource::Transformed { from: record },
            kind: RecordKind::Output {
                source: src.event_id,
                group: g,
            },
            created_ms: self.now_ms,
            partition: None,
            explicit_partition: None,
        });
        self.producers[p.0 as usize].staging += 1;
        self.schedule_in(
            0,
            Action::Producer {
                producer: p,
                timer: ProducerTimer::Create { record: id },
            },
        );
    }

    /// The batch is processed: commit its offsets with the transaction.
    pub(crate) fn processor_batch_done(&mut self, c: ConsumerIdx) {
        let con = &self.consumers[c.0 as usize];
        let Some(p) = con.txn_producer else { return };
        let offsets: Vec<(Tp, Offset)> = con.positions.iter().map(|(t, o)| (*t, *o)).collect();
        let (g, member, generation) = (
            con.group,
            con.member_id.clone().unwrap_or_default(),
            con.generation,
        );
        self.consumers[c.0 as usize].app = AppState::Committing {
            commit_id: 0,
            then: AfterCommit::NextRecord,
        };
        if !offsets.is_empty() {
            self.producer_send_offsets(p, g, member, generation, offsets);
        }
        let _ = self.cmd_end_transaction(p, true);
    }

    /// The producer's transaction ended (committed, aborted or fenced).
    pub(crate) fn processor_txn_finished(&mut self, p: ProducerIdx, committed: bool) {
        let Some(c) = self.producers[p.0 as usize].owner_consumer else {
            return;
        };
        let con = &self.consumers[c.0 as usize];
        if !con.alive || !matches!(con.app, AppState::Committing { commit_id: 0, .. }) {
            return;
        }
        if committed {
            self.consumers[c.0 as usize].positions_committed();
            if self.consumer_crash_if_armed(c, CrashPoint::AfterCommit) {
                return;
            }
        } else {
            // Aborted: go back to the committed offsets and process again.
            self.consumers[c.0 as usize].rewind_to_committed();
            if self.producers[p.0 as usize].txn.fenced {
                // A fenced producer cannot continue: this instance is a zombie.
                self.emit(EventKind::Note {
                    text: format!(
                        "Consumer {}'s producer was fenced: this instance stops; a restarted one takes over with a new epoch.",
                        self.consumers[c.0 as usize].label
                    ),
                });
                return;
            }
        }
        let con = &mut self.consumers[c.0 as usize];
        con.app = AppState::Polling;
        if !con.offsets_pending.is_empty() {
            self.consumer_send_offset_fetch_pub(c);
        }
        self.consumer_set_timer(c, 0, ConsumerTimer::Poll);
    }

    /// The consumer process died: its producer (same process) dies with it.
    pub(crate) fn consumer_txn_crashed(&mut self, c: ConsumerIdx) {
        if let Some(p) = self.consumers[c.0 as usize].txn_producer {
            if self.producers[p.0 as usize].alive {
                self.producer_crash(p);
            }
        }
    }

    /// A restarted transactional consumer restarts its producer too:
    /// initTransactions() fences the old epoch and aborts what it left open.
    pub(crate) fn consumer_txn_restarted(&mut self, c: ConsumerIdx) {
        if let Some(p) = self.consumers[c.0 as usize].txn_producer {
            self.producer_restart(p);
        }
    }

    /// The end of a consumer's message routing: nothing a consumer is sent
    /// lands here (its transactional producer receives the transaction
    /// responses), so anything that does is a routing bug.
    pub(crate) fn consumer_txn_receive(
        &mut self,
        c: ConsumerIdx,
        _from: crate::engine::event::Node,
        msg: crate::engine::network::Msg,
    ) {
        self.unroutable(crate::engine::event::Node::Consumer(c), &msg);
    }

    /// A marker was written after `records` (a transaction's records in one
    /// partition): outputs of exactly-once processing count (commit) or
    /// vanish (abort).
    pub(crate) fn txn_marker_settles(&mut self, control: ControlType, records: &[RecordId]) {
        let commit = control == ControlType::Commit;
        for r in records {
            match self.records[r.0 as usize].kind {
                RecordKind::Output { source, group } => {
                    self.ledger.settle_output(source, group, commit)
                }
                RecordKind::Data if !commit => self.ledger.mark_aborted(*r),
                _ => {}
            }
        }
    }

    /// A marker for `pid` on a `__consumer_offsets` partition is replicated
    /// (the WriteTxnMarkers append, acks=all, completed): the group
    /// coordinator's `onTransactionCompleted` makes the offsets committed in
    /// the transaction the group's committed offsets (commit) or drops them
    /// (abort). Until then they are pending, and an OffsetFetch that
    /// requires stable offsets gets `UNSTABLE_OFFSET_COMMIT`.
    pub(crate) fn txn_marker_replicated(&mut self, tp: Tp, pid: ProducerId, control: ControlType) {
        let commit = control == ControlType::Commit;
        for gi in 0..self.groups.len() {
            if self.groups[gi].offsets_tp != tp {
                continue;
            }
            let Some(offsets) = self.groups[gi].pending_txn_offsets.remove(&pid) else {
                continue;
            };
            if commit {
                for (otp, off) in offsets {
                    self.groups[gi].committed.insert(otp, off);
                    self.emit(EventKind::Committed {
                        group: GroupIdx(gi as u16),
                        consumer: None,
                        tp: otp,
                        offset: off,
                        auto: false,
                        transactional: true,
                    });
                }
            }
        }
    }
}
