//! Client-side partition assignors: who reads which partition in a consumer group.
//!
//! # What a partition assignor is
//!
//! A consumer group shares the partitions of the topics it subscribes to: every partition is
//! read by exactly one member, so records in one partition are processed in order by one
//! consumer. *Which* member gets *which* partition is decided by a **partition assignor**.
//!
//! # When it runs
//!
//! In the classic group protocol (`JoinGroup`/`SyncGroup`, Kafka's protocol since 0.9), the
//! broker-side *group coordinator* does not compute assignments at all. During a rebalance:
//!
//! 1. every member sends `JoinGroup` with an ordered list of assignor names it supports
//!    (`partition.assignment.strategy`) and, per assignor, its subscription metadata (topics,
//!    previously owned partitions, generation, user data);
//! 2. the coordinator picks one assignor *all* members support — each member votes for its
//!    first supported one, most votes wins ([`select_group_protocol`]) — and elects a leader;
//! 3. the **leader** (an ordinary consumer) runs that assignor over everyone's subscriptions
//!    ([`assign`]) and sends the result back in `SyncGroup`; the coordinator relays it.
//!
//! So the code below is what runs *inside the leader's KafkaConsumer*.
//!
//! # Why there are four
//!
//! * [`AssignorKind::Range`] works topic by topic: consecutive partition ranges, first members
//!   get the remainder. Co-partitioned topics (same key → same partition number) land on the
//!   same consumer, which joins need. It is the historical default.
//! * [`AssignorKind::Roundrobin`] deals all partitions of all topics out one by one, which
//!   balances better across topics but ignores the previous assignment.
//! * [`AssignorKind::Sticky`] balances *and* keeps as many previously owned partitions as
//!   possible, so fewer partitions change hands (less state to reload, fewer cold caches).
//! * [`AssignorKind::CooperativeSticky`] is the sticky algorithm adapted to the cooperative
//!   rebalance protocol (below). It is the default since Kafka 3.0 (together with range).
//!
//! # Eager vs cooperative rebalancing
//!
//! With the **eager** protocol every member revokes *all* its partitions before rejoining:
//! the whole group stops consuming for the duration of the rebalance ("stop the world").
//! With the **cooperative** protocol (KIP-429) members keep their partitions while rejoining
//! and only give up the ones the new assignment takes away. To stay safe — a partition must
//! never be read by two members at once — a partition that moves from A to B is *not* given to
//! B in the same round: A revokes it first, then a follow-up rebalance hands it to B. That is
//! what [`AssignmentOutcome::revoked`] and the "withheld" partitions in a cooperative outcome
//! show. A consumer uses cooperative only if *all* its configured assignors support it
//! ([`client_protocol`]).
//!
//! # Fidelity
//!
//! These are line-by-line ports of Apache Kafka's Java classes (trunk, October 2024, the
//! 3.9/4.0 line): `RangeAssignor`, `RoundRobinAssignor`, `StickyAssignor`,
//! `CooperativeStickyAssignor`, `internals/AbstractPartitionAssignor` and
//! `internals/AbstractStickyAssignor`, including the places where Java's `HashMap` iteration
//! order decides the outcome (see [`java_hashmap`]). Rack-aware assignment is not modelled
//! (members carry no rack), which is Kafka's behaviour when `client.rack` is unset.
//!
//! The order of `members` matters in exactly the way it matters to Kafka: the leader builds a
//! `java.util.HashMap<memberId, Subscription>` by inserting members in the order of the
//! `JoinGroup` response, and members whose ids share a hash bucket are visited in that order.

use std::collections::BTreeMap;
use std::fmt;

pub mod cooperative_sticky;
pub mod java_hashmap;
pub mod range;
pub mod roundrobin;
pub mod sticky;

use java_hashmap::{compare_strings, string_hash_code, JavaHashMap};

/// A partition of a topic, Kafka's `TopicPartition`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    /// Kafka's `toString()`: `topic-partition`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The four assignors shipped with the Kafka Java client.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum AssignorKind {
    Range,
    Roundrobin,
    Sticky,
    CooperativeSticky,
}

impl AssignorKind {
    pub const ALL: [AssignorKind; 4] = [
        AssignorKind::Range,
        AssignorKind::Roundrobin,
        AssignorKind::Sticky,
        AssignorKind::CooperativeSticky,
    ];

    /// The protocol name sent in `JoinGroup` (each Java class's `name()`).
    pub fn name(self) -> &'static str {
        match self {
            AssignorKind::Range => "range",
            AssignorKind::Roundrobin => "roundrobin",
            AssignorKind::Sticky => "sticky",
            AssignorKind::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// `ConsumerPartitionAssignor.supportedProtocols()`: the interface default is `[EAGER]`;
    /// only `CooperativeStickyAssignor` overrides it with `[COOPERATIVE, EAGER]`.
    pub fn supported_protocols(self) -> &'static [RebalanceProtocol] {
        match self {
            AssignorKind::CooperativeSticky => {
                &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
            }
            _ => &[RebalanceProtocol::Eager],
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        AssignorKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for AssignorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `ConsumerPartitionAssignor.RebalanceProtocol`. Declaration order is Kafka's id order
/// (EAGER = 0, COOPERATIVE = 1): "higher" means more advanced.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum RebalanceProtocol {
    Eager,
    Cooperative,
}

/// One member's `JoinGroup` metadata, as the leader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    /// Subscribed topic names.
    pub topics: Vec<String>,
    /// Previously owned partitions (sticky: Kafka's userData; cooperative-sticky: ownedPartitions).
    pub owned: Vec<TopicPartition>,
    /// Generation of `owned` (`None` = Kafka's DEFAULT_GENERATION -1).
    pub generation: Option<i32>,
}

/// The leader's answer for one rebalance round.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AssignmentOutcome {
    /// member_id -> partitions this round, sorted (topic, partition); every member present.
    pub assignment: BTreeMap<String, Vec<TopicPartition>>,
    /// member_id -> owned partitions not in its new assignment, sorted; every member present.
    pub revoked: BTreeMap<String, Vec<TopicPartition>>,
}

/// Kafka's Java assignor throws for this input; the message names the exception and where.
///
/// This is reachable with valid-looking input (see `sticky.rs`: a member with a stale
/// generation that previously owned a partition of a topic it no longer subscribes to can
/// trigger a `NullPointerException` in `GeneralAssignmentBuilder.performReassignments`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssignError {
    /// The Java exception class, e.g. `"NullPointerException"`.
    pub java_exception: &'static str,
    pub message: String,
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Kafka's assignor throws {}: {}",
            self.java_exception, self.message
        )
    }
}

impl std::error::Error for AssignError {}

/// Runs the assignor the group leader would run.
///
/// `topics`: topic name -> partition count (only topics that exist; subscribed topics missing
/// here are ignored like Kafka's missing metadata). If Kafka's Java code would throw for this
/// input (see [`AssignError`]), the round produces no assignment: every member gets nothing
/// and `revoked` lists everything it owned. Use [`try_assign`] to see the error.
///
/// Owned partitions whose number is at or beyond the topic's current partition count are
/// ignored (Kafka would hand such phantom partitions back out). Work and memory grow with
/// the total number of partitions, as in Kafka.
pub fn assign(
    kind: AssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> AssignmentOutcome {
    match try_assign(kind, topics, members) {
        Ok(outcome) => outcome,
        Err(_) => {
            let prepared = Prepared::new(topics, members);
            let empty = vec![Vec::new(); prepared.members.len()];
            prepared.outcome(&empty)
        }
    }
}

/// Like [`assign`], but reports the inputs for which Kafka's Java code throws.
pub fn try_assign(
    kind: AssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<AssignmentOutcome, AssignError> {
    let prepared = Prepared::new(topics, members);
    if prepared.members.is_empty() {
        // A rebalance always has at least the leader; Kafka's code would divide by zero here.
        return Ok(AssignmentOutcome::default());
    }
    let per_member = match kind {
        AssignorKind::Range => range::assign(&prepared),
        AssignorKind::Roundrobin => roundrobin::assign(&prepared),
        AssignorKind::Sticky => sticky::assign(&prepared)?.assignment,
        AssignorKind::CooperativeSticky => cooperative_sticky::assign(&prepared)?,
    };
    Ok(prepared.outcome(&per_member))
}

/// `ConsumerCoordinator`'s choice of rebalance protocol: intersect the `supportedProtocols()`
/// of every configured assignor and take the highest. `None` if the list is empty (Java's
/// `protocol = null`) or the intersection is (Java throws `IllegalArgumentException`).
pub fn client_protocol(strategies: &[AssignorKind]) -> Option<RebalanceProtocol> {
    let first = strategies.first()?;
    let mut supported: Vec<RebalanceProtocol> = first.supported_protocols().to_vec();
    for kind in strategies {
        supported.retain(|p| kind.supported_protocols().contains(p));
    }
    supported.into_iter().max()
}

/// The coordinator's vote (`ClassicGroup.selectProtocol`): candidates are the protocols every
/// member supports; each member votes for the first candidate in its own list; most votes wins.
///
/// Ties go to whichever protocol comes first when iterating Java's
/// `HashMap<String, Integer> votesByProtocol` (`Stream.max` keeps the earlier of equal
/// elements), i.e. by the bucket of the protocol name's hash — reproduced exactly here.
/// `None` if there are no members or no protocol is common to all.
pub fn select_group_protocol(member_strategies: &[Vec<AssignorKind>]) -> Option<AssignorKind> {
    if member_strategies.is_empty() {
        return None;
    }
    // The coordinator counts each protocol once per member (JoinGroup protocols are keyed by name).
    let lists: Vec<Vec<AssignorKind>> = member_strategies
        .iter()
        .map(|list| {
            let mut seen = Vec::new();
            for k in list {
                if !seen.contains(k) {
                    seen.push(*k);
                }
            }
            seen
        })
        .collect();
    let candidates: Vec<AssignorKind> = AssignorKind::ALL
        .into_iter()
        .filter(|k| lists.iter().all(|l| l.contains(k)))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let mut votes: JavaHashMap<String, u32> = JavaHashMap::new();
    for list in &lists {
        let vote = list.iter().find(|k| candidates.contains(k))?;
        let key = vote.name().to_string();
        let count = votes.get(&key).copied().unwrap_or(0);
        votes.insert(key, count + 1);
    }
    // Stream.max: BinaryOperator.maxBy keeps the left element on ties.
    let mut best: Option<(&String, u32)> = None;
    for (name, &count) in votes.iter() {
        if best.is_none_or(|(_, c)| count > c) {
            best = Some((name, count));
        }
    }
    best.and_then(|(name, _)| AssignorKind::from_name(name))
}

/// Kafka's `AbstractPartitionAssignor.MemberInfo.compareTo`: static members (with a
/// `group.instance.id`) first, ordered by instance id; then dynamic members by member id.
/// Both comparisons are Java `String.compareTo` (UTF-16 order).
pub(crate) fn member_info_cmp(a: &Member<'_>, b: &Member<'_>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.instance_id, b.instance_id) {
        (Some(x), Some(y)) => compare_strings(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => compare_strings(a.id, b.id),
    }
}

/// Topics that take part in the assignment: Kafka's `partitionsPerTopic`, built by
/// `AbstractPartitionAssignor.assign(Cluster, ...)` from the topics *someone* subscribes to that
/// have metadata and at least one partition. Partitions get dense ids ("gid") laid out topic by
/// topic in Java name order, so gid order == (topic, partition) order as Java sorts them.
pub(crate) struct Topics {
    pub names: Vec<String>,
    pub counts: Vec<u32>,
    pub hashes: Vec<i32>,
    pub offsets: Vec<u32>,
    /// gid -> topic index.
    pub part_topic: Vec<u32>,
    index: BTreeMap<String, u32>,
}

impl Topics {
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn total(&self) -> usize {
        self.part_topic.len()
    }
    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
    pub fn gid(&self, topic: u32, partition: u32) -> u32 {
        self.offsets[topic as usize] + partition
    }
    pub fn partition_of(&self, gid: u32) -> u32 {
        gid - self.offsets[self.part_topic[gid as usize] as usize]
    }
    /// Java `TopicPartition.hashCode()` of a gid.
    pub fn java_hash(&self, gid: u32) -> i32 {
        let t = self.part_topic[gid as usize];
        java_hashmap::topic_partition_hash_code(self.hashes[t as usize], self.partition_of(gid))
    }
    pub fn topic_partition(&self, gid: u32) -> TopicPartition {
        TopicPartition::new(
            self.names[self.part_topic[gid as usize] as usize].clone(),
            self.partition_of(gid),
        )
    }
}

/// One member after input handling. Indices into `Prepared::members` follow the iteration
/// order of the leader's `HashMap<String, Subscription>`.
pub(crate) struct Member<'a> {
    pub id: &'a str,
    pub instance_id: Option<&'a str>,
    /// Subscription topics as sent (duplicates removed, first occurrence kept).
    pub topics: Vec<&'a str>,
    /// Subscribed topics that exist (`Topics` indices), in subscription order.
    pub topic_ids: Vec<u32>,
    /// Same, sorted, for membership tests.
    pub topic_ids_sorted: Vec<u32>,
    /// Owned partitions of participating topics, as gids, in the order sent.
    pub owned: Vec<u32>,
    /// Generation; negative values are Kafka's "no generation".
    pub generation: Option<i32>,
    pub input: &'a MemberSubscription,
}

impl Member<'_> {
    pub fn subscribes(&self, topic: u32) -> bool {
        self.topic_ids_sorted.binary_search(&topic).is_ok()
    }
    pub fn generation_or_default(&self) -> i32 {
        self.generation.unwrap_or(DEFAULT_GENERATION)
    }
}

/// `AbstractStickyAssignor.DEFAULT_GENERATION`.
pub(crate) const DEFAULT_GENERATION: i32 = -1;

/// The common input handling of `AbstractPartitionAssignor` and `ConsumerCoordinator`.
pub(crate) struct Prepared<'a> {
    pub topics: Topics,
    /// Members in the leader's `HashMap<memberId, Subscription>` iteration order.
    pub members: Vec<Member<'a>>,
    /// Member index -> rank of its member id in Java `String` order.
    pub rank: Vec<u32>,
}

impl<'a> Prepared<'a> {
    pub fn new(topic_counts: &BTreeMap<String, u32>, input: &'a [MemberSubscription]) -> Self {
        // ConsumerCoordinator.onLeaderElected: `subscriptions.put(memberId, subscription)` in
        // JoinGroup order. A repeated member id keeps its first position but the last value.
        let mut by_id: JavaHashMap<String, usize> = JavaHashMap::new();
        for (i, m) in input.iter().enumerate() {
            by_id.insert(m.member_id.clone(), i);
        }
        let order: Vec<usize> = by_id.iter().map(|(_, &i)| i).collect();

        // partitionsPerTopic: subscribed by someone, known, non-empty.
        let mut names: Vec<String> = Vec::new();
        for &i in &order {
            for t in &input[i].topics {
                if topic_counts.get(t).is_some_and(|&c| c > 0) && !names.contains(t) {
                    names.push(t.clone());
                }
            }
        }
        names.sort_by(|a, b| compare_strings(a, b));
        let counts: Vec<u32> = names.iter().map(|n| topic_counts[n]).collect();
        let hashes: Vec<i32> = names.iter().map(|n| string_hash_code(n)).collect();
        let mut offsets = Vec::with_capacity(names.len());
        let mut part_topic = Vec::new();
        for (t, &c) in counts.iter().enumerate() {
            offsets.push(part_topic.len() as u32);
            part_topic.extend(std::iter::repeat_n(t as u32, c as usize));
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        let topics = Topics {
            names,
            counts,
            hashes,
            offsets,
            part_topic,
            index,
        };

        let members: Vec<Member<'a>> = order
            .iter()
            .map(|&i| {
                let m = &input[i];
                let mut topic_names: Vec<&str> = Vec::new();
                for t in &m.topics {
                    if !topic_names.contains(&t.as_str()) {
                        topic_names.push(t);
                    }
                }
                let topic_ids: Vec<u32> =
                    topic_names.iter().filter_map(|t| topics.find(t)).collect();
                let mut topic_ids_sorted = topic_ids.clone();
                topic_ids_sorted.sort_unstable();
                // Owned partitions of topics outside partitionsPerTopic never take part (Kafka
                // filters them with `allTopics.contains`). Partition numbers beyond the topic's
                // count are dropped here: Kafka would hand such phantom partitions back out.
                let owned = m
                    .owned
                    .iter()
                    .filter_map(|tp| {
                        let t = topics.find(&tp.topic)?;
                        (tp.partition < topics.counts[t as usize])
                            .then(|| topics.gid(t, tp.partition))
                    })
                    .collect();
                Member {
                    id: &m.member_id,
                    instance_id: m.group_instance_id.as_deref(),
                    topics: topic_names,
                    topic_ids,
                    topic_ids_sorted,
                    owned,
                    generation: m.generation.filter(|&g| g >= 0),
                    input: m,
                }
            })
            .collect();

        let mut by_name: Vec<usize> = (0..members.len()).collect();
        by_name.sort_by(|&a, &b| compare_strings(members[a].id, members[b].id));
        let mut rank = vec![0u32; members.len()];
        for (r, &m) in by_name.iter().enumerate() {
            rank[m] = r as u32;
        }
        Prepared {
            topics,
            members,
            rank,
        }
    }

    /// Turns per-member gid lists into the public outcome.
    pub fn outcome(&self, per_member: &[Vec<u32>]) -> AssignmentOutcome {
        let mut out = AssignmentOutcome::default();
        for (m, gids) in self.members.iter().zip(per_member) {
            let mut assigned: Vec<TopicPartition> = gids
                .iter()
                .map(|&g| self.topics.topic_partition(g))
                .collect();
            assigned.sort();
            assigned.dedup();
            let mut revoked: Vec<TopicPartition> = m
                .input
                .owned
                .iter()
                .filter(|tp| assigned.binary_search(tp).is_err())
                .cloned()
                .collect();
            revoked.sort();
            revoked.dedup();
            out.assignment.insert(m.id.to_string(), assigned);
            out.revoked.insert(m.id.to_string(), revoked);
        }
        out
    }
}

/// `List.remove(Object)`: removes the first occurrence, if any.
pub(crate) fn remove_first(list: &mut Vec<u32>, value: u32) -> bool {
    match list.iter().position(|&x| x == value) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}
