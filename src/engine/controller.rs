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

use crate::engine::broker::BrokerTimer;
use crate::engine::event::EventKind;
use crate::engine::ids::*;
use crate::engine::sim::{Action, Engine};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionMeta {
    /// Assignment order: `replicas[0]` is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub isr: Vec<BrokerId>,
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
        // transactional producer, or an exactly-once consumer group).
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
        if transactional {
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
        let topic = TopicId(self.topics.len() as u16);
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
        self.topics.push(TopicMeta {
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
        &self.topics[tp.topic.0 as usize].partitions[tp.partition.0 as usize]
    }

    pub(crate) fn partition_meta_mut(&mut self, tp: Tp) -> &mut PartitionMeta {
        &mut self.topics[tp.topic.0 as usize].partitions[tp.partition.0 as usize]
    }

    /// All partitions of all topics, in (topic, partition) order.
    pub fn all_partitions(&self) -> Vec<Tp> {
        let mut v = Vec::new();
        for (t, meta) in self.topics.iter().enumerate() {
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
        self.emit(EventKind::BrokerFenced { broker });
        for tp in self.all_partitions() {
            let meta = self.partition_meta(tp).clone();
            if !meta.replicas.contains(&broker) {
                continue;
            }
            if meta.isr.contains(&broker) && meta.isr.len() > 1 {
                let isr: Vec<BrokerId> =
                    meta.isr.iter().copied().filter(|b| *b != broker).collect();
                self.partition_meta_mut(tp).isr = isr.clone();
                let internal = self.topics[tp.topic.0 as usize].internal;
                self.emit(EventKind::IsrChanged {
                    tp,
                    isr,
                    removed: vec![broker],
                    added: vec![],
                    internal,
                });
                // The leader learns the smaller ISR (`Partition.makeLeader`):
                // the HW may now move past what only the fenced one lacked.
                if let Some(l) = meta.leader.filter(|l| *l != broker) {
                    self.broker_maybe_increment_hw(l, tp);
                }
            }
            if meta.leader == Some(broker) {
                self.elect_leader(tp);
            }
        }
    }

    fn broker_usable(&self, b: BrokerId) -> bool {
        let br = &self.brokers[b.0 as usize];
        br.alive && !br.fenced
    }

    /// `PartitionChangeBuilder`: first live ISR replica in assignment order;
    /// unclean only when enabled and no ISR member is alive.
    pub(crate) fn elect_leader(&mut self, tp: Tp) {
        let meta = self.partition_meta(tp).clone();
        if let Some(l) = meta.leader {
            if self.broker_usable(l) {
                return;
            }
        }
        let clean = meta
            .replicas
            .iter()
            .copied()
            .find(|r| meta.isr.contains(r) && self.broker_usable(*r));
        let mut unclean = false;
        let new_leader = clean.or_else(|| {
            if self.cfg.cluster.unclean_leader_election_enable {
                unclean = true;
                meta.replicas
                    .iter()
                    .copied()
                    .find(|r| self.broker_usable(*r))
            } else {
                None
            }
        });
        self.install_leader(tp, &meta, new_leader, unclean, false);
    }

    /// Records a leader change: bumps the leader epoch, tells the brokers,
    /// moves coordinators, and lets the imbalance check notice (in Kafka,
    /// `maybeScheduleNextBalancePartitionLeaders` runs after every write).
    fn install_leader(
        &mut self,
        tp: Tp,
        meta: &PartitionMeta,
        new_leader: Option<BrokerId>,
        unclean: bool,
        preferred: bool,
    ) {
        let epoch = LeaderEpoch(meta.leader_epoch.0 + 1);
        {
            let m = self.partition_meta_mut(tp);
            m.leader = new_leader;
            m.leader_epoch = epoch;
            if unclean {
                if let Some(l) = new_leader {
                    m.isr = vec![l];
                }
            }
        }
        let internal = self.topics[tp.topic.0 as usize].internal;
        self.emit(EventKind::LeaderElected {
            tp,
            leader: new_leader,
            epoch,
            unclean,
            preferred,
            previous: meta.leader,
            internal,
        });
        if let Some(l) = new_leader {
            self.broker_become_leader(l, tp, epoch);
            for r in meta.replicas.iter().copied().filter(|r| *r != l) {
                if self.brokers[r.0 as usize].alive {
                    self.broker_become_follower(r, tp);
                }
            }
        }
        if self.topics[tp.topic.0 as usize].name == CONSUMER_OFFSETS {
            self.group_coordinator_moved(tp);
        }
        if self.topics[tp.topic.0 as usize].name == TRANSACTION_STATE {
            self.txn_coordinator_moved(tp);
        }
        self.controller_maybe_schedule_balance(false);
    }

    // ---- preferred-leader election (auto.leader.rebalance.enable) ----------

    /// Whether any partition is led by a replica other than its preferred
    /// one (`PartitionRegistration.hasPreferredLeader` is false; a
    /// leaderless partition counts too).
    fn leaders_imbalanced(&self) -> bool {
        self.topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .any(|m| m.leader != m.replicas.first().copied())
    }

    /// `QuorumController.maybeScheduleNextBalancePartitionLeaders`: with
    /// `auto.leader.rebalance.enable` on, if some partition is imbalanced and
    /// no check is pending, schedule one `leader.imbalance.check.interval.seconds`
    /// from now (10 ms when the previous run stopped at its election cap).
    ///
    /// Simplification: Kafka runs this after every controller write, broker
    /// heartbeats (every 2 s) included; here it runs after each leader change
    /// and each check, which is the same moment to within a heartbeat.
    pub(crate) fn controller_maybe_schedule_balance(&mut self, immediately: bool) {
        if self.balance_scheduled
            || !self.cfg.cluster.auto_leader_rebalance_enable
            || !self.leaders_imbalanced()
        {
            return;
        }
        let delay = if immediately {
            10
        } else {
            self.cfg.cluster.leader_imbalance_check_interval_seconds as u64 * 1_000
        };
        self.schedule_in(delay, Action::Controller(ControllerTimer::BalanceLeaders));
        self.balance_scheduled = true;
    }

    /// `ReplicationControlManager.maybeBalancePartitionLeaders`: every
    /// imbalanced partition (KRaft has no `leader.imbalance.per.broker.percentage`
    /// threshold) gets a PREFERRED election, at most
    /// [`MAX_ELECTIONS_PER_IMBALANCE`] per run.
    pub(crate) fn controller_balance_leaders(&mut self) {
        self.balance_scheduled = false;
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

    /// `PartitionChangeBuilder` with `Election.PREFERRED`: the preferred
    /// replica if it is in the ISR and unfenced; otherwise the current leader
    /// if still valid; otherwise the first valid other replica. Returns
    /// whether the leader changed.
    fn elect_preferred_leader(&mut self, tp: Tp) -> bool {
        let meta = self.partition_meta(tp).clone();
        let Some(&preferred) = meta.replicas.first() else {
            return false;
        };
        if meta.leader == Some(preferred) {
            return false;
        }
        let valid = |r: BrokerId| meta.isr.contains(&r) && self.broker_usable(r);
        let target = if valid(preferred) {
            Some(preferred)
        } else if meta.leader.is_some_and(valid) {
            meta.leader
        } else {
            meta.replicas.iter().copied().skip(1).find(|r| valid(*r))
        };
        if target.is_none() || target == meta.leader {
            return false;
        }
        self.install_leader(tp, &meta, target, false, target == Some(preferred));
        true
    }

    /// The leader asks the controller to change the ISR (AlterPartition).
    pub(crate) fn controller_alter_isr(&mut self, tp: Tp, isr: Vec<BrokerId>) {
        let old = self.partition_meta(tp).isr.clone();
        if old == isr {
            return;
        }
        let removed: Vec<BrokerId> = old.iter().copied().filter(|b| !isr.contains(b)).collect();
        let added: Vec<BrokerId> = isr.iter().copied().filter(|b| !old.contains(b)).collect();
        self.partition_meta_mut(tp).isr = isr.clone();
        let internal = self.topics[tp.topic.0 as usize].internal;
        self.emit(EventKind::IsrChanged {
            tp,
            isr,
            removed,
            added,
            internal,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(e.balance_scheduled, "still imbalanced: rescheduled");
        // Back in the ISR and unfenced: it leads again, epoch + 1.
        e.partition_meta_mut(TP0).isr = vec![r[1], r[2], r[0]];
        e.controller_balance_leaders();
        assert_eq!(e.leader_of(TP0), Some(r[0]));
        assert_eq!(e.partition_meta(TP0).leader_epoch, LeaderEpoch(2));
        assert_eq!(preferred_flags(&mut e), vec![(Some(r[0]), true)]);
        assert!(!e.balance_scheduled, "balanced: nothing to schedule");
    }

    #[test]
    fn a_fenced_preferred_replica_is_not_elected_even_in_the_isr() {
        let mut e = three_brokers(true);
        let r = fail_over(&mut e);
        e.partition_meta_mut(TP0).isr = vec![r[1], r[2], r[0]];
        e.brokers[r[0].0 as usize].fenced = true;
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
        assert!(!e.balance_scheduled);
    }

    #[test]
    fn single_broker_places_everything_on_broker_zero() {
        let p = place_replicas(1, 4, 1, 0, 0);
        assert!(p.iter().all(|r| r == &vec![BrokerId(0)]));
    }
}
