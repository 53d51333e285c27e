//! A leader's fetch session with one follower (KIP-227, `FetchSession` and
//! `FetchSessionCache` in Kafka's `server` module).
//!
//! A follower fetches from its leader without pause: one request in flight
//! per leader, each answered as soon as there is something new, or after
//! `replica.fetch.wait.max.ms`. Most partitions in that request are idle:
//! the follower is at the leader's log end and already has its high
//! watermark. Kafka 1.1 introduced incremental fetch sessions for this
//! (KIP-227): the leader caches the session's partitions, and the response
//! leaves out every partition that would change nothing on the follower.
//!
//! For each partition of the session, the leader still records the fetch
//! (`Partition.updateFollowerFetchState`: the follower's fetch offset, the
//! time it was last caught up, the leader's log end offset at that fetch).
//! For an idle partition that record is the same every time, only later. So
//! the session marks such a partition *quiet*: its follower is in the ISR,
//! at the leader's log end, and has nothing to learn. A quiet partition
//! that comes back unchanged in the next request is neither re-recorded
//! nor re-read; [`FollowerSession::last_fetch_ms`] says when it was last
//! fetched, and the leader writes that record down (*settles* it) before
//! anything reads or changes what it depends on: an append to the partition,
//! a new high watermark, the ISR-shrink check, or a leadership change (which
//! drops it instead). The answer is exactly Kafka's, and the trace-digest
//! test holds the engine to that; the leader's work per fetch follows the
//! partitions that changed, not all the partitions it leads.

//!
//! The web page leaves sessions out ([`ENABLED`]): it plays teaching-sized
//! scenarios, where they save nothing a user would notice, and they would
//! cost its first load about a kilobyte. Its engine records every fetch as
//! it comes, which gives the same events and the same state (that is what
//! `tests/fetch_sessions.rs` checks), so links replay alike everywhere.

use crate::engine::ids::Tp;

/// Whether leaders keep fetch sessions: natively (the CLI, the benches, the
/// tests, live mode), not in the browser.
pub const ENABLED: bool = cfg!(engine_speed);
use crate::engine::network::FetchPartition;

/// The leader's cache of one follower's fetch session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FollowerSession {
    /// The fetch these partitions came with (a parked fetch reads its
    /// session only while it is that fetch).
    pub fetch_id: u64,
    /// The engine's metadata generation when the session was recorded: a
    /// leader or ISR change anywhere makes the next fetch a full one.
    pub meta_gen: u64,
    /// When the follower last fetched: the time a quiet partition's fetch
    /// is recorded at when it is settled.
    pub last_fetch_ms: u64,
    /// The partitions of the last request, in the follower's (topic,
    /// partition) order.
    pub parts: Vec<FetchPartition>,
    /// `quiet[i]`: `parts[i]` had nothing new for a caught-up, in-sync
    /// follower, and its fetch record waits to be settled.
    pub quiet: Vec<bool>,
    /// Natively, where [`FollowerSession::position`] last found a
    /// partition, tried first (see [`PositionHint`]).
    #[cfg(engine_speed)]
    hint: PositionHint,
}

/// A leader settles the same partition in every session again and again
/// (W1 full: the group's `__consumer_offsets` partition, at each commit's
/// append and high-watermark move), so the position found last is checked
/// before a binary search over the ~21 partitions of the session (~1% of
/// W1 full's instructions). A hint is only ever trusted after checking
/// that its partition is the one asked for, so it needs no upkeep; it is
/// no part of the session's value (equal whatever it holds).
#[cfg(engine_speed)]
#[derive(Clone, Debug, Default)]
struct PositionHint(std::cell::Cell<usize>);

#[cfg(engine_speed)]
impl PartialEq for PositionHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(engine_speed)]
impl Eq for PositionHint {}

impl FollowerSession {
    /// Whether a request with `parts` continues this session (an
    /// incremental fetch) rather than starting it again (a full one).
    pub fn continues(&self, meta_gen: u64, parts: &[FetchPartition]) -> bool {
        self.meta_gen == meta_gen && !self.parts.is_empty() && self.parts.len() == parts.len()
    }

    /// Whether `parts[i]` may skip its fetch record and its read: quiet, and
    /// asked for again exactly as before.
    pub fn skips(&self, i: usize, fp: &FetchPartition) -> bool {
        self.quiet.get(i).copied().unwrap_or(false) && self.parts[i] == *fp
    }

    /// Where `tp` is in the session.
    #[cfg(not(engine_speed))]
    pub fn position(&self, tp: Tp) -> Option<usize> {
        self.parts.binary_search_by_key(&tp, |p| p.tp).ok()
    }

    /// Where `tp` is in the session: natively the last position found
    /// first ([`PositionHint`]).
    #[cfg(engine_speed)]
    #[inline(always)]
    pub fn position(&self, tp: Tp) -> Option<usize> {
        let hint = self.hint.0.get();
        if self.parts.get(hint).is_some_and(|p| p.tp == tp) {
            return Some(hint);
        }
        let found = self.parts.binary_search_by_key(&tp, |p| p.tp).ok();
        if let Some(i) = found {
            self.hint.0.set(i);
        }
        found
    }

    /// The quiet partitions, by position.
    pub fn quiet_positions(&self) -> Vec<usize> {
        (0..self.quiet.len()).filter(|i| self.quiet[*i]).collect()
    }

    /// Whether the parked fetch `fetch_id` may leave `parts[i]` unread.
    pub fn quiet_for(&self, fetch_id: u64, i: usize) -> bool {
        self.fetch_id == fetch_id && self.quiet.get(i).copied().unwrap_or(false)
    }

    /// The session takes a fetch's partitions: only the positions `changed`
    /// has a bit for (`fetch_delta.rs`), or all of them when it is `!0`.
    pub fn take_parts(&mut self, parts: &[FetchPartition], changed: u64) {
        if changed == !0 || self.parts.len() != parts.len() {
            self.parts.clear();
            self.parts.extend_from_slice(parts);
            return;
        }
        let mut bits = changed;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            self.parts[i] = parts[i];
            bits &= bits - 1;
        }
        debug_assert_eq!(self.parts, parts, "a session missed a changed partition");
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::ids::*;

    pub(crate) fn fp(p: u32, offset: i64) -> FetchPartition {
        FetchPartition {
            tp: Tp::new(TopicId(0), p),
            fetch_offset: Offset(offset),
            last_fetched_epoch: Some(LeaderEpoch(0)),
            current_leader_epoch: LeaderEpoch(0),
            follower_hw: Some(Offset(offset)),
        }
    }

    fn session(parts: Vec<FetchPartition>, quiet: Vec<bool>) -> FollowerSession {
        FollowerSession {
            fetch_id: 7,
            meta_gen: 3,
            last_fetch_ms: 100,
            parts,
            quiet,
            ..Default::default()
        }
    }

    #[test]
    fn a_request_continues_the_session_only_with_the_same_metadata_and_partition_count() {
        let s = session(vec![fp(0, 5), fp(1, 2)], vec![true, false]);
        assert!(s.continues(3, &[fp(0, 5), fp(1, 3)]));
        assert!(!s.continues(4, &[fp(0, 5), fp(1, 3)]), "metadata changed");
        assert!(!s.continues(3, &[fp(0, 5)]), "a partition left");
        assert!(
            !FollowerSession::default().continues(0, &[]),
            "nothing cached yet"
        );
    }

    #[test]
    fn only_a_quiet_partition_asked_for_unchanged_is_skipped() {
        let s = session(vec![fp(0, 5), fp(1, 2)], vec![true, false]);
        assert!(s.skips(0, &fp(0, 5)));
        assert!(!s.skips(0, &fp(0, 6)), "the follower moved on");
        assert!(!s.skips(1, &fp(1, 2)), "not quiet");
        let mut other_tp = fp(0, 5);
        other_tp.tp = Tp::new(TopicId(1), 0);
        assert!(!s.skips(0, &other_tp), "another partition in that place");
    }

    #[test]
    fn a_parked_fetch_reads_its_session_only_while_it_is_the_sessions_fetch() {
        let s = session(vec![fp(0, 5), fp(1, 2)], vec![true, false]);
        assert!(s.quiet_for(7, 0));
        assert!(!s.quiet_for(8, 0), "an older fetch");
        assert!(!s.quiet_for(7, 1));
        assert!(!s.quiet_for(7, 9), "out of range");
    }

    #[test]
    fn partitions_are_found_by_topic_and_partition() {
        let s = session(vec![fp(0, 5), fp(3, 2), fp(7, 1)], vec![false, true, true]);
        assert_eq!(s.position(Tp::new(TopicId(0), 3)), Some(1));
        assert_eq!(s.position(Tp::new(TopicId(0), 4)), None);
        assert_eq!(s.quiet_positions(), vec![1, 2]);
    }

    #[test]
    fn a_noted_fetch_copies_only_its_changed_partitions_into_the_session() {
        let mut s = session(vec![fp(0, 5), fp(1, 2)], vec![true, false]);
        s.take_parts(&[fp(0, 5), fp(1, 3)], 0b10);
        assert_eq!(s.parts, vec![fp(0, 5), fp(1, 3)]);
        s.take_parts(&[fp(0, 6)], !0);
        assert_eq!(s.parts, vec![fp(0, 6)], "without a note: the whole list");
    }
}
