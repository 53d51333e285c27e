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
//! Simplification: the controller quorum is one always-available box and
//! its metadata reaches brokers instantly (in Kafka, within milliseconds via
//! the metadata log); clients still learn of changes only when they ask.

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

/// Name of the offsets topic.
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";
/// Name of the transaction log topic.
pub const TRANSACTION_STATE: &str = "__transaction_state";

impl Engine {
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
                Action::IsrExpiration {
                    broker: BrokerId(b),
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
            Action::ControllerFence {
                broker,
                incarnation,
            },
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
        self.schedule_in(lag / 2, Action::IsrExpiration { broker });
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

    #[test]
    fn single_broker_places_everything_on_broker_zero() {
        let p = place_replicas(1, 4, 1, 0, 0);
        assert!(p.iter().all(|r| r == &vec![BrokerId(0)]));
    }
}
