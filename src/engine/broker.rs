//! A broker: the replicas it hosts, and what a partition leader and a
//! follower do with Produce and Fetch requests.
//!
//! **Leader side** (`Partition.scala`, `ReplicaManager.scala`):
//! - *Produce*: append to the local log (after the idempotence checks in
//!   [`crate::engine::producer_state`]), then answer according to `acks`:
//!   `0` never, `1` right away, `all` once the high watermark has passed the
//!   batch (the request waits in "purgatory"). With `acks=all` and an ISR
//!   smaller than `min.insync.replicas`, nothing is written
//!   (`NOT_ENOUGH_REPLICAS`). A waiting request is decided partition by
//!   partition (`DelayedProduce`): a partition whose HW passed its batch
//!   keeps its success even if another partition of the same request then
//!   times out (`REQUEST_TIMED_OUT`) or loses its leader.
//! - *Fetch from a follower*: the fetch offset **is** the follower's log end
//!   offset, so each fetch tells the leader how far the follower got. That
//!   moves the follower's `lastCaughtUpTimeMs`, may add it back to the ISR,
//!   and may advance the HW (`maybeIncrementLeaderHW`: the minimum LEO over
//!   the ISR and caught-up replicas; never while the ISR is below
//!   `min.insync.replicas`, since Kafka 3.7).
//! - *ISR expiration*: every `replica.lag.time.max.ms / 2` the leader drops
//!   followers that have not caught up within `replica.lag.time.max.ms`.
//!
//! The rules themselves (HW, ISR expansion and shrink) belong to one
//! partition's leader state and live in
//! [`crate::engine::partition_leader`], where they are tested alone; the
//! broker gathers what they need (the ISR, which brokers are usable, the
//! time) and acts on their answers.
//!
//! **Follower side** (`ReplicaFetcherThread`, in
//! [`crate::engine::replica_fetcher`]): one fetch session per leader
//! broker, always one request in flight; append what comes back, take the
//! HW as `min(leader HW, own LEO)`, and truncate when the leader reports a
//! diverging epoch (KIP-101/KIP-320/KIP-595) — the moment an unreplicated
//! record vanishes. The follower truncates to the smaller of the leader's
//! end offset for that epoch and its **own** (from its own leader epoch
//! cache, [`PartitionLog::truncation_offset_for_diverging`]), and asks
//! again with the epoch it has left until the leader agrees.
//!
//! Fetch requests with nothing to return wait at the leader ("long poll")
//! for up to their max wait, and are answered as soon as data arrives.

use crate::engine::config::{Acks, IsolationLevel};
use crate::engine::event::{DropReason, ErrorCode, EventKind, Node};
use crate::engine::fetch_session::FollowerSession;
use crate::engine::ids::*;
use crate::engine::log::{AppendBatch, AppendOutcome, LogEntry, PartitionLog};
use crate::engine::network::{BatchResult, FetchPartition, FetchPartitionData, Msg, WireBatch};
pub use crate::engine::partition_leader::{FollowerProgress, LeaderState};
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

/// Fetches return at most this many entries per partition (a stand-in for
/// `max.partition.fetch.bytes` / `replica.fetch.max.bytes`).
pub const MAX_FETCH_ENTRIES: usize = 2_000;

/// A broker's own timers, dispatched by [`Engine::broker_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerTimer {
    /// A parked fetch waited its `max_wait_ms`: answer it as it is.
    FetchWaitExpired { fetch_id: u64 },
    /// An acks=all produce waited its timeout in purgatory.
    DelayedProduceExpired { request_id: u64 },
    /// The leader's periodic ISR check (`replica.lag.time.max.ms / 2`).
    IsrExpiration,
    /// The follower fetches from `leader` again after an error.
    FollowerFetchBackoff { leader: BrokerId },
    /// A stalled follower's fetcher resumes.
    FetcherResume,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub log: PartitionLog,
    /// `Some` while this replica is the partition leader.
    pub leader: Option<LeaderState>,
}

pub use crate::engine::purgatory::{DelayedKind, DelayedOp};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedFetch {
    pub fetch_id: u64,
    pub from: Node,
    pub replica: Option<BrokerId>,
    pub isolation: IsolationLevel,
    pub max_records: u32,
    pub partitions: Vec<FetchPartition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub id: BrokerId,
    pub alive: bool,
    /// Fenced by the controller (its session expired); cleared on restart.
    pub fenced: bool,
    pub incarnation: u32,
    /// Copy-on-write, so snapshots share the replicas that did not change.
    pub replicas: VecMap<Tp, crate::engine::cow_vec::Shared<Replica>>,
    /// Follower fetch sessions: leader broker -> in-flight fetch id.
    pub fetchers: VecMap<BrokerId, Option<u64>>,
    pub parked: Vec<ParkedFetch>,
    pub delayed: Vec<DelayedOp>,
    /// While set, this broker's replica fetchers are stalled (a fault).
    pub fetch_stalled_until_ms: Option<u64>,
    /// As a leader: each follower's fetch session (KIP-227).
    pub follower_sessions: VecMap<BrokerId, FollowerSession>,
    /// As a follower: which partitions it fetches from each leader (a
    /// cache, see `replica_fetcher.rs`).
    pub fetch_plans: crate::engine::replica_fetcher::FetchPlans,
}

impl Broker {
    /// `tp`'s leader state was replaced or dropped: its deferred fetch
    /// records belonged to the old one and go with it.
    pub(crate) fn forget_quiet(&mut self, tp: Tp) {
        if !crate::engine::fetch_session::ENABLED {
            return;
        }
        for s in self.follower_sessions.values_mut() {
            if let Some(i) = s.position(tp) {
                s.quiet[i] = false;
            }
        }
    }

    /// Settles every quiet partition of `follower`'s session: the session
    /// starts again, or a test compares with an eager run.
    fn settle_session(&mut self, follower: BrokerId) {
        let quiet = match self.follower_sessions.get(&follower) {
            Some(s) => s.quiet_positions(),
            None => return,
        };
        for i in quiet {
            self.settle_quiet_at(follower, i, true);
        }
    }

    /// Writes down the deferred fetch record of `parts[i]` in `follower`'s
    /// session (see `fetch_session.rs`), and with `unmark` ends its quiet.
    fn settle_quiet_at(&mut self, follower: BrokerId, i: usize, unmark: bool) {
        let Some(s) = self.follower_sessions.get_mut(&follower) else {
            return;
        };
        if !s.quiet[i] {
            return;
        }
        let (tp, offset, at_ms) = (s.parts[i].tp, s.parts[i].fetch_offset, s.last_fetch_ms);
        if unmark {
            s.quiet[i] = false;
        }
        if let Some(rep) = self.replicas.get_mut(&tp) {
            let rep: &mut Replica = rep;
            let leo = rep.log.leo();
            if let Some(leader) = rep.leader.as_mut() {
                leader.record_fetch(follower, offset, leo, at_ms);
            }
        }
    }
    pub fn new(id: BrokerId) -> Broker {
        Broker {
            id,
            alive: true,
            fenced: false,
            incarnation: 0,
            replicas: VecMap::new(),
            fetchers: VecMap::new(),
            parked: Vec::new(),
            delayed: Vec::new(),
            fetch_stalled_until_ms: None,
            follower_sessions: VecMap::new(),
            fetch_plans: Default::default(),
        }
    }

    pub(crate) fn add_replica(&mut self, tp: Tp) {
        self.replicas.insert(
            tp,
            crate::engine::cow_vec::Shared::new(Replica {
                log: PartitionLog::new(),
                leader: None,
            }),
        );
    }

    pub fn replica(&self, tp: Tp) -> Option<&Replica> {
        self.replicas.get(&tp).map(|r| &**r)
    }

    pub fn is_leader(&self, tp: Tp) -> bool {
        self.alive && self.replicas.get(&tp).is_some_and(|r| r.leader.is_some())
    }

    pub(crate) fn has_pending_work(&self) -> bool {
        // A crashed broker the controller has not fenced yet: the fence will come.
        (self.alive && !self.delayed.is_empty()) || (!self.alive && !self.fenced)
    }
}

impl Engine {
    /// Runs one of broker `b`'s timers.
    pub(crate) fn broker_timer(&mut self, b: BrokerId, timer: BrokerTimer) {
        match timer {
            BrokerTimer::FetchWaitExpired { fetch_id } => {
                self.broker_fetch_wait_expired(b, fetch_id)
            }
            BrokerTimer::DelayedProduceExpired { request_id } => {
                self.broker_delayed_produce_expired(b, request_id)
            }
            BrokerTimer::IsrExpiration => self.broker_isr_expiration(b),
            BrokerTimer::FollowerFetchBackoff { leader } => self.broker_follower_fetch(b, leader),
            BrokerTimer::FetcherResume => self.broker_resume_fetching(b),
        }
    }

    pub(crate) fn broker(&mut self, b: BrokerId) -> &mut Broker {
        &mut self.brokers[b.0 as usize]
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    // ---- leadership ---------------------------------------------------------

    pub(crate) fn broker_become_leader(&mut self, b: BrokerId, tp: Tp, epoch: LeaderEpoch) {
        let now = self.now_ms;
        let meta = self.partition_meta(tp).clone();
        let broker = self.broker(b);
        let Some(rep) = broker.replicas.get_mut(&tp) else {
            return;
        };
        let followers = meta
            .replicas
            .iter()
            .filter(|r| **r != b)
            .map(|r| (*r, FollowerProgress::new(meta.isr.contains(r), now)))
            .collect();
        rep.leader = Some(LeaderState { epoch, followers });
        rep.log.assign_epoch_start(epoch);
        broker.forget_quiet(tp);
        // Its own fetcher for this partition stops.
        self.broker_start_fetchers(b);
        self.broker_maybe_increment_hw(b, tp);
    }

    pub(crate) fn broker_become_follower(&mut self, b: BrokerId, tp: Tp) {
        let was_leader = {
            let broker = self.broker(b);
            match broker.replicas.get_mut(&tp) {
                Some(rep) => rep.leader.take().is_some(),
                None => return,
            }
        };
        self.broker(b).forget_quiet(tp);
        if was_leader {
            self.broker_fail_delayed_for(b, tp, ErrorCode::NotLeaderOrFollower);
        }
        self.broker_start_fetchers(b);
    }

    /// Completes every delayed operation that waits on `tp` with an error
    /// (the broker stopped leading it). A delayed produce answers for each
    /// of its partitions separately (`DelayedProduce`): only `tp`'s status
    /// gets the error, and the request completes once no partition is pending.
    fn broker_fail_delayed_for(&mut self, b: BrokerId, tp: Tp, error: ErrorCode) {
        let ops: Vec<DelayedOp> = {
            let broker = self.broker(b);
            let (fail, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut broker.delayed)
                .into_iter()
                .partition(|op| op.waits_on(tp));
            broker.delayed = keep;
            fail
        };
        for mut op in ops {
            if matches!(op.kind, DelayedKind::Produce { .. }) {
                op.partition_done(tp, Some(error));
                if !op.waiting.is_empty() {
                    self.broker(b).delayed.push(op);
                    continue;
                }
            }
            self.complete_delayed(b, op, Some(error));
        }
    }

    // ---- crash --------------------------------------------------------------

    pub(crate) fn broker_crash(&mut self, b: BrokerId) {
        let broker = self.broker(b);
        broker.alive = false;
        broker.parked.clear();
        broker.delayed.clear();
        broker.fetchers.clear();
        broker.follower_sessions.clear();
        for rep in broker.replicas.values_mut() {
            rep.leader = None;
        }
        // Its TCP connections close: every peer notices one latency later.
        let mut peers: Vec<Node> = Vec::new();
        for p in 0..self.producers.len() {
            peers.push(Node::Producer(ProducerIdx(p as u16)));
        }
        for c in 0..self.consumers.len() {
            peers.push(Node::Consumer(ConsumerIdx(c as u16)));
        }
        for o in 0..self.brokers.len() {
            if o != b.0 as usize {
                peers.push(Node::Broker(BrokerId(o as u16)));
            }
        }
        for node in peers {
            if self.node_alive(node) {
                let delay = self.latency_ms(Node::Broker(b), node);
                self.schedule_in(delay, Action::Disconnect { node, broker: b });
            }
        }
    }

    pub(crate) fn broker_disconnected(&mut self, b: BrokerId, peer: BrokerId) {
        if !self.brokers[b.0 as usize].alive {
            return;
        }
        if let Some(slot) = self.broker(b).fetchers.get_mut(&peer) {
            if slot.is_some() {
                *slot = None;
                let backoff = 1_000; // replica.fetch.backoff.ms
                self.schedule_in(
                    backoff,
                    Action::Broker {
                        broker: b,
                        timer: BrokerTimer::FollowerFetchBackoff { leader: peer },
                    },
                );
            }
        }
    }

    // ---- receive --------------------------------------------------------------

    pub(crate) fn broker_receive(&mut self, b: BrokerId, from: Node, msg: Msg) {
        match msg {
            Msg::Metadata {} => self.broker_handle_metadata(b, from),
            Msg::ApiVersions {} => self.send(Node::Broker(b), from, Msg::ApiVersionsResponse {}),
            Msg::FindCoordinator { key } => {
                let coordinator = self
                    .current_coordinator(&key)
                    .ok_or(ErrorCode::CoordinatorNotAvailable);
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::FindCoordinatorResponse { key, coordinator },
                );
            }
            Msg::Produce {
                request_id,
                acks,
                timeout_ms,
                batches,
            } => self.broker_handle_produce(b, from, request_id, acks, timeout_ms, batches),
            Msg::Fetch {
                fetch_id,
                replica,
                isolation,
                max_wait_ms,
                max_records,
                partitions,
            } => self.broker_handle_fetch(
                b,
                from,
                fetch_id,
                replica,
                isolation,
                max_wait_ms,
                max_records,
                partitions,
            ),
            Msg::FetchResponse {
                fetch_id,
                partitions,
            } => {
                if let Node::Broker(leader) = from {
                    self.broker_handle_fetch_response(b, leader, fetch_id, partitions)
                }
            }
            Msg::ListOffsets {
                isolation,
                partitions,
            } => {
                let mut out = Vec::new();
                for (tp, reset) in partitions {
                    let res = match self.brokers[b.0 as usize].replicas.get(&tp) {
                        Some(r) if r.leader.is_some() => Ok(match reset {
                            crate::engine::config::AutoOffsetReset::Earliest => r.log.log_start(),
                            _ => match isolation {
                                IsolationLevel::ReadCommitted => r.log.lso(),
                                IsolationLevel::ReadUncommitted => r.log.hw(),
                            },
                        }),
                        _ => Err(ErrorCode::NotLeaderOrFollower),
                    };
                    out.push((tp, res));
                }
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::ListOffsetsResponse { partitions: out },
                );
            }
            Msg::WriteTxnMarkers {
                transactional_id,
                producer_id,
                epoch,
                control,
                partitions,
            } => self.broker_write_markers(
                b,
                from,
                transactional_id,
                producer_id,
                epoch,
                control,
                partitions,
            ),
            Msg::WriteTxnMarkersResponse {
                transactional_id,
                partitions,
            } => self.txn_markers_written(b, transactional_id, partitions),
            other => self.coordinator_receive(b, from, other),
        }
    }

    fn broker_handle_produce(
        &mut self,
        b: BrokerId,
        from: Node,
        request_id: u64,
        acks: Acks,
        timeout_ms: u32,
        batches: Vec<WireBatch>,
    ) {
        let now = self.now_ms;
        let mut results = Vec::new();
        let mut waiting = Vec::new();
        for wb in batches {
            let tp = wb.tp;
            let meta = self.partition_meta(tp).clone();
            let min_isr = self.topic(tp.topic).effective_min_isr();
            let leader_epoch = match self.brokers[b.0 as usize]
                .replicas
                .get(&tp)
                .and_then(|r| r.leader.as_ref())
            {
                Some(l) => l.epoch,
                None => {
                    results.push(BatchResult {
                        batch: wb.batch,
                        tp,
                        result: Err(ErrorCode::NotLeaderOrFollower),
                        duplicate: false,
                    });
                    continue;
                }
            };
            if acks == Acks::All && meta.isr.len() < min_isr {
                results.push(BatchResult {
                    batch: wb.batch,
                    tp,
                    result: Err(ErrorCode::NotEnoughReplicas),
                    duplicate: false,
                });
                continue;
            }
            self.broker_settle_quiet(b, tp, true);
            let outcome = {
                let rep = self.brokers[b.0 as usize]
                    .replicas
                    .get_mut(&tp)
                    .expect("leader has the replica");
                rep.log.append_as_leader(
                    &AppendBatch {
                        batch: wb.batch,
                        records: &wb.records,
                        producer: wb.producer,
                        transactional: wb.transactional,
                    },
                    leader_epoch,
                    now,
                )
            };
            match outcome {
                AppendOutcome::Appended {
                    first_offset,
                    last_offset,
                } => {
                    let (leo, hw) = {
                        let log = &self.brokers[b.0 as usize].replicas[&tp].log;
                        (log.leo(), log.hw())
                    };
                    self.emit(EventKind::Appended {
                        broker: b,
                        tp,
                        batch: wb.batch,
                        records: wb.records.clone(),
                        first: first_offset,
                        leo,
                        hw,
                        epoch: leader_epoch,
                    });
                    self.broker_after_leader_append(b, tp);
                    waiting.push((tp, last_offset.next()));
                    results.push(BatchResult {
                        batch: wb.batch,
                        tp,
                        result: Ok(first_offset),
                        duplicate: false,
                    });
                }
                AppendOutcome::Duplicate {
                    first_offset,
                    last_offset,
                } => {
                    self.emit(EventKind::DuplicateDropped {
                        broker: b,
                        tp,
                        batch: wb.batch,
                        records: wb.records.clone(),
                        first: first_offset,
                    });
                    waiting.push((tp, last_offset.next()));
                    results.push(BatchResult {
                        batch: wb.batch,
                        tp,
                        result: Ok(first_offset),
                        duplicate: true,
                    });
                }
                AppendOutcome::OutOfOrder { .. } => results.push(BatchResult {
                    batch: wb.batch,
                    tp,
                    result: Err(ErrorCode::OutOfOrderSequenceNumber),
                    duplicate: false,
                }),
                // `ProducerAppendInfo.checkProducerEpoch`: since Kafka 2.7 a
                // produce with an older epoch gets INVALID_PRODUCER_EPOCH,
                // transactional or not (no longer PRODUCER_FENCED), so the
                // client can abort its transaction instead of dying.
                AppendOutcome::StaleEpoch => results.push(BatchResult {
                    batch: wb.batch,
                    tp,
                    result: Err(ErrorCode::InvalidProducerEpoch),
                    duplicate: false,
                }),
            }
        }
        match acks {
            // No response to carry an error: the broker closes the
            // connection instead, so the producer refreshes its metadata
            // (`KafkaApis.handleProduceRequest`, acks=0).
            Acks::Zero if results.iter().any(|r| r.result.is_err()) => {
                let delay = self.latency_ms(Node::Broker(b), from);
                self.schedule_in(
                    delay,
                    Action::Disconnect {
                        node: from,
                        broker: b,
                    },
                );
            }
            Acks::Zero => {}
            Acks::One => self.send(
                Node::Broker(b),
                from,
                Msg::ProduceResponse {
                    request_id,
                    results,
                },
            ),
            Acks::All => {
                let id = self.next_id();
                let op = DelayedOp {
                    id,
                    waiting,
                    deadline_ms: now + timeout_ms as u64,
                    kind: DelayedKind::Produce {
                        from,
                        request_id,
                        results,
                    },
                };
                self.broker_add_delayed(b, op);
            }
        }
    }

    /// Registers a delayed operation, completing it at once if possible.
    pub(crate) fn broker_add_delayed(&mut self, b: BrokerId, mut op: DelayedOp) {
        if let Some(error) = self.delayed_status(b, &mut op) {
            self.complete_delayed(b, op, error);
            return;
        }
        let (deadline, id) = (op.deadline_ms, op.id);
        self.broker(b).delayed.push(op);
        self.schedule(
            deadline,
            Action::Broker {
                broker: b,
                timer: BrokerTimer::DelayedProduceExpired { request_id: id },
            },
        );
    }

    /// `tryComplete` for one op ([`DelayedOp::try_complete`]), with each of
    /// its partitions as this broker sees it now.
    fn delayed_status(&self, b: BrokerId, op: &mut DelayedOp) -> crate::engine::purgatory::Status {
        let broker = &self.brokers[b.0 as usize];
        op.try_complete(|tp| {
            let rep = broker.replicas.get(&tp).filter(|r| r.leader.is_some())?;
            Some(crate::engine::purgatory::PartitionView {
                hw: rep.log.hw(),
                under_min_isr: self.partition_meta(tp).isr.len()
                    < self.topic(tp.topic).effective_min_isr(),
            })
        })
    }

    pub(crate) fn broker_delayed_produce_expired(&mut self, b: BrokerId, id: u64) {
        let Some(pos) = self.brokers[b.0 as usize]
            .delayed
            .iter()
            .position(|op| op.id == id)
        else {
            return;
        };
        let mut op = self.broker(b).delayed.remove(pos);
        let error = op.expire();
        self.complete_delayed(b, op, error);
    }

    fn broker_try_complete_delayed(&mut self, b: BrokerId, tp: Tp) {
        let mut i = 0;
        while i < self.brokers[b.0 as usize].delayed.len() {
            if !self.brokers[b.0 as usize].delayed[i].waits_on(tp) {
                i += 1;
                continue;
            }
            let mut op = self.brokers[b.0 as usize].delayed[i].clone();
            match self.delayed_status(b, &mut op) {
                None => {
                    self.broker(b).delayed[i] = op;
                    i += 1;
                }
                Some(error) => {
                    self.broker(b).delayed.remove(i);
                    self.complete_delayed(b, op, error);
                }
            }
        }
    }

    fn complete_delayed(&mut self, b: BrokerId, op: DelayedOp, error: Option<ErrorCode>) {
        match op.kind {
            DelayedKind::Produce {
                from,
                request_id,
                results,
            } => {
                // Each partition's status was set as it stopped pending.
                let _ = error;
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::ProduceResponse {
                        request_id,
                        results,
                    },
                );
            }
            DelayedKind::OffsetCommit {
                group,
                from,
                commit_id,
                offsets,
                auto,
                member,
            } => {
                self.group_commit_completed(b, group, from, commit_id, offsets, auto, member, error)
            }
            DelayedKind::TxnOffsetCommit { group, from } => {
                let error = error.map(|_| ErrorCode::CoordinatorNotAvailable);
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::TxnOffsetCommitResponse { error, group },
                );
            }
            DelayedKind::TxnLog { transactional_id } => {
                self.txn_log_written(b, transactional_id, error)
            }
            DelayedKind::Marker {
                coordinator,
                transactional_id,
                tp,
                producer_id,
                control,
            } => {
                if error.is_none() {
                    self.txn_marker_replicated(tp, producer_id, control);
                }
                self.send(
                    Node::Broker(b),
                    Node::Broker(coordinator),
                    Msg::WriteTxnMarkersResponse {
                        transactional_id,
                        partitions: vec![(tp, error)],
                    },
                );
            }
        }
    }

    /// After any leader append: the HW may move (a lone ISR) and parked
    /// fetches may now have data.
    pub(crate) fn broker_after_leader_append(&mut self, b: BrokerId, tp: Tp) {
        self.broker_maybe_increment_hw(b, tp);
        self.broker_wake_parked(b, tp);
    }

    /// Appends internal records (offset commits, transaction log) as the
    /// partition leader. Returns the offset after the last one, or an error.
    pub(crate) fn broker_internal_append(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: &[RecordId],
    ) -> Result<Offset, ErrorCode> {
        self.broker_internal_append_as(b, tp, records, None)
    }

    /// As [`Engine::broker_internal_append`], optionally as part of a
    /// producer's transaction (TxnOffsetCommit writes with its id and epoch).
    pub(crate) fn broker_internal_append_as(
        &mut self,
        b: BrokerId,
        tp: Tp,
        records: &[RecordId],
        txn: Option<(ProducerId, ProducerEpoch)>,
    ) -> Result<Offset, ErrorCode> {
        let now = self.now_ms;
        let batch = BatchId(self.next_batch_id);
        self.next_batch_id += 1;
        self.broker_settle_quiet(b, tp, true);
        let rep = match self.brokers[b.0 as usize].replicas.get_mut(&tp) {
            Some(r) if r.leader.is_some() => r,
            _ => return Err(ErrorCode::NotCoordinator),
        };
        let epoch = rep.leader.as_ref().map(|l| l.epoch).unwrap_or_default();
        match rep.log.append_as_leader(
            &AppendBatch {
                batch,
                records,
                producer: txn.map(|(pid, e)| (pid, e, -1)),
                transactional: txn.is_some(),
            },
            epoch,
            now,
        ) {
            AppendOutcome::Appended {
                first_offset,
                last_offset,
            } => {
                let leo = rep.log.leo();
                self.emit(EventKind::InternalAppended {
                    broker: b,
                    tp,
                    records: records.to_vec(),
                    first: first_offset,
                    leo,
                });
                self.broker_after_leader_append(b, tp);
                Ok(last_offset.next())
            }
            AppendOutcome::StaleEpoch => Err(ErrorCode::ProducerFenced),
            _ => Err(ErrorCode::NotCoordinator),
        }
    }

    // ---- high watermark and ISR -------------------------------------------------

    /// `Partition.maybeIncrementLeaderHW`.
    /// Advances the HW of the partition `b` leads when its rule allows it
    /// ([`LeaderState::high_watermark`]), then completes what waited for it.
    pub(crate) fn broker_maybe_increment_hw(&mut self, b: BrokerId, tp: Tp) {
        let now = self.now_ms;
        let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
        let min_isr = self.topic(tp.topic).effective_min_isr();
        let brokers = &self.brokers;
        let Some(rep) = brokers[b.0 as usize].replicas.get(&tp) else {
            return;
        };
        let Some(leader) = rep.leader.as_ref() else {
            return;
        };
        let isr = &self.controller.partition(tp).isr;
        let usable = |id: BrokerId| {
            let x = &brokers[id.0 as usize];
            x.alive && !x.fenced
        };
        let Some(new_hw) = leader.high_watermark(rep.log.leo(), isr, min_isr, now, lag, usable)
        else {
            return;
        };
        if new_hw <= rep.log.hw() {
            return;
        }
        self.broker_settle_quiet(b, tp, true);
        let rep = self.brokers[b.0 as usize]
            .replicas
            .get_mut(&tp)
            .expect("checked above");
        rep.log.set_hw(new_hw);
        let hw = rep.log.hw();
        self.emit(EventKind::HighWatermark {
            broker: b,
            tp,
            hw,
            leader: true,
        });
        self.broker_try_complete_delayed(b, tp);
        self.broker_wake_parked(b, tp);
    }

    pub(crate) fn broker_isr_expiration(&mut self, b: BrokerId) {
        if !self.brokers[b.0 as usize].alive {
            return;
        }
        let now = self.now_ms;
        let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
        let led: Vec<Tp> = self.brokers[b.0 as usize]
            .replicas
            .iter()
            .filter(|(_, r)| r.leader.is_some())
            .map(|(tp, _)| *tp)
            .collect();
        for tp in led {
            self.broker_settle_quiet(b, tp, false);
            let isr = self.partition_meta(tp).isr.clone();
            let rep = &self.brokers[b.0 as usize].replicas[&tp];
            let leader = rep.leader.as_ref().expect("led");
            let out = leader.out_of_sync(b, &isr, rep.log.leo(), now, lag);
            if !out.is_empty() {
                let new_isr: Vec<BrokerId> =
                    isr.iter().copied().filter(|r| !out.contains(r)).collect();
                self.controller_alter_partition(tp, b, leader.epoch, new_isr);
                self.broker_maybe_increment_hw(b, tp);
                self.broker_try_complete_delayed(b, tp);
            }
        }
        self.schedule_in(
            lag / 2,
            Action::Broker {
                broker: b,
                timer: BrokerTimer::IsrExpiration,
            },
        );
    }

    // ---- fetch: leader side ------------------------------------------------------

    /// Settles `tp`'s deferred fetch records in every follower session of
    /// `b` before something reads or changes what they depend on; with
    /// `unmark` (an append, a new high watermark) `tp` is no longer quiet.
    pub(crate) fn broker_settle_quiet(&mut self, b: BrokerId, tp: Tp, unmark: bool) {
        let broker = &mut self.brokers[b.0 as usize];
        if !crate::engine::fetch_session::ENABLED || broker.follower_sessions.is_empty() {
            return;
        }
        let places: Vec<(BrokerId, usize)> = broker
            .follower_sessions
            .iter()
            .filter_map(|(f, s)| s.position(tp).filter(|i| s.quiet[*i]).map(|i| (*f, i)))
            .collect();
        for (f, i) in places {
            broker.settle_quiet_at(f, i, unmark);
        }
    }

    /// Whether leaders defer the fetch records of quiet partitions (the
    /// default). Off, every fetch is recorded for every partition as it
    /// comes: the tests play both ways and compare.
    #[doc(hidden)]
    pub fn set_fetch_sessions(&mut self, on: bool) {
        if !on {
            // Sessions the warm-up left behind end here, their deferred
            // records written down.
            self.settle_fetch_sessions();
            for broker in &mut self.brokers {
                broker.follower_sessions.clear();
            }
        }
        self.fetch_sessions = on;
    }

    /// Settles every deferred fetch record, so that the leaders' view of
    /// their followers can be compared with an eager run's.
    #[doc(hidden)]
    pub fn settle_fetch_sessions(&mut self) {
        for broker in &mut self.brokers {
            let followers: Vec<BrokerId> = broker.follower_sessions.keys().copied().collect();
            for f in followers {
                broker.settle_session(f);
            }
        }
    }

    /// A follower's fetch: records it for each partition of its session
    /// (`updateFollowerFetchState`), except a quiet partition asked for
    /// unchanged, whose record is deferred (`fetch_session.rs`).
    fn broker_record_follower_fetch(
        &mut self,
        b: BrokerId,
        r: BrokerId,
        fetch_id: u64,
        partitions: &[FetchPartition],
        now: u64,
        lag: u64,
    ) {
        if !crate::engine::fetch_session::ENABLED || !self.fetch_sessions {
            // Every partition's fetch recorded as it comes.
            for fp in partitions {
                self.broker_update_follower(b, r, fp, now, lag);
            }
            return;
        }
        let gen = self.controller.generation();
        let continues = self.brokers[b.0 as usize]
            .follower_sessions
            .get(&r)
            .is_some_and(|s| s.continues(gen, partitions));
        if !continues {
            // A full fetch: the old session's deferred records first.
            self.brokers[b.0 as usize].settle_session(r);
        }
        let mut skipped = vec![false; partitions.len()];
        for (i, fp) in partitions.iter().enumerate() {
            if continues {
                let s = &self.brokers[b.0 as usize].follower_sessions[&r];
                if s.skips(i, fp) {
                    skipped[i] = true;
                    continue;
                }
                self.brokers[b.0 as usize].settle_quiet_at(r, i, true);
            }
            self.broker_update_follower(b, r, fp, now, lag);
        }
        // A settle during the loop (an append, a new HW) ends a skipped
        // partition's quiet; the others are quiet if they have nothing new.
        let quiet: Vec<bool> = partitions
            .iter()
            .enumerate()
            .map(|(i, fp)| {
                if skipped[i] {
                    self.brokers[b.0 as usize].follower_sessions[&r].quiet[i]
                } else {
                    self.broker_is_quiet(b, r, fp)
                }
            })
            .collect();
        let sessions = &mut self.brokers[b.0 as usize].follower_sessions;
        if sessions.get(&r).is_none() {
            sessions.insert(r, FollowerSession::default());
        }
        let s = sessions.get_mut(&r).expect("inserted");
        s.fetch_id = fetch_id;
        s.meta_gen = gen;
        s.last_fetch_ms = now;
        s.parts.clear();
        s.parts.extend_from_slice(partitions);
        s.quiet = quiet;
    }

    /// Whether follower `r`'s fetch `fp` leaves nothing to do until the
    /// partition changes: `r` is in the ISR, the leader recorded it at the
    /// log end, and the read has nothing for it (no records, no new high
    /// watermark, no epoch to correct).
    fn broker_is_quiet(&self, b: BrokerId, r: BrokerId, fp: &FetchPartition) -> bool {
        self.broker_has_nothing_for(b, fp)
            && self.brokers[b.0 as usize]
                .replicas
                .get(&fp.tp)
                .and_then(|rep| rep.leader.as_ref())
                .and_then(|leader| leader.followers.get(&r))
                .is_some_and(|f| f.leo == fp.fetch_offset)
            && self.partition_meta(fp.tp).isr.contains(&r)
    }

    /// Whether a follower's fetch `fp` would read nothing from leader `b`:
    /// no records, no high watermark it lacks, no epoch to correct (the
    /// shortcut at the top of `broker_read_fetch`).
    fn broker_has_nothing_for(&self, b: BrokerId, fp: &FetchPartition) -> bool {
        let broker = &self.brokers[b.0 as usize];
        let Some(rep) = broker.replicas.get(&fp.tp) else {
            return false;
        };
        let (Some(leader), Some(follower_hw)) = (rep.leader.as_ref(), fp.follower_hw) else {
            return false;
        };
        let log = &rep.log;
        broker.alive
            && fp.current_leader_epoch == leader.epoch
            && fp.fetch_offset == log.leo()
            && fp
                .last_fetched_epoch
                .is_none_or(|e| log.latest_epoch() == Some(e))
            && log.hw().min(fp.fetch_offset) <= follower_hw
    }

    #[allow(clippy::too_many_arguments)]
    fn broker_handle_fetch(
        &mut self,
        b: BrokerId,
        from: Node,
        fetch_id: u64,
        replica: Option<BrokerId>,
        isolation: IsolationLevel,
        max_wait_ms: u32,
        max_records: u32,
        partitions: Vec<FetchPartition>,
    ) {
        let now = self.now_ms;
        let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
        // Followers' fetch offsets update their progress first.
        if let Some(r) = replica {
            self.broker_record_follower_fetch(b, r, fetch_id, &partitions, now, lag);
        }
        let parked = ParkedFetch {
            fetch_id,
            from,
            replica,
            isolation,
            max_records,
            partitions,
        };
        let (data, has_news) = self.broker_read_fetch(b, &parked);
        if has_news || max_wait_ms == 0 {
            self.send(
                Node::Broker(b),
                from,
                Msg::FetchResponse {
                    fetch_id,
                    partitions: data,
                },
            );
        } else {
            self.broker(b).parked.push(parked);
            self.schedule_in(
                max_wait_ms as u64,
                Action::Broker {
                    broker: b,
                    timer: BrokerTimer::FetchWaitExpired { fetch_id },
                },
            );
        }
    }

    /// `Partition.updateFollowerFetchState` + `maybeExpandIsr` + HW.
    fn broker_update_follower(
        &mut self,
        b: BrokerId,
        follower: BrokerId,
        fp: &FetchPartition,
        now: u64,
        _lag: u64,
    ) {
        let tp = fp.tp;
        let Some(rep) = self.brokers[b.0 as usize].replicas.get_mut(&tp) else {
            return;
        };
        let rep: &mut Replica = rep;
        let leader_leo = rep.log.leo();
        let hw = rep.log.hw();
        let Some(leader) = rep.leader.as_mut() else {
            return;
        };
        if fp.current_leader_epoch != leader.epoch {
            return;
        }
        let leader_epoch = leader.epoch;
        // A diverging follower does not count as having reached its fetch offset.
        if let Some(e) = fp.last_fetched_epoch {
            match rep.log.end_offset_for_epoch(e) {
                Some((found, end)) if found == e && end >= fp.fetch_offset => {}
                _ => return,
            }
        }
        let epoch_start = rep
            .log
            .epoch_start_offset(leader.epoch)
            .unwrap_or(Offset(0));
        let Some(before) = leader.record_fetch(follower, fp.fetch_offset, leader_leo, now) else {
            return;
        };
        let follower_leo = fp.fetch_offset;
        let in_isr = self.partition_meta(tp).isr.contains(&follower);
        let usable =
            self.brokers[follower.0 as usize].alive && !self.brokers[follower.0 as usize].fenced;
        if !in_isr && LeaderState::may_join_isr(follower_leo, hw, epoch_start, usable) {
            let mut new_isr = self.partition_meta(tp).isr.clone();
            new_isr.push(follower);
            // Keep assignment order for display.
            let order = self.partition_meta(tp).replicas.clone();
            crate::engine::vecmap::sort_small_by_key(&mut new_isr, |r| {
                order.iter().position(|x| x == r)
            });
            self.controller_alter_partition(tp, b, leader_epoch, new_isr);
        }
        if before != follower_leo || !in_isr {
            self.broker_maybe_increment_hw(b, tp);
        }
    }

    /// Reads what a fetch may return right now; `has_news` if anything to send.
    fn broker_read_fetch(&self, b: BrokerId, f: &ParkedFetch) -> (Vec<FetchPartitionData>, bool) {
        let broker = &self.brokers[b.0 as usize];
        let session = f
            .replica
            .filter(|_| crate::engine::fetch_session::ENABLED)
            .and_then(|r| broker.follower_sessions.get(&r));
        let mut out = Vec::new();
        let mut news = false;
        for (i, fp) in f.partitions.iter().enumerate() {
            // A quiet partition has nothing for the follower (see
            // `fetch_session.rs`): what the checks below would conclude.
            if session.is_some_and(|s| s.quiet_for(f.fetch_id, i)) {
                // Every change to a quiet partition's log ends its quiet
                // (`broker_settle_quiet`): a new way to change a leader's
                // log that forgets to do so stops the tests here.
                debug_assert!(
                    self.broker_has_nothing_for(b, fp),
                    "{tp:?} on broker {b} changed while quiet",
                    tp = fp.tp
                );
                continue;
            }
            let tp = fp.tp;
            let mut d = FetchPartitionData {
                tp,
                error: None,
                hw: Offset(0),
                lso: Offset(0),
                log_start: Offset(0),
                entries: Vec::new(),
                diverging: None,
                aborted: Vec::new(),
            };
            let rep = match broker.replicas.get(&tp) {
                Some(r) if r.leader.is_some() && broker.alive => r,
                _ => {
                    d.error = Some(ErrorCode::NotLeaderOrFollower);
                    news = true;
                    out.push(d);
                    continue;
                }
            };
            let leader = rep.leader.as_ref().expect("checked");
            let log = &rep.log;
            // The common case first: a follower's partition with nothing new
            // (no records, no high watermark it lacks), in the leader's epoch
            // and without divergence, is left out at once. The checks below
            // reach the same answer, one field at a time.
            if let Some(follower_hw) = fp.follower_hw {
                if fp.current_leader_epoch >= leader.epoch
                    && fp.fetch_offset == log.leo()
                    && fp
                        .last_fetched_epoch
                        .is_none_or(|e| log.latest_epoch() == Some(e))
                    && log.hw().min(fp.fetch_offset) <= follower_hw
                {
                    continue;
                }
            }
            d.hw = log.hw();
            d.lso = log.lso();
            d.log_start = log.log_start();
            if f.replica.is_some() && fp.current_leader_epoch < leader.epoch {
                d.error = Some(ErrorCode::FencedLeaderEpoch);
                news = true;
                out.push(d);
                continue;
            }
            if f.replica.is_some() {
                if let Some(e) = fp.last_fetched_epoch {
                    match log.end_offset_for_epoch(e) {
                        Some((found, end)) if found == e && end >= fp.fetch_offset => {}
                        Some((found, end)) => {
                            d.diverging = Some((found, end));
                            news = true;
                            out.push(d);
                            continue;
                        }
                        None => {
                            d.diverging = Some((LeaderEpoch(-1), log.log_start()));
                            news = true;
                            out.push(d);
                            continue;
                        }
                    }
                }
            }
            let upper = match (f.replica, f.isolation) {
                (Some(_), _) => log.leo(),
                (None, IsolationLevel::ReadUncommitted) => log.hw(),
                (None, IsolationLevel::ReadCommitted) => log.lso(),
            };
            if fp.fetch_offset > log.leo() || fp.fetch_offset < log.log_start() {
                d.error = Some(ErrorCode::OffsetOutOfRange);
                news = true;
                out.push(d);
                continue;
            }
            let max = (f.max_records as usize).min(MAX_FETCH_ENTRIES);
            let entries: Vec<LogEntry> = log.read(fp.fetch_offset, upper, max);
            // An incremental fetch-session response (KIP-227) leaves out a
            // partition that would change nothing on the follower.
            if entries.is_empty()
                && fp
                    .follower_hw
                    .is_some_and(|fhw| d.hw.min(fp.fetch_offset) <= fhw)
            {
                continue;
            }
            if !entries.is_empty() {
                news = true;
                if f.isolation == IsolationLevel::ReadCommitted && f.replica.is_none() {
                    let end = entries
                        .last()
                        .map(|e| e.offset.next())
                        .unwrap_or(fp.fetch_offset);
                    d.aborted = log.aborted_txns(fp.fetch_offset, end);
                }
                d.entries = entries;
            }
            out.push(d);
        }
        (out, news)
    }

    /// Answers parked fetches that include `tp` if they now have data.
    fn broker_wake_parked(&mut self, b: BrokerId, tp: Tp) {
        let mut i = 0;
        while i < self.brokers[b.0 as usize].parked.len() {
            let pf = &self.brokers[b.0 as usize].parked[i];
            if !pf.partitions.iter().any(|p| p.tp == tp) {
                i += 1;
                continue;
            }
            let (data, news) = self.broker_read_fetch(b, pf);
            if news {
                let pf = self.broker(b).parked.remove(i);
                self.send(
                    Node::Broker(b),
                    pf.from,
                    Msg::FetchResponse {
                        fetch_id: pf.fetch_id,
                        partitions: data,
                    },
                );
            } else {
                i += 1;
            }
        }
    }

    pub(crate) fn broker_fetch_wait_expired(&mut self, b: BrokerId, fetch_id: u64) {
        let Some(pos) = self.brokers[b.0 as usize]
            .parked
            .iter()
            .position(|p| p.fetch_id == fetch_id)
        else {
            return;
        };
        let pf = self.broker(b).parked.remove(pos);
        let (data, _) = self.broker_read_fetch(b, &pf);
        self.send(
            Node::Broker(b),
            pf.from,
            Msg::FetchResponse {
                fetch_id,
                partitions: data,
            },
        );
    }

    // ---- transaction markers ---------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn broker_write_markers(
        &mut self,
        b: BrokerId,
        from: Node,
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        control: crate::engine::log::ControlType,
        partitions: Vec<Tp>,
    ) {
        let Node::Broker(coordinator) = from else {
            return;
        };
        let now = self.now_ms;
        for tp in partitions {
            let leader_epoch = match self.brokers[b.0 as usize]
                .replicas
                .get(&tp)
                .and_then(|r| r.leader.as_ref())
            {
                Some(l) => l.epoch,
                None => {
                    self.send(
                        Node::Broker(b),
                        from,
                        Msg::WriteTxnMarkersResponse {
                            transactional_id: transactional_id.clone(),
                            partitions: vec![(tp, Some(ErrorCode::NotLeaderOrFollower))],
                        },
                    );
                    continue;
                }
            };
            let batch = BatchId(self.next_batch_id);
            self.next_batch_id += 1;
            self.broker_settle_quiet(b, tp, true);
            let (offset, first) = {
                let rep = self.brokers[b.0 as usize]
                    .replicas
                    .get_mut(&tp)
                    .expect("leader");
                let first = rep
                    .log
                    .producer_state()
                    .entry(producer_id)
                    .and_then(|e| e.current_txn_first_offset);
                (
                    rep.log
                        .append_marker(producer_id, epoch, control, batch, leader_epoch, now),
                    first,
                )
            };
            // The transaction's records in this partition are now committed or aborted.
            let in_txn: Vec<RecordId> = match first {
                Some(first) => self.brokers[b.0 as usize].replicas[&tp]
                    .log
                    .read(first, offset, usize::MAX)
                    .iter()
                    .filter(|e| e.producer.is_some_and(|p| p.producer_id == producer_id))
                    .filter_map(|e| e.record)
                    .collect(),
                None => Vec::new(),
            };
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
            let timeout = 30_000;
            let op = DelayedOp {
                id,
                waiting: vec![(tp, offset.next())],
                deadline_ms: now + timeout,
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

/// Drop-reason helper used by clients when a response is lost on purpose.
/// One partition of a delayed produce stops pending: with `error`, its
/// result becomes that error (the record may be in the log all the same);
/// without, it keeps its success.
pub(crate) fn injected_drop(
    from: Node,
    to: Node,
    kind: crate::engine::event::MsgKind,
) -> EventKind {
    EventKind::MessageDropped {
        from,
        to,
        kind,
        why: DropReason::Injected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::ScenarioConfig;

    /// One broker leading both partitions of "events" (RF 1); nothing written.
    fn engine() -> (Engine, BrokerId, Tp, Tp) {
        let mut c = ScenarioConfig::default();
        c.cluster.brokers = 1;
        c.topics[0].partitions = 2;
        c.topics[0].replication_factor = 1;
        c.groups.clear();
        let e = Engine::new(c).expect("valid config");
        let t = e.topic_id("events").unwrap();
        (e, BrokerId(0), Tp::new(t, 0), Tp::new(t, 1))
    }

    fn produce_op(e: &mut Engine, waiting: Vec<(Tp, Offset)>) -> DelayedOp {
        let results = waiting
            .iter()
            .enumerate()
            .map(|(i, (tp, _))| BatchResult {
                batch: BatchId(900 + i as u32),
                tp: *tp,
                result: Ok(Offset(0)),
                duplicate: false,
            })
            .collect();
        DelayedOp {
            id: e.next_id(),
            waiting,
            deadline_ms: e.now_ms + 30_000,
            kind: DelayedKind::Produce {
                from: Node::Producer(ProducerIdx(0)),
                request_id: 4242,
                results,
            },
        }
    }

    fn response(e: &Engine) -> Vec<(Tp, Result<Offset, ErrorCode>)> {
        e.queued_messages()
            .into_iter()
            .find_map(|(_, m)| match m {
                Msg::ProduceResponse {
                    request_id: 4242,
                    results,
                } => Some(results.iter().map(|r| (r.tp, r.result)).collect()),
                _ => None,
            })
            .expect("the produce request was answered")
    }

    #[test]
    fn a_delayed_produce_that_expires_times_out_only_its_pending_partitions() {
        let (mut e, b, tp0, tp1) = engine();
        // tp0's HW (0) has reached its required offset; tp1's never will.
        let op = produce_op(&mut e, vec![(tp0, Offset(0)), (tp1, Offset(1))]);
        let id = op.id;
        e.broker_add_delayed(b, op);
        assert_eq!(e.brokers[0].delayed.len(), 1, "tp1 is still pending");
        assert_eq!(e.brokers[0].delayed[0].waiting, vec![(tp1, Offset(1))]);
        e.broker_delayed_produce_expired(b, id);
        assert_eq!(
            response(&e),
            vec![(tp0, Ok(Offset(0))), (tp1, Err(ErrorCode::RequestTimedOut))]
        );
    }

    #[test]
    fn a_delayed_produce_losing_one_partitions_leadership_fails_only_that_partition() {
        let (mut e, b, tp0, tp1) = engine();
        let op = produce_op(&mut e, vec![(tp0, Offset(1)), (tp1, Offset(1))]);
        e.broker_add_delayed(b, op);
        e.broker_fail_delayed_for(b, tp0, ErrorCode::NotLeaderOrFollower);
        assert_eq!(e.brokers[0].delayed.len(), 1, "tp1 is still pending");
        assert!(e.queued_messages().iter().all(|(_, m)| !matches!(
            m,
            Msg::ProduceResponse {
                request_id: 4242,
                ..
            }
        )));
        let id = e.brokers[0].delayed[0].id;
        e.broker_delayed_produce_expired(b, id);
        assert_eq!(
            response(&e),
            vec![
                (tp0, Err(ErrorCode::NotLeaderOrFollower)),
                (tp1, Err(ErrorCode::RequestTimedOut))
            ]
        );
    }
}
