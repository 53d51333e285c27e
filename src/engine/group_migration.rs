//! Online migration at the group coordinator: a group turning from classic
//! into a consumer group and back while its consumers keep running.
//!
//! The group coordinator keeps one group per `group.id`, of one kind at a
//! time. Kafka 4 (`group.consumer.migration.policy`, default
//! `bidirectional`) converts it when its members change protocol during a
//! rolling bounce:
//!
//! - **Upgrade**: a ConsumerGroupHeartbeat at epoch 0 for a classic group
//!   with members converts it (`GroupMetadataManager.convertToConsumerGroup`).
//!   Members waiting for a JoinGroup or SyncGroup answer are told
//!   REBALANCE_IN_PROGRESS; every member keeps its partitions, at the
//!   generation as member epoch ([`ConsumerGroup::from_classic`]). Refused
//!   (the policy forbids it) the heartbeat gets GROUP_ID_NOT_FOUND.
//! - **Classic requests to a consumer group** (JoinGroup, SyncGroup,
//!   Heartbeat, LeaveGroup) are answered by the consumer group for its
//!   classic members (`consumer_group/classic_members.rs`). A JoinGroup to
//!   an *empty* consumer group turns it into a classic group instead.
//! - **Downgrade**: when the consumer group decides it
//!   ([`ConsumerGroup::downgrade`]: its last consumer-protocol member left),
//!   the engine builds the classic group (`convertToClassicGroup`,
//!   `ClassicGroup.fromConsumerGroup`): Stable at the group epoch as its
//!   generation, each member holding its target partitions, then a
//!   rebalance.
//!
//! This file is the engine's half: it owns both kinds of group state, so the
//! conversions live here; the rules about members live in the groups.

use crate::engine::classic_group::{GroupTimer, Member};
use crate::engine::consumer_group::{ConsumerGroup, ModernCtx};
use crate::engine::event::{ErrorCode, EventKind, GroupState, Node};
use crate::engine::ids::*;
use crate::engine::network::Msg;
use crate::engine::outbox::Outbox;
use crate::engine::sim::Engine;

impl Engine {
    /// A classic request (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) for a
    /// group that is a consumer group is answered here; anything else comes
    /// back to be handled as usual.
    pub(crate) fn classic_request_to_consumer_group(
        &mut self,
        b: BrokerId,
        from: Node,
        msg: Msg,
    ) -> Option<Msg> {
        let g = match &msg {
            Msg::JoinGroup { group, .. }
            | Msg::SyncGroup { group, .. }
            | Msg::Heartbeat { group, .. }
            | Msg::LeaveGroup { group, .. } => *group,
            _ => return Some(msg),
        };
        let gi = g.0 as usize;
        let Some(cg) = self.groups[gi].modern.as_ref() else {
            return Some(msg);
        };
        if cg.members.is_empty() {
            // An empty consumer group becomes a classic group on a JoinGroup
            // (`classicGroupJoinToClassicGroup`); the others find no member.
            if matches!(msg, Msg::JoinGroup { .. }) {
                self.groups[gi].modern = None;
            }
            return Some(msg);
        }
        let topics = self.subscribable_topics();
        let now = self.now_ms;
        let mut out = Outbox::new();
        let reply = match msg {
            Msg::JoinGroup {
                meta,
                session_timeout_ms,
                rebalance_timeout_ms,
                ..
            } => {
                let client = self.consumers[meta.consumer.0 as usize].client_id.clone();
                let new_member_id = if meta.member_id.is_empty() {
                    let (a, c) = (self.rng.next_u32(), self.rng.next_u32() & 0xffff);
                    format!("{client}-{a:08x}-{c:04x}")
                } else {
                    String::new()
                };
                let cl = &self.cfg.cluster;
                let assignors = cl.group_consumer_assignors.clone();
                let ctx = ModernCtx {
                    now_ms: now,
                    group: g,
                    consumer: Some(meta.consumer),
                    topics: &topics,
                    assignors: &assignors,
                    heartbeat_interval_ms: cl.group_consumer_heartbeat_interval_ms,
                    session_timeout_ms: cl.group_consumer_session_timeout_ms,
                    new_member_id,
                };
                let cg = self.groups[gi].modern.as_mut().expect("checked");
                let a = cg.classic_join(
                    &meta,
                    session_timeout_ms,
                    rebalance_timeout_ms,
                    &ctx,
                    &mut out,
                );
                Msg::JoinGroupResponse {
                    group: g,
                    error: a.error,
                    member_id: a.member_id,
                    generation: GenerationId(a.generation),
                    protocol: a.protocol,
                    leader: String::new(),
                    members: Vec::new(),
                }
            }
            Msg::SyncGroup {
                member_id,
                generation,
                ..
            } => {
                let cg = self.groups[gi].modern.as_mut().expect("checked");
                let (error, assignment) =
                    match cg.classic_sync(&member_id, generation.0, g, now, &mut out) {
                        Ok(a) => (None, a),
                        Err(e) => (Some(e), Vec::new()),
                    };
                Msg::SyncGroupResponse {
                    group: g,
                    error,
                    assignment,
                }
            }
            Msg::Heartbeat {
                member_id,
                generation,
                ..
            } => {
                let cg = self.groups[gi].modern.as_mut().expect("checked");
                let error = cg
                    .classic_heartbeat(&member_id, generation.0, g, now, &mut out)
                    .err();
                Msg::HeartbeatResponse { group: g, error }
            }
            Msg::LeaveGroup { member_id, .. } => {
                let cg = self.groups[gi].modern.as_mut().expect("checked");
                // Per-member errors go in the member's response entry; the
                // request itself succeeds.
                let _ = cg.classic_leave(&member_id, g, &topics, &mut out);
                Msg::LeaveGroupResponse { group: g }
            }
            _ => unreachable!("matched above"),
        };
        self.apply_outbox(out);
        self.send(Node::Broker(b), from, reply);
        self.maybe_downgrade(g);
        None
    }

    /// Whether a ConsumerGroupHeartbeat may turn classic group `g` into a
    /// consumer group, and does it (`getOrMaybeCreateConsumerGroup`): an
    /// empty classic group is replaced; one with members is converted when
    /// the policy allows (`validateOnlineUpgrade`). False: GROUP_ID_NOT_FOUND.
    pub(crate) fn maybe_upgrade(&mut self, g: GroupIdx, member_epoch: i32) -> bool {
        let gi = g.0 as usize;
        let allow_downgrade = self
            .cfg
            .cluster
            .group_consumer_migration_policy
            .downgrade_enabled();
        if member_epoch != 0 {
            return false;
        }
        if self.groups[gi].members.is_empty() {
            let mut cg = ConsumerGroup::default();
            cg.allow_downgrade = allow_downgrade;
            self.groups[gi].modern = Some(Box::new(cg));
            return true;
        }
        if !self
            .cfg
            .cluster
            .group_consumer_migration_policy
            .upgrade_enabled()
        {
            return false;
        }
        let now = self.now_ms;
        let ctx = self.group_ctx(g, None);
        let mut out = Outbox::new();
        let grp = &mut self.groups[gi];
        // `completeAllJoinFutures` / `completeAllSyncFutures`.
        for m in grp.members.values() {
            let to = Node::Consumer(m.meta.consumer);
            let msg = if m.joined && grp.state == GroupState::PreparingRebalance {
                Msg::JoinGroupResponse {
                    group: g,
                    error: Some(ErrorCode::RebalanceInProgress),
                    member_id: m.meta.member_id.clone(),
                    generation: GenerationId(-1),
                    protocol: None,
                    leader: String::new(),
                    members: Vec::new(),
                }
            } else if m.awaiting_sync {
                Msg::SyncGroupResponse {
                    group: g,
                    error: Some(ErrorCode::RebalanceInProgress),
                    assignment: Vec::new(),
                }
            } else {
                continue;
            };
            if let Some(b) = ctx.coordinator {
                out.send(Node::Broker(b), to, msg);
            }
        }
        let members = grp.members.iter().map(|(id, m)| {
            (
                id.as_str(),
                &m.meta,
                m.session_timeout_ms,
                m.rebalance_timeout_ms,
                m.assignment.as_slice(),
            )
        });
        let mut cg = ConsumerGroup::from_classic(grp.generation.0, members, allow_downgrade);
        cg.refresh_subscription_metadata(&self.subscribable_topics());
        // Each converted member's session runs on its classic timeout.
        for m in cg.members.iter_mut() {
            let session = m.classic.as_ref().map_or(0, |c| c.session_timeout_ms);
            m.session_deadline_ms = now + session as u64;
            out.timer_at(
                m.session_deadline_ms,
                (
                    g,
                    GroupTimer::MemberSession {
                        serial: m.serial,
                        deadline_ms: m.session_deadline_ms,
                    },
                ),
            );
        }
        let epoch = GenerationId(cg.group_epoch);
        let grp = &mut self.groups[gi];
        grp.members.clear();
        grp.pending_members.clear();
        grp.leader = None;
        grp.protocol = None;
        grp.initial_delay = None;
        grp.rebalance_deadline_ms = None;
        // Timers of the classic group's rebalance find nothing to do.
        grp.rebalance_id += 1;
        grp.state = GroupState::Empty;
        grp.modern = Some(Box::new(cg));
        out.event(EventKind::GroupConverted {
            group: g,
            to_consumer_protocol: true,
            epoch,
        });
        self.apply_outbox(out);
        true
    }

    /// Carries out a downgrade the consumer group decided
    /// (`convertToClassicGroup`).
    pub(crate) fn maybe_downgrade(&mut self, g: GroupIdx) {
        let gi = g.0 as usize;
        let Some(d) = self.groups[gi]
            .modern
            .as_mut()
            .and_then(|cg| cg.downgrade.take())
        else {
            return;
        };
        let cg = self.groups[gi].modern.take().expect("checked");
        let now = self.now_ms;
        let ctx = self.group_ctx(g, None);
        let mut out = Outbox::new();
        let leaving = cg.member(&d.leaving).and_then(|m| m.consumer);
        let grp = &mut self.groups[gi];
        grp.generation = GenerationId(cg.group_epoch);
        grp.members.clear();
        for (c, rebalance_timeout_ms, assignment) in cg.to_classic_members(&d) {
            grp.members.insert(
                c.meta.member_id.clone(),
                Member {
                    meta: c.meta,
                    session_timeout_ms: c.session_timeout_ms,
                    rebalance_timeout_ms,
                    last_heartbeat_ms: now,
                    joined: false,
                    awaiting_sync: false,
                    assignment,
                },
            );
        }
        let protocols: Vec<_> = grp
            .members
            .values()
            .map(|m| m.meta.protocols.clone())
            .collect();
        grp.protocol = crate::engine::assignor::select_group_protocol(&protocols);
        grp.leader = grp.members.keys().next().cloned();
        grp.generation_size = grp.members.len();
        grp.state = GroupState::Stable;
        for m in grp.members.values() {
            out.timer_at(
                now + m.session_timeout_ms as u64,
                (g, GroupTimer::SessionCheck),
            );
        }
        out.event(EventKind::MemberLeft {
            group: g,
            consumer: leaving,
            static_leave: false,
            fenced: None,
        });
        out.event(EventKind::GroupConverted {
            group: g,
            to_consumer_protocol: false,
            epoch: grp.generation,
        });
        if d.joining.is_none() {
            let reason = format!("Downgrade group {} from consumer to classic.", grp.group_id);
            grp.prepare_rebalance(&reason, ctx, &mut out);
        }
        self.apply_outbox(out);
    }
}
