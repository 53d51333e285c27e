//! The uniform assignor when every member subscribes to the same topics: Kafka's
//! `UniformHomogeneousAssignmentBuilder` (formerly `OptimizedUniformAssignmentBuilder`).
//!
//! With identical subscriptions balance is simple arithmetic: `total / members` partitions
//! each (the *minimum quota*), and `total % members` members get one more. The builder makes
//! one pass over the members and one over the partitions left over:
//!
//! 1. every member, in `memberIds()` order, gets a quota — the first `total % members` of
//!    them the larger one — and keeps partitions of its previous target up to that quota,
//!    walking its topics and each topic's partitions in Java iteration order. What is beyond
//!    the quota, and every partition of a topic it no longer subscribes to, is given up;
//! 2. the partitions nobody kept form one list: first those in no member's previous target
//!    (topic by topic in the iteration order of a `HashSet<Uuid>` of the subscribed topics,
//!    partitions ascending), then those just given up, in the order they were given up;
//! 3. members still below their quota take from the front of that list, in the order they
//!    were met in step 1.
//!
//! So the result is balanced within one partition and maximally sticky, and *which* member
//! gets an extra partition or gives up which partition follows Java's hash order — of member
//! ids, of topic ids ([`TopicUuid`]'s `hashCode`) and of partition numbers (an `Integer`
//! hashes to itself, so a `HashSet<Integer>` iterates partitions ascending *modulo its table
//! size*: with 16 buckets, 17 comes before 2).
//!
//! Source: `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/
//! UniformHomogeneousAssignmentBuilder.java` (see the parent `server` module for the commit).

use super::java_hashmap::{hash_set_capacity, JavaHashMap};
use super::server::{
    assigned_partitions, initial_targets, missing_topic, partition_assignor_exception, GroupSpec,
    ServerAssignError, Target, TopicUuid,
};

pub(crate) fn assign(spec: &GroupSpec) -> Result<Vec<Target>, ServerAssignError> {
    let Some(first) = spec.members.first() else {
        return Ok(Vec::new());
    };
    // `new HashSet<>(first member's subscribedTopicIds())`, sized by `TopicIds.size()`.
    let mut subscribed: JavaHashMap<TopicUuid, ()> =
        JavaHashMap::with_capacity(hash_set_capacity(first.subscribed_topic_ids.len()));
    for id in first.subscribed_topic_ids.iter().flatten() {
        subscribed.insert(*id, ());
    }
    if subscribed.is_empty() {
        return Ok(spec.members.iter().map(|_| Target::new()).collect());
    }

    let assigned = assigned_partitions(spec);
    let mut unassigned: Vec<(TopicUuid, i32)> = Vec::new();
    let mut total: u64 = 0;
    for &id in subscribed.keys() {
        let count = *spec
            .partition_counts
            .get(&id)
            .ok_or_else(|| missing_topic(id))?;
        for p in 0..count as i32 {
            if !assigned.contains(&(id, p)) {
                unassigned.push((id, p));
            }
        }
        total += u64::from(count);
    }
    let members = spec.members.len() as u64;
    let min_quota = total / members;
    let mut extra = total % members;

    // maybeRevokePartitions
    let mut targets = initial_targets(spec);
    let mut unfilled: Vec<(usize, u64)> = Vec::new();
    for (m, (member, target)) in spec.members.iter().zip(&mut targets).enumerate() {
        let mut quota = min_quota;
        if extra > 0 {
            quota += 1;
            extra -= 1;
        }
        for (id, _) in &member.assignment {
            if !subscribed.contains_key(id) {
                target.remove(id);
                continue;
            }
            let Some(set) = target.get_mut(id) else {
                continue;
            };
            if set.len() as u64 <= quota {
                quota -= set.len() as u64;
                continue;
            }
            let partitions: Vec<i32> = set.keys().copied().collect();
            for p in partitions {
                if quota > 0 {
                    quota -= 1;
                } else {
                    set.remove(&p);
                    unassigned.push((*id, p));
                }
            }
            if set.is_empty() {
                target.remove(id);
            }
        }
        if quota > 0 {
            unfilled.push((m, quota));
        }
    }

    // assignRemainingPartitions: a topic new to the member gets `new HashSet<>()`.
    let mut next = unassigned.iter();
    for (m, quota) in unfilled {
        for &(id, p) in next.by_ref().take(quota as usize) {
            targets[m].entry(id).or_default().insert(p, ());
        }
    }
    if next.next().is_some() {
        return Err(partition_assignor_exception(
            "Partitions were left unassigned".into(),
        ));
    }
    Ok(targets)
}
