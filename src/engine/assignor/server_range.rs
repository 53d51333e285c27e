//! The server-side range assignor: Kafka's
//! `org.apache.kafka.coordinator.group.assignor.RangeAssignor` (not the client's).
//!
//! Like the client's range assignor it works topic by topic: a topic's `P` partitions are
//! cut into consecutive ranges for its `N` subscribers, `P / N` each, and the first `P % N`
//! subscribers get one more. Members are ordered the same way too: static members first, by
//! `group.instance.id`, then the others by member id (Java `String` order). Because every
//! member takes the same position in every topic, co-partitioned topics land on the same
//! member — what joins of two topics keyed alike need.
//!
//! It ignores the previous target assignment: the outcome is a function of the members and
//! topics alone. A static member that restarts with a new member id keeps its ranges
//! because its instance id, not its member id, decides its place.
//!
//! With identical subscriptions the topics come from the first member in that order; with
//! different ones each topic is split among its own subscribers only.
//!
//! Source: `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/
//! RangeAssignor.java` (see the parent `server` module for the commit).

use std::collections::BTreeMap;

use super::java_hashmap::compare_strings;
use super::server::{
    partition_assignor_exception, GroupSpec, ServerAssignError, SubscriptionType, TopicUuid,
};
use super::{iota, sort_u32};

/// `RangeAssignor.TopicMetadata`.
struct Topic {
    partitions: u32,
    members: u32,
    /// Partitions each member gets at least, and how many members get one more.
    quota: Option<(u32, u32)>,
    next_range: u32,
}

impl Topic {
    /// `addPartitionsToAssignment`: the next member's range, `None` when it is empty.
    fn next(&mut self) -> Option<Vec<u32>> {
        let members = self.members.max(1);
        let (min, extra) = self
            .quota
            .get_or_insert((self.partitions / members, self.partitions % members));
        let mut quota = *min;
        if *extra > 0 {
            quota += 1;
            *extra -= 1;
        }
        let start = self.next_range;
        let end = start.saturating_add(quota).min(self.partitions);
        self.next_range = end;
        (start < end).then(|| (start..end).collect())
    }
}

pub(crate) fn assign(
    spec: &GroupSpec,
) -> Result<Vec<BTreeMap<TopicUuid, Vec<u32>>>, ServerAssignError> {
    let members = &spec.members;
    // sortMemberIds (a stable sort, like Java's List.sort).
    let mut order = iota(members.len());
    sort_u32(&mut order, &|a, b| {
        let (a, b) = (&members[a as usize], &members[b as usize]);
        match (&a.instance_id, &b.instance_id) {
            (Some(x), Some(y)) => compare_strings(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => compare_strings(&a.member_id, &b.member_id),
        }
    });
    let missing =
        || partition_assignor_exception("Member is subscribed to a non-existent topic".into());
    let describe = |id: &TopicUuid, members: u32| {
        let partitions = *spec.partition_counts.get(id).ok_or_else(missing)?;
        Ok(Topic {
            partitions,
            members,
            quota: None,
            next_range: 0,
        })
    };

    let mut topics: BTreeMap<TopicUuid, Topic> = BTreeMap::new();
    let homogeneous = spec.subscription_type == SubscriptionType::Homogeneous;
    if homogeneous {
        // Every member takes a range of every topic the first (sorted) member subscribes to.
        if let Some(&first) = order.first() {
            for id in members[first as usize]
                .subscribed_topic_ids
                .iter()
                .flatten()
            {
                topics.insert(*id, describe(id, members.len() as u32)?);
            }
        }
    } else {
        for &m in &order {
            for id in members[m as usize].subscribed_topic_ids.iter().flatten() {
                if let Some(topic) = topics.get_mut(id) {
                    topic.members += 1;
                } else {
                    topics.insert(*id, describe(id, 1)?);
                }
            }
        }
    }

    let mut out = vec![BTreeMap::new(); members.len()];
    for &m in &order {
        let target = &mut out[m as usize];
        let mut take = |id: &TopicUuid, topic: &mut Topic| {
            if let Some(range) = topic.next() {
                target.insert(*id, range);
            }
        };
        if homogeneous {
            topics.iter_mut().for_each(|(id, topic)| take(id, topic));
        } else {
            for id in members[m as usize].subscribed_topic_ids.iter().flatten() {
                if let Some(topic) = topics.get_mut(id) {
                    take(id, topic);
                }
            }
        }
    }
    Ok(out)
}
