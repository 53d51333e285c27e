//! The consumer group protocol of Kafka 4 (KIP-848) at the group coordinator:
//! rebalancing without stopping the world.
//!
//! # Why a third protocol
//!
//! In the classic protocol (`classic_group.rs`) a rebalance is a barrier:
//! every member must rejoin (JoinGroup), one member computes the assignment
//! on the client, and nobody moves on until everyone has synced. Eager
//! rebalancing (Kafka 0.9) revokes everything first; cooperative (KIP-429,
//! Kafka 2.4) keeps what does not move but still needs every member to join
//! twice. KIP-848 (early access in 3.7, generally available in Kafka 4.0)
//! removes the barrier:
//!
//! - members talk to the coordinator with one API, **ConsumerGroupHeartbeat**,
//!   sent every `group.consumer.heartbeat.interval.ms` (set by the broker);
//! - the **coordinator computes the assignment** with a server-side assignor
//!   (`group.consumer.assignors`: `uniform`, `range`; a member may ask for one
//!   with `group.remote.assignor`);
//! - each member **reconciles on its own**: it gives up what the new target
//!   takes away, acknowledges in its next heartbeat, and then receives what
//!   was freed. Nobody waits for anybody else's JoinGroup.
//!
//! # The three epochs
//!
//! - The **group epoch** goes up whenever the group changes: a member joins or
//!   leaves, or a subscription changes.
//! - The **target assignment epoch** is the group epoch the coordinator last
//!   computed a target assignment for. When the group epoch is ahead, the next
//!   heartbeat recomputes the target (`TargetAssignmentBuilder`).
//! - Each member's **member epoch** says which target it has reconciled to.
//!   A member moves to the target epoch only once it owns nothing that the
//!   target gives to someone else.
//!
//! # A member's state (`CurrentAssignmentBuilder`)
//!
//! - **Stable**: it owns exactly its target (at its member epoch).
//! - **UnrevokedPartitions**: the target took some of its partitions away; it
//!   keeps its epoch until a heartbeat no longer lists them as owned. Only in
//!   this state does the rebalance timeout run (the member's
//!   `max.poll.interval.ms`); past it, the member is fenced.
//! - **UnreleasedPartitions**: it is at the target epoch but some partitions
//!   of its target are still owned by another member (their *partition epoch*
//!   is not -1); it gets them in a later heartbeat, once they are released.
//!
//! So a partition is never owned by two members at once, and no member waits
//! for another: a member that gives nothing up is never paused at all.
//!
//! # Errors the coordinator answers with
//!
//! `FENCED_MEMBER_EPOCH` (an epoch from the future, or an old one that is not
//! the previous epoch with a subset of the assignment), `UNKNOWN_MEMBER_ID`,
//! `UNRELEASED_INSTANCE_ID` (a static member's instance id still held by a
//! member that has not left), `UNSUPPORTED_ASSIGNOR` (not in
//! `group.consumer.assignors`), `INVALID_REQUEST`. An offset commit must carry
//! the member's current epoch exactly, else `STALE_MEMBER_EPOCH`.
//!
//! # Where this is in Kafka
//!
//! apache/kafka `1eb7644349cb` (the engine reference's snapshot, on the way to
//! 4.0), `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/`:
//! `GroupMetadataManager.consumerGroupHeartbeat`, `consumerGroupLeave`,
//! `consumerGroupFenceMember`, `throwIfConsumerGroupHeartbeatRequestIsInvalid`,
//! `throwIfConsumerGroupMemberEpochIsInvalid`,
//! `getOrMaybeSubscribeStaticConsumerGroupMember`, `maybeReconcile`,
//! `updateTargetAssignment`; `modern/consumer/ConsumerGroup.java`
//! (`computePreferredServerAssignor`, partition epochs, `validateOffsetCommit`)
//! and `modern/consumer/CurrentAssignmentBuilder.java`.

// The course page compiles this module only for its types
// (`Group::consumer_group()` is `None` there, see build.rs); the events it
// emits exist on the full page alone, so their parameters go unused here.
#![cfg_attr(not(consumer_protocol), allow(unused))]

use std::collections::BTreeMap;

use crate::engine::assignor::server::{server_assign, ServerAssignorKind, ServerMember};
use crate::engine::assignor::TopicPartition;
use crate::engine::classic_group::GroupTimer;
use crate::engine::event::{ErrorCode, EventKind};
use crate::engine::ids::*;
use crate::engine::outbox::Outbox;
use crate::engine::vecmap::VecMap;

/// `ConsumerGroupHeartbeatRequest.LEAVE_GROUP_MEMBER_EPOCH`.
pub const LEAVE_EPOCH: i32 = -1;
/// `LEAVE_GROUP_STATIC_MEMBER_EPOCH`: a static member leaves for now and
/// keeps its partitions until its session expires or it comes back.
pub const LEAVE_STATIC_EPOCH: i32 = -2;

/// `MemberState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MemberState {
    Stable,
    UnrevokedPartitions,
    UnreleasedPartitions,
}

impl MemberState {
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Stable => "stable",
            MemberState::UnrevokedPartitions => "unrevoked partitions",
            MemberState::UnreleasedPartitions => "unreleased partitions",
        }
    }
}

/// A ConsumerGroupHeartbeat request. `None` / -1 fields were not sent: the
/// Java client sends a field only when it changed since the last request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeartbeatRequest {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub member_epoch: i32,
    /// The member's `max.poll.interval.ms`; -1 = not sent.
    pub rebalance_timeout_ms: i32,
    pub subscribed_topics: Option<Vec<String>>,
    pub server_assignor: Option<ServerAssignorKind>,
    /// The partitions the member owns now, sorted.
    pub owned: Option<Vec<TopicPartition>>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HeartbeatResponse {
    pub error: Option<ErrorCode>,
    pub member_id: String,
    pub member_epoch: i32,
    pub heartbeat_interval_ms: u32,
    /// The member's whole assignment, when it changed (or the request was full).
    pub assignment: Option<Vec<TopicPartition>>,
}

/// One member as the coordinator knows it (`ConsumerGroupMember`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModernMember {
    pub member_id: String,
    /// A number for this member's timers (ids are strings, timers are `Copy`).
    pub serial: u32,
    pub instance_id: Option<String>,
    /// The simulated consumer behind this member, for the stage.
    pub consumer: Option<ConsumerIdx>,
    pub member_epoch: i32,
    pub previous_member_epoch: i32,
    pub state: MemberState,
    /// Owned, sorted.
    pub assigned: Vec<TopicPartition>,
    pub pending_revocation: Vec<TopicPartition>,
    /// Sorted.
    pub subscribed: Vec<String>,
    pub rebalance_timeout_ms: u32,
    pub server_assignor: Option<ServerAssignorKind>,
    pub session_deadline_ms: u64,
    /// Set for a member that speaks the classic protocol (JoinGroup,
    /// SyncGroup, Heartbeat) in this consumer group: `classic_members.rs`.
    pub classic: Option<ClassicMeta>,
    /// A classic member's join and sync timers (None: not running).
    pub join_deadline_ms: Option<u64>,
    pub sync_deadline_ms: Option<u64>,
}

impl ModernMember {
    fn new(member_id: String, serial: u32) -> ModernMember {
        ModernMember {
            member_id,
            serial,
            instance_id: None,
            consumer: None,
            member_epoch: 0,
            previous_member_epoch: -1,
            state: MemberState::Stable,
            assigned: Vec::new(),
            pending_revocation: Vec::new(),
            subscribed: Vec::new(),
            rebalance_timeout_ms: 0,
            server_assignor: None,
            session_deadline_ms: 0,
            classic: None,
            join_deadline_ms: None,
            sync_deadline_ms: None,
        }
    }

    /// `isReconciledTo`.
    fn is_reconciled_to(&self, epoch: i32) -> bool {
        self.state == MemberState::Stable && self.member_epoch == epoch
    }
}

/// What the coordinator is told with each request: the time, the broker's
/// `group.consumer.*` settings, the topics that exist, and an id for a new
/// member (drawn by the engine from its seeded PRNG).
pub struct ModernCtx<'a> {
    pub now_ms: u64,
    pub group: GroupIdx,
    pub consumer: Option<ConsumerIdx>,
    pub topics: &'a BTreeMap<String, u32>,
    /// `group.consumer.assignors`; the first is the default.
    pub assignors: &'a [ServerAssignorKind],
    pub heartbeat_interval_ms: u32,
    pub session_timeout_ms: u32,
    pub new_member_id: String,
}

/// A group on the consumer protocol (`ConsumerGroup`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConsumerGroup {
    pub group_epoch: i32,
    pub assignment_epoch: i32,
    /// In the order they joined.
    pub members: Vec<ModernMember>,
    /// member id -> target partitions, in the order of Kafka's stored record.
    pub target: VecMap<String, Vec<TopicPartition>>,
    /// The epoch of the member that owns (or is revoking) each partition.
    pub partition_epochs: VecMap<TopicPartition, i32>,
    /// Partition counts of the topics the members subscribe to
    /// (`subscriptionMetadata`): a change bumps the group epoch.
    pub subscription_metadata: BTreeMap<String, u32>,
    /// The assignor that computed the current target.
    pub last_assignor: Option<ServerAssignorKind>,
    /// `group.consumer.migration.policy` allows turning back into a classic group.
    pub allow_downgrade: bool,
    /// Set when a member's leaving turns this group back into a classic
    /// group; the engine carries it out (`group_migration.rs`).
    pub downgrade: Option<Downgrade>,
    next_serial: u32,
}

impl ConsumerGroup {
    pub fn member(&self, member_id: &str) -> Option<&ModernMember> {
        self.members.iter().find(|m| m.member_id == member_id)
    }

    fn index_of(&self, member_id: &str) -> Option<usize> {
        self.members.iter().position(|m| m.member_id == member_id)
    }

    fn static_index(&self, instance_id: &str) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.instance_id.as_deref() == Some(instance_id))
    }

    pub fn by_serial(&self, serial: u32) -> Option<&ModernMember> {
        self.members.iter().find(|m| m.serial == serial)
    }

    /// `currentPartitionEpoch`: -1 when nobody owns it.
    pub fn partition_epoch(&self, tp: &TopicPartition) -> i32 {
        self.partition_epochs.get(tp).copied().unwrap_or(-1)
    }

    /// The ConsumerGroupHeartbeat API (`consumerGroupHeartbeat` and
    /// `consumerGroupLeave`). Errors are answered, never thrown.
    pub fn heartbeat(
        &mut self,
        req: &HeartbeatRequest,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> HeartbeatResponse {
        let answer = |error: Option<ErrorCode>, member_id: &str, epoch: i32| HeartbeatResponse {
            error,
            member_id: member_id.to_string(),
            member_epoch: epoch,
            heartbeat_interval_ms: ctx.heartbeat_interval_ms,
            assignment: None,
        };
        if let Err(e) = validate_request(req, ctx.assignors) {
            return answer(Some(e), &req.member_id, req.member_epoch);
        }
        if req.member_epoch == LEAVE_EPOCH || req.member_epoch == LEAVE_STATIC_EPOCH {
            return match self.leave(req, ctx, out) {
                Ok(epoch) => answer(None, &req.member_id, epoch),
                Err(e) => answer(Some(e), &req.member_id, req.member_epoch),
            };
        }
        let member_id = if req.member_id.is_empty() {
            ctx.new_member_id.clone()
        } else {
            req.member_id.clone()
        };
        let (old, replaced) = match self.get_or_subscribe(&member_id, req) {
            Ok(found) => found,
            Err(e) => return answer(Some(e), &member_id, req.member_epoch),
        };
        // The updated member (`maybeUpdate*`).
        let mut member = old.clone();
        if req.instance_id.is_some() {
            member.instance_id = req.instance_id.clone();
        }
        if req.rebalance_timeout_ms >= 0 {
            member.rebalance_timeout_ms = req.rebalance_timeout_ms as u32;
        }
        if req.server_assignor.is_some() {
            member.server_assignor = req.server_assignor;
        }
        if let Some(topics) = &req.subscribed_topics {
            let mut topics = topics.clone();
            topics.sort();
            topics.dedup();
            member.subscribed = topics;
        }
        if ctx.consumer.is_some() {
            member.consumer = ctx.consumer;
        }
        let target = self.update_member(&old, &member, replaced.as_deref(), ctx, out);
        let before = member.clone();
        let after = self.reconcile(&member, &target, req.owned.as_deref(), ctx, out);
        let i = self.index_of(&member_id).expect("member in place");
        self.remove_partition_epochs(&self.members[i].clone());
        self.members[i] = after.clone();
        self.add_partition_epochs(&after);
        // Session timeout (rescheduled by every heartbeat).
        self.schedule_session(i, ctx.session_timeout_ms, ctx.group, ctx.now_ms, out);
        let full = req.member_epoch == 0
            || (req.rebalance_timeout_ms != -1
                && req.subscribed_topics.is_some()
                && req.owned.is_some());
        let mut response = answer(None, &member_id, after.member_epoch);
        if full || before.assigned != after.assigned {
            response.assignment = Some(after.assigned.clone());
        }
        response
    }

    /// `consumerGroupHeartbeat`'s steps 1 and 2, shared with a classic
    /// member's JoinGroup: bump the group epoch when the updated member
    /// changes what the group subscribes to, recompute the target when the
    /// group epoch is ahead of it, and put the member in place (a static
    /// member's replacement takes the old member's place and target).
    /// Returns the member's target.
    fn update_member(
        &mut self,
        old: &ModernMember,
        member: &ModernMember,
        replaced: Option<&str>,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> Vec<TopicPartition> {
        let member_id = &member.member_id;
        let mut bump = member.subscribed != old.subscribed;
        // The subscription metadata with the updated member.
        let metadata = self.subscription_metadata_with(member, ctx.topics);
        if metadata != self.subscription_metadata {
            bump = true;
        }
        self.subscription_metadata = metadata;
        if bump {
            self.group_epoch += 1;
            #[cfg(consumer_protocol)]
            out.event(EventKind::GroupEpochBumped {
                group: ctx.group,
                epoch: GenerationId(self.group_epoch),
                consumer: member.consumer,
            });
        }
        let is_new = self.index_of(member_id).is_none();
        let mut target_of_member = None;
        if self.group_epoch > self.assignment_epoch {
            target_of_member = Some(self.update_target(member, replaced, ctx, out));
        }
        if let Some(old_id) = replaced {
            if let Some(i) = self.index_of(old_id) {
                let gone = self.members.remove(i);
                self.remove_partition_epochs(&gone);
                if let Some(t) = self.target.remove(old_id) {
                    self.target.entry_or_insert_with(member_id.clone(), || t);
                }
            }
        }
        if is_new {
            self.members.push(member.clone());
            self.add_partition_epochs(member);
        } else if let Some(i) = self.index_of(member_id) {
            self.members[i] = member.clone();
        }
        target_of_member.unwrap_or_else(|| self.target.get(member_id).cloned().unwrap_or_default())
    }

    /// `getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember`: the member
    /// as it was (a fresh one when it joins), and the member id it replaces
    /// (a static member rejoining under a new member id).
    fn get_or_subscribe(
        &mut self,
        member_id: &str,
        req: &HeartbeatRequest,
    ) -> Result<(ModernMember, Option<String>), ErrorCode> {
        let joining = req.member_epoch == 0;
        match &req.instance_id {
            None => match self.index_of(member_id) {
                Some(i) => {
                    let m = &self.members[i];
                    check_member_epoch(m, req.member_epoch, req.owned.as_deref())?;
                    Ok((m.clone(), None))
                }
                None if joining => Ok((self.fresh_member(member_id), None)),
                None => Err(ErrorCode::UnknownMemberId),
            },
            Some(instance) => {
                let existing = self.static_index(instance);
                if joining {
                    match existing {
                        None => match self.index_of(member_id) {
                            Some(i) => Ok((self.members[i].clone(), None)),
                            None => Ok((self.fresh_member(member_id), None)),
                        },
                        Some(i) => {
                            let old = self.members[i].clone();
                            if old.member_id == member_id {
                                check_member_epoch(&old, req.member_epoch, req.owned.as_deref())?;
                                return Ok((old, None));
                            }
                            // `throwIfInstanceIdIsUnreleased`.
                            if old.member_epoch != LEAVE_STATIC_EPOCH {
                                return Err(ErrorCode::UnreleasedInstanceId);
                            }
                            // A copy under the new id, at epoch 0.
                            let mut copy = old.clone();
                            copy.member_id = member_id.to_string();
                            copy.serial = self.take_serial();
                            copy.member_epoch = 0;
                            copy.previous_member_epoch = 0;
                            Ok((copy, Some(old.member_id.clone())))
                        }
                    }
                } else {
                    let i = existing.ok_or(ErrorCode::UnknownMemberId)?;
                    let m = &self.members[i];
                    if m.member_id != member_id {
                        return Err(ErrorCode::FencedInstanceId);
                    }
                    check_member_epoch(m, req.member_epoch, req.owned.as_deref())?;
                    Ok((m.clone(), None))
                }
            }
        }
    }

    fn take_serial(&mut self) -> u32 {
        self.next_serial += 1;
        self.next_serial
    }

    fn fresh_member(&mut self, member_id: &str) -> ModernMember {
        let serial = self.take_serial();
        ModernMember::new(member_id.to_string(), serial)
    }

    fn subscription_metadata_with(
        &self,
        updated: &ModernMember,
        topics: &BTreeMap<String, u32>,
    ) -> BTreeMap<String, u32> {
        let mut out = BTreeMap::new();
        let others = self
            .members
            .iter()
            .filter(|m| m.member_id != updated.member_id && m.member_epoch != LEAVE_STATIC_EPOCH);
        for m in others.chain(std::iter::once(updated)) {
            for t in &m.subscribed {
                if let Some(&n) = topics.get(t) {
                    out.insert(t.clone(), n);
                }
            }
        }
        out
    }

    /// `updateTargetAssignment`: runs the preferred server assignor over every
    /// member (the updated one included) and stores the new target at the
    /// group epoch. Returns the updated member's target.
    fn update_target(
        &mut self,
        updated: &ModernMember,
        replaced: Option<&str>,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> Vec<TopicPartition> {
        let kind = self.preferred_assignor(updated, ctx.assignors);
        let mut specs: Vec<ServerMember> = Vec::new();
        let mut seen_updated = false;
        for m in &self.members {
            if Some(m.member_id.as_str()) == replaced {
                continue;
            }
            let m = if m.member_id == updated.member_id {
                seen_updated = true;
                updated
            } else {
                m
            };
            specs.push(self.spec(m, &m.member_id));
        }
        if !seen_updated {
            // A static member's replacement takes the old member's target.
            let from = replaced.unwrap_or(&updated.member_id);
            specs.push(self.spec(updated, from));
        }
        // Kafka turns an assignor exception into UNKNOWN_SERVER_ERROR and keeps
        // the old target; the coordinator never builds the inputs that throw.
        let Ok(assignment) = server_assign(kind, &self.subscription_metadata, &specs) else {
            return self
                .target
                .get(&updated.member_id)
                .cloned()
                .unwrap_or_default();
        };
        // Stored in the order Kafka writes the record, which the next run reads back.
        self.target = specs
            .iter()
            .map(|s| {
                let tps = assignment
                    .get(&s.member_id)
                    .into_iter()
                    .flatten()
                    .flat_map(|(t, ps)| ps.iter().map(move |&p| TopicPartition::new(t.clone(), p)))
                    .collect();
                (s.member_id.clone(), tps)
            })
            .collect();
        self.assignment_epoch = self.group_epoch;
        self.last_assignor = Some(kind);
        #[cfg(consumer_protocol)]
        out.event(EventKind::TargetAssignmentComputed {
            group: ctx.group,
            epoch: GenerationId(self.group_epoch),
            assignor: kind,
        });
        self.target
            .get(&updated.member_id)
            .cloned()
            .unwrap_or_default()
    }

    fn spec(&self, m: &ModernMember, target_of: &str) -> ServerMember {
        let mut assignment: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for tp in self.target.get(target_of).into_iter().flatten() {
            assignment
                .entry(tp.topic.clone())
                .or_default()
                .push(tp.partition);
        }
        ServerMember {
            member_id: m.member_id.clone(),
            instance_id: m.instance_id.clone(),
            rack_id: None,
            subscribed_topics: m.subscribed.clone(),
            assignment,
        }
    }

    /// `computePreferredServerAssignor`: the assignor most members ask for
    /// (ties go to whichever the `java.util.HashMap<String, Integer>` copy
    /// visits first: "uniform", in bucket 1 of 16, before "range", in bucket
    /// 9; `Stream.max` keeps the first of equals), else the broker's first.
    fn preferred_assignor(
        &self,
        updated: &ModernMember,
        allowed: &[ServerAssignorKind],
    ) -> ServerAssignorKind {
        let mut counts = [0u32; 2];
        let members = self
            .members
            .iter()
            .filter(|m| m.member_id != updated.member_id)
            .chain(std::iter::once(updated));
        for m in members {
            if let Some(kind) = m.server_assignor {
                counts[kind as usize] += 1;
            }
        }
        let order = [ServerAssignorKind::Uniform, ServerAssignorKind::Range];
        let mut best: Option<(ServerAssignorKind, u32)> = None;
        for kind in order {
            let n = counts[kind as usize];
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((kind, n));
            }
        }
        best.map(|(k, _)| k).unwrap_or_else(|| {
            allowed
                .first()
                .copied()
                .unwrap_or(ServerAssignorKind::Uniform)
        })
    }

    /// `maybeReconcile` with `CurrentAssignmentBuilder.build`.
    fn reconcile(
        &self,
        member: &ModernMember,
        target: &[TopicPartition],
        owned: Option<&[TopicPartition]>,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> ModernMember {
        let target_epoch = self.assignment_epoch;
        if member.is_reconciled_to(target_epoch) {
            return member.clone();
        }
        let next = match member.state {
            MemberState::Stable => {
                self.next_assignment(member, member.member_epoch, target, target_epoch, owned)
            }
            MemberState::UnrevokedPartitions => {
                if owns_any(owned, &member.pending_revocation) {
                    member.clone()
                } else {
                    self.next_assignment(
                        member,
                        member.member_epoch + 1,
                        target,
                        target_epoch,
                        owned,
                    )
                }
            }
            MemberState::UnreleasedPartitions => {
                self.next_assignment(member, member.member_epoch, target, target_epoch, owned)
            }
        };
        if next != *member {
            if next.state == MemberState::UnrevokedPartitions {
                out.timer_at(
                    ctx.now_ms + next.rebalance_timeout_ms as u64,
                    (
                        ctx.group,
                        GroupTimer::MemberRebalance {
                            serial: next.serial,
                            epoch: next.member_epoch,
                        },
                    ),
                );
            }
            #[cfg(consumer_protocol)]
            out.event(EventKind::MemberReconciled {
                group: ctx.group,
                consumer: next.consumer,
                epoch: GenerationId(next.member_epoch),
                state: next.state,
                assigned: next.assigned.clone(),
                revoking: next.pending_revocation.clone(),
            });
        }
        next
    }

    /// `computeNextAssignment`.
    fn next_assignment(
        &self,
        member: &ModernMember,
        member_epoch: i32,
        target: &[TopicPartition],
        target_epoch: i32,
        owned: Option<&[TopicPartition]>,
    ) -> ModernMember {
        let current = &member.assigned;
        let kept: Vec<TopicPartition> = current
            .iter()
            .filter(|tp| target.contains(tp))
            .cloned()
            .collect();
        let revoke: Vec<TopicPartition> = current
            .iter()
            .filter(|tp| !kept.contains(tp))
            .cloned()
            .collect();
        let mut unreleased = false;
        let mut add: Vec<TopicPartition> = Vec::new();
        for tp in target.iter().filter(|tp| !kept.contains(tp)) {
            if self.partition_epoch(tp) != -1 {
                unreleased = true;
            } else {
                add.push(tp.clone());
            }
        }
        let mut next = member.clone();
        if !revoke.is_empty() && owns_any(owned, &revoke) {
            next.state = MemberState::UnrevokedPartitions;
            set_epoch(&mut next, member_epoch);
            next.assigned = kept;
            next.pending_revocation = revoke;
            return next;
        }
        let mut assigned = kept;
        assigned.extend(add);
        assigned.sort();
        next.state = if unreleased {
            MemberState::UnreleasedPartitions
        } else {
            MemberState::Stable
        };
        set_epoch(&mut next, target_epoch);
        next.assigned = assigned;
        next.pending_revocation = Vec::new();
        next
    }

    fn add_partition_epochs(&mut self, m: &ModernMember) {
        for tp in m.assigned.iter().chain(&m.pending_revocation) {
            self.partition_epochs.insert(tp.clone(), m.member_epoch);
        }
    }

    fn remove_partition_epochs(&mut self, m: &ModernMember) {
        for tp in m.assigned.iter().chain(&m.pending_revocation) {
            if self.partition_epochs.get(tp) == Some(&m.member_epoch) {
                self.partition_epochs.remove(tp);
            }
        }
    }

    /// `consumerGroupLeave`: the new member epoch, or the error.
    fn leave(
        &mut self,
        req: &HeartbeatRequest,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> Result<i32, ErrorCode> {
        let i = match &req.instance_id {
            None => self
                .index_of(&req.member_id)
                .ok_or(ErrorCode::UnknownMemberId)?,
            Some(instance) => {
                let i = self
                    .static_index(instance)
                    .ok_or(ErrorCode::UnknownMemberId)?;
                if self.members[i].member_id != req.member_id {
                    return Err(ErrorCode::FencedInstanceId);
                }
                i
            }
        };
        if req.instance_id.is_some() && req.member_epoch == LEAVE_STATIC_EPOCH {
            // `consumerGroupStaticMemberGroupLeave`: epoch -2, partitions kept.
            let old = self.members[i].clone();
            self.remove_partition_epochs(&old);
            let m = &mut self.members[i];
            m.member_epoch = LEAVE_STATIC_EPOCH;
            m.pending_revocation.clear();
            let m = m.clone();
            self.add_partition_epochs(&m);
            #[cfg(consumer_protocol)]
            out.event(EventKind::MemberLeft {
                group: ctx.group,
                consumer: m.consumer,
                static_leave: true,
                fenced: None,
            });
            return Ok(LEAVE_STATIC_EPOCH);
        }
        let serial = self.members[i].serial;
        self.fence(serial, None, ctx.group, ctx.topics, out);
        Ok(LEAVE_EPOCH)
    }

    /// `consumerGroupFenceMember`: removes the member and bumps the group
    /// epoch, so the next heartbeat recomputes the target without it.
    pub fn fence(
        &mut self,
        serial: u32,
        why: Option<ErrorCode>,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) {
        let Some(i) = self.members.iter().position(|m| m.serial == serial) else {
            return;
        };
        // `validateOnlineDowngradeWithFencedMember`: the last member on the
        // consumer protocol leaves classic members behind.
        let id = self.members[i].member_id.clone();
        if self.allow_downgrade && self.members.len() > 1 && self.all_classic_except(&id) {
            self.downgrade = Some(Downgrade {
                leaving: id,
                joining: None,
            });
            return;
        }
        self.remove_member(i, why, group, topics, out);
    }

    /// `removeMember` and a new group epoch: the next heartbeat recomputes
    /// the target without member `i`.
    fn remove_member(
        &mut self,
        i: usize,
        why: Option<ErrorCode>,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) {
        let gone = self.members.remove(i);
        self.remove_partition_epochs(&gone);
        self.target.remove(&gone.member_id);
        self.refresh_subscription_metadata(topics);
        self.group_epoch += 1;
        #[cfg(consumer_protocol)]
        out.event(EventKind::MemberLeft {
            group,
            consumer: gone.consumer,
            static_leave: false,
            fenced: why,
        });
        #[cfg(consumer_protocol)]
        out.event(EventKind::GroupEpochBumped {
            group,
            epoch: GenerationId(self.group_epoch),
            consumer: gone.consumer,
        });
    }

    /// (Re)starts member `i`'s session: fenced unless it is heard from
    /// within `session_timeout_ms`.
    fn schedule_session(
        &mut self,
        i: usize,
        session_timeout_ms: u32,
        group: GroupIdx,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let m = &mut self.members[i];
        let deadline = now_ms + session_timeout_ms as u64;
        m.session_deadline_ms = deadline;
        out.timer_at(
            deadline,
            (
                group,
                GroupTimer::MemberSession {
                    serial: m.serial,
                    deadline_ms: deadline,
                },
            ),
        );
    }

    /// The session timer fired: fence the member if no heartbeat came since.
    pub fn session_expired(
        &mut self,
        serial: u32,
        deadline_ms: u64,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) {
        if self
            .by_serial(serial)
            .is_some_and(|m| m.session_deadline_ms == deadline_ms)
        {
            self.fence(serial, Some(ErrorCode::UnknownMemberId), group, topics, out);
        }
    }

    /// The rebalance timer fired: a member still at `epoch` did not revoke
    /// in time and is fenced.
    pub fn rebalance_expired(
        &mut self,
        serial: u32,
        epoch: i32,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) {
        if self
            .by_serial(serial)
            .is_some_and(|m| m.member_epoch == epoch && m.state == MemberState::UnrevokedPartitions)
        {
            self.fence(
                serial,
                Some(ErrorCode::FencedMemberEpoch),
                group,
                topics,
                out,
            );
        }
    }

    /// `ConsumerGroup.validateOffsetCommit`: a member commits with its
    /// current epoch exactly (a commit without one is accepted only while the
    /// group is empty).
    ///
    /// An accepted commit comes with the member the check found (`None`
    /// for a commit without epoch into an empty group, which has none), so
    /// that the coordinator, which needs the member's consumer, does not
    /// search the members by id a second time (as the classic group's
    /// `Group::validate_offset_commit` does).
    pub fn check_commit(
        &self,
        member_id: &str,
        epoch: i32,
    ) -> Result<Option<&ModernMember>, ErrorCode> {
        if epoch < 0 && self.members.is_empty() {
            return Ok(None);
        }
        let Some(m) = self.member(member_id) else {
            return Err(ErrorCode::UnknownMemberId);
        };
        if epoch == m.member_epoch {
            Ok(Some(m))
        } else if m.uses_classic_protocol() {
            // `validateMemberEpoch`: a classic member's generation is its epoch.
            Err(ErrorCode::IllegalGeneration)
        } else {
            Err(ErrorCode::StaleMemberEpoch)
        }
    }

    /// `ConsumerGroup.validateOffsetFetch`: an OffsetFetch v9 that names a
    /// member (or an epoch) must come from a member at its current epoch.
    pub fn check_fetch(&self, member_id: &str, epoch: i32) -> Option<ErrorCode> {
        match self.member(member_id) {
            None => Some(ErrorCode::UnknownMemberId),
            Some(m) => (epoch != m.member_epoch).then_some(ErrorCode::StaleMemberEpoch),
        }
    }

    /// Kafka's `ConsumerGroupState`: Empty, Assigning (the group epoch is
    /// ahead of the target), Reconciling (a member is not at the target
    /// yet) or Stable.
    pub fn state_name(&self) -> &'static str {
        if self.members.is_empty() {
            "Empty"
        } else if self.group_epoch > self.assignment_epoch {
            "Assigning"
        } else if self
            .members
            .iter()
            .any(|m| m.member_epoch >= 0 && !m.is_reconciled_to(self.assignment_epoch))
        {
            "Reconciling"
        } else {
            "Stable"
        }
    }
}

fn set_epoch(m: &mut ModernMember, epoch: i32) {
    if m.member_epoch != epoch {
        m.previous_member_epoch = m.member_epoch;
        m.member_epoch = epoch;
    }
}

/// `ownsRevokedPartitions`: a request without owned partitions counts as
/// still owning them.
fn owns_any(owned: Option<&[TopicPartition]>, revoking: &[TopicPartition]) -> bool {
    match owned {
        None => true,
        Some(owned) => owned.iter().any(|tp| revoking.contains(tp)),
    }
}

/// `throwIfConsumerGroupMemberEpochIsInvalid`.
fn check_member_epoch(
    m: &ModernMember,
    received: i32,
    owned: Option<&[TopicPartition]>,
) -> Result<(), ErrorCode> {
    if received > m.member_epoch {
        return Err(ErrorCode::FencedMemberEpoch);
    }
    if received < m.member_epoch {
        let subset = owned.is_some_and(|o| o.iter().all(|tp| m.assigned.contains(tp)));
        if received != m.previous_member_epoch || !subset {
            return Err(ErrorCode::FencedMemberEpoch);
        }
    }
    Ok(())
}

/// `throwIfConsumerGroupHeartbeatRequestIsInvalid`.
fn validate_request(
    req: &HeartbeatRequest,
    assignors: &[ServerAssignorKind],
) -> Result<(), ErrorCode> {
    if req.instance_id.as_deref() == Some("") {
        return Err(ErrorCode::InvalidRequest);
    }
    match req.member_epoch {
        e if e > 0 || e == LEAVE_EPOCH => {
            if req.member_id.is_empty() {
                return Err(ErrorCode::InvalidRequest);
            }
        }
        0 => {
            if req.rebalance_timeout_ms == -1
                || req.owned.as_ref().is_none_or(|o| !o.is_empty())
                || req.subscribed_topics.as_ref().is_none_or(|t| t.is_empty())
            {
                return Err(ErrorCode::InvalidRequest);
            }
        }
        LEAVE_STATIC_EPOCH => {
            if req.member_id.is_empty() || req.instance_id.is_none() {
                return Err(ErrorCode::InvalidRequest);
            }
        }
        _ => return Err(ErrorCode::InvalidRequest),
    }
    match req.server_assignor {
        Some(kind) if !assignors.contains(&kind) => Err(ErrorCode::UnsupportedAssignor),
        _ => Ok(()),
    }
}

mod classic_members;
pub use classic_members::{ClassicJoinAnswer, ClassicMeta, Downgrade};

#[cfg(test)]
mod tests;
