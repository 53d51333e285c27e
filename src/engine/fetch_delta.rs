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
        let f = &self.brokers[follower.0 as usize];
        if f.fetchers.get(&leader).copied().flatten() != Some(fetch_id) {
            return !0;
        }
        let Some(delta) = f.fetch_plans.0.get(&leader).and_then(|p| p.sent_delta) else {
            return !0;
        };
        let sessions = &self.brokers[leader.0 as usize].follower_sessions;
        let Some(s) = sessions
            .get(&follower)
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
