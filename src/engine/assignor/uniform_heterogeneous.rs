//! The uniform assignor when members subscribe to different topics: Kafka's
//! `UniformHeterogeneousAssignmentBuilder` (formerly `GeneralUniformAssignmentBuilder`).
//!
//! With different subscriptions there is no quota to compute up front: a member that is the
//! only subscriber of a big topic must take all of it. The builder instead works topic by
//! topic and repairs balance afterwards:
//!
//! 1. **Keep**: every member keeps its previous target in the topics it still subscribes to.
//! 2. **Fill**: partitions nobody holds go, topic by topic, to the topic's least loaded
//!    subscribers (counting partitions of *all* topics), round-robin over the members that are
//!    tied for least loaded.
//! 3. **Balance**: for each topic with two or more subscribers, the topic's partitions move
//!    from its most loaded to its least loaded subscribers until their totals differ by at
//!    most one; the most loaded member gives up the highest-numbered partition it holds. The
//!    topics are revisited until a whole round moves nothing (at most 16 rounds).
//!
//! Topics are taken in a fixed order: most partitions per subscriber first, then fewer
//! subscribers first, then by topic id ([`TopicUuid`]'s `compareTo`). Members are numbered in
//! `memberIds()` order and ties between members go to the lower number. Balance is exact when
//! subscribers of a topic share their whole subscription; with overlapping subscriptions it
//! is "no topic can move a partition to a subscriber holding two fewer" — a member can still
//! end up two or more partitions ahead of another across topics.
//!
//! Java's hash order matters here only through member numbering and through the iteration
//! order of the partition sets in the output.
//!
//! Source: `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/
//! UniformHeterogeneousAssignmentBuilder.java` (see the parent `server` module for the commit).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::server::{
    initial_targets, missing_topic, GroupSpec, PartitionSet, ServerAssignError, Target, TopicUuid,
};
use super::sort_u32;

/// `MAX_ITERATION_COUNT`: rounds over the topics in the balancing phase.
const MAX_ITERATION_COUNT: usize = 16;

struct Topic {
    id: TopicUuid,
    partitions: u32,
    /// Subscribing members (indices into `memberIds()`), ascending.
    subscribers: Vec<u32>,
    /// `targetAssignmentPartitionOwners`: the owning member per partition, -1 for none.
    owners: Vec<i32>,
}

struct Builder {
    /// `subscribedTopicIds`, ordered by id for lookup.
    topics: Vec<Topic>,
    /// `memberTargetAssignmentSizes`.
    sizes: Vec<i64>,
    targets: Vec<Target>,
}

pub(crate) fn assign(spec: &GroupSpec) -> Result<Vec<Target>, ServerAssignError> {
    // The constructor: subscribers per topic, throwing for a topic without metadata.
    let mut subscribers: BTreeMap<TopicUuid, Vec<u32>> = BTreeMap::new();
    for (m, member) in spec.members.iter().enumerate() {
        for &id in member.subscribed_topic_ids.iter().flatten() {
            if !spec.partition_counts.contains_key(&id) {
                return Err(missing_topic(id));
            }
            subscribers.entry(id).or_default().push(m as u32);
        }
    }
    if subscribers.is_empty() {
        return Ok(spec.members.iter().map(|_| Target::new()).collect());
    }
    let topics = subscribers
        .into_iter()
        .map(|(id, subscribers)| {
            let partitions = spec.partition_counts.get(&id).copied().unwrap_or(0);
            Topic {
                id,
                partitions,
                subscribers,
                owners: vec![-1; partitions as usize],
            }
        })
        .collect();
    let mut builder = Builder {
        topics,
        sizes: vec![0; spec.members.len()],
        targets: initial_targets(spec),
    };
    builder.revoke(spec)?;
    builder.assign_remaining();
    builder.balance();
    Ok(builder.targets)
}

/// `topicComparator`: partitions per subscriber descending (as `double`s, like Java), then
/// subscriber count ascending, then topic id ascending.
fn cmp_topics(topics: &[Topic], a: u32, b: u32) -> Ordering {
    let (a, b) = (&topics[a as usize], &topics[b as usize]);
    let per_subscriber = |t: &Topic| f64::from(t.partitions) / t.subscribers.len() as f64;
    per_subscriber(b)
        .total_cmp(&per_subscriber(a))
        .then(a.subscribers.len().cmp(&b.subscribers.len()))
        .then(a.id.cmp(&b.id))
}

impl Builder {
    fn topic_index(&self, id: TopicUuid) -> Option<usize> {
        self.topics.binary_search_by(|t| t.id.cmp(&id)).ok()
    }

    /// `maybeRevokePartitions`: keep what is still subscribed, drop the rest.
    fn revoke(&mut self, spec: &GroupSpec) -> Result<(), ServerAssignError> {
        for (m, member) in spec.members.iter().enumerate() {
            for (id, _) in &member.assignment {
                let subscribed = self.topic_index(*id).filter(|&t| {
                    self.topics[t]
                        .subscribers
                        .binary_search(&(m as u32))
                        .is_ok()
                });
                let (Some(t), Some(set)) = (subscribed, self.targets[m].get(id)) else {
                    self.targets[m].remove(id);
                    continue;
                };
                self.sizes[m] += set.len() as i64;
                let owners = &mut self.topics[t].owners;
                for &p in set.keys() {
                    let length = owners.len();
                    let owner = usize::try_from(p).ok().and_then(|i| owners.get_mut(i));
                    *owner.ok_or_else(|| ServerAssignError {
                        java_exception: "ArrayIndexOutOfBoundsException",
                        message: format!("Index {p} out of bounds for length {length}"),
                    })? = m as i32;
                }
            }
        }
        Ok(())
    }

    /// `computeUnassignedPartitions` + `assignRemainingPartitions`.
    fn assign_remaining(&mut self) {
        let unassigned: Vec<Vec<u32>> = self
            .topics
            .iter()
            .map(|t| {
                (0..t.partitions)
                    .filter(|&p| t.owners[p as usize] == -1)
                    .collect()
            })
            .collect();
        let mut order: Vec<u32> = (0..self.topics.len() as u32)
            .filter(|&t| !unassigned[t as usize].is_empty())
            .collect();
        sort_u32(&mut order, &|a, b| cmp_topics(&self.topics, a, b));
        let mut balancer = Balancer::default();
        for t in order {
            let t = t as usize;
            balancer.initialize(&self.topics[t].subscribers, &self.sizes);
            for &p in &unassigned[t] {
                let m = balancer.next_least_loaded(&self.sizes);
                self.assign_partition(t, p, m);
            }
        }
    }

    /// `balance` + `balanceTopics`.
    fn balance(&mut self) {
        let mut order: Vec<u32> = (0..self.topics.len() as u32)
            .filter(|&t| self.topics[t as usize].subscribers.len() >= 2)
            .collect();
        sort_u32(&mut order, &|a, b| cmp_topics(&self.topics, a, b));
        let mut balancer = Balancer::default();
        // The index in `order` of the last topic that moved something.
        let mut last_moved: Option<usize> = None;
        for _ in 0..MAX_ITERATION_COUNT {
            for (i, &t) in order.iter().enumerate() {
                if last_moved == Some(i) {
                    // A whole round without moves.
                    return;
                }
                if self.balance_topic(t as usize, &mut balancer) > 0 || last_moved.is_none() {
                    last_moved = Some(i);
                }
            }
        }
    }

    /// `balanceTopic`: returns how many partitions moved.
    fn balance_topic(&mut self, t: usize, balancer: &mut Balancer) -> usize {
        if balancer.initialize(&self.topics[t].subscribers, &self.sizes) <= 1 {
            return 0;
        }
        // The topic's partitions grouped by owner, and each owner's range in that list.
        let owners = &self.topics[t].owners;
        let mut partitions: Vec<u32> = (0..self.topics[t].partitions).collect();
        sort_u32(&mut partitions, &|a, b| {
            owners[a as usize].cmp(&owners[b as usize]).then(a.cmp(&b))
        });
        let mut ranges: BTreeMap<i32, (usize, usize)> = BTreeMap::new();
        for (i, &p) in partitions.iter().enumerate() {
            ranges.entry(owners[p as usize]).or_insert((i, i)).1 = i + 1;
        }

        let mut moved = 0;
        while !balancer.is_balanced() {
            // The next most loaded member that still holds a partition of this topic.
            let mut giver = None;
            while let Some(m) = balancer.next_most_loaded(&self.sizes) {
                if let Some(range) = ranges.get_mut(&(m as i32)).filter(|r| r.1 > r.0) {
                    range.1 -= 1;
                    giver = Some(partitions[range.1]);
                    break;
                }
                balancer.exclude_most_loaded();
            }
            let Some(p) = giver else {
                break;
            };
            let taker = balancer.next_least_loaded(&self.sizes);
            if balancer.is_balanced() {
                break;
            }
            self.assign_partition(t, p, taker);
            moved += 1;
        }
        moved
    }

    /// `assignPartition`: `removePartitionFromTargetAssignment` from the old owner, then
    /// `addPartitionToTargetAssignment`.
    fn assign_partition(&mut self, t: usize, p: u32, m: u32) {
        let topic = &mut self.topics[t];
        let (id, p, m) = (topic.id, p as usize, m as usize);
        if let Ok(old) = usize::try_from(topic.owners[p]) {
            if let Some(set) = self.targets[old].get_mut(&id) {
                set.remove(&(p as i32));
                if set.is_empty() {
                    self.targets[old].remove(&id);
                }
            }
            self.sizes[old] -= 1;
        }
        // A new topic entry is sized for the topic's fair share:
        // `new HashSet<>((int) ((estimatedPartitionsPerSubscriber / 0.75f) + 1))`.
        let subscribers = topic.subscribers.len() as i64;
        let estimate = (i64::from(topic.partitions) + subscribers - 1) / subscribers;
        self.targets[m]
            .entry(id)
            .or_insert_with(|| PartitionSet::with_capacity((estimate as f32 / 0.75 + 1.0) as usize))
            .insert(p as i32, ());
        topic.owners[p] = m as i32;
        self.sizes[m] += 1;
    }
}

/// `MemberAssignmentBalancer`: the subscribers of one topic sorted by load (then index), with
/// a "least loaded" range growing from the left and a "most loaded" range growing from the
/// right. Handing out partitions round-robin inside the least loaded range, and taking them
/// round-robin from the most loaded range, keeps both ranges level.
#[derive(Default)]
struct Balancer {
    sorted: Vec<u32>,
    /// `[0, least_end)`: the least loaded range.
    least_end: usize,
    /// The load of that range before this round of handing out.
    least_count: i64,
    next_least: usize,
    /// `[most_start, most_end)`: the most loaded range; members past `most_end` have been
    /// excluded (they hold nothing of the topic).
    most_start: usize,
    most_end: usize,
    most_count: i64,
    next_most: isize,
}

impl Balancer {
    /// Resets for `members` (never empty: they subscribe to the topic); returns the spread of
    /// their loads.
    fn initialize(&mut self, members: &[u32], sizes: &[i64]) -> i64 {
        self.sorted.clear();
        self.sorted.extend_from_slice(members);
        sort_u32(&mut self.sorted, &|a, b| {
            sizes[a as usize].cmp(&sizes[b as usize]).then(a.cmp(&b))
        });
        let (Some(&first), Some(&last)) = (self.sorted.first(), self.sorted.last()) else {
            return 0;
        };
        let (min, max) = (sizes[first as usize], sizes[last as usize]);
        let n = self.sorted.len();
        self.least_end = 0;
        self.least_count = min - 1;
        self.next_least = 0;
        self.most_start = n;
        self.most_end = n;
        self.most_count = max + 1;
        self.next_most = n as isize - 1;
        max - min
    }

    /// `nextLeastLoadedMember`: the member to give the next partition to.
    fn next_least_loaded(&mut self, sizes: &[i64]) -> u32 {
        if self.next_least >= self.least_end {
            // The range had one partition each: raise its level and take in the members that
            // are now level with it.
            self.least_count += 1;
            while self.least_end < self.sorted.len()
                && sizes[self.sorted[self.least_end] as usize] == self.least_count
            {
                self.least_end += 1;
            }
            self.next_least = 0;
        }
        let m = self.sorted[self.next_least];
        self.next_least += 1;
        m
    }

    /// `nextMostLoadedMember`: the member to take the next partition from, if any.
    fn next_most_loaded(&mut self, sizes: &[i64]) -> Option<u32> {
        if self.next_most < self.most_start as isize {
            if self.most_end <= self.most_start && self.most_start > 0 {
                // Emptied by exclusions: restart from the next member down.
                self.most_count = sizes[self.sorted[self.most_start - 1] as usize];
            } else {
                self.most_count -= 1;
            }
            while self.most_start > 0
                && sizes[self.sorted[self.most_start - 1] as usize] == self.most_count
            {
                self.most_start -= 1;
            }
            self.next_most = self.most_end as isize - 1;
        }
        let m = *self.sorted.get(usize::try_from(self.next_most).ok()?)?;
        self.next_most -= 1;
        Some(m)
    }

    /// `excludeMostLoadedMember`: drops the member last returned by `next_most_loaded` from
    /// the most loaded range (it has nothing of this topic to give).
    fn exclude_most_loaded(&mut self) {
        let i = (self.next_most + 1) as usize;
        self.most_end -= 1;
        self.sorted.swap(i, self.most_end);
    }

    fn is_balanced(&self) -> bool {
        self.most_count - self.least_count <= 1
    }
}
