//! Classic members inside a consumer group: how Kafka 4 lets a group move
//! between the two protocols while it keeps consuming.
//!
//! # Why mixed groups exist
//!
//! A group cannot switch protocols in one step: its consumers are separate
//! processes, restarted one at a time (a *rolling bounce*). So Kafka 4 lets
//! a consumer group hold members of both kinds (KIP-848's "online
//! migration", `group.consumer.migration.policy`, default `bidirectional`):
//!
//! - **Upgrade.** The first ConsumerGroupHeartbeat for a classic group turns
//!   it into a consumer group (`convertToConsumerGroup`). Its members keep
//!   their partitions, at the classic generation as their member epoch; the
//!   newcomer's join bumps the group epoch and the server assignor takes
//!   over.
//! - **Classic members stay.** A member that still speaks JoinGroup,
//!   SyncGroup and Heartbeat is kept in the consumer group with its classic
//!   metadata. The coordinator reconciles it exactly like the others
//!   (`CurrentAssignmentBuilder`), but it can only learn of a change through
//!   its classic API: its Heartbeat answers REBALANCE_IN_PROGRESS, it
//!   rejoins (giving up what it must), and its SyncGroup returns its new
//!   partitions. No leader computes anything: the JoinGroup answer names no
//!   leader and lists no members.
//! - **Downgrade.** When the last consumer-protocol member leaves and only
//!   classic members remain, the group turns back into a classic group
//!   (`convertToClassicGroup`) at its group epoch as the generation, and a
//!   rebalance starts.
//!
//! A classic member in a consumer group has two timers of its own, both its
//! rebalance timeout: it must rejoin after being told to (the join timer) and
//! sync after joining (the sync timer), else it is fenced like any member.
//!
//! # Where this is in Kafka
//!
//! apache/kafka `1eb7644349cb`, `GroupMetadataManager`:
//! `classicGroupJoinToConsumerGroup`, `classicGroupSyncToConsumerGroup`,
//! `classicGroupHeartbeatToConsumerGroup`, `classicGroupLeaveToConsumerGroup`,
//! `validateOnlineUpgrade`, `validateOnlineDowngradeWithFencedMember`,
//! `validateOnlineDowngradeWithReplacedMemberId`, `throwIfRebalanceInProgress`;
//! `ConsumerGroup.fromClassicGroup`, `supportsClassicProtocols`,
//! `waitingOnUnreleasedPartition`; `ClassicGroup.fromConsumerGroup`.

use super::*;
use crate::engine::assignor::{self, AssignorKind, RebalanceProtocol};
use crate::engine::network::MemberMetadata;

/// `ClassicMemberMetadata`: what a member that speaks the classic protocol
/// last told the coordinator in its JoinGroup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassicMeta {
    pub meta: MemberMetadata,
    pub session_timeout_ms: u32,
}

/// The answer to a classic JoinGroup in a consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassicJoinAnswer {
    pub error: Option<ErrorCode>,
    pub member_id: String,
    /// The member epoch, as the classic generation.
    pub generation: i32,
    pub protocol: Option<AssignorKind>,
}

/// A conversion back to a classic group, decided by the consumer group and
/// carried out by the engine (`group_migration.rs`), which owns both kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downgrade {
    /// The member whose leaving (or replacement) allowed it.
    pub leaving: String,
    /// A static classic member replacing `leaving` (it takes its partitions).
    pub joining: Option<ModernMember>,
}

impl ModernMember {
    /// `useClassicProtocol`.
    pub fn uses_classic_protocol(&self) -> bool {
        self.classic.is_some()
    }
}

impl ConsumerGroup {
    /// The members of a classic group, converted (`fromClassicGroup`): each
    /// keeps the partitions of its last SyncGroup, stable at the classic
    /// generation, which becomes the group epoch and the target's epoch.
    pub fn from_classic<'a>(
        generation: i32,
        members: impl Iterator<Item = (&'a str, &'a MemberMetadata, u32, u32, &'a [TopicPartition])>,
        allow_downgrade: bool,
    ) -> ConsumerGroup {
        let mut cg = ConsumerGroup {
            group_epoch: generation,
            assignment_epoch: generation,
            allow_downgrade,
            ..ConsumerGroup::default()
        };
        for (id, meta, session_ms, rebalance_ms, assignment) in members {
            let mut m = cg.fresh_member(id);
            m.instance_id = meta.instance_id.clone();
            m.consumer = Some(meta.consumer);
            m.member_epoch = generation;
            m.previous_member_epoch = generation;
            let mut topics = meta.topics.clone();
            topics.sort();
            topics.dedup();
            m.subscribed = topics;
            m.rebalance_timeout_ms = rebalance_ms;
            let mut assigned = assignment.to_vec();
            assigned.sort();
            m.assigned = assigned.clone();
            m.classic = Some(ClassicMeta {
                meta: meta.clone(),
                session_timeout_ms: session_ms,
            });
            cg.target.insert(id.to_string(), assigned);
            cg.add_partition_epochs(&m);
            cg.members.push(m);
        }
        cg
    }

    /// The subscription metadata of the members there now.
    pub(crate) fn refresh_subscription_metadata(&mut self, topics: &BTreeMap<String, u32>) {
        let mut metadata = BTreeMap::new();
        for m in self
            .members
            .iter()
            .filter(|m| m.member_epoch != LEAVE_STATIC_EPOCH)
        {
            for t in &m.subscribed {
                if let Some(&n) = topics.get(t) {
                    metadata.insert(t.clone(), n);
                }
            }
        }
        self.subscription_metadata = metadata;
    }

    /// `supportsClassicProtocols`: a classic member must share an assignor
    /// name with every classic member already there.
    fn supports_classic_protocols(&self, protocols: &[AssignorKind]) -> bool {
        let classic: Vec<&ClassicMeta> = self
            .members
            .iter()
            .filter_map(|m| m.classic.as_ref())
            .collect();
        if classic.is_empty() {
            return !protocols.is_empty();
        }
        protocols
            .iter()
            .any(|p| classic.iter().all(|c| c.meta.protocols.contains(p)))
    }

    /// `allMembersUseClassicProtocolExcept`.
    pub(crate) fn all_classic_except(&self, member_id: &str) -> bool {
        self.member(member_id)
            .is_some_and(|m| !m.uses_classic_protocol())
            && self
                .members
                .iter()
                .filter(|m| m.member_id != member_id)
                .all(ModernMember::uses_classic_protocol)
    }

    /// `classicGroupJoinToConsumerGroup`: a classic JoinGroup, answered at
    /// once with the member's epoch. A change of subscription bumps the
    /// group epoch; the member is then reconciled with what it says it owns
    /// (a cooperative member its `ownedPartitions`; an eager one revoked
    /// everything before joining).
    pub fn classic_join(
        &mut self,
        meta: &MemberMetadata,
        session_timeout_ms: u32,
        rebalance_timeout_ms: u32,
        ctx: &ModernCtx<'_>,
        out: &mut Outbox,
    ) -> ClassicJoinAnswer {
        let refuse = |error: ErrorCode, member_id: &str| ClassicJoinAnswer {
            error: Some(error),
            member_id: member_id.to_string(),
            generation: -1,
            protocol: None,
        };
        let unknown = meta.member_id.is_empty();
        let member_id = if unknown {
            ctx.new_member_id.clone()
        } else {
            meta.member_id.clone()
        };
        if !self.supports_classic_protocols(&meta.protocols) {
            return refuse(ErrorCode::InconsistentGroupProtocol, &meta.member_id);
        }
        if unknown && meta.instance_id.is_none() {
            // KIP-394: a dynamic member first gets an id to rejoin with.
            return refuse(ErrorCode::MemberIdRequired, &member_id);
        }
        // Get or create the member (`getOrMaybeSubscribe*ConsumerGroupMember`).
        let mut replaced = None;
        let old = match &meta.instance_id {
            None => match self.index_of(&member_id) {
                Some(i) => self.members[i].clone(),
                None => self.fresh_member(&member_id),
            },
            Some(instance) => match (self.static_index(instance), unknown) {
                (None, true) => self.fresh_member(&member_id),
                (None, false) => return refuse(ErrorCode::UnknownMemberId, &member_id),
                (Some(i), true) => {
                    // A static member back under a new id replaces the old one.
                    let mut copy = self.members[i].clone();
                    replaced = Some(copy.member_id.clone());
                    copy.member_id = member_id.clone();
                    copy.serial = self.take_serial();
                    copy.member_epoch = 0;
                    copy.previous_member_epoch = 0;
                    copy
                }
                (Some(i), false) => {
                    if self.members[i].member_id != member_id {
                        return refuse(ErrorCode::FencedInstanceId, &member_id);
                    }
                    self.members[i].clone()
                }
            },
        };
        // `validateOnlineDowngradeWithReplacedMemberId`: a static classic
        // member replacing the last consumer-protocol member downgrades.
        let downgrade = self.allow_downgrade
            && replaced
                .as_deref()
                .is_some_and(|old_id| self.all_classic_except(old_id));
        let mut member = old.clone();
        member.instance_id = meta.instance_id.clone();
        member.consumer = Some(meta.consumer);
        member.rebalance_timeout_ms = rebalance_timeout_ms;
        let mut topics = meta.topics.clone();
        topics.sort();
        topics.dedup();
        member.subscribed = topics;
        let mut joined_meta = meta.clone();
        joined_meta.member_id = member_id.clone();
        member.classic = Some(ClassicMeta {
            meta: joined_meta,
            session_timeout_ms,
        });
        // The join answers the join timer.
        member.join_deadline_ms = None;
        let target = self.update_member(&old, &member, replaced.as_deref(), ctx, out);
        // What the member owns as it joins: an eager member revoked all.
        let owned: Vec<TopicPartition> =
            if assignor::client_protocol(&meta.protocols) == Some(RebalanceProtocol::Cooperative) {
                let mut o = meta.owned.clone();
                o.sort();
                o
            } else {
                Vec::new()
            };
        let mut after = self.reconcile(&member, &target, Some(&owned), ctx, out);
        // A classic member has join and sync timers, not the rebalance timer.
        let i = self.index_of(&member_id).expect("member in place");
        self.remove_partition_epochs(&self.members[i].clone());
        let sync_deadline = ctx.now_ms + rebalance_timeout_ms as u64;
        after.sync_deadline_ms = Some(sync_deadline);
        self.members[i] = after.clone();
        self.add_partition_epochs(&after);
        self.schedule_session(i, session_timeout_ms, ctx.group, ctx.now_ms, out);
        out.timer_at(
            sync_deadline,
            (
                ctx.group,
                GroupTimer::MemberSync {
                    serial: after.serial,
                    deadline_ms: sync_deadline,
                },
            ),
        );
        // A static classic member replacing the last consumer-protocol one
        // turns the group back into a classic group.
        if let (true, Some(old_id)) = (downgrade, replaced) {
            self.downgrade = Some(Downgrade {
                leaving: old_id,
                joining: Some(after.clone()),
            });
        }
        ClassicJoinAnswer {
            error: None,
            member_id,
            generation: after.member_epoch,
            protocol: meta.protocols.first().copied(),
        }
    }

    /// Checks common to a classic member's SyncGroup and Heartbeat
    /// (`validateConsumerGroupMember`, `throwIfMemberDoesNotUseClassicProtocol`,
    /// `throwIfGenerationIdUnmatched`).
    fn classic_member(&self, member_id: &str, generation: i32) -> Result<usize, ErrorCode> {
        let i = self.index_of(member_id).ok_or(ErrorCode::UnknownMemberId)?;
        let m = &self.members[i];
        if !m.uses_classic_protocol() {
            return Err(ErrorCode::UnknownMemberId);
        }
        if m.member_epoch != generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(i)
    }

    fn reschedule_classic_session(
        &mut self,
        i: usize,
        group: GroupIdx,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let session = self.members[i]
            .classic
            .as_ref()
            .map_or(0, |c| c.session_timeout_ms);
        self.schedule_session(i, session, group, now_ms, out);
    }

    /// `scheduleConsumerGroupJoinTimeoutIfAbsent`.
    fn join_timer_if_absent(&mut self, i: usize, group: GroupIdx, now_ms: u64, out: &mut Outbox) {
        let m = &mut self.members[i];
        if m.join_deadline_ms.is_none() {
            let at = now_ms + m.rebalance_timeout_ms as u64;
            m.join_deadline_ms = Some(at);
            out.timer_at(
                at,
                (
                    group,
                    GroupTimer::MemberJoin {
                        serial: m.serial,
                        deadline_ms: at,
                    },
                ),
            );
        }
    }

    /// `classicGroupSyncToConsumerGroup`: the member's partitions, unless the
    /// group moved on and it must rejoin first (`throwIfRebalanceInProgress`).
    pub fn classic_sync(
        &mut self,
        member_id: &str,
        generation: i32,
        group: GroupIdx,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<Vec<TopicPartition>, ErrorCode> {
        let i = self.classic_member(member_id, generation)?;
        let m = &self.members[i];
        if self.group_epoch > m.member_epoch && m.state != MemberState::UnrevokedPartitions {
            self.join_timer_if_absent(i, group, now_ms, out);
            return Err(ErrorCode::RebalanceInProgress);
        }
        self.members[i].sync_deadline_ms = None;
        self.reschedule_classic_session(i, group, now_ms, out);
        Ok(self.members[i].assigned.clone())
    }

    /// `classicGroupHeartbeatToConsumerGroup`: REBALANCE_IN_PROGRESS when
    /// the member must rejoin: the group epoch moved past it, it has
    /// partitions to give up, or partitions it waited for are free now.
    pub fn classic_heartbeat(
        &mut self,
        member_id: &str,
        generation: i32,
        group: GroupIdx,
        now_ms: u64,
        out: &mut Outbox,
    ) -> Result<(), ErrorCode> {
        let i = self.classic_member(member_id, generation)?;
        self.reschedule_classic_session(i, group, now_ms, out);
        let m = &self.members[i];
        let rejoin = m.member_epoch < self.group_epoch
            || m.state == MemberState::UnrevokedPartitions
            || (m.state == MemberState::UnreleasedPartitions && !self.waiting_on_unreleased(m));
        if rejoin {
            self.join_timer_if_absent(i, group, now_ms, out);
            return Err(ErrorCode::RebalanceInProgress);
        }
        Ok(())
    }

    /// `waitingOnUnreleasedPartition`: some partition of its target is still
    /// owned by another member.
    fn waiting_on_unreleased(&self, m: &ModernMember) -> bool {
        m.state == MemberState::UnreleasedPartitions
            && self
                .target
                .get(&m.member_id)
                .into_iter()
                .flatten()
                .any(|tp| !m.assigned.contains(tp) && self.partition_epoch(tp) != -1)
    }

    /// `classicGroupLeaveToConsumerGroup`: the member goes and the group
    /// epoch goes up (a classic member leaving never downgrades the group).
    pub fn classic_leave(
        &mut self,
        member_id: &str,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) -> Result<(), ErrorCode> {
        let i = self.index_of(member_id).ok_or(ErrorCode::UnknownMemberId)?;
        if !self.members[i].uses_classic_protocol() {
            return Err(ErrorCode::UnknownMemberId);
        }
        self.remove_member(i, None, group, topics, out);
        Ok(())
    }

    /// A classic member's join or sync timer fired: fenced unless it joined
    /// (or synced) since.
    pub fn classic_timer_expired(
        &mut self,
        serial: u32,
        deadline_ms: u64,
        join: bool,
        group: GroupIdx,
        topics: &BTreeMap<String, u32>,
        out: &mut Outbox,
    ) {
        let due = self.by_serial(serial).is_some_and(|m| {
            let d = if join {
                m.join_deadline_ms
            } else {
                m.sync_deadline_ms
            };
            d == Some(deadline_ms)
        });
        if due {
            // Recorded for the narration: which classic timer ran out.
            let why = if join {
                ErrorCode::RebalanceInProgress
            } else {
                ErrorCode::IllegalGeneration
            };
            self.fence(serial, Some(why), group, topics, out);
        }
    }

    /// The members of the classic group this one turns into
    /// (`ClassicGroup.fromConsumerGroup`): every member but the leaving one
    /// (and the static replacement, if any), each with its target partitions.
    pub fn to_classic_members(
        &self,
        d: &Downgrade,
    ) -> Vec<(ClassicMeta, u32, Vec<TopicPartition>)> {
        let mut out = Vec::new();
        for m in self.members.iter().filter(|m| m.member_id != d.leaving) {
            let Some(c) = m.classic.clone() else { continue };
            let from = match &d.joining {
                Some(j) if j.member_id == m.member_id => d.leaving.as_str(),
                _ => m.member_id.as_str(),
            };
            let target = self.target.get(from).cloned().unwrap_or_default();
            out.push((c, m.rebalance_timeout_ms, target));
        }
        out
    }
}
