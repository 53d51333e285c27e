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

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

pub mod cooperative_sticky;
pub mod java_hashmap;
pub mod range;
pub mod roundrobin;
pub mod server;
mod server_range;
pub mod sticky;
mod uniform_heterogeneous;
mod uniform_homogeneous;

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
    let prepared = Prepared::new(topics, members);
    let per_member =
        run(kind, &prepared).unwrap_or_else(|_| vec![Vec::new(); prepared.members.len()]);
    prepared.outcome(&per_member)
}

/// Like [`assign`], but reports the inputs for which Kafka's Java code throws.
pub fn try_assign(
    kind: AssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<AssignmentOutcome, AssignError> {
    let prepared = Prepared::new(topics, members);
    let per_member = run(kind, &prepared)?;
    Ok(prepared.outcome(&per_member))
}

/// The assignor proper: gid lists per member of `prepared`.
fn run(kind: AssignorKind, prepared: &Prepared<'_>) -> Result<Vec<Vec<u32>>, AssignError> {
    if prepared.members.is_empty() {
        // A rebalance always has at least the leader; Kafka's code would divide by zero here.
        // (The outcome of no members is empty.)
        return Ok(Vec::new());
    }
    Ok(match kind {
        AssignorKind::Range => range::assign(prepared),
        AssignorKind::Roundrobin => roundrobin::assign(prepared),
        AssignorKind::Sticky => sticky::assign(prepared)?.assignment,
        AssignorKind::CooperativeSticky => cooperative_sticky::assign(prepared)?,
    })
}

/// `ConsumerCoordinator`'s choice of rebalance protocol: intersect the `supportedProtocols()`
/// of every configured assignor and take the highest. `None` if the list is empty (Java's
/// `protocol = null`) or the intersection is (Java throws `IllegalArgumentException`).
pub fn client_protocol(strategies: &[AssignorKind]) -> Option<RebalanceProtocol> {
    strategies.first()?;
    // The highest protocol in the intersection.
    [RebalanceProtocol::Cooperative, RebalanceProtocol::Eager]
        .into_iter()
        .find(|p| {
            strategies
                .iter()
                .all(|k| k.supported_protocols().contains(p))
        })
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
    // Candidates: the protocols in every member's list, as a bit set over `kind as usize`.
    // (The coordinator keys each member's protocols by name, so repeats in a list count once;
    // they change neither the candidates nor a member's first candidate.)
    let bit = |k: AssignorKind| 1u8 << k as u8;
    let mut candidates = 0b1111;
    for list in member_strategies {
        candidates &= list.iter().fold(0, |set, &k| set | bit(k));
    }
    if candidates == 0 {
        return None;
    }
    // votes[kind as usize]: the counts of `votesByProtocol`.
    let mut votes = [0u32; 4];
    for list in member_strategies {
        let vote = list.iter().find(|&&k| candidates & bit(k) != 0)?;
        votes[*vote as usize] += 1;
    }
    // Stream.max: BinaryOperator.maxBy keeps the left element on ties.
    let mut best: Option<(AssignorKind, u32)> = None;
    for kind in VOTES_ITERATION_ORDER {
        let count = votes[kind as usize];
        if count > 0 && best.is_none_or(|(_, c)| count > c) {
            best = Some((kind, count));
        }
    }
    best.map(|(kind, _)| kind)
}

/// The iteration order of `votesByProtocol`, a default `HashMap<String, Integer>`: its keys
/// can only be these four names, and they fall into distinct buckets of its 16
/// (`spread(hashCode) & 15` = 8, 9, 10, 15; it never resizes below 13 keys), so it iterates
/// them in bucket order whatever the insertion order. Checked by a test below.
const VOTES_ITERATION_ORDER: [AssignorKind; 4] = [
    AssignorKind::Sticky,
    AssignorKind::Range,
    AssignorKind::Roundrobin,
    AssignorKind::CooperativeSticky,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_iteration_order_is_java_hashmap_order() {
        // Insert in every order a tie can be seen in: the order must not depend on it.
        let mut orders = vec![AssignorKind::ALL.to_vec()];
        orders.push(AssignorKind::ALL.iter().rev().copied().collect());
        for order in orders {
            let mut map: JavaHashMap<String, usize> = JavaHashMap::new();
            for k in order {
                map.insert(k.name().to_string(), 0);
            }
            let names: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
            let expected: Vec<&str> = VOTES_ITERATION_ORDER.iter().map(|k| k.name()).collect();
            assert_eq!(names, expected);
        }
    }
}

/// Kafka's `AbstractPartitionAssignor.MemberInfo.compareTo`: static members (with a
/// `group.instance.id`) first, ordered by instance id; then dynamic members by member id.
/// Both comparisons are Java `String.compareTo` (UTF-16 order).
pub(crate) fn member_info_cmp(a: &Member<'_>, b: &Member<'_>) -> Ordering {
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
    pub names: List<String>,
    pub counts: List<u32>,
    pub hashes: List<i32>,
    pub offsets: List<u32>,
    /// gid -> topic index.
    pub part_topic: List<u32>,
}

impl Topics {
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn total(&self) -> usize {
        self.part_topic.len()
    }
    pub fn find(&self, name: &str) -> Option<u32> {
        // `names` is sorted by `compare_strings` (a total order) and has no duplicates.
        self.names
            .binary_search_by(|n| compare_strings(n, name))
            .ok()
            .map(|i| i as u32)
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
    pub members: List<Member<'a>>,
    /// Member index -> rank of its member id in Java `String` order.
    pub rank: List<u32>,
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
        let mut found: Vec<&String> = Vec::new();
        for &i in &order {
            for t in &input[i].topics {
                if topic_counts.get(t).is_some_and(|&c| c > 0) && !found.contains(&t) {
                    found.push(t);
                }
            }
        }
        let mut by_name = iota(found.len());
        sort_u32(&mut by_name, &|a, b| {
            compare_strings(found[a as usize], found[b as usize])
        });
        let names: List<String> = by_name.iter().map(|&i| found[i as usize].clone()).collect();
        let counts: List<u32> = names.iter().map(|n| topic_counts[n]).collect();
        let hashes: List<i32> = names.iter().map(|n| string_hash_code(n)).collect();
        let mut offsets = List(Vec::with_capacity(names.len()));
        let mut part_topic = List(Vec::new());
        for (t, &c) in counts.iter().enumerate() {
            offsets.push(part_topic.len() as u32);
            part_topic.extend(std::iter::repeat_n(t as u32, c as usize));
        }
        let topics = Topics {
            names,
            counts,
            hashes,
            offsets,
            part_topic,
        };

        let members: List<Member<'a>> = order
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
                sort_u32(&mut topic_ids_sorted, &|a, b| a.cmp(&b));
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

        let mut by_name = iota(members.len());
        sort_u32(&mut by_name, &|a, b| {
            compare_strings(members[a as usize].id, members[b as usize].id)
        });
        let mut rank = List(vec![0u32; members.len()]);
        for (r, &m) in by_name.iter().enumerate() {
            rank[m as usize] = r as u32;
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
        let topics = &self.topics;
        for (m, gids) in self.members.iter().zip(per_member) {
            // Sorted by (topic, partition) in Rust `Ord` (byte order of the name, which can
            // differ from the Java order of gids), deduplicated.
            let mut gids = gids.clone();
            sort_u32(&mut gids, &|a, b| {
                let (ta, tb) = (topics.part_topic[a as usize], topics.part_topic[b as usize]);
                topics.names[ta as usize]
                    .cmp(&topics.names[tb as usize])
                    .then(a.cmp(&b))
            });
            gids.dedup();
            let assigned: Vec<TopicPartition> =
                gids.iter().map(|&g| topics.topic_partition(g)).collect();
            let owned = &m.input.owned;
            let mut revoked_ids: Vec<u32> = (0..owned.len() as u32)
                .filter(|&i| assigned.binary_search(&owned[i as usize]).is_err())
                .collect();
            sort_u32(&mut revoked_ids, &|a, b| {
                owned[a as usize].cmp(&owned[b as usize])
            });
            let mut revoked: Vec<TopicPartition> = Vec::new();
            for i in revoked_ids {
                let tp = &owned[i as usize];
                if revoked.last() != Some(tp) {
                    revoked.push(tp.clone());
                }
            }
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

/// `0, 1, .., n - 1` as `u32` indices.
pub(crate) fn iota(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

/// The one sort of the assignors: a stable bottom-up merge sort of `u32` values (gids, member
/// or topic indices, indices into a list) under a comparator.
///
/// Every sort in this module goes through here on purpose. `slice::sort_by` and friends are
/// instantiated once per element type *and* per closure, about 2 KB of wasm each; this is one
/// small function. Stability matters where Java sorts with a comparator that has ties
/// (`Collections.sort` of `MemberInfo`: two static members may share a `group.instance.id`).
#[inline(never)]
pub(crate) fn sort_u32(v: &mut [u32], cmp: &dyn Fn(u32, u32) -> Ordering) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut buf = vec![0u32; n];
    let mut in_v = true;
    let mut width = 1;
    while width < n {
        let (src, dst): (&[u32], &mut [u32]) = if in_v {
            (&*v, &mut buf[..])
        } else {
            (&buf[..], &mut *v)
        };
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut dst[start..end] {
                // Take from the left run unless the right element is strictly smaller.
                if j == end || (i < mid && cmp(src[j], src[i]) != Ordering::Less) {
                    *slot = src[i];
                    i += 1;
                } else {
                    *slot = src[j];
                    j += 1;
                }
            }
            start = end;
        }
        in_v = !in_v;
        width *= 2;
    }
    if !in_v {
        v.copy_from_slice(&buf);
    }
}

/// A `Vec` whose `[i]` shares one bounds-check panic location across the assignors.
///
/// Each plain indexing expression carries its own panic location (16 bytes of wasm data plus
/// the code passing it) and the sticky engine indexes in a few hundred places. Everything else
/// is the `Vec` itself, through `Deref`.
#[derive(Clone, Default)]
pub(crate) struct List<T>(pub Vec<T>);

impl<T> std::ops::Deref for List<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> std::ops::DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T> List<T> {
    // `Index::index` is `#[track_caller]` (so every `v[i]` would still get its own panic
    // location); these two are not, so the bounds check inside them has a single one.
    #[inline(always)]
    fn at(&self, i: usize) -> &T {
        &self.0[i]
    }

    #[inline(always)]
    fn at_mut(&mut self, i: usize) -> &mut T {
        &mut self.0[i]
    }
}

impl<T> std::ops::Index<usize> for List<T> {
    type Output = T;
    #[inline(always)]
    fn index(&self, i: usize) -> &T {
        self.at(i)
    }
}

impl<T> std::ops::IndexMut<usize> for List<T> {
    #[inline(always)]
    fn index_mut(&mut self, i: usize) -> &mut T {
        self.at_mut(i)
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List(iter.into_iter().collect())
    }
}
