//! The round-robin assignor (`org.apache.kafka.clients.consumer.RoundRobinAssignor`,
//! protocol name "roundrobin").
//!
//! Lay out *all* partitions of *all* subscribed topics in one list — topics sorted by name
//! (a `TreeSet<String>`), partitions in numeric order — and deal them out like cards to the
//! members in sorted order (static members by instance id first, then dynamic members by
//! member id, Java string order), wrapping around.
//!
//! With different subscriptions the dealer skips members that do not subscribe to the current
//! partition's topic: Kafka's `CircularIterator` peeks at the next member and advances past it
//! while it is not subscribed, then hands the partition to the first one that is. The skip
//! does not "save a turn" for the skipped member, which is why round-robin can be badly
//! unbalanced for uneven subscriptions (`AbstractStickyAssignorTest.testPoorRoundRobinAssignmentScenario`
//! documents a case where one member gets nothing).
//!
//! Like range it ignores previous ownership (EAGER only); unlike range it balances the *total*
//! partition count when all members subscribe to the same topics.

use super::{iota, member_info_cmp, sort_u32, Prepared};

/// Per-member gid lists, indexed like `prepared.members`.
pub(crate) fn assign(prepared: &Prepared<'_>) -> Vec<Vec<u32>> {
    let members = &prepared.members;
    let mut assignment: Vec<Vec<u32>> = vec![Vec::new(); members.len()];
    // memberInfoList in HashMap order, then Utils.sorted (a stable sort).
    let mut circle = iota(members.len());
    sort_u32(&mut circle, &|a, b| {
        member_info_cmp(&members[a as usize], &members[b as usize])
    });
    if circle.is_empty() {
        return assignment;
    }
    // `next` is the CircularIterator's peeked value.
    let mut next = 0usize;
    let topics = &prepared.topics;
    // Topic indices are already in Java name order, i.e. the TreeSet order; topics without
    // metadata are absent from `topics`, matching `partitionsPerTopic.get(topic) == null`.
    for t in 0..topics.len() as u32 {
        for p in 0..topics.counts[t as usize] {
            // Some member subscribes to every listed topic, so this loop ends.
            while !members[circle[next] as usize].subscribes(t) {
                next = (next + 1) % circle.len();
            }
            assignment[circle[next] as usize].push(topics.gid(t, p));
            next = (next + 1) % circle.len();
        }
    }
    assignment
}
