//! The range assignor (`org.apache.kafka.clients.consumer.RangeAssignor`, protocol name "range").
//!
//! Range works **one topic at a time**. For a topic with `P` partitions and `C` subscribed
//! members, members sorted (static members by `group.instance.id` first, then dynamic members
//! by member id — Java string order, so `"consumer-10"` sorts before `"consumer-2"`) each get a
//! contiguous block: with `n = P / C` and `r = P % C`, member `i` gets partitions
//! `i*n + min(i, r)` .. length `n + (i < r ? 1 : 0)`.
//!
//! Why this shape: because every topic is cut the same way, partition *k* of two
//! co-partitioned topics (same partition count, same key → same partition) goes to the same
//! member, which is what stream-table joins need. The price: the first members get the
//! remainder of *every* topic, so with many topics the imbalance adds up (2 members, 10 topics
//! of 3 partitions: 20 vs 10 partitions).
//!
//! Range ignores what members owned before (it is an EAGER-only assignor); static membership
//! keeps the result stable across restarts because instance ids, unlike member ids, survive
//! a bounce. This port follows the non-rack-aware path of `assignPartitions`: for each topic,
//! walk the sorted members and give each `maxAssignable` = `n + (extra left ? 1 : 0)` of the
//! still-unassigned partitions in numeric order.

use super::{member_info_cmp, sort_u32, Prepared};

/// Per-member gid lists, indexed like `prepared.members`.
pub(crate) fn assign(prepared: &Prepared<'_>) -> Vec<Vec<u32>> {
    let topics = &prepared.topics;
    let mut assignment: Vec<Vec<u32>> = vec![Vec::new(); prepared.members.len()];
    // Topics are independent, so the HashMap order Kafka visits them in does not matter.
    for t in 0..topics.len() as u32 {
        // consumersPerTopic: subscriptions in HashMap order, then a stable Collections.sort.
        let members = &prepared.members;
        let mut consumers: Vec<u32> = (0..members.len() as u32)
            .filter(|&m| members[m as usize].subscribes(t))
            .collect();
        sort_u32(&mut consumers, &|a, b| {
            member_info_cmp(&members[a as usize], &members[b as usize])
        });
        if consumers.is_empty() {
            continue;
        }
        let count = topics.counts[t as usize];
        let per_consumer = count / consumers.len() as u32;
        let mut with_extra = count % consumers.len() as u32;
        let mut next = 0u32; // unassignedPartitions is a LinkedHashSet in partition order
        for &c in &consumers {
            if next == count {
                break;
            }
            // TopicAssignmentState.maxAssignable for a consumer that has nothing yet.
            let take = per_consumer + u32::from(with_extra > 0);
            if take == 0 {
                continue;
            }
            let take = take.min(count - next);
            assignment[c as usize].extend((next..next + take).map(|p| topics.gid(t, p)));
            next += take;
            // onAssigned: taking more than numPartitionsPerConsumer uses up one extra.
            if take > per_consumer {
                with_extra -= 1;
            }
        }
    }
    assignment
}
