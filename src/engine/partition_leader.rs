//! The leader side of one partition: what it knows of each follower, and the
//! three rules that decide when a record counts as committed
//! (`Partition.scala`).
//!
//! A follower's fetch offset **is** its log end offset, so every fetch tells
//! the leader how far that follower got ([`LeaderState::record_fetch`],
//! `Partition.updateFollowerFetchState`). From that progress:
//!
//! - **The high watermark** ([`LeaderState::high_watermark`],
//!   `Partition.maybeIncrementLeaderHW`) is the smallest log end offset over
//!   the leader and every replica it must wait for: the in-sync replicas, and
//!   a live follower that is caught up but not yet back in the ISR. Records
//!   below it are committed: readable by consumers and acknowledged to an
//!   `acks=all` producer. Since Kafka 3.7 (KAFKA-15583) it does not move at
//!   all while the ISR is smaller than `min.insync.replicas`.
//! - **ISR expansion** ([`LeaderState::may_join_isr`],
//!   `Partition.isFollowerInSync`): a follower outside the ISR rejoins once
//!   it has reached the high watermark and the start of the leader's epoch,
//!   and is neither down nor fenced.
//! - **ISR shrink** ([`LeaderState::out_of_sync`],
//!   `Partition.getOutOfSyncReplicas`): every `replica.lag.time.max.ms / 2`
//!   the leader drops followers that have not caught up within
//!   `replica.lag.time.max.ms` (`Replica.isCaughtUp`: at the leader's LEO,
//!   or at the LEO it had at a fetch less than that long ago).
//!
//! The rules see the rest of the world only through their arguments (the ISR,
//! `min.insync.replicas`, which brokers are usable, the time), so each is
//! unit-tested here on a partition alone; the broker gathers the arguments
//! and acts on the answers (`broker.rs`).

use crate::engine::ids::{BrokerId, LeaderEpoch, Offset};
use crate::engine::vecmap::VecMap;

/// What the leader knows of one follower's progress (`Replica.scala`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowerProgress {
    /// The follower's LEO as the leader knows it (-1 until its first fetch).
    pub leo: Offset,
    pub last_caught_up_ms: u64,
    pub last_fetch_leader_leo: Offset,
    pub last_fetch_ms: u64,
}

impl FollowerProgress {
    /// A follower not heard from yet. Followers in the ISR get a fresh grace
    /// period when a leader takes over (`resetReplicaState`).
    pub fn new(in_isr: bool, now_ms: u64) -> FollowerProgress {
        FollowerProgress {
            leo: Offset(-1),
            last_caught_up_ms: if in_isr { now_ms } else { 0 },
            last_fetch_leader_leo: Offset(-1),
            last_fetch_ms: 0,
        }
    }

    /// `Replica.isCaughtUp`.
    pub fn is_caught_up(&self, leader_leo: Offset, now_ms: u64, lag_max_ms: u64) -> bool {
        self.leo == leader_leo || now_ms.saturating_sub(self.last_caught_up_ms) <= lag_max_ms
    }
}

/// A partition's leader state: its epoch and its followers' progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderState {
    pub epoch: LeaderEpoch,
    pub followers: VecMap<BrokerId, FollowerProgress>,
}

impl LeaderState {
    /// `Partition.updateFollowerFetchState`: a fetch at `fetch_offset` from
    /// `follower`, answered while the leader's LEO is `leader_leo`. Returns
    /// the follower's LEO before the fetch (`None` for a broker that is not
    /// a follower of this partition).
    pub fn record_fetch(
        &mut self,
        follower: BrokerId,
        fetch_offset: Offset,
        leader_leo: Offset,
        now_ms: u64,
    ) -> Option<Offset> {
        let f = self.followers.get_mut(&follower)?;
        let before = f.leo;
        if fetch_offset >= leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(now_ms);
        } else if fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up_ms = f.last_caught_up_ms.max(f.last_fetch_ms);
        }
        f.last_fetch_leader_leo = leader_leo;
        f.last_fetch_ms = now_ms;
        f.leo = fetch_offset;
        Some(before)
    }

    /// `Partition.isFollowerInSync` for a follower outside the ISR: it has
    /// reached the high watermark and the start of the leader's epoch, and
    /// its broker is up and not fenced.
    pub fn may_join_isr(
        follower_leo: Offset,
        hw: Offset,
        epoch_start: Offset,
        usable: bool,
    ) -> bool {
        usable && follower_leo >= hw && follower_leo >= epoch_start
    }

    /// `Partition.maybeIncrementLeaderHW`: the high watermark the leader may
    /// advance to, or `None` while the ISR is below `min_isr` (KAFKA-15583).
    /// A follower counts when it is in `isr`, or caught up and `usable`.
    /// The caller keeps the larger of this and the current HW.
    pub fn high_watermark(
        &self,
        leader_leo: Offset,
        isr: &[BrokerId],
        min_isr: usize,
        now_ms: u64,
        lag_max_ms: u64,
        usable: impl Fn(BrokerId) -> bool,
    ) -> Option<Offset> {
        if isr.len() < min_isr {
            return None;
        }
        let mut hw = leader_leo;
        for (id, f) in &self.followers {
            let waits =
                isr.contains(id) || (f.is_caught_up(leader_leo, now_ms, lag_max_ms) && usable(*id));
            if waits && f.leo < hw {
                hw = f.leo;
            }
        }
        Some(hw)
    }

    /// `Partition.getOutOfSyncReplicas`: the members of `isr` other than the
    /// leader `me` that have not caught up within `lag_max_ms`.
    pub fn out_of_sync(
        &self,
        me: BrokerId,
        isr: &[BrokerId],
        leader_leo: Offset,
        now_ms: u64,
        lag_max_ms: u64,
    ) -> Vec<BrokerId> {
        isr.iter()
            .copied()
            .filter(|r| *r != me)
            .filter(|r| {
                self.followers
                    .get(r)
                    .is_none_or(|f| !f.is_caught_up(leader_leo, now_ms, lag_max_ms))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG: u64 = 30_000;
    const B0: BrokerId = BrokerId(0);
    const B1: BrokerId = BrokerId(1);
    const B2: BrokerId = BrokerId(2);

    /// Leader B0 with followers B1 and B2, both in the ISR at t=0.
    fn leader() -> LeaderState {
        LeaderState {
            epoch: LeaderEpoch(1),
            followers: [B1, B2]
                .into_iter()
                .map(|b| (b, FollowerProgress::new(true, 0)))
                .collect(),
        }
    }

    fn all_up(_: BrokerId) -> bool {
        true
    }

    #[test]
    fn the_high_watermark_is_the_smallest_log_end_offset_of_the_isr() {
        let mut l = leader();
        l.record_fetch(B1, Offset(7), Offset(10), 5);
        l.record_fetch(B2, Offset(4), Offset(10), 5);
        let isr = [B0, B1, B2];
        assert_eq!(
            l.high_watermark(Offset(10), &isr, 2, 5, LAG, all_up),
            Some(Offset(4))
        );
        // Once B2 is out of the ISR and lagging, only B1 holds it back.
        let later = 5 + LAG + 1;
        assert_eq!(
            l.high_watermark(Offset(10), &[B0, B1], 2, later, LAG, all_up),
            Some(Offset(7))
        );
    }

    #[test]
    fn a_caught_up_follower_outside_the_isr_still_holds_the_high_watermark_back() {
        // Kafka waits for a caught-up replica about to rejoin, so the HW
        // never passes a record that replica does not have.
        let mut l = leader();
        l.record_fetch(B1, Offset(10), Offset(10), 5);
        l.record_fetch(B2, Offset(8), Offset(10), 5);
        let hw = l.high_watermark(Offset(10), &[B0, B1], 2, 6, LAG, all_up);
        assert_eq!(hw, Some(Offset(8)));
        // ... unless its broker is down or fenced.
        let hw = l.high_watermark(Offset(10), &[B0, B1], 2, 6, LAG, |b| b != B2);
        assert_eq!(hw, Some(Offset(10)));
    }

    #[test]
    fn the_high_watermark_stands_still_under_min_insync_replicas() {
        let l = leader();
        assert_eq!(l.high_watermark(Offset(10), &[B0], 2, 0, LAG, all_up), None);
        assert!(l
            .high_watermark(Offset(10), &[B0], 1, 0, LAG, all_up)
            .is_some());
    }

    #[test]
    fn a_follower_that_has_not_caught_up_within_the_lag_leaves_the_isr() {
        let mut l = leader();
        let isr = [B0, B1, B2];
        // B1 keeps reaching the leader's LEO; B2 is stuck at 3.
        l.record_fetch(B1, Offset(10), Offset(10), 1_000);
        l.record_fetch(B2, Offset(3), Offset(10), 1_000);
        assert!(
            l.out_of_sync(B0, &isr, Offset(10), LAG, LAG).is_empty(),
            "within the lag"
        );
        assert_eq!(l.out_of_sync(B0, &isr, Offset(10), LAG + 1, LAG), vec![B2]);
    }

    #[test]
    fn a_fetch_at_the_leo_the_leader_had_at_the_previous_fetch_counts_as_caught_up_then() {
        // `updateFollowerFetchState`: reaching the LEO of the last fetch
        // means the follower was caught up at that fetch's time.
        let mut l = leader();
        l.record_fetch(B1, Offset(5), Offset(8), 100);
        l.record_fetch(B1, Offset(8), Offset(12), 200);
        assert_eq!(l.followers.get(&B1).map(|f| f.last_caught_up_ms), Some(100));
        l.record_fetch(B1, Offset(12), Offset(12), 300);
        assert_eq!(l.followers.get(&B1).map(|f| f.last_caught_up_ms), Some(300));
        assert_eq!(
            l.record_fetch(BrokerId(9), Offset(1), Offset(12), 300),
            None
        );
    }

    #[test]
    fn a_follower_rejoins_the_isr_only_at_the_high_watermark_and_the_epoch_start() {
        assert!(LeaderState::may_join_isr(
            Offset(10),
            Offset(10),
            Offset(4),
            true
        ));
        assert!(!LeaderState::may_join_isr(
            Offset(9),
            Offset(10),
            Offset(4),
            true
        ));
        assert!(!LeaderState::may_join_isr(
            Offset(10),
            Offset(8),
            Offset(11),
            true
        ));
        assert!(!LeaderState::may_join_isr(
            Offset(10),
            Offset(10),
            Offset(4),
            false
        ));
    }
}

/// Natively, a cheap look that the HW rule would leave the HW where it is
/// (the leader's checks after an append, `Broker::hw_cannot_move`, and
/// after a follower's fetch, `leader_fetch.rs`'s `may_move`).
#[cfg(engine_speed)]
impl LeaderState {
    /// Whether a follower in the ISR `isr` has a log end offset at or below
    /// `hw`. An ISR member always counts in [`LeaderState::high_watermark`],
    /// and the HW is at most the smallest log end offset counted, so such a
    /// follower pins the HW where it is (a follower that joins the ISR only
    /// adds a member). (A plain loop over the ISR: `contains` measured
    /// dearer on the fetch path.)
    #[inline(always)]
    pub(crate) fn isr_follower_pins_hw(&self, isr: &[BrokerId], hw: Offset) -> bool {
        self.followers
            .iter()
            .any(|(id, f)| f.leo <= hw && isr.iter().any(|r| r == id))
    }
}
