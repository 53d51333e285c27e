//! The follower side of replication (`ReplicaFetcherThread`,
//! `AbstractFetcherThread`): one fetch session per leader broker, always one
//! request in flight.
//!
//! A follower asks each leader it follows for the records after its log end
//! offset, sending with each partition the epoch of its last entry
//! (`lastFetchedEpoch`, KIP-595) and its leader epoch. With the answer it
//! appends what came back, takes the high watermark as `min(leader HW, own
//! LEO)`, and truncates when the leader reports a diverging epoch — the
//! moment an unreplicated record vanishes (KIP-101/KIP-320). Its next fetch
//! is what tells the leader how far it got (see
//! [`crate::engine::partition_leader`]). A stalled fetcher (a fault) resumes
//! after its stall.

use crate::engine::broker::{BrokerTimer, Replica, MAX_FETCH_ENTRIES};
use crate::engine::config::IsolationLevel;
use crate::engine::event::{EventKind, Node};
use crate::engine::ids::*;
use crate::engine::network::{FetchPartition, FetchPartitionData, Msg};
use crate::engine::sim::{Action, Engine};
#[cfg(engine_speed)]
use crate::engine::vecmap::VecMap;

/// A follower's cached answer to "which of my replicas does this leader
/// lead?", per leader. Building each fetch request by walking every replica
/// the broker hosts (62 in W1, with `__consumer_offsets`) and looking up its
/// metadata was a seventh of a whole W1 run; the answer changes only with
/// the metadata. A cache, not state: two brokers are equal whatever their
/// caches hold. Native only, like the leader's fetch sessions
/// (`fetch_session::ENABLED`): the page plays small scenarios and counts
/// its first-load bytes.
#[cfg(engine_speed)]
#[derive(Clone, Debug, Default)]
pub struct FetchPlans {
    plans: VecMap<BrokerId, FetchPlan>,
    answered: AnsweredRequests, // requests it answered as a leader, spare answers
    /// The next request to a leader, made by the answer's handler.
    ready: Option<(BrokerId, Vec<FetchPartition>, Option<delta::Delta>)>,
}

#[cfg(not(engine_speed))]
pub type FetchPlans = ();

#[cfg(engine_speed)]
impl PartialEq for FetchPlans {
    fn eq(&self, _: &FetchPlans) -> bool {
        true
    }
}

#[cfg(engine_speed)]
impl Eq for FetchPlans {}

#[cfg(engine_speed)]
#[derive(Clone, Debug)]
struct FetchPlan {
    /// The controller's change count when the plan was made.
    generation: u64,
    /// How many replicas the broker hosted then.
    replicas: usize,
    /// Positions in the broker's `replicas`, with each partition's leader
    /// epoch (which changes only with the metadata, like the plan).
    slots: std::rc::Rc<[(u32, LeaderEpoch)]>,
    /// Where the last request sent may differ from the one before it.
    sent_delta: Option<delta::Delta>,
}

impl Engine {
    /// Makes sure this broker has a fetch in flight to every leader it follows.
    pub(crate) fn broker_start_fetchers(&mut self, b: BrokerId) {
        if !self.brokers[b.0 as usize].alive {
            return;
        }
        let mut leaders: Vec<BrokerId> = Vec::new();
        for tp in self.brokers[b.0 as usize].replicas.keys() {
            if let Some(l) = self.partition_meta(*tp).leader {
                if l != b && !leaders.contains(&l) {
                    leaders.push(l);
                }
            }
        }
        crate::engine::vecmap::sort_small_by_key(&mut leaders, |b| *b);
        for l in leaders {
            let in_flight = self.brokers[b.0 as usize]
                .fetchers
                .get(&l)
                .copied()
                .flatten();
            if in_flight.is_none() {
                self.broker_follower_fetch(b, l);
            }
        }
    }
    #[cfg(not(engine_speed))]
    pub(crate) fn broker_follower_fetch(&mut self, b: BrokerId, leader: BrokerId) {
        if !self.brokers[b.0 as usize].alive {
            return;
        }
        if self.brokers[b.0 as usize].fetch_stalled_until_ms.is_some() {
            return; // resumes in `broker_resume_fetching`
        }
        if self.brokers[b.0 as usize]
            .fetchers
            .get(&leader)
            .copied()
            .flatten()
            .is_some()
        {
            return;
        }
        let partitions = self.follower_fetch_partitions(b, leader);
        if partitions.is_empty() {
            self.broker(b).fetchers.remove(&leader);
            return;
        }
        let fetch_id = self.next_id();
        self.broker(b).fetchers.insert(leader, Some(fetch_id));
        let wait = self.cfg.cluster.replica_fetch_wait_max_ms;
        self.send(
            Node::Broker(b),
            Node::Broker(leader),
            Msg::Fetch {
                fetch_id,
                replica: Some(b),
                isolation: IsolationLevel::ReadUncommitted,
                max_wait_ms: wait,
                max_records: MAX_FETCH_ENTRIES as u32,
                partitions,
            },
        );
    }

    /// What broker `b`'s next fetch from `leader` asks for: each partition
    /// it follows from there, from its log end offset.
    #[cfg(engine_speed)]
    fn follower_fetch_partitions(&mut self, b: BrokerId, leader: BrokerId) -> Vec<FetchPartition> {
        // Nearly always the answer just handled made it, under a plan that
        // still holds: one lookup of the plan, not `fetch_plan`'s and two more.
        let generation = self.controller.generation();
        let broker = &mut self.brokers[b.0 as usize];
        let replicas = broker.replicas.len();
        let plans = &mut broker.fetch_plans;
        if let Some((ready, delta)) = plans.ready.take_if(|r| r.0 == leader).map(|r| (r.1, r.2)) {
            // Its plan, by a scan of the broker's few leaders' plans
            // (`small_get_mut`).
            if let Some(plan) = small_get_mut(&mut plans.plans, leader)
                .filter(|p| p.generation == generation && p.replicas == replicas)
            {
                plan.sent_delta = delta;
                debug_assert!(self.is_fresh(b, leader, &ready), "a stale follower request");
                return ready;
            }
        }
        // Otherwise afresh, under the plan as it is now (`fetch_plan` drops
        // a stale one).
        let slots = self.fetch_plan(b, leader);
        let partitions = self.fresh_fetch_partitions(b, &slots);
        let plan = self.brokers[b.0 as usize]
            .fetch_plans
            .plans
            .get_mut(&leader)
            .expect("fetch_plan made it");
        plan.sent_delta = None;
        partitions
    }

    /// Each planned partition's fetch, read off broker `b`'s replicas.
    #[cfg(engine_speed)]
    fn fresh_fetch_partitions(
        &self,
        b: BrokerId,
        slots: &[(u32, LeaderEpoch)],
    ) -> Vec<FetchPartition> {
        let replicas = &self.brokers[b.0 as usize].replicas;
        let mut partitions = Vec::with_capacity(slots.len());
        partitions.extend(slots.iter().filter_map(|&(i, epoch)| {
            let (tp, rep) = replicas.get_index(i as usize).expect("a planned slot");
            Self::fetch_partition(*tp, rep, epoch)
        }));
        partitions
    }

    /// After the answer to broker `b`'s last fetch from `leader` was
    /// applied: the next request is the last one with the answered
    /// partitions read again, since nothing else changes a follower's
    /// replicas of one leader while its fetch is in flight (that answer is
    /// the only one; a new leader, epoch or replica comes with new metadata,
    /// which makes a new plan). Building each request afresh read all ~21 partitions a broker
    /// follows from a leader to change one or two (a twelfth of W1 full); debug builds check
    /// it against a fresh one. `base` is the answered fetch, whose request the leader handed
    /// back ([`AnsweredRequests`]), made under the plan `leader` has now.
    #[cfg(engine_speed)]
    fn next_request_from_answer(
        &mut self,
        b: BrokerId,
        leader: BrokerId,
        (base, answered): (u64, &[FetchPartitionData]),
    ) {
        let Some(sent) = self.brokers[leader.0 as usize]
            .fetch_plans
            .take_answered(b, base)
        else {
            return;
        };
        let broker = &mut self.brokers[b.0 as usize];
        let mut next = delta::Next::from(sent);
        for d in answered {
            let Some(i) = next.iter().position(|p| same_partition(p.tp, d.tp)) else {
                continue;
            };
            let fresh = broker
                .replicas
                .get(&d.tp)
                .and_then(|rep| Self::fetch_partition(d.tp, rep, next[i].current_leader_epoch));
            match fresh {
                Some(fp) => next.set(i, fp),
                // It leads the partition now: a request made afresh leaves it out.
                None => return,
            }
        }
        let (ready, delta) = next.ready(base);
        broker.fetch_plans.ready = Some((leader, ready, delta));
    }

    /// The web page walks every replica: it leaves out the native-only
    /// caches (see [`FetchPlans`]).
    #[cfg(not(engine_speed))]
    fn follower_fetch_partitions(&mut self, b: BrokerId, leader: BrokerId) -> Vec<FetchPartition> {
        self.brokers[b.0 as usize]
            .replicas
            .iter()
            .filter(|(tp, _)| self.partition_meta(**tp).leader == Some(leader))
            .filter_map(|(tp, rep)| {
                Self::fetch_partition(*tp, rep, self.partition_meta(*tp).leader_epoch)
            })
            .collect()
    }

    /// A follower's fetch for `tp` in the leader's `current_leader_epoch`,
    /// unless it leads it itself.
    fn fetch_partition(
        tp: Tp,
        rep: &Replica,
        current_leader_epoch: LeaderEpoch,
    ) -> Option<FetchPartition> {
        rep.leader.is_none().then(|| FetchPartition {
            tp,
            fetch_offset: rep.log.leo(),
            last_fetched_epoch: rep.log.last_entry_epoch(),
            current_leader_epoch,
            follower_hw: Some(rep.log.hw()),
        })
    }

    /// Where, among the replicas broker `b` hosts (in partition order), are those whose
    /// leader is `leader`, with their leader epochs. Worked out again only when the metadata
    /// changed or `b` gained a replica (which moves the positions); debug builds check it.
    /// A request made from an answer (`next_request_from_answer`) is taken only under a plan
    /// that holds by the same test (`follower_fetch_partitions`).
    #[cfg(engine_speed)]
    fn fetch_plan(&mut self, b: BrokerId, leader: BrokerId) -> std::rc::Rc<[(u32, LeaderEpoch)]> {
        let generation = self.controller.generation();
        let replicas = self.brokers[b.0 as usize].replicas.len();
        let cached = self.brokers[b.0 as usize]
            .fetch_plans
            .plans
            .get(&leader)
            .filter(|p| p.generation == generation && p.replicas == replicas)
            .map(|p| p.slots.clone());
        match cached {
            Some(slots) => {
                debug_assert_eq!(*slots, *self.followed_from(b, leader), "a stale fetch plan");
                slots
            }
            None => {
                let slots: std::rc::Rc<[(u32, LeaderEpoch)]> = self.followed_from(b, leader).into();
                let plan = FetchPlan {
                    generation,
                    replicas,
                    slots: slots.clone(),
                    sent_delta: None,
                };
                self.broker(b).fetch_plans.plans.insert(leader, plan);
                slots
            }
        }
    }

    #[cfg(engine_speed)]
    fn followed_from(&self, b: BrokerId, leader: BrokerId) -> Vec<(u32, LeaderEpoch)> {
        self.brokers[b.0 as usize]
            .replicas
            .keys()
            .enumerate()
            .map(|(i, tp)| (i, self.partition_meta(*tp)))
            .filter(|(_, meta)| meta.leader == Some(leader))
            .map(|(i, meta)| (i as u32, meta.leader_epoch))
            .collect()
    }

    pub(crate) fn broker_handle_fetch_response(
        &mut self,
        b: BrokerId,
        leader: BrokerId,
        fetch_id: u64,
        parts: Vec<FetchPartitionData>,
    ) {
        if self.brokers[b.0 as usize]
            .fetchers
            .get(&leader)
            .copied()
            .flatten()
            != Some(fetch_id)
        {
            return; // a stale session
        }
        self.broker(b).fetchers.insert(leader, None);
        let mut errors = false;
        for d in &parts {
            let tp = d.tp;
            // Ignore data for partitions we no longer follow from this leader.
            if self.partition_meta(tp).leader != Some(leader) {
                continue;
            }
            if d.error.is_some() {
                errors = true;
                continue;
            }
            let Some(rep) = self.brokers[b.0 as usize].replicas.get_mut(&tp) else {
                continue;
            };
            if rep.leader.is_some() {
                continue;
            }
            if let Some((epoch, end)) = d.diverging {
                let to = rep.log.truncation_offset_for_diverging(epoch, end);
                let removed = rep.log.truncate_to(to);
                if !removed.is_empty() {
                    let removed: Vec<(Offset, Option<RecordId>, LeaderEpoch)> = removed
                        .iter()
                        .map(|e| (e.offset, e.record, e.leader_epoch))
                        .collect();
                    self.emit(EventKind::Truncated {
                        broker: b,
                        tp,
                        to,
                        removed,
                    });
                }
                continue;
            }
            let first = d.entries.first().map(|e| e.offset);
            if let Some(first) = first {
                if first != rep.log.leo() {
                    continue; // a stale response from before a truncation
                }
                rep.log.append_fetched(&d.entries);
            }
            let old_hw = rep.log.hw();
            let new_hw = d.hw.min(rep.log.leo());
            if new_hw > old_hw {
                rep.log.set_hw(new_hw);
            }
            let (leo, hw) = (rep.log.leo(), rep.log.hw());
            if let Some(first) = first {
                let internal = self.controller.topic(tp.topic).internal;
                self.emit(EventKind::Replicated {
                    broker: b,
                    tp,
                    first,
                    count: d.entries.len() as u32,
                    leo,
                    hw,
                    internal,
                });
            } else if hw > old_hw {
                self.emit(EventKind::HighWatermark {
                    broker: b,
                    tp,
                    hw,
                    leader: false,
                });
            }
        }
        if errors {
            self.schedule_in(
                1_000,
                Action::Broker {
                    broker: b,
                    timer: BrokerTimer::FollowerFetchBackoff { leader },
                },
            );
        } else {
            #[cfg(engine_speed)]
            self.next_request_from_answer(b, leader, (fetch_id, &parts));
            self.broker_follower_fetch(b, leader);
            // A fetch that did not go out (a stalled fetcher) leaves the
            // request it would have sent: it is made afresh when it does.
            #[cfg(engine_speed)]
            {
                self.fetch_answer_handled(b, leader, parts);
            }
        }
    }

    pub(crate) fn cmd_stall_followers(&mut self, tp: Tp, ms: u32) -> Result<(), String> {
        let meta = self.partition_meta(tp).clone();
        let followers: Vec<BrokerId> = meta
            .replicas
            .iter()
            .copied()
            .filter(|r| Some(*r) != meta.leader && self.brokers[r.0 as usize].alive)
            .collect();
        if followers.is_empty() {
            return Err("the partition has no live follower to stall".into());
        }
        let until = self.now_ms + ms as u64;
        for f in &followers {
            self.broker(*f).fetch_stalled_until_ms = Some(until);
            self.schedule(
                until,
                Action::Broker {
                    broker: *f,
                    timer: BrokerTimer::FetcherResume,
                },
            );
        }
        let list: Vec<String> = followers.iter().map(|b| b.to_string()).collect();
        self.emit(EventKind::FaultArmed {
            text: format!(
                "The replica fetchers of broker {} stall for {ms} ms (think: a long GC pause). They stay in the ISR for up to replica.lag.time.max.ms.",
                list.join(" and ")
            ),
        });
        Ok(())
    }

    pub(crate) fn broker_resume_fetching(&mut self, b: BrokerId) {
        let until = self.brokers[b.0 as usize].fetch_stalled_until_ms;
        if until.is_some_and(|u| u <= self.now_ms) {
            self.broker(b).fetch_stalled_until_ms = None;
            self.broker_start_fetchers(b);
        }
    }

    /// Whether some live follower still lags its leader's LEO or HW.
    pub(crate) fn replication_pending(&self) -> bool {
        for (t, topic) in self.controller.topics().iter().enumerate() {
            for (p, meta) in topic.partitions.iter().enumerate() {
                let tp = Tp::new(TopicId(t as u16), p as u32);
                let Some(l) = meta.leader else { continue };
                let leader = &self.brokers[l.0 as usize];
                if !leader.alive {
                    continue;
                }
                let Some(lrep) = leader.replicas.get(&tp) else {
                    continue;
                };
                let (leo, hw) = (lrep.log.leo(), lrep.log.hw());
                for r in &meta.replicas {
                    if *r == l {
                        continue;
                    }
                    let f = &self.brokers[r.0 as usize];
                    if !f.alive {
                        continue;
                    }
                    if let Some(frep) = f.replicas.get(&tp) {
                        if frep.log.leo() != leo || frep.log.hw() < hw {
                            return true;
                        }
                        // A live follower outside the ISR that has caught up
                        // rejoins at its next fetch (`maybeExpandIsr`): the
                        // run is not over until the ISR shows it.
                        if !meta.isr.contains(r) && !f.fenced {
                            return true;
                        }
                    }
                }
                // A leader whose HW lags its LEO with its followers up to date
                // will move once they fetch again.
                if hw < leo && meta.isr.len() >= topic.effective_min_isr() {
                    return true;
                }
            }
        }
        false
    }
}

// The follower's half of an incremental fetch request (native only, like
// the plans): which partitions of a request may differ from the last one.
#[cfg(engine_speed)]
#[path = "fetch_delta.rs"]
mod delta;

/// The page's leaders compare every partition (they keep no sessions).
#[cfg(not(engine_speed))]
impl Engine {
    pub(crate) fn follower_delta(
        &self,
        _: BrokerId,
        _: BrokerId,
        _: u64,
        _: &[FetchPartition],
    ) -> u64 {
        !0
    }
}

/// The requests of the follower fetches a leader answered, one per
/// follower: `(follower, fetch id, request)`. A follower's next request is
/// its last one with the answered partitions read again
/// ([`Engine::next_request_from_answer`]), and the answered request is the
/// last one: the leader hands its buffer back (it only ever reads a
/// request) instead of dropping it, so the follower neither keeps a copy
/// of each request it sends (~1 KB, a malloc and a `memcpy` per fetch)
/// nor allocates the next. A cache, not state: a follower that finds no
/// request here for the fetch answered makes its next one afresh, the
/// same request (and its leader, without the follower's note of what
/// changed, compares every partition). It prints as nothing; a clone (a
/// time-travel snapshot) keeps the requests, so that a replay from it
/// takes the same paths as the run did.
///
/// With them, the buffers of answers that came back (`SpareAnswers`).
#[cfg(engine_speed)]
#[derive(Clone, Default)]
struct AnsweredRequests(Vec<(BrokerId, u64, Vec<FetchPartition>)>, SpareAnswers);

/// Answer buffers (`Vec<FetchPartitionData>`) for a leader's next reads
/// (`Broker::read_fetch`): a follower hands back the answer it handled,
/// and a read the leader does not send (the fetch waits) keeps its own.
/// Each fetch read allocated its answer (~111,000 reads in the 3 x
/// 20k-record W1 full run, about half of them not sent), and the follower
/// freed it. Each keeps its first partition's answer, whose entries'
/// buffer a follower's read of one partition (`Broker::read_loud_in`)
/// fills again in place of a new one: the follower freed the entries of
/// each of its ~61,000 answers with records. A cache, not state: at most a
/// few, cloned as none, and what a kept partition held is overwritten
/// before it is read (a buffer's capacity changes no answer). A `RefCell`
/// because a read only borrows the broker.
#[cfg(engine_speed)]
#[derive(Default)]
struct SpareAnswers(std::cell::RefCell<Vec<Vec<FetchPartitionData>>>);

#[cfg(engine_speed)]
impl Clone for SpareAnswers {
    fn clone(&self) -> Self {
        SpareAnswers::default()
    }
}

#[cfg(engine_speed)]
impl FetchPlans {
    /// An emptied buffer for a read's answer, if one is kept.
    #[inline(always)]
    pub(crate) fn spare_answer(&self) -> Option<Vec<FetchPartitionData>> {
        let mut answer = self.kept_answer()?;
        answer.clear();
        Some(answer)
    }

    /// A kept buffer for a read's answer, as kept: with at most one
    /// partition's answer in it, to be overwritten.
    #[inline(always)]
    pub(crate) fn kept_answer(&self) -> Option<Vec<FetchPartitionData>> {
        self.answered.1 .0.borrow_mut().pop()
    }

    /// Keeps `answer`'s buffer for a later read (up to four), with its
    /// first partition's answer (see `SpareAnswers`).
    #[inline(always)]
    pub(crate) fn keep_spare(&mut self, mut answer: Vec<FetchPartitionData>) {
        let spare = self.answered.1 .0.get_mut();
        if spare.len() < 4 && answer.capacity() != 0 {
            answer.truncate(1);
            spare.push(answer);
        }
    }
}

#[cfg(engine_speed)]
impl Engine {
    /// Broker `b` handled `leader`'s answer `parts` and sent its next
    /// fetch: the request it would have sent, if it did not (a stalled
    /// fetcher), is made afresh when it does, and the answer's buffer goes
    /// back to the leader (`SpareAnswers`).
    #[inline(always)]
    fn fetch_answer_handled(
        &mut self,
        b: BrokerId,
        leader: BrokerId,
        parts: Vec<FetchPartitionData>,
    ) {
        self.broker(b).fetch_plans.ready = None;
        self.broker(leader).fetch_plans.keep_spare(parts);
    }
}

#[cfg(engine_speed)]
impl std::fmt::Debug for AnsweredRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnsweredRequests")
    }
}

#[cfg(engine_speed)]
impl FetchPlans {
    /// A leader answers fetch `fetch_id` from `replica` (a follower, or
    /// `None` for a consumer): a follower's request is kept for it (in
    /// place of its last one), a consumer's dropped.
    #[inline(always)]
    pub(crate) fn keep_answered(
        &mut self,
        replica: Option<BrokerId>,
        fetch_id: u64,
        request: Vec<FetchPartition>,
    ) {
        let Some(follower) = replica else {
            return;
        };
        let kept = (follower, fetch_id, request);
        match self.answered.0.iter_mut().find(|k| k.0 == follower) {
            Some(slot) => *slot = kept,
            None => self.answered.0.push(kept),
        }
    }

    /// The request of `follower`'s fetch `fetch_id`, if this leader
    /// answered it and still has it.
    #[inline(always)]
    fn take_answered(&mut self, follower: BrokerId, fetch_id: u64) -> Option<Vec<FetchPartition>> {
        let i = self
            .answered
            .0
            .iter()
            .position(|k| k.0 == follower && k.1 == fetch_id)?;
        Some(self.answered.0.swap_remove(i).2)
    }
}

#[cfg(engine_speed)]
impl Engine {
    /// Whether `ready`, broker `b`'s next request to `leader`, and the plan
    /// it was made under are what a fresh plan and request would be (for
    /// the debug check where it is taken).
    fn is_fresh(&self, b: BrokerId, leader: BrokerId, ready: &[FetchPartition]) -> bool {
        let Some(plan) = self.brokers[b.0 as usize].fetch_plans.plans.get(&leader) else {
            return false;
        };
        *plan.slots == *self.followed_from(b, leader)
            && ready == self.fresh_fetch_partitions(b, &plan.slots)
    }
}

/// Native only (`cfg(engine_speed)`): the value for `k` in one of a
/// broker's maps keyed by the other brokers it fetches from or serves (its
/// fetchers, its fetch plans, a leader's follower sessions), found by a
/// scan. Such a map holds a few entries (two in a three-broker cluster),
/// where its binary search cost ~22 instructions a lookup, and a follower's
/// fetch round trip looks into one six times. The same entry either way:
/// the keys are unique.
#[cfg(engine_speed)]
#[inline(always)]
pub(crate) fn small_get<K: Ord, V>(map: &VecMap<K, V>, k: K) -> Option<&V> {
    let found = map.iter().find(|(x, _)| **x == k).map(|(_, v)| v);
    debug_assert!(std::ptr::eq(
        found.map_or(std::ptr::null(), |v| v),
        map.get(&k).map_or(std::ptr::null(), |v| v)
    ));
    found
}

/// [`small_get`], for a change.
#[cfg(engine_speed)]
#[inline(always)]
pub(crate) fn small_get_mut<K: Ord, V>(map: &mut VecMap<K, V>, k: K) -> Option<&mut V> {
    debug_assert_eq!(map.iter().any(|(x, _)| *x == k), map.contains_key(&k));
    map.iter_mut().find(|(x, _)| **x == k).map(|(_, v)| v)
}

/// Native only (`cfg(engine_speed)`): broker `b`'s next fetch from
/// `leader`, as the page's `broker_follower_fetch` (above,
/// `cfg(not(engine_speed))`), with the slot of its fetch in flight found by
/// a scan ([`small_get`]) and set where it was found, not looked up again
/// by the map's `insert`.
#[cfg(engine_speed)]
impl Engine {
    pub(crate) fn broker_follower_fetch(&mut self, b: BrokerId, leader: BrokerId) {
        let broker = &self.brokers[b.0 as usize];
        // Down, or a stalled fetcher (it resumes in `broker_resume_fetching`).
        if !broker.alive || broker.fetch_stalled_until_ms.is_some() {
            return;
        }
        if small_get(&broker.fetchers, leader)
            .copied()
            .flatten()
            .is_some()
        {
            return;
        }
        let partitions = self.follower_fetch_partitions(b, leader);
        if partitions.is_empty() {
            self.broker(b).fetchers.remove(&leader);
            return;
        }
        let fetch_id = self.next_id();
        let fetchers = &mut self.brokers[b.0 as usize].fetchers;
        match small_get_mut(fetchers, leader) {
            Some(slot) => *slot = Some(fetch_id),
            None => drop(fetchers.insert(leader, Some(fetch_id))),
        }
        let wait = self.cfg.cluster.replica_fetch_wait_max_ms;
        self.send(
            Node::Broker(b),
            Node::Broker(leader),
            Msg::Fetch {
                fetch_id,
                replica: Some(b),
                isolation: IsolationLevel::ReadUncommitted,
                max_wait_ms: wait,
                max_records: MAX_FETCH_ENTRIES as u32,
                partitions,
            },
        );
    }
}

/// Native only (`cfg(engine_speed)`): `a == b`, comparing the partition
/// numbers first: they are what differs between the partitions a follower
/// fetches from one leader (most of them of one topic), so a scan of its
/// request fails on one comparison where `Tp`'s `==` makes two.
#[cfg(engine_speed)]
#[inline(always)]
fn same_partition(a: Tp, b: Tp) -> bool {
    a.partition == b.partition && a.topic == b.topic
}
