//! The controller: topic metadata, replica placement, broker liveness and
//! leader election (KRaft).
//!
//! The controller owns the truth about every partition: its replica list,
//! its leader, the leader epoch and the in-sync replica set (ISR). It places
//! replicas when a topic is created (striped across brokers like
//! `AdminUtils.assignReplicasToBrokersRackUnaware`), fences a broker that
//! stops heart-beating for `broker.session.timeout.ms`, and elects leaders
//! the way `PartitionChangeBuilder` does: keep a live leader; otherwise the
//! first replica *in assignment order* that is alive and in the ISR; an
//! out-of-sync replica only if `unclean.leader.election.enable` is set and
//! no ISR member is alive. Every leader change bumps the leader epoch, which
//! is how followers and clients recognise stale leaders (KIP-101, KIP-320).
//!
//! With `auto.leader.rebalance.enable` (on by default) leadership also goes
//! *back*: once a partition is led by anyone but its preferred replica (the
//! first in its assignment), the controller schedules a check
//! `leader.imbalance.check.interval.seconds` (300) later
//! (`QuorumController.maybeScheduleNextBalancePartitionLeaders`). The check
//! runs a PREFERRED election for every imbalanced partition
//! (`maybeBalancePartitionLeaders`; KRaft ignores the ZooKeeper-era
//! `leader.imbalance.per.broker.percentage`): the preferred replica takes
//! over if it is unfenced and in the ISR; if any partition is still
//! imbalanced, the check comes round again after another interval.
//!
//! Like the engine's other timers, the check does not keep an otherwise
//! idle simulation running (five minutes of heartbeats would be one
//! enormous step): it runs only while something else is still happening,
//! such as a producer's workload.
//!
//! Simplification: the controller quorum is one always-available box and
//! its metadata reaches brokers instantly (in Kafka, within milliseconds via
//! the metadata log); clients still learn of changes only when they ask.
//!
//! ## The rules and the engine
//!
//! The rules are methods of a partition's registration, [`PartitionMeta`],
//! that see the world only through their arguments (which brokers are
//! usable or fenced, whether unclean election is enabled), so each is
//! unit-tested here on a partition alone:
//! [`PartitionMeta::elect_leader`] (ONLINE and UNCLEAN elections),
//! [`PartitionMeta::elect_preferred_leader`] (PREFERRED),
//! [`PartitionMeta::isr_without`] (fencing),
//! [`PartitionMeta::validate_alter_partition`] (an AlterPartition request
//! with its leader epoch, refused as `FENCED_LEADER_EPOCH`,
//! `INVALID_REQUEST` or `INELIGIBLE_REPLICA`), and
//! [`PartitionMeta::install_leader`] / [`PartitionMeta::set_isr`], which
//! record a change and write the event that shows it into an [`Outbox`];
//! [`next_balance_check_ms`] decides when the imbalance check runs. The
//! metadata itself is the [`Controller`]'s: it owns every topic's and
//! partition's registration and counts each change. The `impl Engine` glue
//! gathers the brokers' liveness and the configuration,
//! applies the outbox and tells the brokers (`broker_become_leader`,
//! `broker_become_follower`, a leader's HW after its ISR shrank) and the
//! coordinators that moved.
//!
//! Kafka's code: `metadata/src/main/java/org/apache/kafka/controller/PartitionChangeBuilder.java`
//! (`electLeader`, `electPreferredLeader`, `electAnyLeader`, `tryElection`)
//! and `.../controller/ReplicationControlManager.java`
//! (`validateAlterPartitionData`, `maybeBalancePartitionLeaders`).
//! Not modelled: the partition epoch (AlterPartition's
//! `INVALID_UPDATE_VERSION`), eligible leader replicas (KIP-966) and the
//! leader recovery state after an unclean election.

use crate::engine::broker::BrokerTimer;
use crate::engine::event::EventKind;
use crate::engine::ids::*;
use crate::engine::outbox::Outbox;
use crate::engine::sim::{Action, Engine};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionMeta {
    /// Assignment order: `replicas[0]` is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub isr: Vec<BrokerId>,
}

/// What an election decides ([`PartitionMeta::elect_leader`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Election {
    /// The current leader is still usable: nothing changes.
    Keep,
    /// A new leader, or none (the partition goes offline); `unclean` when
    /// the ISR had no usable member and unclean election is enabled. It
    /// bumps the leader epoch either way.
    Elect {
        leader: Option<BrokerId>,
        unclean: bool,
    },
}

/// Why the controller refuses an AlterPartition request
/// (`ReplicationControlManager.validateAlterPartitionData`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlterPartitionError {
    /// The request carries an older leader epoch: its sender was replaced.
    FencedLeaderEpoch,
    /// A newer leader epoch than the controller's (Kafka: the sender talks
    /// to a controller that is no longer active).
    NotController,
    /// Not from the partition's leader, an ISR with a broker that is not a
    /// replica (or twice), or an ISR without the leader.
    InvalidRequest,
    /// An ISR with a fenced broker.
    IneligibleReplica,
}

impl AlterPartitionError {
    /// The name Kafka prints.
    pub fn name(self) -> &'static str {
        match self {
            AlterPartitionError::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            AlterPartitionError::NotController => "NOT_CONTROLLER",
            AlterPartitionError::InvalidRequest => "INVALID_REQUEST",
            AlterPartitionError::IneligibleReplica => "INELIGIBLE_REPLICA",
        }
    }
}

impl PartitionMeta {
    /// `PartitionChangeBuilder.electAnyLeader` (elections ONLINE and
    /// UNCLEAN): keep a usable leader; otherwise the first replica *in
    /// assignment order* that is in the ISR and usable (up and unfenced);
    /// otherwise, only with `unclean_enabled`, the first usable replica at
    /// all. (Without a usable replica, an enabled unclean election still
    /// reports itself unclean, with no leader.)
    pub fn elect_leader(
        &self,
        usable: impl Fn(BrokerId) -> bool,
        unclean_enabled: bool,
    ) -> Election {
        if self.leader.is_some_and(&usable) {
            return Election::Keep;
        }
        let clean = self
            .replicas
            .iter()
            .copied()
            .find(|r| self.isr.contains(r) && usable(*r));
        if clean.is_some() || !unclean_enabled {
            return Election::Elect {
                leader: clean,
                unclean: false,
            };
        }
        Election::Elect {
            leader: self.replicas.iter().copied().find(|r| usable(*r)),
            unclean: true,
        }
    }

    /// `PartitionChangeBuilder.electPreferredLeader`: the preferred replica
    /// (the first of the assignment) if it is in the ISR and usable;
    /// otherwise the current leader if it still is; otherwise the first
    /// other replica that is. Returns the new leader when leadership moves.
    pub fn elect_preferred_leader(&self, usable: impl Fn(BrokerId) -> bool) -> Option<BrokerId> {
        let preferred = *self.replicas.first()?;
        if self.leader == Some(preferred) {
            return None;
        }
        let valid = |r: BrokerId| self.isr.contains(&r) && usable(r);
        let target = if valid(preferred) {
            Some(preferred)
        } else if self.leader.is_some_and(valid) {
            self.leader
        } else {
            self.replicas.iter().copied().skip(1).find(|r| valid(*r))
        };
        target.filter(|t| Some(*t) != self.leader)
    }

    /// The ISR once `broker` is fenced: without it, unless it is the last
    /// member, which KRaft (without KIP-966) keeps so that a clean election
    /// stays possible when it comes back. `None` when the ISR stays.
    pub fn isr_without(&self, broker: BrokerId) -> Option<Vec<BrokerId>> {
        if !self.isr.contains(&broker) || self.isr.len() <= 1 {
            return None;
        }
        Some(self.isr.iter().copied().filter(|b| *b != broker).collect())
    }

    /// `validateAlterPartitionData`: an AlterPartition request from `from`,
    /// which believes it leads at `leader_epoch`, asking for `new_isr`.
    /// `fenced` says which brokers the controller has fenced.
    pub fn validate_alter_partition(
        &self,
        from: BrokerId,
        leader_epoch: LeaderEpoch,
        new_isr: &[BrokerId],
        fenced: impl Fn(BrokerId) -> bool,
    ) -> Result<(), AlterPartitionError> {
        if leader_epoch > self.leader_epoch {
            return Err(AlterPartitionError::NotController);
        }
        if leader_epoch < self.leader_epoch {
            return Err(AlterPartitionError::FencedLeaderEpoch);
        }
        if self.leader != Some(from) {
            return Err(AlterPartitionError::InvalidRequest);
        }
        let distinct_replicas = new_isr
            .iter()
            .enumerate()
            .all(|(i, b)| self.replicas.contains(b) && !new_isr[..i].contains(b));
        if !distinct_replicas || !new_isr.contains(&from) {
            return Err(AlterPartitionError::InvalidRequest);
        }
        if new_isr.iter().any(|b| fenced(*b)) {
            return Err(AlterPartitionError::IneligibleReplica);
        }
        Ok(())
    }

    /// Records a leader change: the leader epoch goes up by one, and an
    /// unclean leader becomes the whole ISR (`tryElection`). Shows it.
    pub fn install_leader(
        &mut self,
        tp: Tp,
        new_leader: Option<BrokerId>,
        unclean: bool,
        preferred: bool,
        internal: bool,
        out: &mut Outbox,
    ) {
        let previous = self.leader;
        self.leader = new_leader;
        self.leader_epoch = LeaderEpoch(self.leader_epoch.0 + 1);
        if let Some(l) = new_leader.filter(|_| unclean) {
            self.isr = vec![l];
        }
        out.event(EventKind::LeaderElected {
            tp,
            leader: new_leader,
            epoch: self.leader_epoch,
            unclean,
            preferred,
            previous,
            internal,
        });
    }

    /// Records a new ISR and shows who left and who joined. Returns whether
    /// it changed.
    pub fn set_isr(
        &mut self,
        tp: Tp,
        isr: Vec<BrokerId>,
        internal: bool,
        out: &mut Outbox,
    ) -> bool {
        if self.isr == isr {
            return false;
        }
        let removed = self
            .isr
            .iter()
            .copied()
            .filter(|b| !isr.contains(b))
            .collect();
        let added = isr
            .iter()
            .copied()
            .filter(|b| !self.isr.contains(b))
            .collect();
        self.isr = isr.clone();
        out.event(EventKind::IsrChanged {
            tp,
            isr,
            removed,
            added,
            internal,
        });
        true
    }
}

/// Whether any partition is led by a replica other than its preferred one
/// (`PartitionRegistration.hasPreferredLeader` is false; a leaderless
/// partition counts too).
pub fn leaders_imbalanced(topics: &[TopicMeta]) -> bool {
    topics
        .iter()
        .flat_map(|t| t.partitions.iter())
        .any(|m| m.leader != m.replicas.first().copied())
}

/// `QuorumController.maybeScheduleNextBalancePartitionLeaders`: with
/// `auto.leader.rebalance.enable`, when some partition is imbalanced and no
/// check is pending, the next check runs after `interval_ms`
/// (`leader.imbalance.check.interval.seconds`), or 10 ms when the last run
/// stopped at its election cap. Returns that delay, if one is due.
pub fn next_balance_check_ms(
    enabled: bool,
    already_scheduled: bool,
    imbalanced: bool,
    capped: bool,
    interval_ms: u64,
) -> Option<u64> {
    if already_scheduled || !enabled || !imbalanced {
        return None;
    }
    Some(if capped { 10 } else { interval_ms })
}

/// The controller's state: the metadata of every topic and partition, and
/// whether the leader-imbalance check is scheduled. The engine owns one and
/// changes partitions only through [`Controller::partition_mut`], which
/// counts the change (a leader's fetch sessions start again after one, see
/// `fetch_session.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Controller {
    topics: Vec<TopicMeta>,
    /// Whether the leader-imbalance check is scheduled.
    pub(crate) balance_scheduled: bool,
    /// Counts changes to partition metadata (leaders, epochs, ISRs, topics).
    generation: u64,
}

impl Controller {
    pub fn topics(&self) -> &[TopicMeta] {
        &self.topics
    }

    pub fn topic(&self, id: TopicId) -> &TopicMeta {
        &self.topics[id.0 as usize]
    }

    pub fn partition(&self, tp: Tp) -> &PartitionMeta {
        &self.topics[tp.topic.0 as usize].partitions[tp.partition.0 as usize]
    }

    /// A partition's registration, to change it; the change is counted.
    pub fn partition_mut(&mut self, tp: Tp) -> &mut PartitionMeta {
        self.generation += 1;
        &mut self.topics[tp.topic.0 as usize].partitions[tp.partition.0 as usize]
    }

    /// How many metadata changes there have been.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Registers a topic; returns its id.
    pub fn add_topic(&mut self, topic: TopicMeta) -> TopicId {
        self.generation += 1;
        self.topics.push(topic);
        TopicId(self.topics.len() as u16 - 1)
    }

    /// Whether some partition is led by anyone but its preferred replica.
    pub fn leaders_imbalanced(&self) -> bool {
        leaders_imbalanced(&self.topics)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicMeta {
    pub name: String,
    pub internal: bool,
    pub replication_factor: u16,
    pub min_insync_replicas: u16,
    pub partitions: Vec<PartitionMeta>,
}

impl TopicMeta {
    /// `min(min.insync.replicas, replication factor)`, as Kafka applies it.
    pub fn effective_min_isr(&self) -> usize {
        self.min_insync_replicas.min(self.replication_factor) as usize
    }
}

/// Kafka's rack-unaware striping (`assignReplicasToBrokersRackUnaware`):
/// partition p's first replica is broker `(p + start) % n`; the others follow
/// at a shift that changes every `n` partitions so followers spread too.
pub fn place_replicas(
    brokers: u16,
    partitions: u32,
    rf: u16,
    start_index: u32,
    shift: u32,
) -> Vec<Vec<BrokerId>> {
    let n = brokers as u32;
    let mut out = Vec::with_capacity(partitions as usize);
    let mut next_shift = shift;
    for p in 0..partitions {
        if p > 0 && p % n == 0 {
            next_shift += 1;
        }
        let first = (p + start_index) % n;
        let mut replicas = vec![BrokerId(first as u16)];
        for j in 0..(rf as u32).saturating_sub(1) {
            let s = 1 + (next_shift + j) % (n - 1);
            replicas.push(BrokerId(((first + s) % n) as u16));
        }
        out.push(replicas);
    }
    out
}

/// KRaft's cap on preferred elections in one imbalance check
/// (`ReplicationControlManager.MAX_ELECTIONS_PER_IMBALANCE`).
pub const MAX_ELECTIONS_PER_IMBALANCE: usize = 1_000;

/// Name of the offsets topic.
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";
/// Name of the transaction log topic.
pub const TRANSACTION_STATE: &str = "__transaction_state";

/// The controller's timers, dispatched by [`Engine::controller_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerTimer {
    /// `broker.session.timeout.ms` passed since this incarnation of the
    /// broker last heartbeated: fence it.
    Fence { broker: BrokerId, incarnation: u32 },
    /// The periodic leader-imbalance check (`maybeBalancePartitionLeaders`).
    BalanceLeaders,
}

impl Engine {
    /// Runs one of the controller's timers.
    pub(crate) fn controller_timer(&mut self, timer: ControllerTimer) {
        match timer {
            ControllerTimer::Fence {
                broker,
                incarnation,
            } => self.controller_fence(broker, incarnation),
            ControllerTimer::BalanceLeaders => self.controller_balance_leaders(),
        }
    }

    pub(crate) fn init_cluster(&mut self) {
        let n = self.cfg.cluster.brokers;
        for b in 0..n {
            self.brokers
                .push(crate::engine::broker::Broker::new(BrokerId(b)));
        }
        self.refresh_usable_brokers();
        let user_topics = self.cfg.topics.clone();
        for t in &user_topics {
            let (start, shift) = if n > 1 {
                (self.rng.below(n as u32), self.rng.below(n as u32))
            } else {
                (0, 0)
            };
            self.create_topic(
                t.name.clone(),
                false,
                t.partitions,
                t.replication_factor,
                t.min_insync_replicas,
                start,
                shift,
            );
        }
        let rf = self.cfg.cluster.offsets_topic_replication_factor.min(n);
        let parts = self.cfg.cluster.offsets_topic_num_partitions;
        self.create_topic(CONSUMER_OFFSETS.into(), true, parts, rf, 1, 0, 0);
        // The transaction log exists once anything is transactional (a
        // transactional producer, or an exactly-once consumer group), and
        // in live mode, where a real client may be.
        let transactional = self
            .cfg
            .producers
            .iter()
            .any(|p| p.transactional_id.is_some())
            || self
                .cfg
                .groups
                .iter()
                .any(|g| g.commit_mode == crate::engine::config::CommitMode::Transactional);
        if transactional || self.live {
            let parts = self.cfg.cluster.transaction_state_log_num_partitions;
            // transaction.state.log.min.isr defaults to 2 (capped by RF).
            self.create_topic(TRANSACTION_STATE.into(), true, parts, rf, 2, 0, 0);
        }
        for b in 0..n {
            self.broker_start_fetchers(BrokerId(b));
            let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
            self.schedule_in(
                lag / 2,
                Action::Broker {
                    broker: BrokerId(b),
                    timer: BrokerTimer::IsrExpiration,
                },
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create_topic(
        &mut self,
        name: String,
        internal: bool,
        partitions: u32,
        rf: u16,
        min_isr: u16,
        start: u32,
        shift: u32,
    ) {
        let topic = TopicId(self.controller.topics().len() as u16);
        let placement = place_replicas(self.cfg.cluster.brokers, partitions, rf, start, shift);
        let mut metas = Vec::new();
        for (p, replicas) in placement.into_iter().enumerate() {
            let tp = Tp::new(topic, p as u32);
            let leader = replicas[0];
            for r in &replicas {
                self.brokers[r.0 as usize].add_replica(tp);
            }
            metas.push(PartitionMeta {
                isr: replicas.clone(),
                leader: Some(leader),
                leader_epoch: LeaderEpoch(0),
                replicas,
            });
        }
        self.controller.add_topic(TopicMeta {
            name,
            internal,
            replication_factor: rf,
            min_insync_replicas: min_isr,
            partitions: metas,
        });
        for p in 0..partitions {
            let tp = Tp::new(topic, p);
            let meta = self.partition_meta(tp).clone();
            if let Some(l) = meta.leader {
                self.broker_become_leader(l, tp, meta.leader_epoch);
            }
        }
    }

    pub fn partition_meta(&self, tp: Tp) -> &PartitionMeta {
        self.controller.partition(tp)
    }

    pub(crate) fn partition_meta_mut(&mut self, tp: Tp) -> &mut PartitionMeta {
        self.controller.partition_mut(tp)
    }

    /// All partitions of all topics, in (topic, partition) order.
    pub fn all_partitions(&self) -> Vec<Tp> {
        let mut v = Vec::new();
        for (t, meta) in self.controller.topics().iter().enumerate() {
            for p in 0..meta.partitions.len() {
                v.push(Tp::new(TopicId(t as u16), p as u32));
            }
        }
        v
    }

    /// The current leader according to the controller.
    pub fn leader_of(&self, tp: Tp) -> Option<BrokerId> {
        self.partition_meta(tp).leader
    }

    pub(crate) fn cmd_crash_broker(&mut self, broker: BrokerId) -> Result<(), String> {
        let b = self.check_broker(broker)?;
        if !self.brokers[b].alive {
            return Err(format!("broker {broker} is already down"));
        }
        self.broker_crash(broker);
        self.any_broker_failed = true;
        self.emit(EventKind::BrokerCrashed { broker });
        let incarnation = self.brokers[b].incarnation;
        let timeout = self.cfg.cluster.broker_session_timeout_ms as u64;
        self.schedule_in(
            timeout,
            Action::Controller(ControllerTimer::Fence {
                broker,
                incarnation,
            }),
        );
        Ok(())
    }

    pub(crate) fn cmd_restart_broker(&mut self, broker: BrokerId) -> Result<(), String> {
        let b = self.check_broker(broker)?;
        if self.brokers[b].alive {
            return Err(format!("broker {broker} is already running"));
        }
        // A restarted broker registers with a new incarnation; the controller
        // fences the old one first if its session had not yet expired.
        if !self.brokers[b].fenced {
            self.controller_fence_now(broker);
        }
        self.brokers[b].alive = true;
        self.brokers[b].fenced = false;
        self.refresh_usable_brokers();
        self.brokers[b].fetch_stalled_until_ms = None;
        self.brokers[b].incarnation += 1;
        self.emit(EventKind::BrokerRestarted { broker });
        // Partitions left without a leader whose last ISR member is this
        // broker can elect it again (a clean election).
        for tp in self.all_partitions() {
            let meta = self.partition_meta(tp).clone();
            if meta.replicas.contains(&broker) {
                if meta.leader.is_none() {
                    self.elect_leader(tp);
                }
                if self.partition_meta(tp).leader != Some(broker) {
                    self.broker_become_follower(broker, tp);
                }
            }
        }
        self.broker_start_fetchers(broker);
        let lag = self.cfg.cluster.replica_lag_time_max_ms as u64;
        self.schedule_in(
            lag / 2,
            Action::Broker {
                broker,
                timer: BrokerTimer::IsrExpiration,
            },
        );
        Ok(())
    }

    pub(crate) fn controller_fence(&mut self, broker: BrokerId, incarnation: u32) {
        let b = &self.brokers[broker.0 as usize];
        if b.alive || b.fenced || b.incarnation != incarnation {
            return;
        }
        self.controller_fence_now(broker);
    }

    /// The controller stops trusting a broker: it leaves every ISR (unless it
    /// is the last member, which KRaft keeps so a clean election stays
    /// possible) and its partitions get new leaders.
    fn controller_fence_now(&mut self, broker: BrokerId) {
        self.brokers[broker.0 as usize].fenced = true;
        self.refresh_usable_brokers();
        self.emit(EventKind::BrokerFenced { broker });
        for tp in self.all_partitions() {
            let meta = self.partition_meta(tp);
            if !meta.replicas.contains(&broker) {
                continue;
            }
            let leader = meta.leader;
            if let Some(isr) = meta.isr_without(broker) {
                let internal = self.controller.topic(tp.topic).internal;
                let mut out = Outbox::new();
                self.partition_meta_mut(tp)
                    .set_isr(tp, isr, internal, &mut out);
                self.apply_outbox(out);
                // The leader learns the smaller ISR (`Partition.makeLeader`):
                // the HW may now move past what only the fenced one lacked.
                if let Some(l) = leader.filter(|l| *l != broker) {
                    self.broker_maybe_increment_hw(l, tp);
                }
            }
            if leader == Some(broker) {
                self.elect_leader(tp);
            }
        }
    }

    fn broker_usable(&self, b: BrokerId) -> bool {
        let br = &self.brokers[b.0 as usize];
        br.alive && !br.fenced
    }

    /// An election for `tp` (see [`PartitionMeta::elect_leader`]).
    pub(crate) fn elect_leader(&mut self, tp: Tp) {
        let unclean_enabled = self.cfg.cluster.unclean_leader_election_enable;
        let usable = |b| self.broker_usable(b);
        match self
            .partition_meta(tp)
            .elect_leader(usable, unclean_enabled)
        {
            Election::Keep => {}
            Election::Elect { leader, unclean } => self.install_leader(tp, leader, unclean, false),
        }
    }

    /// Records a leader change (the epoch goes up), tells the brokers,
    /// moves coordinators, and lets the imbalance check notice (in Kafka,
    /// `maybeScheduleNextBalancePartitionLeaders` runs after every write).
    fn install_leader(
        &mut self,
        tp: Tp,
        new_leader: Option<BrokerId>,
        unclean: bool,
        preferred: bool,
    ) {
        let topic = &self.controller.topic(tp.topic);
        let (internal, name) = (topic.internal, topic.name.clone());
        let mut out = Outbox::new();
        let meta = self.partition_meta_mut(tp);
        meta.install_leader(tp, new_leader, unclean, preferred, internal, &mut out);
        let (epoch, replicas) = (meta.leader_epoch, meta.replicas.clone());
        self.apply_outbox(out);
        if let Some(l) = new_leader {
            self.broker_become_leader(l, tp, epoch);
            for r in replicas.iter().copied().filter(|r| *r != l) {
                if self.brokers[r.0 as usize].alive {
                    self.broker_become_follower(r, tp);
                }
            }
        }
        if name == CONSUMER_OFFSETS {
            self.group_coordinator_moved(tp);
        }
        if name == TRANSACTION_STATE {
            self.txn_coordinator_moved(tp);
        }
        self.controller_maybe_schedule_balance(false);
    }

    // ---- preferred-leader election (auto.leader.rebalance.enable) ----------

    /// Schedules the next leader-imbalance check if one is due (see
    /// [`next_balance_check_ms`]).
    ///
    /// Simplification: Kafka runs this after every controller write, broker
    /// heartbeats (every 2 s) included; here it runs after each leader change
    /// and each check, which is the same moment to within a heartbeat.
    pub(crate) fn controller_maybe_schedule_balance(&mut self, capped: bool) {
        let cluster = &self.cfg.cluster;
        let Some(delay) = next_balance_check_ms(
            cluster.auto_leader_rebalance_enable,
            self.controller.balance_scheduled,
            self.controller.leaders_imbalanced(),
            capped,
            cluster.leader_imbalance_check_interval_seconds as u64 * 1_000,
        ) else {
            return;
        };
        self.schedule_in(delay, Action::Controller(ControllerTimer::BalanceLeaders));
        self.controller.balance_scheduled = true;
    }

    /// `ReplicationControlManager.maybeBalancePartitionLeaders`: every
    /// imbalanced partition (KRaft has no `leader.imbalance.per.broker.percentage`
    /// threshold) gets a PREFERRED election, at most
    /// [`MAX_ELECTIONS_PER_IMBALANCE`] per run.
    pub(crate) fn controller_balance_leaders(&mut self) {
        self.controller.balance_scheduled = false;
        let mut elections = 0;
        for tp in self.all_partitions() {
            if elections >= MAX_ELECTIONS_PER_IMBALANCE {
                break;
            }
            if self.elect_preferred_leader(tp) {
                elections += 1;
            }
        }
        self.controller_maybe_schedule_balance(elections >= MAX_ELECTIONS_PER_IMBALANCE);
    }

    /// A PREFERRED election for `tp` (see
    /// [`PartitionMeta::elect_preferred_leader`]). Returns whether the
    /// leader changed.
    fn elect_preferred_leader(&mut self, tp: Tp) -> bool {
        let usable = |b| self.broker_usable(b);
        let Some(target) = self.partition_meta(tp).elect_preferred_leader(usable) else {
            return false;
        };
        let preferred = self.partition_meta(tp).replicas.first() == Some(&target);
        self.install_leader(tp, Some(target), false, preferred);
        true
    }

    /// The leader `from`, at `leader_epoch`, asks the controller to change
    /// the ISR (AlterPartition). The request is validated
    /// ([`PartitionMeta::validate_alter_partition`]); metadata reaches
    /// brokers at once here, so a leader is never stale and a refusal is a
    /// bug (a debug assertion; a release build keeps the ISR).
    pub(crate) fn controller_alter_partition(
        &mut self,
        tp: Tp,
        from: BrokerId,
        leader_epoch: LeaderEpoch,
        isr: Vec<BrokerId>,
    ) {
        let meta = self.partition_meta(tp);
        if meta.isr == isr {
            return;
        }
        let fenced = |b: BrokerId| self.brokers[b.0 as usize].fenced;
        if let Err(e) = meta.validate_alter_partition(from, leader_epoch, &isr, fenced) {
            debug_assert!(false, "AlterPartition from {from} refused: {}", e.name());
            return;
        }
        let internal = self.controller.topic(tp.topic).internal;
        let mut out = Outbox::new();
        self.partition_meta_mut(tp)
            .set_isr(tp, isr, internal, &mut out);
        self.apply_outbox(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_partition_topic(name: &str) -> TopicMeta {
        TopicMeta {
            name: name.into(),
            internal: false,
            replication_factor: 3,
            min_insync_replicas: 2,
            partitions: vec![PartitionMeta {
                replicas: vec![BrokerId(0), BrokerId(1), BrokerId(2)],
                isr: vec![BrokerId(0), BrokerId(1), BrokerId(2)],
                leader: Some(BrokerId(0)),
                leader_epoch: LeaderEpoch(0),
            }],
        }
    }

    #[test]
    fn the_controller_counts_every_metadata_change_and_no_read() {
        let mut c = Controller::default();
        assert_eq!(c.add_topic(one_partition_topic("a")), TopicId(0));
        assert_eq!(c.add_topic(one_partition_topic("b")), TopicId(1));
        assert_eq!(c.generation(), 2, "a new topic is a change");
        let tp = Tp::new(TopicId(1), 0);
        assert_eq!(c.partition(tp).leader, Some(BrokerId(0)));
        assert_eq!(c.topic(TopicId(0)).name, "a");
        assert_eq!(c.generation(), 2, "reading changes nothing");
        c.partition_mut(tp).isr.pop();
        assert_eq!(c.generation(), 3);
        assert_eq!(c.partition(tp).isr, vec![BrokerId(0), BrokerId(1)]);
        assert!(!c.leaders_imbalanced());
        c.partition_mut(tp).leader = Some(BrokerId(1));
        assert!(
            c.leaders_imbalanced(),
            "led by a replica that is not the first"
        );
    }

    #[test]
    fn striped_placement_spreads_leaders_and_followers() {
        let p = place_replicas(3, 6, 3, 0, 0);
        let leaders: Vec<u16> = p.iter().map(|r| r[0].0).collect();
        assert_eq!(leaders, vec![0, 1, 2, 0, 1, 2]);
        for r in &p {
            let mut s = r.clone();
            s.sort();
            s.dedup();
            assert_eq!(
                s.len(),
                3,
                "replicas of one partition are on distinct brokers"
            );
        }
        // The follower shift changes after each round of n partitions.
        assert_ne!(p[0][1], p[3][1]);
    }

    /// 3 brokers, one partition with RF 3, nothing else running.
    fn three_brokers(auto_rebalance: bool) -> Engine {
        let mut cfg = crate::engine::config::ScenarioConfig::default();
        cfg.cluster.brokers = 3;
        cfg.cluster.auto_leader_rebalance_enable = auto_rebalance;
        cfg.topics[0].partitions = 1;
        cfg.topics[0].replication_factor = 3;
        cfg.groups.clear();
        cfg.producers.clear();
        Engine::new(cfg).unwrap()
    }

    const TP0: Tp = Tp {
        topic: TopicId(0),
        partition: PartitionId(0),
    };

    /// Leadership moved to replicas[1] and replicas[0] is out of the ISR, as
    /// after a failover; returns the replicas.
    fn fail_over(e: &mut Engine) -> Vec<BrokerId> {
        let meta = e.partition_meta(TP0).clone();
        let r = meta.replicas.clone();
        let m = e.partition_meta_mut(TP0);
        m.leader = Some(r[1]);
        m.isr = vec![r[1], r[2]];
        m.leader_epoch = LeaderEpoch(1);
        r
    }

    fn preferred_flags(e: &mut Engine) -> Vec<(Option<BrokerId>, bool)> {
        e.take_events()
            .into_iter()
            .filter_map(|ev| match ev.kind {
                EventKind::LeaderElected {
                    tp,
                    leader,
                    preferred,
                    ..
                } if tp == TP0 => Some((leader, preferred)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_imbalance_check_elects_the_preferred_replica_only_once_it_is_in_the_isr() {
        let mut e = three_brokers(true);
        let r = fail_over(&mut e);
        e.take_events();
        // Not in the ISR: the current (valid) leader stays, and the check
        // comes back after the interval.
        e.controller_balance_leaders();
        assert_eq!(e.leader_of(TP0), Some(r[1]));
        assert!(preferred_flags(&mut e).is_empty());
        assert!(
            e.controller.balance_scheduled,
            "still imbalanced: rescheduled"
        );
        // Back in the ISR and unfenced: it leads again, epoch + 1.
        e.partition_meta_mut(TP0).isr = vec![r[1], r[2], r[0]];
        e.controller_balance_leaders();
        assert_eq!(e.leader_of(TP0), Some(r[0]));
        assert_eq!(e.partition_meta(TP0).leader_epoch, LeaderEpoch(2));
        assert_eq!(preferred_flags(&mut e), vec![(Some(r[0]), true)]);
        assert!(
            !e.controller.balance_scheduled,
            "balanced: nothing to schedule"
        );
    }

    #[test]
    fn a_fenced_preferred_replica_is_not_elected_even_in_the_isr() {
        let mut e = three_brokers(true);
        let r = fail_over(&mut e);
        e.partition_meta_mut(TP0).isr = vec![r[1], r[2], r[0]];
        e.brokers[r[0].0 as usize].fenced = true;
        e.refresh_usable_brokers();
        e.take_events();
        e.controller_balance_leaders();
        assert_eq!(e.leader_of(TP0), Some(r[1]));
        assert!(preferred_flags(&mut e).is_empty());
    }

    #[test]
    fn with_auto_leader_rebalance_disabled_no_check_is_scheduled() {
        let mut e = three_brokers(false);
        let r = fail_over(&mut e);
        e.partition_meta_mut(TP0).isr = vec![r[1], r[2], r[0]];
        e.controller_maybe_schedule_balance(false);
        assert!(!e.controller.balance_scheduled);
    }

    const B0: BrokerId = BrokerId(0);
    const B1: BrokerId = BrokerId(1);
    const B2: BrokerId = BrokerId(2);

    /// A partition assigned to `replicas` (the first is preferred), led by
    /// `leader` at epoch 4 with `isr`.
    fn partition(
        replicas: &[BrokerId],
        leader: Option<BrokerId>,
        isr: &[BrokerId],
    ) -> PartitionMeta {
        PartitionMeta {
            replicas: replicas.to_vec(),
            leader,
            leader_epoch: LeaderEpoch(4),
            isr: isr.to_vec(),
        }
    }

    fn all_but(down: &[BrokerId]) -> impl Fn(BrokerId) -> bool + '_ {
        move |b| !down.contains(&b)
    }

    #[test]
    fn a_usable_leader_is_kept() {
        let p = partition(&[B0, B1, B2], Some(B1), &[B0, B1, B2]);
        assert_eq!(p.elect_leader(all_but(&[]), false), Election::Keep);
    }

    #[test]
    fn the_new_leader_is_the_first_usable_isr_member_in_assignment_order() {
        // Assignment order decides, not ISR order.
        let p = partition(&[B2, B0, B1], Some(B2), &[B1, B0]);
        assert_eq!(
            p.elect_leader(all_but(&[B2]), false),
            Election::Elect {
                leader: Some(B0),
                unclean: false
            }
        );
        // A down or fenced ISR member is skipped.
        assert_eq!(
            p.elect_leader(all_but(&[B2, B0]), true),
            Election::Elect {
                leader: Some(B1),
                unclean: false
            }
        );
    }

    #[test]
    fn an_out_of_sync_replica_leads_only_through_an_enabled_unclean_election() {
        let p = partition(&[B2, B0, B1], Some(B2), &[B2]);
        let down = [B2];
        assert_eq!(
            p.elect_leader(all_but(&down), false),
            Election::Elect {
                leader: None,
                unclean: false
            },
            "offline until the last ISR member returns"
        );
        assert_eq!(
            p.elect_leader(all_but(&down), true),
            Election::Elect {
                leader: Some(B0),
                unclean: true
            }
        );
    }

    #[test]
    fn a_preferred_election_moves_leadership_back_only_to_a_usable_isr_member() {
        // The preferred replica B0 is back in the ISR: it leads again.
        let p = partition(&[B0, B1, B2], Some(B1), &[B0, B1, B2]);
        assert_eq!(p.elect_preferred_leader(all_but(&[])), Some(B0));
        // Fenced, or out of the ISR: the valid leader stays.
        assert_eq!(p.elect_preferred_leader(all_but(&[B0])), None);
        let p = partition(&[B0, B1, B2], Some(B1), &[B1, B2]);
        assert_eq!(p.elect_preferred_leader(all_but(&[])), None);
        // No valid leader either: the next valid replica.
        assert_eq!(p.elect_preferred_leader(all_but(&[B1])), Some(B2));
        // Already balanced.
        let p = partition(&[B0, B1, B2], Some(B0), &[B0, B1, B2]);
        assert_eq!(p.elect_preferred_leader(all_but(&[])), None);
    }

    #[test]
    fn a_fenced_broker_leaves_the_isr_unless_it_is_the_last_member() {
        let p = partition(&[B0, B1, B2], Some(B0), &[B0, B1, B2]);
        assert_eq!(p.isr_without(B1), Some(vec![B0, B2]));
        let p = partition(&[B0, B1, B2], None, &[B1]);
        assert_eq!(p.isr_without(B1), None, "kept for a clean election later");
        assert_eq!(p.isr_without(B2), None, "not a member");
    }

    #[test]
    fn alter_partition_is_refused_to_a_stale_leader_and_for_an_invalid_isr() {
        let p = partition(&[B0, B1, B2], Some(B0), &[B0, B1, B2]);
        let e4 = LeaderEpoch(4);
        let none = |_: BrokerId| false;
        assert_eq!(p.validate_alter_partition(B0, e4, &[B0, B1], none), Ok(()));
        assert_eq!(
            p.validate_alter_partition(B0, LeaderEpoch(3), &[B0, B1], none),
            Err(AlterPartitionError::FencedLeaderEpoch)
        );
        assert_eq!(
            p.validate_alter_partition(B0, LeaderEpoch(5), &[B0, B1], none),
            Err(AlterPartitionError::NotController)
        );
        let invalid = Err(AlterPartitionError::InvalidRequest);
        assert_eq!(
            p.validate_alter_partition(B1, e4, &[B0, B1], none),
            invalid,
            "not the leader"
        );
        assert_eq!(
            p.validate_alter_partition(B0, e4, &[B1, B2], none),
            invalid,
            "without the leader"
        );
        assert_eq!(
            p.validate_alter_partition(B0, e4, &[B0, BrokerId(7)], none),
            invalid
        );
        assert_eq!(p.validate_alter_partition(B0, e4, &[B0, B0], none), invalid);
        assert_eq!(
            p.validate_alter_partition(B0, e4, &[B0, B2], |b| b == B2),
            Err(AlterPartitionError::IneligibleReplica)
        );
    }

    #[test]
    fn a_new_leader_bumps_the_epoch_and_an_unclean_one_becomes_the_whole_isr() {
        let mut p = partition(&[B0, B1, B2], Some(B0), &[B0]);
        let mut out = Outbox::new();
        p.install_leader(TP0, Some(B1), true, false, false, &mut out);
        assert_eq!(
            (p.leader, p.leader_epoch, p.isr.clone()),
            (Some(B1), LeaderEpoch(5), vec![B1])
        );
        assert_eq!(
            out.events().next(),
            Some(&EventKind::LeaderElected {
                tp: TP0,
                leader: Some(B1),
                epoch: LeaderEpoch(5),
                unclean: true,
                preferred: false,
                previous: Some(B0),
                internal: false,
            })
        );
        // A clean change keeps the ISR.
        let mut p = partition(&[B0, B1, B2], Some(B0), &[B0, B1]);
        p.install_leader(TP0, Some(B1), false, false, false, &mut Outbox::new());
        assert_eq!(p.isr, vec![B0, B1]);
    }

    #[test]
    fn an_isr_change_shows_who_left_and_who_joined() {
        let mut p = partition(&[B0, B1, B2], Some(B0), &[B0, B1]);
        let mut out = Outbox::new();
        assert!(p.set_isr(TP0, vec![B0, B2], true, &mut out));
        assert_eq!(
            out.events().next(),
            Some(&EventKind::IsrChanged {
                tp: TP0,
                isr: vec![B0, B2],
                removed: vec![B1],
                added: vec![B2],
                internal: true,
            })
        );
        let mut out = Outbox::new();
        assert!(!p.set_isr(TP0, vec![B0, B2], true, &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn the_imbalance_check_is_scheduled_only_when_enabled_due_and_not_pending() {
        let topic = |leader| TopicMeta {
            name: "t".into(),
            internal: false,
            replication_factor: 3,
            min_insync_replicas: 2,
            partitions: vec![partition(&[B0, B1, B2], leader, &[B0, B1, B2])],
        };
        assert!(!leaders_imbalanced(&[topic(Some(B0))]));
        assert!(leaders_imbalanced(&[topic(Some(B1))]));
        assert!(leaders_imbalanced(&[topic(None)]), "leaderless counts");
        let interval = 300_000;
        assert_eq!(
            next_balance_check_ms(true, false, true, false, interval),
            Some(interval)
        );
        assert_eq!(
            next_balance_check_ms(true, false, true, true, interval),
            Some(10),
            "capped: again at once"
        );
        assert_eq!(
            next_balance_check_ms(false, false, true, false, interval),
            None
        );
        assert_eq!(
            next_balance_check_ms(true, true, true, false, interval),
            None
        );
        assert_eq!(
            next_balance_check_ms(true, false, false, false, interval),
            None
        );
    }

    #[test]
    fn single_broker_places_everything_on_broker_zero() {
        let p = place_replicas(1, 4, 1, 0, 0);
        assert!(p.iter().all(|r| r == &vec![BrokerId(0)]));
    }
}
