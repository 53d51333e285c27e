//! The sticky assignors' shared engine: Kafka's
//! `org.apache.kafka.clients.consumer.internals.AbstractStickyAssignor`, used by both
//! `StickyAssignor` ("sticky", eager) and `CooperativeStickyAssignor` ("cooperative-sticky").
//!
//! # Goals, in priority order
//!
//! 1. **Balance**: partition counts differ by at most one wherever subscriptions allow it.
//! 2. **Stickiness**: keep as many previously owned partitions where they are as possible, so
//!    a rebalance moves little state.
//!
//! # Who owns what: generations resolve conflicting claims
//!
//! Each member reports the partitions it owned and the *generation* in which it got them
//! (`allSubscriptionsEqual`). If two members claim the same partition — possible when a member
//! was kicked out but did not notice — the claim from the **higher generation** wins; on
//! **equal generations neither keeps it** (the partition is marked "claimed by multiple
//! previous owners" and reassigned from scratch).
//!
//! # Two builders
//!
//! * **Constrained** (`ConstrainedAssignmentBuilder`) — used when every member has the same
//!   subscription, which is the common case. With `T` partitions and `N` members, everyone gets
//!   `minQuota = floor(T/N)` or `maxQuota = ceil(T/N)`, and exactly `T % N` members get
//!   `maxQuota`. Step 1 lets each member keep its owned partitions up to its quota (sorted by
//!   partition number, then topic — so a member keeps its *lowest* partition numbers). The
//!   members are visited in **`HashMap` iteration order**, and only the first `T % N` members
//!   that own at least `maxQuota` partitions may keep `maxQuota`; that is why this port
//!   reproduces `java.util.HashMap` (see `java_hashmap.rs`). Step 2 deals the remaining
//!   partitions (sorted by topic, partition) round-robin to the members still below `minQuota`
//!   (sorted by member id), then one each to members at `minQuota` until `T % N` members reach
//!   `maxQuota`. It runs in roughly linear time.
//! * **General** (`GeneralAssignmentBuilder`) — used when subscriptions differ. It keeps every
//!   still-valid owned partition, assigns the rest one by one to the least-loaded subscribed
//!   member (a `TreeSet` ordered by (partition count, member id)), then repeatedly moves
//!   partitions from overloaded to underloaded members until no move can improve balance
//!   (`isBalanced`). Moves prefer sending a partition back to its owner from an older
//!   generation, and `PartitionMovements` avoids moving two partitions of one topic in opposite
//!   directions between the same pair of members (a wasted swap): if `p` should go A→B but some
//!   partition `q` of the same topic already moved B→A, it moves `q` back instead — the first
//!   `q` a `HashSet` iterator returns. Finally, if the result is not strictly better balanced
//!   (sum of pairwise count differences) than before the moves, all moves are undone.
//!
//! # Kafka's quirks, preserved on purpose
//!
//! * "All subscriptions equal" compares each member's topic list against the *first non-empty*
//!   list seen in HashMap order, so a member with no topics at all, visited first, makes the
//!   group look uniform — and the constrained builder then gives that member partitions.
//! * The general builder remembers each partition's owner from an *older* generation and, when
//!   balancing, may move the partition back to that member without checking that it still
//!   subscribes to the topic.
//! * If that older owner was set aside as "fixed" (it subscribes only to topics nobody else
//!   reads and already has all of them), the lookup hits a missing map entry and Kafka throws
//!   `NullPointerException`; this port returns the same failure as an `AssignError`.
//! * The undo step after balancing only looks at whether the *second* reassignment pass
//!   changed anything, and the balance score uses Java `int` arithmetic.

use super::java_hashmap::{JavaHashMap, JavaKey};
use super::{iota, remove_first, sort_u32, AssignError, List, Prepared, DEFAULT_GENERATION};

const NONE: usize = usize::MAX;

/// What the sticky engine hands to `StickyAssignor` / `CooperativeStickyAssignor`.
pub(crate) struct StickyOutput {
    /// Per member (index into `Prepared::members`), gids in Kafka's list order.
    pub assignment: Vec<Vec<u32>>,
    /// `partitionsTransferringOwnership`: gid -> new owner, from the constrained builder;
    /// `None` after the general builder (the cooperative assignor then computes it).
    pub transferring: Option<Vec<(u32, usize)>>,
}

/// `AbstractStickyAssignor.assignPartitions`.
pub(crate) fn assign(prepared: &Prepared<'_>) -> Result<StickyOutput, AssignError> {
    let claims = resolve_claims(prepared);
    if claims.all_subscriptions_equal {
        let mut builder = Constrained::new(prepared, claims);
        builder.build()?;
        Ok(StickyOutput {
            assignment: builder.assignment.0,
            transferring: Some(builder.transferring),
        })
    } else {
        let assignment = General::new(prepared, claims).build()?;
        Ok(StickyOutput {
            assignment,
            transferring: None,
        })
    }
}

/// Result of `allSubscriptionsEqual`, which also resolves ownership claims.
struct Claims {
    all_subscriptions_equal: bool,
    /// consumerToOwnedPartitions, per member.
    owned: List<Vec<u32>>,
    /// partitionsWithMultiplePreviousOwners, per gid.
    multiple_owners: List<bool>,
    /// The assignor's `maxGeneration` (computed per call; see `cooperative_sticky.rs` notes).
    max_generation: i32,
    /// Iteration order of the `consumerToOwnedPartitions` HashMap (= `currentAssignment`).
    owned_map_order: Vec<usize>,
}

fn resolve_claims(prepared: &Prepared<'_>) -> Claims {
    let members = &prepared.members;
    let total = prepared.topics.total();
    let mut all_equal = true;
    // The first non-empty topic set, sorted (subscription lists carry no duplicates).
    let mut first_topics: Vec<&str> = Vec::new();
    let mut max_generation = DEFAULT_GENERATION;
    let mut owned: List<Vec<u32>> = List(vec![Vec::new(); members.len()]);
    let mut multiple_owners = List(vec![false; total]);
    let mut previous_owner = List(vec![NONE; total]);
    let mut owned_map: JavaHashMap<String, usize> = JavaHashMap::new();

    for (m, member) in members.iter().enumerate() {
        if first_topics.is_empty() {
            first_topics = sorted_topics(&member.topics);
        } else if all_equal && sorted_topics(&member.topics) != first_topics {
            all_equal = false;
        }
        let generation = member.generation_or_default();
        max_generation = max_generation.max(generation);
        owned_map.insert(member.id.to_string(), m);
        for &tp in &member.owned {
            let other = previous_owner[tp as usize];
            if other == NONE {
                owned[m].push(tp);
                previous_owner[tp as usize] = m;
                continue;
            }
            // Kafka reads the other member's generation from its Subscription; in this model
            // userData and Subscription carry the same generation.
            let other_generation = members[other].generation_or_default();
            if generation == other_generation {
                // Same generation, two owners: invalid, so neither keeps it.
                multiple_owners[tp as usize] = true;
                remove_first(&mut owned[other], tp);
                previous_owner[tp as usize] = m;
            } else if generation > other_generation {
                owned[m].push(tp);
                remove_first(&mut owned[other], tp);
                previous_owner[tp as usize] = m;
            }
            // else: the other member's newer claim stands.
        }
    }
    let owned_map_order = owned_map.iter().map(|(_, &m)| m).collect();
    Claims {
        all_subscriptions_equal: all_equal,
        owned,
        multiple_owners,
        max_generation,
        owned_map_order,
    }
}

/// `getUnassignedPartitions` of both builders: sort `assigned` into the order of `all`, then
/// walk both with two pointers.
fn unassigned_partitions(
    all: &[u32],
    assigned: &mut [u32],
    cmp: &dyn Fn(u32, u32) -> std::cmp::Ordering,
) -> Vec<u32> {
    if assigned.is_empty() {
        return all.to_vec();
    }
    sort_u32(assigned, cmp);
    let mut unassigned = Vec::new();
    let mut next = 0usize;
    let mut add_directly = false;
    for &g in all {
        if add_directly || assigned[next] != g {
            unassigned.push(g);
        } else if next + 1 < assigned.len() {
            next += 1;
        } else {
            add_directly = true;
        }
    }
    unassigned
}

/// A duplicate-free topic list in sorted order: equal sets give equal vectors.
fn sorted_topics<'a>(topics: &[&'a str]) -> Vec<&'a str> {
    let mut order = iota(topics.len());
    sort_u32(&mut order, &|a, b| {
        topics[a as usize].cmp(topics[b as usize])
    });
    order.iter().map(|&i| topics[i as usize]).collect()
}

// ---------------------------------------------------------------------------------------------
// ConstrainedAssignmentBuilder
// ---------------------------------------------------------------------------------------------

struct Constrained<'p, 'a> {
    prepared: &'p Prepared<'a>,
    claims: Claims,
    /// maybeRevokedPartitions: gid -> previous owner that had to give it up.
    maybe_revoked: List<usize>,
    /// unfilledMembersWithUnderMinQuotaPartitions (a LinkedList walked with an iterator).
    under_min: Vec<u32>,
    /// unfilledMembersWithExactlyMinQuotaPartitions (a LinkedList used as a queue): the
    /// queue is `exactly_min[exactly_min_head..]`.
    exactly_min: Vec<u32>,
    exactly_min_head: usize,
    min_quota: usize,
    max_quota: usize,
    expected_over_min: usize,
    current_over_min: usize,
    assignment: List<Vec<u32>>,
    assigned_partitions: Vec<u32>,
    transferring: Vec<(u32, usize)>,
}

impl<'p, 'a> Constrained<'p, 'a> {
    fn new(prepared: &'p Prepared<'a>, claims: Claims) -> Self {
        let n = prepared.members.len();
        let total = prepared.topics.total();
        Constrained {
            prepared,
            maybe_revoked: List(vec![NONE; total]),
            under_min: Vec::new(),
            exactly_min: Vec::new(),
            exactly_min_head: 0,
            min_quota: total / n,
            max_quota: total.div_ceil(n),
            expected_over_min: total % n,
            current_over_min: 0,
            assignment: List(vec![Vec::new(); n]),
            assigned_partitions: Vec::new(),
            transferring: Vec::new(),
            claims,
        }
    }

    fn build(&mut self) -> Result<(), AssignError> {
        self.assign_owned_partitions();
        let unassigned = self.unassigned_partitions();
        let rank = &self.prepared.rank;
        // Collections.sort on member ids (String natural order == rank order).
        let by_rank = |a: u32, b: u32| rank[a as usize].cmp(&rank[b as usize]);
        sort_u32(&mut self.under_min, &by_rank);
        sort_u32(&mut self.exactly_min[self.exactly_min_head..], &by_rank);
        // (assignRackAwareRoundRobin is a no-op without racks.)
        self.assign_round_robin(&unassigned)?;
        self.verify_unfilled_members()
    }

    /// Step 1: let every member keep owned partitions up to its quota.
    fn assign_owned_partitions(&mut self) {
        let topics = &self.prepared.topics;
        for &m in &self.claims.owned_map_order.clone() {
            let mut owned = self.claims.owned[m].clone();
            // Comparator.comparing(partition).thenComparing(topic); List.sort is stable.
            sort_u32(&mut owned, &|a, b| {
                (topics.partition_of(a), topics.part_topic[a as usize])
                    .cmp(&(topics.partition_of(b), topics.part_topic[b as usize]))
            });
            // Drop partitions claimed by several members of one generation (first occurrence,
            // like List.remove(Object)).
            owned.retain({
                let mut seen_multi: Vec<u32> = Vec::new();
                let multi = &self.claims.multiple_owners;
                move |&g| {
                    if multi[g as usize] && !seen_multi.contains(&g) {
                        seen_multi.push(g);
                        false
                    } else {
                        true
                    }
                }
            });
            if owned.len() < self.min_quota {
                self.assignment[m].extend_from_slice(&owned);
                self.assigned_partitions.extend_from_slice(&owned);
                self.under_min.push(m as u32);
            } else if owned.len() >= self.max_quota
                && self.current_over_min < self.expected_over_min
            {
                self.current_over_min += 1;
                if self.current_over_min == self.expected_over_min {
                    self.exactly_min.clear();
                    self.exactly_min_head = 0;
                }
                self.assignment[m].extend_from_slice(&owned[..self.max_quota]);
                self.assigned_partitions
                    .extend_from_slice(&owned[..self.max_quota]);
                for &g in &owned[self.max_quota..] {
                    self.maybe_revoked[g as usize] = m;
                }
            } else {
                self.assignment[m].extend_from_slice(&owned[..self.min_quota]);
                self.assigned_partitions
                    .extend_from_slice(&owned[..self.min_quota]);
                for &g in &owned[self.min_quota..] {
                    self.maybe_revoked[g as usize] = m;
                }
                if self.current_over_min < self.expected_over_min {
                    self.exactly_min.push(m as u32);
                }
            }
        }
    }

    /// `getUnassignedPartitions`: two pointers over all partitions (topic, partition order)
    /// and the sorted kept partitions.
    fn unassigned_partitions(&mut self) -> Vec<u32> {
        // gid order is (topic, partition) order.
        unassigned_partitions(
            &iota(self.prepared.topics.total()),
            &mut self.assigned_partitions,
            &|a, b| a.cmp(&b),
        )
    }

    /// Step 2: fill members below minQuota round-robin, then top up to maxQuota.
    fn assign_round_robin(&mut self, unassigned: &[u32]) -> Result<(), AssignError> {
        // An iterator over `under_min`: `cursor` is the index of the next element and
        // `can_remove` whether `remove()` is legal (an element was returned and not removed).
        let mut cursor = 0usize;
        let mut can_remove = false;
        for &g in unassigned {
            let exactly_min_front = self.exactly_min.get(self.exactly_min_head).copied();
            let consumer = if cursor < self.under_min.len() {
                cursor += 1;
                can_remove = true;
                self.under_min[cursor - 1]
            } else if self.under_min.is_empty() && exactly_min_front.is_none() {
                return Err(AssignError {
                    java_exception: "IllegalStateException",
                    message: "No more unfilled consumers to be assigned.".into(),
                });
            } else if let (true, Some(c)) = (self.under_min.is_empty(), exactly_min_front) {
                self.exactly_min_head += 1;
                c
            } else {
                cursor = 1;
                can_remove = true;
                self.under_min[0]
            } as usize;
            let count = self.assign_new_partition(g, consumer);
            if count == self.min_quota {
                // unfilledConsumerIter.remove(): drop the element the iterator just returned.
                if !can_remove {
                    return Err(AssignError {
                        java_exception: "IllegalStateException",
                        message: "Iterator.remove() without a preceding next()".into(),
                    });
                }
                cursor -= 1;
                can_remove = false;
                self.under_min.remove(cursor);
                self.exactly_min.push(consumer as u32);
            } else if count == self.max_quota {
                self.current_over_min += 1;
            }
        }
        Ok(())
    }

    fn assign_new_partition(&mut self, g: u32, consumer: usize) -> usize {
        self.assignment[consumer].push(g);
        let previous = self.maybe_revoked[g as usize];
        if (previous != NONE && previous != consumer) || self.claims.multiple_owners[g as usize] {
            // A cooperative member must revoke it first: remember the hand-over.
            self.transferring.push((g, consumer));
        }
        self.assignment[consumer].len()
    }

    fn verify_unfilled_members(&self) -> Result<(), AssignError> {
        if self.under_min.is_empty() {
            return Ok(());
        }
        if self.current_over_min != self.expected_over_min {
            return Err(AssignError {
                java_exception: "IllegalStateException",
                message: "We haven't reached the expected number of members with more than the minQuota partitions, \
                          but no more partitions to be assigned"
                    .into(),
            });
        }
        for &m in &self.under_min {
            let m = m as usize;
            if self.assignment[m].len() != self.min_quota {
                return Err(AssignError {
                    java_exception: "IllegalStateException",
                    message: format!(
                        "Consumer: [{}] doesn't reach minQuota partitions, and no more partitions to be assigned",
                        self.prepared.members[m].id
                    ),
                });
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// GeneralAssignmentBuilder
// ---------------------------------------------------------------------------------------------

fn npe(location: &str) -> AssignError {
    AssignError {
        java_exception: "NullPointerException",
        message: format!("in AbstractStickyAssignor {location}"),
    }
}

struct General<'p, 'a> {
    prepared: &'p Prepared<'a>,
    claims_max_generation: i32,
    /// topic2AllPotentialConsumers.
    topic_consumers: List<Vec<u32>>,
    /// currentAssignment; `present[m] == false` once a member moved to `fixedAssignments`.
    current: List<Vec<u32>>,
    present: List<bool>,
    /// currentPartitionConsumer.
    partition_consumer: List<usize>,
    /// TopicComparator key per topic: (number of potential consumers, topic).
    sorted_all_partitions: Vec<u32>,
    /// sortedCurrentSubscriptions: TreeSet ordered by (assignment size, member id), as a
    /// sorted vector of `size << 32 | rank` keys.
    sorted: Vec<u64>,
    by_rank: List<usize>,
    revocation_required: bool,
    owned_map_order: Vec<usize>,
    movements: PartitionMovements,
}

impl<'p, 'a> General<'p, 'a> {
    fn new(prepared: &'p Prepared<'a>, claims: Claims) -> Self {
        let topics = &prepared.topics;
        let members = &prepared.members;
        let mut topic_consumers: List<Vec<u32>> = List(vec![Vec::new(); topics.len()]);
        for (m, member) in members.iter().enumerate() {
            for &t in &member.topic_ids {
                topic_consumers[t as usize].push(m as u32);
            }
        }
        let mut partition_consumer = List(vec![NONE; topics.total()]);
        for &m in &claims.owned_map_order {
            for &g in &claims.owned[m] {
                partition_consumer[g as usize] = m;
            }
        }
        let mut sorted_topics = iota(topics.len());
        sort_u32(&mut sorted_topics, &|a, b| {
            (topic_consumers[a as usize].len(), a).cmp(&(topic_consumers[b as usize].len(), b))
        });
        let mut sorted_all_partitions = Vec::with_capacity(topics.total());
        for &t in &sorted_topics {
            let first = topics.gid(t, 0);
            sorted_all_partitions.extend(first..first + topics.counts[t as usize]);
        }
        let mut by_rank = List(vec![0usize; members.len()]);
        for (m, &r) in prepared.rank.iter().enumerate() {
            by_rank[r as usize] = m;
        }
        General {
            prepared,
            claims_max_generation: claims.max_generation,
            topic_consumers,
            present: List(vec![true; members.len()]),
            current: claims.owned,
            partition_consumer,
            sorted_all_partitions,
            sorted: Vec::new(),
            by_rank,
            revocation_required: false,
            owned_map_order: claims.owned_map_order,
            movements: PartitionMovements::new(topics.len(), topics.total()),
        }
    }

    fn key(&self, m: usize) -> u64 {
        ((self.current[m].len() as u64) << 32) | u64::from(self.prepared.rank[m])
    }

    /// `sortedCurrentSubscriptions.add(member)`.
    fn sorted_insert(&mut self, m: usize) {
        let k = self.key(m);
        if let Err(i) = self.sorted.binary_search(&k) {
            self.sorted.insert(i, k);
        }
    }

    /// `sortedCurrentSubscriptions.remove(member)`.
    fn sorted_remove(&mut self, m: usize) {
        let k = self.key(m);
        if let Ok(i) = self.sorted.binary_search(&k) {
            self.sorted.remove(i);
        }
    }

    /// The member of a `sorted` key.
    fn member_of(&self, k: u64) -> usize {
        self.by_rank[k as u32 as usize]
    }

    /// PartitionComparator / TopicComparator key of a partition.
    fn partition_key(&self, g: u32) -> (usize, u32, u32) {
        let t = self.prepared.topics.part_topic[g as usize];
        (
            self.topic_consumers[t as usize].len(),
            t,
            self.prepared.topics.partition_of(g),
        )
    }

    fn build(mut self) -> Result<Vec<Vec<u32>>, AssignError> {
        let prev = self.prepopulate_current_assignments();
        let assigned = self.assign_owned_partitions();
        let unassigned = self.unassigned_partitions(assigned);
        for m in 0..self.prepared.members.len() {
            self.sorted_insert(m);
        }
        self.balance(&prev, unassigned)?;
        Ok(self.current.0)
    }

    /// prevAssignment: for partitions reported by members of an older generation, the most
    /// recent such owner (ties: the first in HashMap order); `NONE` if there is none.
    fn prepopulate_current_assignments(&self) -> List<usize> {
        let total = self.prepared.topics.total();
        let mut prev = List(vec![NONE; total]);
        let mut prev_generation = List(vec![0i32; total]);
        for (m, member) in self.prepared.members.iter().enumerate() {
            // memberData.generation: empty means DEFAULT_GENERATION, which only counts when
            // some member has a real generation — both cases reduce to `g < maxGeneration`.
            let generation = member.generation_or_default();
            if generation < self.claims_max_generation {
                for &g in &member.owned {
                    let g = g as usize;
                    if prev[g] == NONE || generation > prev_generation[g] {
                        prev[g] = m;
                        prev_generation[g] = generation;
                    }
                }
            }
        }
        prev
    }

    fn assign_owned_partitions(&mut self) -> Vec<u32> {
        let mut assigned = Vec::new();
        for &m in &self.owned_map_order {
            let member = &self.prepared.members[m];
            let topics = &self.prepared.topics;
            let before = self.current[m].len();
            // Every owned partition here is of a participating topic; drop the ones whose topic
            // this member no longer subscribes to (currentPartitionConsumer is left as is).
            self.current[m].retain(|&g| member.subscribes(topics.part_topic[g as usize]));
            if self.current[m].len() != before {
                self.revocation_required = true;
            }
            assigned.extend_from_slice(&self.current[m]);
        }
        assigned
    }

    fn unassigned_partitions(&self, mut assigned: Vec<u32>) -> Vec<u32> {
        unassigned_partitions(&self.sorted_all_partitions, &mut assigned, &|a, b| {
            self.partition_key(a).cmp(&self.partition_key(b))
        })
    }

    fn max_assignment_size(&self, m: usize) -> usize {
        let member = &self.prepared.members[m];
        let topics = &self.prepared.topics;
        if member.topic_ids.len() == topics.len() {
            topics.total()
        } else {
            member
                .topic_ids
                .iter()
                .map(|&t| topics.counts[t as usize] as usize)
                .sum()
        }
    }

    fn balance(&mut self, prev: &List<usize>, mut unassigned: Vec<u32>) -> Result<(), AssignError> {
        let last = match self.sorted.last() {
            Some(&k) => self.member_of(k),
            None => {
                return Err(npe(
                    "balance: sortedCurrentSubscriptions.last() on an empty set",
                ))
            }
        };
        let initializing = self.current[last].is_empty();

        // maybeAssign(unassignedPartitions, null, false)
        for &g in &unassigned {
            let t = self.prepared.topics.part_topic[g as usize];
            if self.topic_consumers[t as usize].is_empty() {
                continue;
            }
            self.maybe_assign_partition(g);
        }

        // Topics with fewer than two potential consumers cannot move.
        let topics = &self.prepared.topics;
        let fixed_topic: List<bool> = self.topic_consumers.iter().map(|c| c.len() < 2).collect();
        let movable = |&g: &u32| !fixed_topic[topics.part_topic[g as usize] as usize];
        self.sorted_all_partitions.retain(movable);
        unassigned.retain(movable);

        // Members that cannot take part are set aside (fixedAssignments).
        for m in 0..self.prepared.members.len() {
            if !self.can_consumer_participate(m, &fixed_topic) {
                self.sorted_remove(m);
                self.present[m] = false;
            }
        }

        let pre_balance = self.current.clone();
        let pre_balance_consumers = self.partition_consumer.clone();

        if !self.revocation_required {
            self.perform_reassignments(&unassigned, prev)?;
        }
        let all = std::mem::take(&mut self.sorted_all_partitions);
        let reassignment_performed = self.perform_reassignments(&all, prev)?;

        if !initializing
            && reassignment_performed
            && balance_score(&self.current, &self.present)
                >= balance_score(&pre_balance, &self.present)
        {
            // Not better balanced: revert. (The TreeSet goes stale here, as in Java; it is not
            // used again.)
            self.current = pre_balance;
            self.partition_consumer = pre_balance_consumers;
        }
        Ok(())
    }

    fn can_consumer_participate(&self, m: usize, fixed_topic: &List<bool>) -> bool {
        let size = self.current[m].len();
        if size < self.max_assignment_size(m) {
            return true;
        }
        let topics = &self.prepared.topics;
        self.current[m]
            .iter()
            .any(|&g| !fixed_topic[topics.part_topic[g as usize] as usize])
    }

    /// maybeAssignPartition: the least-loaded member subscribed to the topic takes it.
    fn maybe_assign_partition(&mut self, g: u32) -> bool {
        let t = self.prepared.topics.part_topic[g as usize];
        match self.least_loaded_subscriber(t) {
            Some(m) => {
                self.sorted_remove(m);
                self.current[m].push(g);
                self.partition_consumer[g as usize] = m;
                self.sorted_insert(m);
                true
            }
            None => false,
        }
    }

    fn perform_reassignments(
        &mut self,
        partitions: &[u32],
        prev: &List<usize>,
    ) -> Result<bool, AssignError> {
        let mut performed = false;
        loop {
            let mut modified = false;
            for &g in partitions {
                if self.is_balanced()? {
                    break;
                }
                let consumer = self.partition_consumer[g as usize];
                if consumer == NONE || !self.present[consumer] {
                    return Err(npe(
                        "performReassignments: partition without a current consumer",
                    ));
                }
                let prev_consumer = prev[g as usize];
                if prev_consumer != NONE {
                    if !self.present[prev_consumer] {
                        // currentAssignment.get(previous owner) is null: that member was set
                        // aside as "fixed" (it can take no part in reassignment).
                        return Err(npe(&format!(
                            "GeneralAssignmentBuilder.performReassignments: previous owner {} of {} \
                             was removed from currentAssignment as a fixed assignment",
                            self.prepared.members[prev_consumer].id,
                            self.prepared.topics.topic_partition(g)
                        )));
                    }
                    if self.current[consumer].len() > self.current[prev_consumer].len() + 1 {
                        self.reassign_partition_to(g, prev_consumer)?;
                        performed = true;
                        modified = true;
                        continue;
                    }
                }
                let t = self.prepared.topics.part_topic[g as usize];
                let mut better = false;
                for &other in &self.topic_consumers[t as usize] {
                    let other = other as usize;
                    if !self.present[other] {
                        return Err(npe(
                            "performReassignments: potential consumer removed as fixed",
                        ));
                    }
                    if self.current[consumer].len() > self.current[other].len() + 1 {
                        better = true;
                        break;
                    }
                }
                if better {
                    self.reassign_partition(g)?;
                    performed = true;
                    modified = true;
                }
            }
            if !modified {
                return Ok(performed);
            }
        }
    }

    /// isBalanced: counts differ by at most one, or no partition could move to a member with
    /// at least two fewer partitions that subscribes to its topic.
    ///
    /// Java scans every subscribed partition of every member; this computes the same answer
    /// from the largest owner count per topic (the owner of a partition a member lacks can be
    /// the member itself only if that member is the largest, in which case the test fails
    /// anyway).
    fn is_balanced(&self) -> Result<bool, AssignError> {
        let (first, last) = match (self.sorted.first(), self.sorted.last()) {
            (Some(&a), Some(&b)) => ((a >> 32) as usize, (b >> 32) as usize),
            _ => return Err(npe("isBalanced: sortedCurrentSubscriptions is empty")),
        };
        if first + 1 >= last {
            return Ok(true);
        }
        let topics = &self.prepared.topics;
        // allPartitions: partition -> member, over members still in currentAssignment.
        let mut owner = List(vec![NONE; topics.total()]);
        for m in 0..self.current.len() {
            if self.present[m] {
                for &g in &self.current[m] {
                    owner[g as usize] = m;
                }
            }
        }
        let mut topic_max = List(vec![0usize; topics.len()]);
        let mut topic_has_orphan = List(vec![false; topics.len()]);
        for (g, &o) in owner.iter().enumerate() {
            let t = topics.part_topic[g] as usize;
            if o == NONE {
                topic_has_orphan[t] = true;
            } else {
                topic_max[t] = topic_max[t].max(self.current[o].len());
            }
        }
        for &k in &self.sorted {
            let (size, m) = ((k >> 32) as usize, self.member_of(k));
            if size == self.max_assignment_size(m) {
                continue;
            }
            let member = &self.prepared.members[m];
            for &t in &member.topic_ids {
                if topic_has_orphan[t as usize] {
                    // Rare path: replay Java's scan literally to find out whether it returns
                    // false or hits the null owner first.
                    for p in 0..topics.counts[t as usize] {
                        let g = topics.gid(t, p);
                        if self.current[m].contains(&g) {
                            continue;
                        }
                        let o = owner[g as usize];
                        if o == NONE {
                            return Err(npe("isBalanced: partition without an owner"));
                        }
                        if size + 1 < self.current[o].len() {
                            return Ok(false);
                        }
                    }
                } else if size + 1 < topic_max[t as usize] {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// reassignPartition(partition): to the least-loaded member subscribed to its topic.
    fn reassign_partition(&mut self, g: u32) -> Result<(), AssignError> {
        let t = self.prepared.topics.part_topic[g as usize];
        match self.least_loaded_subscriber(t) {
            Some(m) => self.reassign_partition_to(g, m),
            None => Err(npe("reassignPartition: no subscribed consumer")),
        }
    }

    /// The first member of `sortedCurrentSubscriptions` subscribed to topic `t`.
    fn least_loaded_subscriber(&self, t: u32) -> Option<usize> {
        self.sorted
            .iter()
            .map(|&k| self.member_of(k))
            .find(|&m| self.prepared.members[m].subscribes(t))
    }

    fn reassign_partition_to(&mut self, g: u32, new_consumer: usize) -> Result<(), AssignError> {
        let consumer = self.partition_consumer[g as usize];
        let topics = &self.prepared.topics;
        let moved = self
            .movements
            .actual_partition_to_be_moved(topics, g, consumer, new_consumer);
        self.process_partition_movement(moved, new_consumer)
    }

    fn process_partition_movement(
        &mut self,
        g: u32,
        new_consumer: usize,
    ) -> Result<(), AssignError> {
        let old = self.partition_consumer[g as usize];
        if old == NONE || !self.present[old] || !self.present[new_consumer] {
            return Err(npe(
                "processPartitionMovement: consumer missing from currentAssignment",
            ));
        }
        self.sorted_remove(old);
        self.sorted_remove(new_consumer);
        self.movements
            .move_partition(&self.prepared.topics, g, old, new_consumer);
        remove_first(&mut self.current[old], g);
        self.current[new_consumer].push(g);
        self.partition_consumer[g as usize] = new_consumer;
        self.sorted_insert(new_consumer);
        self.sorted_insert(old);
        Ok(())
    }
}

/// getBalanceScore: sum over member pairs of |count difference|, in Java `int` arithmetic.
fn balance_score(assignment: &[Vec<u32>], present: &[bool]) -> i32 {
    let mut sizes: Vec<u32> = assignment
        .iter()
        .zip(present)
        .filter(|(_, &p)| p)
        .map(|(a, _)| a.len() as u32)
        .collect();
    sort_u32(&mut sizes, &|a, b| a.cmp(&b));
    let n = sizes.len() as i64;
    let mut score: i64 = 0;
    for (i, &s) in sizes.iter().enumerate() {
        let s = i64::from(s);
        // s is larger than the i smaller ones and smaller than the n-1-i larger ones.
        score += s * (2 * i as i64 - (n - 1));
    }
    // Java adds with int overflow; the wrapped sum equals the exact sum mod 2^32.
    score as i32
}

// ---------------------------------------------------------------------------------------------
// PartitionMovements
// ---------------------------------------------------------------------------------------------

/// A `TopicPartition` key for the emulated `HashSet<TopicPartition>`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct TpKey {
    gid: u32,
    hash: i32,
}

impl JavaKey for TpKey {
    fn java_hash_code(&self) -> i32 {
        self.hash
    }
}

/// `PartitionMovements::movements` of a partition that has not moved.
const NO_MOVE: u64 = u64::MAX;

/// `HashSet<TopicPartition>`, iterated in Java order.
type PartitionSet = JavaHashMap<TpKey, ()>;

/// Bookkeeping of moves made during this rebalance, per topic and (src, dst) member pair.
struct PartitionMovements {
    /// partitionMovementsByTopic: topic -> (src, dst) -> HashSet of partitions. The outer maps
    /// are only looked up, never iterated, so their order is irrelevant: per topic, sorted
    /// `src << 32 | dst` keys and the sets in the same order. Java drops a set once it is
    /// empty and later starts a fresh one; here an empty set is reset to a fresh one in place,
    /// which looks up the same (no partition) and iterates the same.
    pair_keys: List<Vec<u64>>,
    pair_sets: List<Vec<PartitionSet>>,
    /// partitionMovements: partition -> `pair_key((src, dst))`, or `NO_MOVE`.
    movements: List<u64>,
}

impl PartitionMovements {
    fn new(topics: usize, total: usize) -> Self {
        PartitionMovements {
            pair_keys: List(vec![Vec::new(); topics]),
            pair_sets: (0..topics).map(|_| Vec::new()).collect(),
            movements: List(vec![NO_MOVE; total]),
        }
    }

    fn pair_key((src, dst): (usize, usize)) -> u64 {
        ((src as u64) << 32) | dst as u64
    }

    fn key(topics: &super::Topics, g: u32) -> TpKey {
        TpKey {
            gid: g,
            hash: topics.java_hash(g),
        }
    }

    fn remove_movement_record(&mut self, topics: &super::Topics, g: u32) -> Option<(usize, usize)> {
        let k = std::mem::replace(&mut self.movements[g as usize], NO_MOVE);
        if k == NO_MOVE {
            return None;
        }
        let t = topics.part_topic[g as usize] as usize;
        if let Ok(i) = self.pair_keys[t].binary_search(&k) {
            let set = &mut self.pair_sets[t][i];
            set.remove(&Self::key(topics, g));
            if set.is_empty() {
                *set = PartitionSet::new();
            }
        }
        Some(((k >> 32) as usize, k as u32 as usize))
    }

    fn add_movement_record(&mut self, topics: &super::Topics, g: u32, pair: (usize, usize)) {
        let k = Self::pair_key(pair);
        self.movements[g as usize] = k;
        let t = topics.part_topic[g as usize] as usize;
        let keys = &mut self.pair_keys[t];
        let i = match keys.binary_search(&k) {
            Ok(i) => i,
            Err(i) => {
                // A new HashSet (16 buckets) each time a pair's set is created afresh.
                keys.insert(i, k);
                self.pair_sets[t].insert(i, PartitionSet::new());
                i
            }
        };
        self.pair_sets[t][i].insert(Self::key(topics, g), ());
    }

    fn move_partition(&mut self, topics: &super::Topics, g: u32, old: usize, new: usize) {
        if self.movements[g as usize] != NO_MOVE {
            // It moved before in this rebalance: record one net move, or none if it went home.
            if let Some((src, _dst)) = self.remove_movement_record(topics, g) {
                if src != new {
                    self.add_movement_record(topics, g, (src, new));
                }
            }
        } else {
            self.add_movement_record(topics, g, (old, new));
        }
    }

    /// getTheActualPartitionToBeMoved: if a partition of the same topic already moved the
    /// opposite way between these members, move that one back instead of swapping.
    fn actual_partition_to_be_moved(
        &self,
        topics: &super::Topics,
        g: u32,
        old: usize,
        new: usize,
    ) -> u32 {
        let t = topics.part_topic[g as usize] as usize;
        let mut old = old;
        let moved = self.movements[g as usize];
        if moved != NO_MOVE {
            old = (moved >> 32) as usize;
        }
        // No set (or an empty one) for the opposite direction: move `g` itself.
        match self.pair_keys[t].binary_search(&Self::pair_key((new, old))) {
            Ok(i) => self.pair_sets[t][i].first_key().map_or(g, |k| k.gid),
            Err(_) => g,
        }
    }
}
