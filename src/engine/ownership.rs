//! `unowned_partition_ms`: how long a group's partitions go without a live
//! owner — the number that makes "stop the world" visible.
//!
//! A rebalance is the moment a consumer group moves partitions between its
//! members. While a partition has no owner, nobody reads it and its lag
//! grows. The three rebalance protocols differ exactly here:
//!
//! - **eager** (classic): every member revokes *everything* before it
//!   rejoins, so every partition is unowned until the SyncGroup answers;
//! - **cooperative** (KIP-429): only the partitions that move are unowned,
//!   from their revocation until the second rebalance hands them on;
//! - **consumer protocol** (KIP-848): only the moving partitions, from the old
//!   owner's revocation until the new owner's next heartbeat brings them.
//!
//! The figure is partition-milliseconds: each millisecond adds the number of
//! the group's partitions that no live consumer of the group holds. It starts
//! counting once every partition has had an owner (the group's first
//! assignment is not a rebalance) and pauses while no consumer of the group
//! is running (a stopped group is not rebalancing). It is a function of the
//! engine's state sampled each time the clock moves, so replays and links
//! reproduce it exactly. It is measured natively and on the full page (the
//! page that compares the protocols), not in the course page's bundle.
//!
//! Natively the sample is kept between clock moves (about three a record in
//! W1 full, each a walk over every member's assignment) until an event that
//! may change it: every change of a consumer's assignment or liveness, or
//! of a topic, comes with an event, and only the routine kinds (records,
//! messages, replication) leave the sample alone. Debug builds check the
//! kept sample against a fresh one at every clock move. A move then adds
//! each group's kept sample in a short loop of its own (at the end of this
//! file); a group without one takes the page's full step.

use crate::engine::sim::Engine;

/// One group's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnershipClock {
    /// Every partition has had an owner at least once.
    pub covered_once: bool,
    pub unowned_partition_ms: u64,
    /// The group's topics by id, once every one of them exists: topics
    /// are never deleted and a group's subscription is fixed, so the names
    /// need not be looked up again (a string comparison per topic) every
    /// time the clock moves. (Only where the clock runs: the course page's
    /// bundle keeps its engine's size.)
    #[cfg(consumer_protocol)]
    topics: Option<Vec<crate::engine::ids::TopicId>>,
    /// Natively, the last sample, until an event may have changed it.
    #[cfg(all(consumer_protocol, engine_speed))]
    sample: Sample,
}

/// A kept `(unowned, total, running)`. No part of the clock's value: two
/// engines in the same state print and compare the same whatever each
/// has kept (tests compare engines by their `Debug` text).
#[cfg(all(consumer_protocol, engine_speed))]
#[derive(Clone, Copy, Default)]
struct Sample(Option<(u64, u64, bool)>);

#[cfg(all(consumer_protocol, engine_speed))]
impl PartialEq for Sample {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(all(consumer_protocol, engine_speed))]
impl Eq for Sample {}

#[cfg(all(consumer_protocol, engine_speed))]
impl std::fmt::Debug for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sample")
    }
}

impl Engine {
    /// The clock moves from now to `until_ms`: the state as it is now holds
    /// for the whole span.
    #[cfg(all(consumer_protocol, not(engine_speed)))]
    pub(crate) fn ownership_tick(&mut self, until_ms: u64) {
        let span = until_ms.saturating_sub(self.now_ms);
        if span == 0 {
            return;
        }
        for gi in 0..self.groups.len() {
            self.ownership_tick_group(gi, span);
        }
    }

    /// Group `gi`'s clock moves by `span` ms (natively: a group without a
    /// kept sample, or not yet covered once).
    #[cfg(consumer_protocol)]
    #[cfg_attr(engine_speed, inline(never))]
    fn ownership_tick_group(&mut self, gi: usize, span: u64) {
        if self.ownership[gi].topics.is_none() {
            let ids = self.group_topic_ids(gi);
            if ids.len() == self.cfg.groups[gi].topics.len() {
                self.ownership[gi].topics = Some(ids);
            }
        }
        let (unowned, total, running) = self.ownership_sample(gi);
        let clock = &mut self.ownership[gi];
        if !clock.covered_once {
            if running && total > 0 && unowned == 0 {
                clock.covered_once = true;
            }
            return;
        }
        if running {
            clock.unowned_partition_ms += span * unowned;
        }
    }

    /// [`Engine::unowned_now`], natively as kept since the last event that
    /// may have changed it (a live engine's real clients change their
    /// assignments without events: it samples every time).
    #[cfg(all(consumer_protocol, engine_speed))]
    #[inline(always)]
    fn ownership_sample(&mut self, gi: usize) -> (u64, u64, bool) {
        if let Some(kept) = self.ownership[gi].sample.0 {
            debug_assert_eq!(kept, self.unowned_now(gi), "a stale ownership sample");
            return kept;
        }
        let now = self.unowned_now(gi);
        if self.ownership[gi].topics.is_some() && !self.live {
            self.ownership[gi].sample.0 = Some(now);
        }
        now
    }

    #[cfg(all(consumer_protocol, not(engine_speed)))]
    fn ownership_sample(&self, gi: usize) -> (u64, u64, bool) {
        self.unowned_now(gi)
    }

    /// Whether an event of this kind leaves every group's sample as it was:
    /// a record's routine ([`EventKind::is_change`] is false: its stages and
    /// replication) and the traffic under it (internal appends, messages,
    /// high-watermark moves), which no change of an assignment, a
    /// consumer's liveness or a topic comes with alone. (A constant kind
    /// folds this away where `emit` is inlined.)
    ///
    /// [`EventKind::is_change`]: crate::engine::event::EventKind::is_change
    #[cfg(all(consumer_protocol, engine_speed))]
    #[inline(always)]
    pub(crate) fn keeps_ownership_sample(kind: &crate::engine::event::EventKind) -> bool {
        use crate::engine::event::EventKind as K;
        !kind.is_change()
            || matches!(
                kind,
                K::InternalAppended { .. } | K::Message { .. } | K::HighWatermark { .. }
            )
    }

    /// Drops every kept sample (an event that may change one).
    #[cfg(all(consumer_protocol, engine_speed))]
    #[cold]
    #[inline(never)]
    pub(crate) fn forget_ownership_samples(&mut self) {
        for clock in &mut self.ownership {
            clock.sample = Sample(None);
        }
    }

    /// (partitions without a live owner, partitions subscribed, any consumer running).
    #[cfg(consumer_protocol)]
    fn unowned_now(&self, gi: usize) -> (u64, u64, bool) {
        let is_member =
            |c: &crate::engine::kafka_consumer::Consumer| c.alive && c.group.0 as usize == gi;
        let (mut unowned, mut total) = (0, 0);
        let mut running = None;
        let found;
        let ids = match &self.ownership[gi].topics {
            Some(ids) => ids,
            None => {
                found = self.group_topic_ids(gi);
                &found
            }
        };
        for &t in ids {
            // The partitions a live member holds, a bit each, from one pass
            // over the assignments in plain loops (this runs every time the
            // clock moves: ~200,000 times in a 3 x 20k-record W1 run).
            let mut held = 0u64;
            let mut any = false;
            for c in &self.consumers {
                if !is_member(c) {
                    continue;
                }
                any = true;
                for tp in &c.assignment {
                    if tp.topic == t && tp.partition.0 < 64 {
                        held |= 1 << tp.partition.0;
                    }
                }
            }
            running = Some(any);
            let n = self.topic(t).partitions.len();
            total += n as u64;
            // The first 64 partitions counted from the bits at once.
            let first = n.min(64);
            let mask = if first == 64 { !0 } else { (1u64 << first) - 1 };
            unowned += (first as u32 - (held & mask).count_ones()) as u64;
            for p in first..n {
                let tp = crate::engine::ids::Tp::new(t, p as u32);
                if !self
                    .consumers
                    .iter()
                    .any(|c| is_member(c) && c.assignment.contains(&tp))
                {
                    unowned += 1;
                }
            }
        }
        let running = running.unwrap_or_else(|| self.consumers.iter().any(is_member));
        (unowned, total, running)
    }

    /// The ids of group `gi`'s topics that exist, in subscription order.
    #[cfg(consumer_protocol)]
    fn group_topic_ids(&self, gi: usize) -> Vec<crate::engine::ids::TopicId> {
        self.cfg.groups[gi]
            .topics
            .iter()
            .filter_map(|name| self.topic_id(name))
            .collect()
    }

    /// Partition-milliseconds group `g` has spent with partitions unowned.
    pub fn unowned_partition_ms(&self, g: crate::engine::ids::GroupIdx) -> u64 {
        self.ownership
            .get(g.0 as usize)
            .map_or(0, |c| c.unowned_partition_ms)
    }
}

/// Natively, a clock move adds a group's kept sample in a short loop and
/// leaves the full step ([`Engine::ownership_tick_group`]) to the groups
/// without one.
///
/// Why: the clock moves about 106,900 times in a W1 full bench process
/// (3 x 20k records and the warm-up), nearly always with every group's
/// sample kept and its clock covered once. The page's loop, with the
/// topic lookup and the fresh sample (a walk over every member's
/// assignment) inlined in it, loaded a dozen fields of the engine into
/// its frame before its first group, ~71 instructions a move; the kept
/// sample needs two reads and an add. The first group without one hands
/// the rest of the move to [`Engine::ownership_tick_from`], so the short
/// loop calls nothing and saves no registers. The answer is the page's: a
/// kept sample is what [`Engine::unowned_now`] would return (debug builds
/// check it), and a group with one has its topics (they are set before a
/// sample is kept, and both go together at the warm-up's reset).
#[cfg(all(consumer_protocol, engine_speed))]
impl Engine {
    /// The clock moves from now to `until_ms`: the state as it is now holds
    /// for the whole span. (Out of line: its caller is the engine's step
    /// loop.)
    #[inline(never)]
    pub(crate) fn ownership_tick(&mut self, until_ms: u64) {
        let span = until_ms.saturating_sub(self.now_ms);
        if span == 0 {
            return;
        }
        let groups = self.groups.len();
        for (gi, clock) in self.ownership[..groups].iter_mut().enumerate() {
            if !clock.move_by_kept_sample(span) {
                return self.ownership_tick_from(gi, span);
            }
        }
        #[cfg(debug_assertions)]
        self.check_kept_samples();
    }

    /// Groups `first..` move by `span` ms: each by its kept sample, or by
    /// the full step when it has none or is not yet covered once.
    #[cold]
    #[inline(never)]
    fn ownership_tick_from(&mut self, first: usize, span: u64) {
        for gi in first..self.groups.len() {
            if !self.ownership[gi].move_by_kept_sample(span) {
                self.ownership_tick_group(gi, span);
            }
        }
        #[cfg(debug_assertions)]
        self.check_kept_samples();
    }

    /// Every kept sample is a fresh one, and its group has its topics.
    #[cfg(debug_assertions)]
    fn check_kept_samples(&self) {
        for gi in 0..self.groups.len() {
            if let Some(kept) = self.ownership[gi].sample.0 {
                debug_assert!(
                    self.ownership[gi].topics.is_some(),
                    "a sample without topics"
                );
                debug_assert_eq!(kept, self.unowned_now(gi), "a stale ownership sample");
            }
        }
    }
}

#[cfg(all(consumer_protocol, engine_speed))]
impl OwnershipClock {
    /// Moves this clock by `span` ms with its kept sample, if it has one
    /// and has been covered once (the page's step would take the same
    /// sample: see `Engine::ownership_tick`); `false` when the full step
    /// must run.
    #[inline(always)]
    fn move_by_kept_sample(&mut self, span: u64) -> bool {
        match self.sample.0 {
            Some((unowned, _, running)) if self.covered_once => {
                if running {
                    self.unowned_partition_ms += span * unowned;
                }
                true
            }
            _ => false,
        }
    }
}
