//! A broker: the replicas it hosts, and what a partition leader and a
//! follower do with Produce and Fetch requests.
//!
//! **Leader side** (`Partition.scala`, `ReplicaManager.scala`):
//! - *Produce*: append to the local log (after the idempotence checks in
//!   [`crate::engine::producer_state`]), then answer according to `acks`:
//!   `0` never, `1` right away, `all` once the high watermark has passed the
//!   batch (the request waits in "purgatory"). See `leader_produce.rs`.
//! - *Fetch from a follower*: the fetch offset **is** the follower's log end
//!   offset, so each fetch tells the leader how far the follower got; that
//!   may add it back to the ISR and advance the high watermark. Fetches
//!   with nothing to return wait ("long poll"). See `leader_fetch.rs`.
//! - *ISR expiration*: every `replica.lag.time.max.ms / 2` the leader drops
//!   followers that have not caught up within `replica.lag.time.max.ms`.
//! - *Transaction markers*: the coordinator's WriteTxnMarkers, appended as
//!   control records (`txn_markers.rs`).
//!
//! The rules of one partition's leader state (HW, ISR expansion and shrink)
//! live in [`crate::engine::partition_leader`], the purgatory's in
//! [`crate::engine::purgatory`], the fetch session's in
//! [`crate::engine::fetch_session`]; each is tested alone.
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
//! ## The component and the engine
//!
//! [`Broker`] owns its state (replicas, parked fetches, the purgatory,
//! follower fetch sessions) and its rules, as quinn-proto's `Connection`
//! does: its methods take what arrived and the time, and queue their
//! effects (messages, timers, events) in the broker's [`Outbox`]. It sees
//! the rest of the cluster only through a [`ClusterView`]: the controller's
//! metadata (ISR, `min.insync.replicas`, leader epochs), which brokers are
//! alive and unfenced, and the time. Where a decision belongs to another
//! component — an ISR change for the controller, a finished offset commit
//! for the group coordinator, a written transaction-log record for the
//! transaction coordinator — a method returns it instead, and the engine
//! (`impl Engine` glue, the router) applies the broker's outbox first, then
//! carries it out, so every event keeps its place in the trace.

use crate::engine::config::IsolationLevel;
use crate::engine::controller::Controller;
use crate::engine::event::{DropReason, ErrorCode, EventKind, Node};
use crate::engine::fetch_session::FollowerSession;
use crate::engine::ids::*;
use crate::engine::log::PartitionLog;
use crate::engine::network::{FetchPartition, Msg};
use crate::engine::outbox::Outbox;
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

pub use crate::engine::purgatory::{wait_for, DelayedKind, DelayedOp, Waiting};

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
    pub replicas: crate::engine::vecmap::TpMap<crate::engine::cow_vec::Shared<Replica>>,
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
    /// The effects decided and not yet applied by the engine (empty between
    /// two inputs; kept to reuse its buffer).
    pub out: Outbox,
    /// Scratch for one follower fetch: which partitions skipped their record.
    pub(crate) skipped: Vec<bool>,
}

/// What a broker is told of the rest of the cluster for one input: the
/// controller's metadata (each partition's ISR, leader epoch and the
/// topic's `min.insync.replicas`), which brokers may count toward the ISR,
/// and the time.
#[derive(Clone, Copy, Debug)]
pub struct ClusterView<'a> {
    pub now_ms: u64,
    /// `replica.lag.time.max.ms`.
    pub lag_ms: u64,
    pub controller: &'a Controller,
    /// Bit `i`: broker `i` is alive and not fenced.
    pub usable: u32,
    /// Whether leaders keep fetch sessions (see `fetch_session.rs`).
    pub fetch_sessions: bool,
}

impl ClusterView<'_> {
    pub fn isr(&self, tp: Tp) -> &[BrokerId] {
        &self.controller.partition(tp).isr
    }

    pub fn min_isr(&self, tp: Tp) -> usize {
        self.controller.topic(tp.topic).effective_min_isr()
    }

    /// The ISR is below `min.insync.replicas`.
    pub fn under_min_isr(&self, tp: Tp) -> bool {
        self.isr(tp).len() < self.min_isr(tp)
    }

    pub fn usable(&self, b: BrokerId) -> bool {
        self.usable & (1 << b.0) != 0
    }
}

impl Broker {
    pub fn new(id: BrokerId) -> Broker {
        Broker {
            id,
            alive: true,
            fenced: false,
            incarnation: 0,
            replicas: Default::default(),
            fetchers: VecMap::new(),
            parked: Vec::new(),
            delayed: Vec::new(),
            fetch_stalled_until_ms: None,
            follower_sessions: VecMap::new(),
            fetch_plans: Default::default(),
            out: Outbox::new(),
            skipped: Vec::new(),
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

    /// The leader state of `tp`, while this broker leads it.
    pub(crate) fn led(&self, tp: Tp) -> Option<&LeaderState> {
        self.replicas.get(&tp).and_then(|r| r.leader.as_ref())
    }

    pub(crate) fn has_pending_work(&self) -> bool {
        // A crashed broker the controller has not fenced yet: the fence will come.
        (self.alive && !self.delayed.is_empty()) || (!self.alive && !self.fenced)
    }

    /// Sets one of this broker's timers.
    pub(crate) fn timer_at(&mut self, at_ms: u64, timer: BrokerTimer) {
        self.out.timer_at(
            at_ms,
            Action::Broker {
                broker: self.id,
                timer,
            },
        );
    }

    /// `tp` is now led here with `epoch` (`Partition.makeLeader`): every
    /// other assigned replica starts as a follower, caught up if in the ISR.
    pub fn become_leader(&mut self, tp: Tp, epoch: LeaderEpoch, view: &ClusterView) {
        let Some(rep) = self.replicas.get_mut(&tp) else {
            return;
        };
        let meta = view.controller.partition(tp);
        let followers = meta
            .replicas
            .iter()
            .filter(|r| **r != self.id)
            .map(|r| (*r, FollowerProgress::new(meta.isr.contains(r), view.now_ms)))
            .collect();
        rep.leader = Some(LeaderState { epoch, followers });
        rep.log.assign_epoch_start(epoch);
        self.forget_quiet(tp);
    }

    /// `tp` is followed here now; whether it was led until then.
    pub fn become_follower(&mut self, tp: Tp) -> Option<bool> {
        let was_leader = self.replicas.get_mut(&tp)?.leader.take().is_some();
        self.forget_quiet(tp);
        Some(was_leader)
    }

    /// The broker stops: everything in memory is lost (the logs stay).
    pub fn crash(&mut self) {
        self.alive = false;
        self.parked.clear();
        self.delayed.clear();
        self.fetchers.clear();
        self.follower_sessions.clear();
        for rep in self.replicas.values_mut() {
            rep.leader = None;
        }
    }

    /// ListOffsets (`Partition.fetchOffsetForTimestamp`): the earliest
    /// offset, or the latest a consumer of `isolation` may read.
    pub fn list_offsets(
        &mut self,
        from: Node,
        isolation: IsolationLevel,
        partitions: Vec<(Tp, crate::engine::config::AutoOffsetReset)>,
    ) {
        let mut out = Vec::with_capacity(partitions.len());
        for (tp, reset) in partitions {
            let res = match self.replicas.get(&tp) {
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
        self.out.send(
            Node::Broker(self.id),
            from,
            Msg::ListOffsetsResponse { partitions: out },
        );
    }
}

impl Engine {
    /// Runs one of broker `b`'s timers.
    pub(crate) fn broker_timer(&mut self, b: BrokerId, timer: BrokerTimer) {
        match timer {
            BrokerTimer::FetchWaitExpired { fetch_id } => {
                self.broker(b).fetch_wait_expired(fetch_id);
                self.broker_flush(b);
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

    /// Bit `i`: broker `i` is alive and not fenced (see `usable_brokers`).
    fn usable_now(&self) -> u32 {
        let mut usable = 0u32;
        for (i, x) in self.brokers.iter().enumerate() {
            if x.alive && !x.fenced {
                usable |= 1 << i;
            }
        }
        usable
    }

    /// Takes note of a broker that crashed, restarted or was fenced
    /// (natively; the page gathers the mask at every view, the least code).
    pub(crate) fn refresh_usable_brokers(&mut self) {
        #[cfg(engine_speed)]
        {
            self.usable_brokers = self.usable_now();
        }
    }

    /// Broker `b`, with what it may see of the rest of the cluster.
    pub(crate) fn broker_view(&mut self, b: BrokerId) -> (&mut Broker, ClusterView<'_>) {
        #[cfg(engine_speed)]
        debug_assert_eq!(
            self.usable_brokers,
            self.usable_now(),
            "a broker's alive or fenced flag changed without refresh_usable_brokers"
        );
        #[cfg(engine_speed)]
        let usable = self.usable_brokers;
        #[cfg(not(engine_speed))]
        let usable = self.usable_now();
        let view = ClusterView {
            now_ms: self.now_ms,
            lag_ms: self.cfg.cluster.replica_lag_time_max_ms as u64,
            controller: &self.controller,
            usable,
            fetch_sessions: crate::engine::fetch_session::ENABLED && self.fetch_sessions,
        };
        (&mut self.brokers[b.0 as usize], view)
    }

    /// Applies what broker `b` decided, in order (keeping its buffer).
    #[cfg_attr(not(engine_speed), inline)]
    #[cfg_attr(engine_speed, inline(always))]
    pub(crate) fn broker_flush(&mut self, b: BrokerId) {
        if !self.brokers[b.0 as usize].out.is_empty() {
            self.broker_apply_out(b);
        }
    }

    fn broker_apply_out(&mut self, b: BrokerId) {
        let mut out = std::mem::take(&mut self.brokers[b.0 as usize].out);
        self.apply_outbox_drain(&mut out);
        self.brokers[b.0 as usize].out = out;
    }

    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }

    // ---- leadership ---------------------------------------------------------

    pub(crate) fn broker_become_leader(&mut self, b: BrokerId, tp: Tp, epoch: LeaderEpoch) {
        let (broker, view) = self.broker_view(b);
        broker.become_leader(tp, epoch, &view);
        // Its own fetcher for this partition stops.
        self.broker_start_fetchers(b);
        self.broker_maybe_increment_hw(b, tp);
    }

    pub(crate) fn broker_become_follower(&mut self, b: BrokerId, tp: Tp) {
        let Some(was_leader) = self.broker(b).become_follower(tp) else {
            return;
        };
        if was_leader {
            self.broker_fail_delayed_for(b, tp, ErrorCode::NotLeaderOrFollower);
        }
        self.broker_start_fetchers(b);
    }

    // ---- crash --------------------------------------------------------------

    pub(crate) fn broker_crash(&mut self, b: BrokerId) {
        self.broker(b).crash();
        self.refresh_usable_brokers();
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
                ParkedFetch {
                    fetch_id,
                    from,
                    replica,
                    isolation,
                    max_records,
                    partitions,
                },
                max_wait_ms,
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
                self.broker(b).list_offsets(from, isolation, partitions);
                self.broker_flush(b);
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
}

/// The event for a response lost on purpose (an injected fault).
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
    use crate::engine::network::BatchResult;

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
            waiting: waiting.into(),
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
        assert_eq!(*e.brokers[0].delayed[0].waiting, [(tp1, Offset(1))]);
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

/// The broker's Kafka rules on a [`Broker`] alone: no engine, made-up times,
/// a controller that says what the ISR is, and the broker's outbox read
/// afterwards. The helpers drive it the way the engine's glue does.
#[cfg(test)]
mod component_tests {
    use super::*;
    use crate::engine::config::Acks;
    use crate::engine::controller::{PartitionMeta, TopicMeta};
    use crate::engine::leader_fetch::FollowerFetched;
    use crate::engine::network::{BatchResult, FetchPartitionData, WireBatch};

    const B0: BrokerId = BrokerId(0);
    const B1: BrokerId = BrokerId(1);
    const PRODUCER: Node = Node::Producer(ProducerIdx(0));
    const CONSUMER: Node = Node::Consumer(ConsumerIdx(0));
    const E0: LeaderEpoch = LeaderEpoch(0);

    /// Topic "t" with `partitions` partitions on brokers [0, 1], led by 0
    /// at epoch 0, with `isr` and `min.insync.replicas` = `min_isr`.
    fn controller(partitions: u32, isr: &[BrokerId], min_isr: u16) -> Controller {
        let mut c = Controller::default();
        let meta = PartitionMeta {
            replicas: vec![B0, B1],
            leader: Some(B0),
            leader_epoch: E0,
            isr: isr.to_vec(),
        };
        c.add_topic(TopicMeta {
            name: "t".into(),
            internal: false,
            replication_factor: 2,
            min_insync_replicas: min_isr,
            partitions: vec![meta; partitions as usize],
        });
        c
    }

    fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    fn view(c: &Controller, now_ms: u64) -> ClusterView<'_> {
        ClusterView {
            now_ms,
            lag_ms: 30_000,
            controller: c,
            usable: 0b11,
            fetch_sessions: true,
        }
    }

    /// As [`view`], with broker 1 down: it holds no high watermark back.
    fn view_alone(c: &Controller, now_ms: u64) -> ClusterView<'_> {
        ClusterView {
            usable: 0b01,
            ..view(c, now_ms)
        }
    }

    /// Broker 0, leading every partition of "t".
    fn leader(c: &Controller) -> Broker {
        let mut b = Broker::new(B0);
        for p in 0..c.topic(TopicId(0)).partitions.len() as u32 {
            b.add_replica(tp(p));
            b.become_leader(tp(p), E0, &view(c, 0));
        }
        b
    }

    fn batch(p: u32, id: u32, records: u32) -> WireBatch {
        WireBatch {
            batch: BatchId(id),
            tp: tp(p),
            records: (0..records).map(|r| RecordId(id * 100 + r)).collect(),
            producer: None,
            transactional: false,
        }
    }

    /// What the engine does once `tp`'s log or followers changed.
    fn hw_may_move(b: &mut Broker, v: &ClusterView, tp: Tp) {
        if b.raise_hw(tp, v) {
            let done = b.complete_ready(tp, v, &mut 0);
            assert!(done.is_none(), "only produce requests wait here");
            b.wake_parked(tp);
        }
    }

    /// A Produce request with `acks`, as the engine hands it over; with
    /// acks=all it waits in the purgatory (request id 7).
    fn produce(b: &mut Broker, v: &ClusterView, acks: Acks, batches: Vec<WireBatch>) {
        let (mut results, mut waiting) = (Vec::new(), Vec::new());
        for wb in batches {
            let tp = wb.tp;
            if b.append_produce(v, acks, wb, &mut results, &mut waiting) {
                hw_may_move(b, v, tp);
            }
        }
        if acks == Acks::All {
            let op = DelayedOp {
                id: 1,
                waiting: waiting.into(),
                deadline_ms: v.now_ms + 30_000,
                kind: DelayedKind::Produce {
                    from: PRODUCER,
                    request_id: 7,
                    results,
                },
            };
            assert!(b.add_delayed(op, v).is_none());
        }
    }

    /// Follower 1 fetches `tp` from offset `at` (its log end), long-polling.
    fn follower_fetch(b: &mut Broker, v: &ClusterView, tp: Tp, at: i64) -> Option<FollowerFetched> {
        let fp = FetchPartition {
            tp,
            fetch_offset: Offset(at),
            last_fetched_epoch: (at > 0).then_some(E0),
            current_leader_epoch: E0,
            follower_hw: Some(Offset(0)),
        };
        let fetched = b.update_follower(B1, &fp, v);
        if fetched.as_ref().is_some_and(|f| f.hw_may_move) {
            hw_may_move(b, v, tp);
        }
        fetched
    }

    fn hw(b: &Broker, tp: Tp) -> Offset {
        b.replica(tp).unwrap().log.hw()
    }

    fn produce_answer(b: &Broker) -> Option<Vec<(Tp, Result<Offset, ErrorCode>)>> {
        b.out.sent().find_map(|(_, to, m)| match m {
            Msg::ProduceResponse {
                request_id: 7,
                results,
            } if to == PRODUCER => Some(results.iter().map(|r| (r.tp, r.result)).collect()),
            _ => None,
        })
    }

    fn fetch_answer(b: &Broker, fetch_id: u64) -> Option<&[FetchPartitionData]> {
        b.out.sent().find_map(|(_, _, m)| match m {
            Msg::FetchResponse {
                fetch_id: id,
                partitions,
            } if *id == fetch_id => Some(&partitions[..]),
            _ => None,
        })
    }

    /// A consumer's fetch of `tp` from `at`, waiting up to `max_wait_ms`.
    fn consumer_fetch(fetch_id: u64, tp: Tp, at: i64) -> ParkedFetch {
        ParkedFetch {
            fetch_id,
            from: CONSUMER,
            replica: None,
            isolation: IsolationLevel::ReadUncommitted,
            max_records: 100,
            partitions: vec![FetchPartition {
                tp,
                fetch_offset: Offset(at),
                last_fetched_epoch: None,
                current_leader_epoch: E0,
                follower_hw: None,
            }],
        }
    }

    #[test]
    fn acks_all_is_answered_only_once_the_high_watermark_passes_the_batch() {
        let c = controller(1, &[B0, B1], 2);
        let mut b = leader(&c);
        produce(&mut b, &view(&c, 10), Acks::All, vec![batch(0, 1, 3)]);
        assert_eq!(b.replica(tp(0)).unwrap().log.leo(), Offset(3));
        assert_eq!(produce_answer(&b), None, "follower 1 has nothing yet");
        follower_fetch(&mut b, &view(&c, 20), tp(0), 2);
        assert_eq!(hw(&b, tp(0)), Offset(2));
        assert_eq!(produce_answer(&b), None, "the HW has not passed the batch");
        follower_fetch(&mut b, &view(&c, 30), tp(0), 3);
        assert_eq!(hw(&b, tp(0)), Offset(3));
        assert_eq!(produce_answer(&b), Some(vec![(tp(0), Ok(Offset(0)))]));
        assert!(b.delayed.is_empty());
    }

    #[test]
    fn acks_all_with_the_isr_below_min_insync_replicas_writes_nothing_and_answers_not_enough_replicas(
    ) {
        let c = controller(1, &[B0], 2);
        let mut b = leader(&c);
        let v = view(&c, 10);
        let (mut results, mut waiting) = (Vec::new(), Vec::new());
        assert!(!b.append_produce(&v, Acks::All, batch(0, 1, 2), &mut results, &mut waiting));
        assert_eq!(
            results,
            vec![BatchResult {
                batch: BatchId(1),
                tp: tp(0),
                result: Err(ErrorCode::NotEnoughReplicas),
                duplicate: false,
            }]
        );
        assert!(waiting.is_empty());
        assert_eq!(b.replica(tp(0)).unwrap().log.leo(), Offset(0));
        assert!(b.out.is_empty(), "no event: nothing was written");
        // acks=1 does not ask for the ISR: the same batch is written.
        assert!(b.append_produce(&v, Acks::One, batch(0, 1, 2), &mut results, &mut waiting));
        assert_eq!(b.replica(tp(0)).unwrap().log.leo(), Offset(2));
    }

    #[test]
    fn a_follower_fetch_advances_the_high_watermark_to_the_smallest_log_end_offset_of_the_isr() {
        let c = controller(1, &[B0, B1], 1);
        let mut b = leader(&c);
        produce(&mut b, &view(&c, 10), Acks::One, vec![batch(0, 1, 5)]);
        assert_eq!(hw(&b, tp(0)), Offset(0), "follower 1 is in the ISR at 0");
        let fetched = follower_fetch(&mut b, &view(&c, 20), tp(0), 3).expect("recorded");
        assert!(fetched.hw_may_move && fetched.join_isr.is_none());
        assert_eq!(hw(&b, tp(0)), Offset(3));
        follower_fetch(&mut b, &view(&c, 30), tp(0), 5);
        assert_eq!(hw(&b, tp(0)), Offset(5));
        let hws: Vec<Offset> = b
            .out
            .events()
            .filter_map(|e| match e {
                EventKind::HighWatermark { hw, .. } => Some(*hw),
                _ => None,
            })
            .collect();
        assert_eq!(hws, vec![Offset(3), Offset(5)]);
    }

    #[test]
    fn a_caught_up_follower_outside_the_isr_is_proposed_back_into_it_in_assignment_order() {
        let c = controller(1, &[B0], 1);
        let mut b = leader(&c);
        produce(&mut b, &view_alone(&c, 10), Acks::One, vec![batch(0, 1, 2)]);
        assert_eq!(hw(&b, tp(0)), Offset(2));
        let behind = follower_fetch(&mut b, &view(&c, 20), tp(0), 1).expect("recorded");
        assert_eq!(behind.join_isr, None, "below the high watermark (2)");
        let caught_up = follower_fetch(&mut b, &view(&c, 30), tp(0), 2).expect("recorded");
        assert_eq!(caught_up.join_isr, Some((E0, vec![B0, B1])));
    }

    #[test]
    fn a_fetch_with_nothing_to_return_is_parked_and_answered_when_data_arrives() {
        let c = controller(1, &[B0], 1);
        let mut b = leader(&c);
        b.answer_or_park(100, consumer_fetch(5, tp(0), 0), 500);
        assert_eq!(b.parked.len(), 1);
        assert_eq!(fetch_answer(&b, 5), None);
        assert_eq!(
            b.out.timers().next(),
            Some((
                600,
                &Action::Broker {
                    broker: B0,
                    timer: BrokerTimer::FetchWaitExpired { fetch_id: 5 }
                }
            ))
        );
        // A lone ISR: the append moves the HW, and the consumer may read it.
        produce(
            &mut b,
            &view_alone(&c, 200),
            Acks::One,
            vec![batch(0, 1, 2)],
        );
        assert!(b.parked.is_empty());
        let answer = fetch_answer(&b, 5).expect("answered when data arrived");
        assert_eq!(answer[0].entries.len(), 2);
        assert_eq!(answer[0].hw, Offset(2));
    }

    #[test]
    fn a_parked_fetch_is_answered_as_it_is_when_its_max_wait_expires() {
        let c = controller(1, &[B0], 1);
        let mut b = leader(&c);
        b.answer_or_park(100, consumer_fetch(5, tp(0), 0), 500);
        b.fetch_wait_expired(5);
        assert!(b.parked.is_empty());
        let answer = fetch_answer(&b, 5).expect("answered at the max wait");
        assert!(answer[0].entries.is_empty() && answer[0].error.is_none());
        b.out = Outbox::new();
        b.fetch_wait_expired(5);
        assert!(b.out.is_empty(), "answered once");
    }

    #[test]
    fn a_delayed_produce_that_loses_leadership_fails_only_that_partition() {
        let c = controller(2, &[B0, B1], 2);
        let mut b = leader(&c);
        produce(
            &mut b,
            &view(&c, 10),
            Acks::All,
            vec![batch(0, 1, 1), batch(1, 2, 1)],
        );
        assert_eq!(b.become_follower(tp(0)), Some(true));
        for op in b.take_delayed_on(tp(0)) {
            assert!(b
                .fail_delayed(op, tp(0), ErrorCode::NotLeaderOrFollower)
                .is_none());
        }
        assert_eq!(produce_answer(&b), None, "partition 1 is still pending");
        assert_eq!(b.delayed.len(), 1);
        follower_fetch(&mut b, &view(&c, 20), tp(1), 1);
        assert_eq!(
            produce_answer(&b),
            Some(vec![
                (tp(0), Err(ErrorCode::NotLeaderOrFollower)),
                (tp(1), Ok(Offset(0)))
            ])
        );
    }

    #[test]
    fn a_follower_fetch_with_an_older_leader_epoch_is_not_recorded_and_answered_fenced_leader_epoch(
    ) {
        let c = controller(1, &[B0, B1], 1);
        let mut b = Broker::new(B0);
        b.add_replica(tp(0));
        b.become_leader(tp(0), LeaderEpoch(1), &view(&c, 0));
        let fp = FetchPartition {
            tp: tp(0),
            fetch_offset: Offset(0),
            last_fetched_epoch: None,
            current_leader_epoch: E0,
            follower_hw: Some(Offset(0)),
        };
        assert_eq!(b.update_follower(B1, &fp, &view(&c, 10)), None);
        let fetch = ParkedFetch {
            fetch_id: 9,
            from: Node::Broker(B1),
            replica: Some(B1),
            isolation: IsolationLevel::ReadUncommitted,
            max_records: 100,
            partitions: vec![fp],
        };
        b.answer_or_park(10, fetch, 500);
        let answer = fetch_answer(&b, 9).expect("answered at once, not parked");
        assert_eq!(answer[0].error, Some(ErrorCode::FencedLeaderEpoch));
        assert!(b.parked.is_empty());
    }

    #[test]
    fn an_isr_member_that_has_not_caught_up_within_the_lag_is_dropped_from_the_isr() {
        let c = controller(1, &[B0, B1], 1);
        let mut b = leader(&c);
        produce(&mut b, &view(&c, 0), Acks::One, vec![batch(0, 1, 1)]);
        assert_eq!(
            b.shrink_isr(tp(0), &view(&c, 30_000)),
            None,
            "within the lag"
        );
        assert_eq!(
            b.shrink_isr(tp(0), &view(&c, 30_001)),
            Some((E0, vec![B0])),
            "follower 1 never fetched the record"
        );
    }
}
