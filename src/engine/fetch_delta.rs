//! The follower's half of an incremental fetch request (KIP-227), native
//! only like the fetch plans it lives in.
//!
//! Kafka's follower (`FetchSessionHandler`) sends its leader only the
//! partitions that changed since its last request, and the leader's session
//! keeps the rest. Here a request still lists every partition a follower
//! follows from that leader (the message is the same on the page, whose
//! leaders keep no sessions), but the follower notes which positions of it
//! may differ from its last one: those the last answer refreshed
//! ([`Next::set`]). The leader reads that note ([`Engine::follower_delta`])
//! and compares only those positions with its session, not all ~21 of
//! them (a fifth of a leader's work per fetch in W1 full). A cache, not
//! state: a leader without the note compares every position, and finds
//! the same.

use super::small_get;
use crate::engine::ids::BrokerId;
use crate::engine::network::FetchPartition;
use crate::engine::sim::Engine;

/// How a request differs from the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Delta {
    /// The fetch whose request this one was made from.
    base: u64,
    /// Bit `i`: position `i` may differ from `base`'s request.
    changed: u64,
}

/// The next request, made from the last one position by position.
pub(super) struct Next {
    parts: Vec<FetchPartition>,
    changed: u64,
    /// A position past the mask's 64 changed: no delta.
    wide: bool,
}

impl From<Vec<FetchPartition>> for Next {
    fn from(parts: Vec<FetchPartition>) -> Next {
        Next {
            parts,
            changed: 0,
            wide: false,
        }
    }
}

impl std::ops::Deref for Next {
    type Target = [FetchPartition];

    fn deref(&self) -> &[FetchPartition] {
        &self.parts
    }
}

impl Next {
    /// Position `i` is now `fp`.
    pub(super) fn set(&mut self, i: usize, fp: FetchPartition) {
        if i < 64 {
            self.changed |= 1 << i;
        } else {
            self.wide = true;
        }
        self.parts[i] = fp;
    }

    /// The request, and how it differs from `base`'s.
    pub(super) fn ready(self, base: u64) -> (Vec<FetchPartition>, Option<Delta>) {
        let delta = (!self.wide).then_some(Delta {
            base,
            changed: self.changed,
        });
        (self.parts, delta)
    }
}

impl Engine {
    /// Leader `leader` records fetch `fetch_id` from `follower`, with
    /// `partitions`: the positions (bit `i` for position `i`) where they
    /// may differ from its session's, all bits when it cannot tell. The
    /// follower's note counts only for the fetch it has in flight, made
    /// from the request the session holds (fetch ids are never reused).
    pub(crate) fn follower_delta(
        &self,
        leader: BrokerId,
        follower: BrokerId,
        fetch_id: u64,
        partitions: &[FetchPartition],
    ) -> u64 {
        // The maps are the brokers' few peers: scanned (`small_get`).
        let f = &self.brokers[follower.0 as usize];
        if small_get(&f.fetchers, leader).copied().flatten() != Some(fetch_id) {
            return !0;
        }
        let Some(delta) = small_get(&f.fetch_plans.plans, leader).and_then(|p| p.sent_delta) else {
            return !0;
        };
        let sessions = &self.brokers[leader.0 as usize].follower_sessions;
        let Some(s) = small_get(sessions, follower)
            .filter(|s| s.fetch_id == delta.base && s.parts.len() == partitions.len())
        else {
            return !0;
        };
        debug_assert!(
            (0..partitions.len())
                .all(|i| delta.changed >> i.min(63) & 1 != 0 || s.parts[i] == partitions[i]),
            "a follower's request differs where its note says it does not"
        );
        delta.changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::fetch_session::tests::fp;

    #[test]
    fn the_note_has_a_bit_for_each_position_the_answer_refreshed() {
        let mut next = Next::from(vec![fp(0, 1), fp(1, 1), fp(2, 1)]);
        next.set(2, fp(2, 4));
        next.set(0, fp(0, 3));
        let (parts, delta) = next.ready(7);
        assert_eq!(parts, vec![fp(0, 3), fp(1, 1), fp(2, 4)]);
        assert_eq!(
            delta,
            Some(Delta {
                base: 7,
                changed: 0b101
            })
        );
    }

    #[test]
    fn a_position_past_the_mask_leaves_no_note() {
        let mut next = Next::from((0..70).map(|p| fp(p, 1)).collect::<Vec<_>>());
        next.set(65, fp(65, 2));
        assert_eq!(next.ready(7).1, None, "the leader compares every position");
    }
}
