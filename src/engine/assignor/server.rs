//! Server-side partition assignors (KIP-848): the group coordinator decides who reads what.
//!
//! # The consumer group protocol
//!
//! In the classic protocol the group *leader*, an ordinary consumer, runs the assignor (see the
//! parent module). KIP-848's **consumer** protocol (`group.protocol=consumer`, generally
//! available in Kafka 4.0) moves that work to the broker:
//!
//! 1. members only heartbeat (`ConsumerGroupHeartbeat`), carrying their subscription;
//! 2. when a member joins, leaves or changes its subscription, or a subscribed topic changes,
//!    the coordinator bumps the *group epoch* and runs a server-side assignor over the whole
//!    group. Its result is the **target assignment**, stored in the `__consumer_offsets` log;
//! 3. each member then converges towards its target, one heartbeat at a time: it is told to
//!    revoke what it owns but is no longer in its target, and a partition is handed to its
//!    new owner only once the previous owner has confirmed the revocation. Nobody stops
//!    consuming the partitions that do not move: there is no group-wide barrier.
//!
//! The assignor's input is the **previous target assignment** (not what members currently
//! own): it is the coordinator's own record, always complete and never stale.
//!
//! # The two assignors
//!
//! The broker offers `group.consumer.assignors` (class names; by default the uniform one,
//! which is used unless a consumer asks otherwise, and the range one); a consumer may ask for
//! one by name with `group.remote.assignor`.
//!
//! * [`ServerAssignorKind::Uniform`] balances the partition *count* per member (within one
//!   when everybody subscribes to the same topics) and is sticky: a member keeps its previous
//!   target as far as the balance allows. When all members subscribe to the same topics it
//!   takes a fast path (`uniform_homogeneous`); otherwise a slower, iterative one
//!   (`uniform_heterogeneous`).
//! * [`ServerAssignorKind::Range`] is the server-side twin of the client's range assignor:
//!   each member gets a consecutive range of every topic it subscribes to, so co-partitioned
//!   topics line up. It ignores the previous assignment entirely (`server_range`).
//!
//! # Fidelity
//!
//! Ports of `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/`
//! `UniformAssignor`, `UniformHomogeneousAssignmentBuilder`,
//! `UniformHeterogeneousAssignmentBuilder` and `RangeAssignor`, and of how
//! `modern/TargetAssignmentBuilder.build()` prepares their input, as of Apache Kafka commit
//! `1eb7644349cb07139d6a3c1ad1986979647cac99` (trunk, 25 October 2024, the 4.0 line).
//! Kafka's topics are named by a random [`TopicUuid`], and the uniform assignor's choices
//! depend on those ids twice: through `Uuid.hashCode`, which orders a `HashSet<Uuid>` of
//! topics and so decides which leftover partitions go to whom, and through `Uuid.compareTo`,
//! the heterogeneous builder's last tie-break between topics. Both are reproduced, and so is
//! Java's `HashMap`/`HashSet` iteration order over member ids, topic ids and partition numbers
//! (see `java_hashmap`): which partitions an over-quota member gives up is "the last ones its
//! `HashSet<Integer>` hands out". Racks are not modelled: these assignors ignore them.
//!
//! [`server_assign`] is the entry point for a simulation; [`assign_spec`] runs an assignor
//! on Kafka's own `GroupSpec` shape, for Kafka's unit tests.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::java_hashmap::{hash_set_capacity, JavaHashMap, JavaKey};
use super::{server_range, uniform_heterogeneous, uniform_homogeneous};

/// Kafka's `org.apache.kafka.common.Uuid`, the id of a topic.
///
/// Field order makes the derived `Ord` Kafka's `compareTo`: most significant half first, both
/// compared as *signed* `long`s (so an id with the top bit set sorts first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicUuid {
    pub msb: i64,
    pub lsb: i64,
}

impl TopicUuid {
    /// The id this simulator gives the topic called `name`.
    ///
    /// Kafka draws a random id (`Uuid.randomUuid()`) when a topic is created, so the same name
    /// gets a new id if the topic is deleted and created again. A simulation must be
    /// reproducible, so the id here is a fixed hash of the name: two 64-bit FNV-1a passes with
    /// different offsets, each finished with SplitMix64's mixer, then stamped like
    /// `java.util.UUID.randomUUID()` (version 4, IETF variant). The version bits keep it off
    /// Kafka's reserved ids (`ZERO_UUID`, `ONE_UUID` = `METADATA_TOPIC_ID`), and like
    /// `randomUuid()` it never prints with a leading `-`.
    pub fn for_name(name: &str) -> TopicUuid {
        let half = |offset: u64| {
            let mut h = offset;
            for b in name.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            // SplitMix64's finalizer: FNV alone leaves short names' high bits alike.
            h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        };
        let mut msb = (half(0xcbf2_9ce4_8422_2325) & !0xf000) | 0x4000;
        if msb >> 58 == 0b11_1110 {
            // The first base64 character would be '-'.
            msb ^= 1 << 63;
        }
        let lsb = (half(0x8422_2325_cbf2_9ce4) & !(0b11 << 62)) | (0b10 << 62);
        TopicUuid {
            msb: msb as i64,
            lsb: lsb as i64,
        }
    }

    /// The 16 bytes, most significant first (`Uuid.getBytesFromUuid`): the
    /// topic id as the wire carries it (live mode's Metadata v10+ and
    /// ConsumerGroupHeartbeat).
    pub fn bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.msb.to_be_bytes());
        b[8..].copy_from_slice(&self.lsb.to_be_bytes());
        b
    }
}

impl JavaKey for TopicUuid {
    /// `Uuid.hashCode()`: the two halves xor-ed, folded to 32 bits.
    fn java_hash_code(&self) -> i32 {
        let x = self.msb ^ self.lsb;
        ((x >> 32) as i32) ^ (x as i32)
    }
    fn java_compare(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for TopicUuid {
    /// `Uuid.toString()`: URL-safe base64 of the 16 bytes, without padding (22 characters).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::with_capacity(22);
        for chunk in self.bytes().chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        f.write_str(&out)
    }
}

/// The server-side assignors of Kafka 4 (`ConsumerGroupPartitionAssignor`s).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServerAssignorKind {
    Uniform,
    Range,
}

impl ServerAssignorKind {
    pub const ALL: [ServerAssignorKind; 2] =
        [ServerAssignorKind::Uniform, ServerAssignorKind::Range];

    /// Each Java class's `name()`, the value of `group.remote.assignor`.
    pub fn name(self) -> &'static str {
        match self {
            ServerAssignorKind::Uniform => "uniform",
            ServerAssignorKind::Range => "range",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for ServerAssignorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Kafka's `SubscriptionType`: `Homogeneous` when every member subscribes to the same topic
/// names (the coordinator's `ModernGroup.subscriptionType` counts subscribers per name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionType {
    Homogeneous,
    Heterogeneous,
}

/// One member as an assignor sees it (`MemberSubscriptionAndAssignmentImpl`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSpec {
    pub member_id: String,
    pub instance_id: Option<String>,
    /// `subscribedTopicIds()` in iteration order. In the coordinator this is a `TopicIds`
    /// view of the subscribed topic *names*: a name with no topic is counted by `size()` but
    /// skipped when iterating; such a name is `None` here.
    pub subscribed_topic_ids: Vec<Option<TopicUuid>>,
    /// `partitions()`: topics in the map's iteration order, each with its partitions in the
    /// order they were added to `new HashSet<>(list)` (the order of the stored record).
    pub assignment: Vec<(TopicUuid, Vec<u32>)>,
}

/// Kafka's `GroupSpec` together with the `SubscribedTopicDescriber`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    /// In `memberIds()` iteration order.
    pub members: Vec<MemberSpec>,
    pub subscription_type: SubscriptionType,
    /// The describer's `numPartitions` (a topic missing here is Kafka's `-1`).
    pub partition_counts: BTreeMap<TopicUuid, u32>,
}

/// The input as Kafka's Java code would reject it: the assignor throws (and the coordinator
/// fails the heartbeat that asked for the assignment). The same type as the client side's.
pub type ServerAssignError = super::AssignError;

pub(crate) fn partition_assignor_exception(message: String) -> ServerAssignError {
    ServerAssignError {
        java_exception: "PartitionAssignorException",
        message,
    }
}

/// Runs an assignor on Kafka's own input shape (`PartitionAssignor.assign(groupSpec,
/// subscribedTopicDescriber)`).
///
/// Returns each member's new target, in the order of `spec.members`: topic -> partitions in
/// the iteration order of the `HashSet<Integer>` Kafka builds (which is the order it writes
/// them to the target-assignment record). Members Kafka leaves out of its `GroupAssignment`
/// get an empty map, which is what the coordinator makes of them.
pub fn assign_spec(
    kind: ServerAssignorKind,
    spec: &GroupSpec,
) -> Result<Vec<BTreeMap<TopicUuid, Vec<u32>>>, ServerAssignError> {
    if spec.members.is_empty() {
        return Ok(Vec::new());
    }
    match (kind, spec.subscription_type) {
        (ServerAssignorKind::Range, _) => server_range::assign(spec),
        (ServerAssignorKind::Uniform, SubscriptionType::Homogeneous) => {
            uniform_homogeneous::assign(spec).map(|t| finish(&t))
        }
        (ServerAssignorKind::Uniform, SubscriptionType::Heterogeneous) => {
            uniform_heterogeneous::assign(spec).map(|t| finish(&t))
        }
    }
}

/// A Java `HashSet<Integer>` of partition numbers (Kafka's `int` partitions, hence `i32`).
pub(crate) type PartitionSet = JavaHashMap<i32, ()>;

/// A member's assignment while a uniform builder works on it. Topic order is not kept: the
/// builders only iterate the *input* maps' topics, whose order is in [`MemberSpec`].
pub(crate) type Target = BTreeMap<TopicUuid, PartitionSet>;

/// Every member's input assignment as Java holds it: `new HashSet<>(list)` per topic.
///
/// The builders copy a member's map before changing it (`AssignorHelpers.deepCopyAssignment`:
/// `new HashSet<>(set)` per topic). That copy is sized like the original and filled in its
/// iteration order, so it iterates exactly like the original: one object stands for both.
pub(crate) fn initial_targets(spec: &GroupSpec) -> Vec<Target> {
    spec.members
        .iter()
        .map(|m| {
            m.assignment
                .iter()
                .map(|(id, list)| {
                    let mut set = PartitionSet::with_capacity(hash_set_capacity(list.len()));
                    for &p in list {
                        set.insert(p as i32, ());
                    }
                    (*id, set)
                })
                .collect()
        })
        .collect()
}

/// `GroupSpec.isPartitionAssigned`: the coordinator's inverted target assignment, i.e. the
/// partitions in some member's input assignment.
pub(crate) fn assigned_partitions(spec: &GroupSpec) -> BTreeSet<(TopicUuid, i32)> {
    let mut set = BTreeSet::new();
    for m in &spec.members {
        for (id, list) in &m.assignment {
            set.extend(list.iter().map(|&p| (*id, p as i32)));
        }
    }
    set
}

/// The message both uniform builders throw for a subscribed topic the describer lacks.
pub(crate) fn missing_topic(id: TopicUuid) -> ServerAssignError {
    partition_assignor_exception(format!(
        "Members are subscribed to topic {id} which doesn't exist in the topic metadata."
    ))
}

fn finish(targets: &[Target]) -> Vec<BTreeMap<TopicUuid, Vec<u32>>> {
    targets
        .iter()
        .map(|t| {
            t.iter()
                .map(|(id, set)| (*id, set.keys().map(|&p| p as u32).collect()))
                .collect()
        })
        .collect()
}

/// One member of a consumer-protocol group, as the coordinator knows it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServerMember {
    pub member_id: String,
    /// `group.instance.id` of a static member (the range assignor orders by it).
    pub instance_id: Option<String>,
    /// `client.rack`; carried for completeness, these assignors do not use it.
    pub rack_id: Option<String>,
    /// Subscribed topic names, in the order the consumer sent them.
    pub subscribed_topics: Vec<String>,
    /// The member's current *target* assignment (the previous run's output for it):
    /// topic -> partitions, in the order of the stored record (what this function returns).
    pub assignment: BTreeMap<String, Vec<u32>>,
}

/// Member id -> topic name -> partitions: a new target assignment. Partitions are in the
/// iteration order of the `HashSet` Kafka built, the order it writes to the record, so feeding
/// a member's entry back as its [`ServerMember::assignment`] reproduces Kafka's next run.
/// (For a member whose partitions did not change Kafka writes no record and keeps the old
/// order; read back into a set of the same size, both orders iterate alike.)
pub type TargetAssignment = BTreeMap<String, BTreeMap<String, Vec<u32>>>;

/// Computes a consumer group's new target assignment the way Kafka's group coordinator does
/// (`TargetAssignmentBuilder.build()` followed by the assignor).
///
/// * `topics`: name -> partition count of existing topics; ids are [`TopicUuid::for_name`].
///   Subscribed names missing here are ignored, as Kafka's `TopicIds` ignores names with no
///   topic in the metadata image.
/// * `members`: the order stands for the order in which Kafka puts members into the
///   `HashMap<String, MemberSubscriptionAndAssignmentImpl>` handed to the assignor: the group's
///   members as its `TimelineHashMap` iterates them, then the member whose heartbeat
///   triggered the run. Only member ids sharing a hash bucket keep that order. A repeated
///   member id keeps its first position and its last data, like `HashMap.put`.
///
/// Each member's `assignment` is read the way the coordinator reads the stored record
/// (`Assignment.fromRecord`): topics go into a `HashMap` (in name order here: the record's
/// topic order is not modelled, which matters only when two of a member's topic ids share a
/// bucket) and each topic's partitions into `new HashSet<>(list)`, in the `Vec`'s order.
/// Partition numbers at or beyond a topic's count are dropped: in Kafka a topic can only lose
/// partitions by being deleted and created again, under a new id that the old entries no longer
/// match. A partition listed for two members is passed on as is (Kafka never stores that).
///
/// Returns every member's new target (an empty map for a member that gets nothing).
pub fn server_assign(
    kind: ServerAssignorKind,
    topics: &BTreeMap<String, u32>,
    members: &[ServerMember],
) -> Result<TargetAssignment, ServerAssignError> {
    // memberSpecs: a default HashMap filled in `members` order.
    let mut by_id: JavaHashMap<String, usize> = JavaHashMap::new();
    for (i, m) in members.iter().enumerate() {
        by_id.insert(m.member_id.clone(), i);
    }
    let order: Vec<&ServerMember> = by_id.iter().map(|(_, &i)| &members[i]).collect();

    let id_of = |name: &str| topics.get(name).map(|_| TopicUuid::for_name(name));
    let names: Vec<BTreeSet<&str>> = order
        .iter()
        .map(|m| m.subscribed_topics.iter().map(String::as_str).collect())
        .collect();
    let subscription_type = if names.windows(2).all(|w| w[0] == w[1]) {
        SubscriptionType::Homogeneous
    } else {
        SubscriptionType::Heterogeneous
    };

    let spec_members = order
        .iter()
        .map(|m| {
            // ConsumerGroupMember.subscribedTopicNames: `new HashSet<>(list)`.
            let mut names: JavaHashMap<String, ()> =
                JavaHashMap::with_capacity(hash_set_capacity(m.subscribed_topics.len()));
            for t in &m.subscribed_topics {
                names.insert(t.clone(), ());
            }
            // Assignment.fromRecord: `Collectors.toMap` into a default HashMap.
            let mut topic_order: JavaHashMap<TopicUuid, Vec<u32>> = JavaHashMap::new();
            for (t, list) in &m.assignment {
                let count = topics.get(t).copied().unwrap_or(u32::MAX);
                let kept: Vec<u32> = list.iter().copied().filter(|&p| p < count).collect();
                if !kept.is_empty() {
                    topic_order.insert(TopicUuid::for_name(t), kept);
                }
            }
            MemberSpec {
                member_id: m.member_id.clone(),
                instance_id: m.instance_id.clone(),
                subscribed_topic_ids: names.keys().map(|t| id_of(t)).collect(),
                assignment: topic_order.iter().map(|(id, l)| (*id, l.clone())).collect(),
            }
        })
        .collect();
    let spec = GroupSpec {
        members: spec_members,
        subscription_type,
        partition_counts: topics
            .iter()
            .map(|(t, &n)| (TopicUuid::for_name(t), n))
            .collect(),
    };

    let result = assign_spec(kind, &spec)?;
    let name_of: BTreeMap<TopicUuid, &String> =
        topics.keys().map(|t| (TopicUuid::for_name(t), t)).collect();
    let mut out = TargetAssignment::new();
    for (m, target) in spec.members.iter().zip(result) {
        let named = target
            .into_iter()
            .filter_map(|(id, ps)| Some((name_of.get(&id)?.to_string(), ps)))
            .collect();
        out.insert(m.member_id.clone(), named);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_string_hash_and_order_are_kafkas() {
        // Kafka's UuidTest: new Uuid(0L, 0L).toString() is "AAAAAAAAAAAAAAAAAAAAAA".
        let zero = TopicUuid { msb: 0, lsb: 0 };
        assert_eq!(zero.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        let one = TopicUuid { msb: 0, lsb: 1 };
        assert_eq!(one.to_string(), "AAAAAAAAAAAAAAAAAAAAAQ");
        let all = TopicUuid { msb: -1, lsb: -1 };
        assert_eq!(all.to_string(), "_____________________w");
        // hashCode of (msb, lsb) = (1 << 32, 1): xor = 0x1_0000_0001, folded 1 ^ 1 = 0.
        assert_eq!(
            TopicUuid {
                msb: 1 << 32,
                lsb: 1
            }
            .java_hash_code(),
            0
        );
        // compareTo is signed: a negative msb sorts first.
        assert!(TopicUuid { msb: -1, lsb: 0 } < TopicUuid { msb: 1, lsb: 0 });
    }

    #[test]
    fn topic_ids_for_names_are_valid_random_style_ids() {
        for i in 0..2000 {
            let id = TopicUuid::for_name(&format!("topic-{i}"));
            assert_eq!((id.msb >> 12) & 0xf, 4, "version 4");
            assert_eq!((id.lsb as u64) >> 62, 0b10, "IETF variant");
            assert!(!id.to_string().starts_with('-'));
            assert_eq!(id.to_string().len(), 22);
        }
        assert_ne!(TopicUuid::for_name("a"), TopicUuid::for_name("b"));
    }
}
