//! The group coordinator: consumer group membership, rebalances and
//! committed offsets (Kafka's classic group protocol).
//!
//! Each group lives on one broker: the leader of partition
//! `abs(groupId.hashCode()) % 50` of `__consumer_offsets` (see
//! [`crate::engine::java`]). That broker runs the group's state machine
//! (`ClassicGroup`, `ClassicGroupState`):
//!
//! ```text
//! Empty ──JoinGroup──▶ PreparingRebalance ──all joined──▶ CompletingRebalance ──leader's SyncGroup──▶ Stable
//!   ▲                        ▲                                                                        │
//!   └──── last member leaves ┴──────────── join / leave / session timeout ─────────────────────────────┘
//! ```
//!
//! A rebalance has two round trips. **JoinGroup**: every member (re)joins and
//! says which assignors it supports; the coordinator waits for all known
//! members (up to the rebalance timeout, a member's `max.poll.interval.ms`),
//! picks the protocol by vote, bumps the **generation** and makes one member
//! the **leader**, which alone receives everyone's subscriptions.
//! **SyncGroup**: the leader runs the assignor on the client side and sends
//! the result; every member gets its own share. Members then heartbeat; a
//! member silent for `session.timeout.ms` is removed, which starts the next
//! rebalance.
//!
//! An empty group's first rebalance waits `group.initial.rebalance.delay.ms`
//! (3 s) before completing, and waits again each time the timer fires after
//! a new member joined (see [`crate::engine::classic_group::InitialDelay`]): consumers that start together
//! get one generation instead of a rebalance per arrival.
//!
//! Committed offsets are records in `__consumer_offsets`; the coordinator
//! appends them with acks=all and answers the commit once they are
//! replicated. A commit from an old generation is refused
//! (`ILLEGAL_GENERATION`), which is how Kafka stops a consumer that lost its
//! partitions from overwriting the new owner's progress; the member and its
//! generation are checked before the group state (`validateOffsetCommit`).
//! Offsets committed inside a transaction stay pending until its marker is
//! replicated; meanwhile an OffsetFetch that requires stable offsets (the
//! Java consumer's always does) gets `UNSTABLE_OFFSET_COMMIT` for those
//! partitions and asks again, so a new owner never starts from an offset
//! that an unfinished transaction is about to replace.
//!
//! ## The component and the engine
//!
//! The group's state, its state machine and the rules of JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, session expiry and OffsetCommit
//! validation are [`Group`]'s, in `classic_group.rs`, unit-tested there on a
//! group alone; its handlers write their answers, timers and events into an
//! [`Outbox`]. This file is the engine's side: it checks that a request
//! reached the group's coordinator, hands the group the time, its
//! coordinator and new member ids (drawn from the seeded PRNG), applies the
//! outbox, dispatches the group's timers, appends committed offsets to
//! `__consumer_offsets` and loads them again when the coordinator moves.
//!
//! Kafka's code: `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/classic/ClassicGroup.java`
//! and `.../GroupMetadataManager.java`.

use crate::engine::assignor::TopicPartition;
use crate::engine::classic_group::{Ctx, Group, GroupTimer};
use crate::engine::consumer_group::ConsumerGroup;
#[cfg(consumer_protocol)]
use crate::engine::consumer_group::{HeartbeatRequest, HeartbeatResponse, ModernCtx};
use crate::engine::controller::CONSUMER_OFFSETS;
use crate::engine::event::{ErrorCode, EventKind, GroupState, InternalRecords, Node};
use crate::engine::ids::*;
use crate::engine::java::partition_for_id;
use crate::engine::network::{MemberMetadata, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::Engine;
use crate::engine::vecmap::VecMap;
#[cfg(consumer_protocol)]
use std::collections::BTreeMap;

impl Group {
    /// The group as a consumer group of Kafka 4's consumer protocol, if it
    /// is one (never in the course page's bundle, which lacks the protocol:
    /// the constant lets the compiler drop what reads it).
    #[cfg(consumer_protocol)]
    pub fn consumer_group(&self) -> Option<&ConsumerGroup> {
        self.modern.as_deref()
    }
    #[cfg(not(consumer_protocol))]
    pub fn consumer_group(&self) -> Option<&ConsumerGroup> {
        None
    }

    pub fn coordinator(&self, e: &Engine) -> Option<BrokerId> {
        e.leader_of(self.offsets_tp)
    }

    pub(crate) fn is_settled(&self, e: &Engine) -> bool {
        #[cfg(consumer_protocol)]
        if let Some(cg) = self.consumer_group() {
            // Every running consumer is a member reconciled to the target.
            let mut alive = e
                .consumers
                .iter()
                .filter(|c| c.group == self.idx && c.alive);
            return cg.group_epoch == cg.assignment_epoch
                && cg.members.iter().all(|m| {
                    m.member_epoch < 0
                        || m.state == crate::engine::consumer_group::MemberState::Stable
                            && m.member_epoch == cg.assignment_epoch
                })
                && alive.all(|c| {
                    let member = c.member_id.as_deref().and_then(|id| cg.member(id));
                    // The client holds what the coordinator says it owns.
                    member.is_some_and(|m| e.tps_to_names(&c.assignment) == m.assigned)
                        && match &c.modern {
                            Some(m) => m.pending.is_none() && !m.in_flight,
                            // A classic member of a consumer group (a rolling bounce).
                            None => {
                                c.membership == crate::engine::consumer::Membership::Stable
                                    && !c.rejoin_needed
                            }
                        }
                        && c.generation.0 == cg.assignment_epoch
                });
        }
        let alive = e
            .consumers
            .iter()
            .filter(|c| c.group == self.idx && c.alive)
            .count();
        alive == 0 || (self.state == GroupState::Stable && self.members.len() == alive)
    }

    pub(crate) fn has_pending_work(&self, e: &Engine) -> bool {
        #[cfg(consumer_protocol)]
        if let Some(cg) = self.consumer_group() {
            // Reconciliation goes on heartbeat by heartbeat; a member whose
            // process is gone will be fenced by its session timeout.
            return !self.is_settled(e)
                || cg.members.iter().any(|m| {
                    m.consumer.is_some_and(|c| {
                        let con = &e.consumers[c.0 as usize];
                        !con.alive || con.member_id.as_deref() != Some(m.member_id.as_str())
                    })
                });
        }
        if matches!(
            self.state,
            GroupState::PreparingRebalance | GroupState::CompletingRebalance
        ) {
            return true;
        }
        // A member whose process died will be expired by its session timeout.
        self.members.values().any(|m| {
            !e.consumers[m.meta.consumer.0 as usize].alive
                || e.consumers[m.meta.consumer.0 as usize].member_id.as_deref()
                    != Some(m.meta.member_id.as_str())
        })
    }
}

impl Engine {
    /// Runs one of group `g`'s timers.
    pub(crate) fn group_timer(&mut self, g: GroupIdx, timer: GroupTimer) {
        match timer {
            GroupTimer::SessionCheck => self.group_session_check(g),
            GroupTimer::RebalanceDeadline { rebalance_id } => {
                self.group_rebalance_deadline(g, rebalance_id)
            }
            // Only the consumer protocol sets these (not in the course
            // page's bundle: see build.rs).
            #[cfg(not(consumer_protocol))]
            GroupTimer::MemberSession { .. }
            | GroupTimer::MemberRebalance { .. }
            | GroupTimer::MemberJoin { .. }
            | GroupTimer::MemberSync { .. } => {}
            #[cfg(consumer_protocol)]
            GroupTimer::MemberSession {
                serial,
                deadline_ms,
            } => self.modern_timer(g, |cg, topics, out| {
                cg.session_expired(serial, deadline_ms, g, topics, out)
            }),
            #[cfg(consumer_protocol)]
            GroupTimer::MemberRebalance { serial, epoch } => self
                .modern_timer(g, |cg, topics, out| {
                    cg.rebalance_expired(serial, epoch, g, topics, out)
                }),
            #[cfg(consumer_protocol)]
            GroupTimer::MemberJoin {
                serial,
                deadline_ms,
            } => self.modern_timer(g, |cg, topics, out| {
                cg.classic_timer_expired(serial, deadline_ms, true, g, topics, out)
            }),
            #[cfg(consumer_protocol)]
            GroupTimer::MemberSync {
                serial,
                deadline_ms,
            } => self.modern_timer(g, |cg, topics, out| {
                cg.classic_timer_expired(serial, deadline_ms, false, g, topics, out)
            }),
        }
    }

    pub(crate) fn init_groups(&mut self) {
        let cfgs = self.cfg.groups.clone();
        for (i, g) in cfgs.iter().enumerate() {
            let idx = self.add_group_state(i);
            for _ in 0..g.consumers {
                self.consumer_create(idx);
            }
        }
    }

    /// The coordinator's state for `cfg.groups[i]`: an empty group whose
    /// offsets live in `__consumer_offsets` partition `abs(hash(group.id)) % n`.
    pub(crate) fn add_group_state(&mut self, i: usize) -> GroupIdx {
        let offsets = self
            .topic_id(CONSUMER_OFFSETS)
            .expect("offsets topic exists");
        let n = self.cfg.cluster.offsets_topic_num_partitions;
        let idx = GroupIdx(i as u16);
        let group_id = self.cfg.groups[i].group_id.clone();
        let offsets_tp = Tp::new(offsets, partition_for_id(&group_id, n));
        self.groups.push(Group::new(idx, &group_id, offsets_tp));
        self.ownership.push(Default::default());
        idx
    }

    fn group(&mut self, g: GroupIdx) -> &mut Group {
        &mut self.groups[g.0 as usize]
    }

    /// What group `g`'s handlers are told: now, its coordinator (the leader
    /// of its offsets partition, or `coordinator` when a request already
    /// found it) and `group.initial.rebalance.delay.ms`.
    pub(crate) fn group_ctx(&self, g: GroupIdx, coordinator: Option<BrokerId>) -> Ctx {
        Ctx {
            now_ms: self.now_ms,
            coordinator: coordinator.or_else(|| self.groups[g.0 as usize].coordinator(self)),
            initial_rebalance_delay_ms: self.cfg.cluster.group_initial_rebalance_delay_ms as u64,
        }
    }
    /// Requests addressed to a broker as group or transaction coordinator.
    #[rustfmt::skip] // The native first step (the file's end) stays on this line.
    pub(crate) fn coordinator_receive(&mut self, b: BrokerId, from: Node, msg: Msg) { #[cfg(engine_speed)] let Some(msg) = self.coordinator_commit_first(b, from, msg) else { return };
        let group_of = |msg: &Msg| -> Option<GroupIdx> {
            match msg {
                Msg::JoinGroup { group, .. }
                | Msg::SyncGroup { group, .. }
                | Msg::Heartbeat { group, .. }
                | Msg::LeaveGroup { group, .. }
                | Msg::OffsetCommit { group, .. }
                | Msg::OffsetFetch { group, .. }
                | Msg::TxnOffsetCommit { group, .. } => Some(*group),
                #[cfg(consumer_protocol)]
                Msg::ConsumerGroupHeartbeat { group, .. } => Some(*group),
                _ => None,
            }
        };
        if let Some(g) = group_of(&msg) {
            if self.groups[g.0 as usize].coordinator(self) != Some(b) {
                self.reply_not_coordinator(b, from, &msg);
                return;
            }
        }
        // A classic member's request to a consumer group (group_migration.rs).
        #[cfg(consumer_protocol)]
        let Some(msg) = self.coordinator_hand_off(b, from, msg) else {
            return;
        };
        match msg {
            Msg::JoinGroup {
                group,
                meta,
                session_timeout_ms,
                rebalance_timeout_ms,
                known_member,
            } => self.group_join(
                b,
                from,
                group,
                *meta,
                session_timeout_ms,
                rebalance_timeout_ms,
                known_member,
            ),
            Msg::SyncGroup {
                group,
                member_id,
                generation,
                assignments,
            } => {
                let ctx = self.group_ctx(group, Some(b));
                let mut out = self.outbox();
                self.group(group).handle_sync(
                    from,
                    &member_id,
                    generation,
                    assignments,
                    ctx,
                    &mut out,
                );
                self.apply_outbox(out);
            }
            Msg::Heartbeat {
                group,
                member_id,
                generation,
            } => {
                let ctx = self.group_ctx(group, Some(b));
                let mut out = self.outbox();
                let error = self
                    .group(group)
                    .heartbeat(&member_id, generation, ctx, &mut out);
                self.apply_outbox(out);
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::HeartbeatResponse { group, error },
                );
            }
            Msg::LeaveGroup {
                group,
                member_id,
                reason,
            } => {
                let ctx = self.group_ctx(group, Some(b));
                let mut out = self.outbox();
                self.group(group)
                    .remove_member(&member_id, reason, ctx, &mut out);
                self.apply_outbox(out);
                self.send(Node::Broker(b), from, Msg::LeaveGroupResponse { group });
            }
            Msg::OffsetCommit {
                group,
                member_id,
                generation,
                offsets,
                auto,
                commit_id,
            } => self.group_offset_commit(
                b, from, group, member_id, generation, offsets, auto, commit_id,
            ),
            Msg::OffsetFetch {
                group,
                partitions,
                require_stable,
                member,
            } => {
                let g = &self.groups[group.0 as usize];
                // `ConsumerGroup.validateOffsetFetch` (a classic group checks nothing).
                let refused = match (g.consumer_group(), &member) {
                    (Some(cg), Some((id, epoch))) => cg.check_fetch(id, *epoch),
                    _ => None,
                };
                if let Some(error) = refused {
                    self.send(
                        Node::Broker(b),
                        from,
                        Msg::OffsetFetchResponse {
                            group,
                            error: Some(error),
                            offsets: vec![],
                        },
                    );
                    return;
                }
                let offsets = partitions
                    .iter()
                    .map(|tp| (*tp, g.fetch_offset(*tp, require_stable)))
                    .collect();
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::OffsetFetchResponse {
                        group,
                        error: None,
                        offsets,
                    },
                );
            }
            Msg::TxnOffsetCommit {
                producer_id,
                epoch,
                group,
                member_id,
                generation,
                offsets,
                ..
            } => self.group_txn_offset_commit(
                b,
                from,
                group,
                producer_id,
                epoch,
                member_id,
                generation,
                offsets,
            ),
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeat { group, req } => {
                self.group_consumer_heartbeat(b, from, group, *req)
            }
            other => self.txn_coordinator_receive(b, from, other),
        }
    }

    // ---- the consumer group protocol (KIP-848) --------------------------------

    /// Partition counts of the topics a consumer group may subscribe to.
    #[cfg(consumer_protocol)]
    pub(crate) fn subscribable_topics(&self) -> BTreeMap<String, u32> {
        self.topics()
            .iter()
            .filter(|t| !t.internal)
            .map(|t| (t.name.clone(), t.partitions.len() as u32))
            .collect()
    }

    /// ConsumerGroupHeartbeat (`GroupMetadataManager.consumerGroupHeartbeat`).
    #[cfg(consumer_protocol)]
    fn group_consumer_heartbeat(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        req: HeartbeatRequest,
    ) {
        let topics = self.subscribable_topics();
        let cl = &self.cfg.cluster;
        let (interval, session) = (
            cl.group_consumer_heartbeat_interval_ms,
            cl.group_consumer_session_timeout_ms,
        );
        let assignors = cl.group_consumer_assignors.clone();
        // Kafka's member ids are `Uuid.randomUuid()`; here from the seeded PRNG.
        let new_member_id = if req.member_id.is_empty() {
            let (a, c) = (self.rng.next_u32(), self.rng.next_u32());
            format!("{a:08x}-{:04x}-{:04x}", c >> 16, c & 0xffff)
        } else {
            String::new()
        };
        // A classic group becomes a consumer group on a member's first
        // heartbeat if Kafka's migration rules allow it (group_migration.rs).
        if self.groups[g.0 as usize].modern.is_none() && !self.maybe_upgrade(g, req.member_epoch) {
            let resp = HeartbeatResponse {
                error: Some(ErrorCode::GroupIdNotFound),
                member_id: req.member_id,
                member_epoch: req.member_epoch,
                heartbeat_interval_ms: interval,
                assignment: None,
            };
            self.send(
                Node::Broker(b),
                from,
                Msg::ConsumerGroupHeartbeatResponse { group: g, resp },
            );
            return;
        }
        let ctx = ModernCtx {
            now_ms: self.now_ms,
            group: g,
            consumer: match from {
                Node::Consumer(c) => Some(c),
                _ => None,
            },
            topics: &topics,
            assignors: &assignors,
            heartbeat_interval_ms: interval,
            session_timeout_ms: session,
            new_member_id,
        };
        let mut out = self.outbox();
        let modern = self.groups[g.0 as usize]
            .modern
            .as_mut()
            .expect("made above");
        let resp = modern.heartbeat(&req, &ctx, &mut out);
        self.apply_outbox(out);
        self.send(
            Node::Broker(b),
            from,
            Msg::ConsumerGroupHeartbeatResponse { group: g, resp },
        );
        self.maybe_downgrade(g);
    }

    /// Runs a consumer-protocol timer of group `g`.
    #[cfg(consumer_protocol)]
    fn modern_timer(
        &mut self,
        g: GroupIdx,
        f: impl FnOnce(&mut ConsumerGroup, &BTreeMap<String, u32>, &mut Outbox),
    ) {
        let topics = self.subscribable_topics();
        let mut out = self.outbox();
        if let Some(cg) = self.groups[g.0 as usize].modern.as_mut() {
            f(cg, &topics, &mut out);
        }
        self.apply_outbox(out);
        self.maybe_downgrade(g);
    }

    /// TxnOffsetCommit: the offsets are written into `__consumer_offsets` as
    /// part of the producer's transaction, and become the group's committed
    /// offsets only once the COMMIT marker is replicated. The member and
    /// generation are checked (KIP-447), so a zombie consumer cannot commit.
    #[allow(clippy::too_many_arguments)]
    fn group_txn_offset_commit(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        pid: ProducerId,
        epoch: ProducerEpoch,
        member_id: String,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
    ) {
        let grp = &self.groups[g.0 as usize];
        if let Err(error) = grp.validate_offset_commit(&member_id, generation, true) {
            self.send(
                Node::Broker(b),
                from,
                Msg::TxnOffsetCommitResponse {
                    error: Some(error),
                    group: g,
                },
            );
            return;
        }
        let otp = grp.offsets_tp;
        let ids = self.group_offset_commit_records(g, &offsets);
        match self.broker_internal_append_as(b, otp, ids, Some((pid, epoch))) {
            Ok(end) => {
                self.group(g).pending_txn_offsets.insert(pid, offsets);
                let id = self.next_id();
                let op = crate::engine::broker::DelayedOp {
                    id,
                    waiting: crate::engine::broker::wait_for(otp, end),
                    deadline_ms: self.now_ms + 5_000,
                    kind: crate::engine::broker::DelayedKind::TxnOffsetCommit { group: g, from },
                };
                self.broker_add_delayed(b, op);
            }
            Err(e) => self.send(
                Node::Broker(b),
                from,
                Msg::TxnOffsetCommitResponse {
                    error: Some(e),
                    group: g,
                },
            ),
        }
    }

    fn reply_not_coordinator(&mut self, b: BrokerId, from: Node, msg: &Msg) {
        let err = Some(ErrorCode::NotCoordinator);
        let reply = match msg {
            Msg::JoinGroup { group, meta, .. } => Msg::JoinGroupResponse {
                group: *group,
                error: err,
                member_id: meta.member_id.clone(),
                generation: GenerationId(-1),
                protocol: None,
                leader: String::new(),
                members: vec![],
            },
            Msg::SyncGroup { group, .. } => Msg::SyncGroupResponse {
                group: *group,
                error: err,
                assignment: vec![],
            },
            Msg::Heartbeat { group, .. } => Msg::HeartbeatResponse {
                group: *group,
                error: err,
            },
            Msg::LeaveGroup { group, .. } => Msg::LeaveGroupResponse { group: *group },
            Msg::OffsetCommit {
                group,
                offsets,
                commit_id,
                ..
            } => Msg::OffsetCommitResponse {
                group: *group,
                error: err,
                offsets: offsets.clone(),
                commit_id: *commit_id,
            },
            Msg::OffsetFetch { group, .. } => Msg::OffsetFetchResponse {
                group: *group,
                error: err,
                offsets: vec![],
            },
            Msg::TxnOffsetCommit { group, .. } => Msg::TxnOffsetCommitResponse {
                group: *group,
                error: err,
            },
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeat { group, req } => Msg::ConsumerGroupHeartbeatResponse {
                group: *group,
                resp: HeartbeatResponse {
                    error: err,
                    member_id: req.member_id.clone(),
                    member_epoch: req.member_epoch,
                    heartbeat_interval_ms: self.cfg.cluster.group_consumer_heartbeat_interval_ms,
                    assignment: None,
                },
            },
            _ => return,
        };
        self.send(Node::Broker(b), from, reply);
    }

    // ---- JoinGroup, the group's timers ---------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn group_join(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        meta: MemberMetadata,
        session_timeout_ms: u32,
        rebalance_timeout_ms: u32,
        _known_member: bool,
    ) {
        let ctx = self.group_ctx(g, Some(b));
        // Java: clientId + "-" + UUID.randomUUID(). The UUID comes from the
        // seeded PRNG, drawn only when the group asks for a new id.
        let client = self.consumers[meta.consumer.0 as usize].client_id.clone();
        let rng = &mut self.rng;
        let new_member_id = || {
            let a = rng.next_u32();
            let b = rng.next_u32() & 0xffff;
            format!("{client}-{a:08x}-{b:04x}")
        };
        let mut out = Outbox::new();
        self.groups[g.0 as usize].handle_join(
            from,
            meta,
            session_timeout_ms,
            rebalance_timeout_ms,
            new_member_id,
            ctx,
            &mut out,
        );
        self.apply_outbox(out);
    }

    pub(crate) fn group_rebalance_deadline(&mut self, g: GroupIdx, rebalance_id: u32) {
        let ctx = self.group_ctx(g, None);
        let mut out = self.outbox();
        self.group(g)
            .rebalance_deadline(rebalance_id, ctx, &mut out);
        self.apply_outbox(out);
    }

    pub(crate) fn group_session_check(&mut self, g: GroupIdx) {
        let ctx = self.group_ctx(g, None);
        let mut out = self.outbox();
        self.group(g).session_check(ctx, &mut out);
        self.apply_outbox(out);
    }

    // ---- offsets ------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn group_offset_commit(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        member_id: crate::engine::network::MemberId,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        commit_id: u64,
    ) {
        let grp = &self.groups[g.0 as usize];
        // The committing member's consumer, found by the check itself.
        let checked = match grp.consumer_group() {
            // The consumer protocol: the member's epoch, exactly (the check
            // hands back the member it found, as the classic one does).
            Some(cg) => cg
                .check_commit(&member_id, generation.0)
                .map(|m| m.and_then(|m| m.consumer)),
            None => grp
                .validate_offset_commit(&member_id, generation, false)
                .map(|m| m.map(|m| m.meta.consumer)),
        };
        let member = match checked {
            Ok(member) => member,
            Err(error) => {
                self.send(
                    Node::Broker(b),
                    from,
                    Msg::OffsetCommitResponse {
                        group: g,
                        error: Some(error),
                        offsets,
                        commit_id,
                    },
                );
                return;
            }
        };
        self.group_append_offsets(b, from, g, offsets, auto, commit_id, member);
    }

    /// The key of `tp`'s offset-commit record in group `g`
    /// (`group/topic/partition`).
    fn offset_commit_key_text(&self, g: GroupIdx, tp: Tp) -> String {
        format!(
            "{}/{}/{}",
            self.groups[g.0 as usize].group_id,
            self.controller.topic(tp.topic).name,
            tp.partition
        )
    }

    #[cfg(not(engine_speed))]
    fn offset_commit_key(&mut self, g: GroupIdx, tp: Tp) -> KeySource {
        KeySource::Text(self.offset_commit_key_text(g, tp))
    }

    /// Natively made once per partition and shared by its records.
    #[cfg(engine_speed)]
    fn offset_commit_key(&mut self, g: GroupIdx, tp: Tp) -> KeySource {
        if let Some(key) = self.groups[g.0 as usize].commit_keys.get(&tp) {
            return KeySource::Shared(std::rc::Rc::clone(key));
        }
        let key: std::rc::Rc<str> = self.offset_commit_key_text(g, tp).into();
        self.groups[g.0 as usize]
            .commit_keys
            .insert(tp, std::rc::Rc::clone(&key));
        KeySource::Shared(key)
    }

    /// Creates the OffsetCommit records (key `group/topic/partition`, value
    /// the committed offset) for `offsets`, bound for the group's
    /// `__consumer_offsets` partition; a plain and a transactional commit
    /// write the same records.
    fn group_offset_commit_records(
        &mut self,
        g: GroupIdx,
        offsets: &[(Tp, Offset)],
    ) -> InternalRecords {
        let otp = self.groups[g.0 as usize].offsets_tp;
        let mut ids = InternalRecords::with_capacity(offsets.len());
        for (tp, offset) in offsets {
            let id = RecordId(self.records.len() as u32);
            let key = self.offset_commit_key(g, *tp);
            crate::engine::cow_vec::push_in_place!(self.records.push(RecordData {
                id,
                event_id: EventId(u32::MAX),
                producer: None,
                topic: otp.topic,
                key,
                value: ValueSource::Internal,
                kind: RecordKind::OffsetCommit {
                    group: g,
                    tp: *tp,
                    offset: *offset,
                },
                created_ms: self.now_ms,
                partition: Some(otp.partition),
                explicit_partition: None,
            }));
            ids.push(id);
        }
        ids
    }

    /// Writes OffsetCommit records to the group's `__consumer_offsets`
    /// partition; the commit completes once they are replicated.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn group_append_offsets(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        commit_id: u64,
        member: Option<ConsumerIdx>,
    ) {
        let otp = self.groups[g.0 as usize].offsets_tp;
        let ids = self.group_offset_commit_records(g, &offsets);
        match self.broker_internal_append(b, otp, ids) {
            Ok(end) => {
                let id = self.next_id();
                let op = crate::engine::broker::DelayedOp {
                    id,
                    waiting: crate::engine::broker::wait_for(otp, end),
                    deadline_ms: self.now_ms + 5_000, // offsets.commit.timeout.ms
                    kind: crate::engine::broker::DelayedKind::OffsetCommit {
                        group: g,
                        from,
                        commit_id,
                        offsets,
                        auto,
                        member,
                    },
                };
                self.broker_add_delayed(b, op);
            }
            Err(e) => self.send(
                Node::Broker(b),
                from,
                Msg::OffsetCommitResponse {
                    group: g,
                    error: Some(e),
                    offsets,
                    commit_id,
                },
            ),
        }
    }
    #[cfg_attr(engine_speed, inline(always))]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn group_commit_completed(
        &mut self,
        b: BrokerId,
        g: GroupIdx,
        from: Node,
        commit_id: u64,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        member: Option<ConsumerIdx>,
        error: Option<ErrorCode>,
    ) {
        let error = error.map(|e| match e {
            ErrorCode::NotLeaderOrFollower => ErrorCode::NotCoordinator,
            ErrorCode::RequestTimedOut => ErrorCode::CoordinatorNotAvailable,
            other => other,
        });
        if error.is_none() {
            for (tp, offset) in &offsets {
                set_committed(&mut self.group(g).committed, *tp, *offset);
                self.emit(EventKind::Committed {
                    group: g,
                    consumer: member,
                    tp: *tp,
                    offset: *offset,
                    auto,
                    transactional: false,
                });
            }
        }
        if let Node::Consumer(_) = from {
            self.send(
                Node::Broker(b),
                from,
                Msg::OffsetCommitResponse {
                    group: g,
                    error,
                    offsets,
                    commit_id,
                },
            );
        }
    }

    /// A new leader of a `__consumer_offsets` partition becomes coordinator
    /// for its groups and loads their committed offsets from its own log.
    pub(crate) fn group_coordinator_moved(&mut self, otp: Tp) {
        let leader = self.leader_of(otp);
        for gi in 0..self.groups.len() {
            if self.groups[gi].offsets_tp != otp {
                continue;
            }
            let mut committed = VecMap::new();
            if let Some(l) = leader {
                if let Some(rep) = self.brokers[l.0 as usize].replicas.get(&otp) {
                    for e in rep.log.entries() {
                        if let Some(r) = e.record {
                            if let RecordKind::OffsetCommit { group, tp, offset } =
                                self.records[r.0 as usize].kind
                            {
                                if group.0 as usize == gi {
                                    committed.insert(tp, offset);
                                }
                            }
                        }
                    }
                }
            }
            self.groups[gi].committed = committed;
            self.emit(EventKind::CoordinatorMoved {
                group: GroupIdx(gi as u16),
                broker: leader,
            });
        }
    }

    /// No two members own one partition in a generation; committed offsets
    /// never pass the leader's high watermark.
    pub(crate) fn check_group_invariants(&self) -> Result<(), String> {
        for g in &self.groups {
            // The coordinator's view: one owner per partition in a Stable generation.
            if g.state == GroupState::Stable {
                let mut seen: VecMap<&TopicPartition, &str> = VecMap::new();
                for (id, m) in &g.members {
                    for tp in &m.assignment {
                        if let Some(other) = seen.insert(tp, id) {
                            return Err(format!(
                                "group {}: {}-{} owned by both {other} and {id} in generation {}",
                                g.group_id, tp.topic, tp.partition, g.generation
                            ));
                        }
                    }
                }
            }
            if let Some(cg) = g.consumer_group() {
                self.check_consumer_group_invariants(g, cg)?;
            }
            // The clients' view: two live consumers that believe they are in
            // the same generation never hold the same partition. (A consumer
            // of an older generation may still think it owns one: that is
            // the zombie whose commits the generation check refuses.)
            let mut owners: VecMap<(GenerationId, Tp), ConsumerIdx> = VecMap::new();
            for c in self
                .consumers
                .iter()
                .filter(|c| c.alive && c.group == g.idx)
            {
                if c.membership != crate::engine::consumer::Membership::Stable
                    || c.on_consumer_protocol()
                {
                    continue;
                }
                for tp in &c.assignment {
                    if let Some(other) = owners.insert((c.generation, *tp), c.idx) {
                        return Err(format!(
                            "group {}: consumers {} and {} both own {}-{} in generation {}",
                            g.group_id,
                            self.consumers[other.0 as usize].label,
                            c.label,
                            self.topic(tp.topic).name,
                            tp.partition,
                            c.generation
                        ));
                    }
                }
            }
            // Committed offsets come from positions, which never pass the HW.
            // After a leader change the new leader's HW can briefly lag the
            // old one's, so once a broker has failed only the LEO bounds them.
            for (tp, off) in &g.committed {
                let Some(rep) = self
                    .leader_of(*tp)
                    .and_then(|l| self.brokers[l.0 as usize].replicas.get(tp))
                else {
                    continue;
                };
                let (bound, what) = if self.any_broker_failed {
                    (rep.log.leo(), "log end offset")
                } else {
                    (rep.log.hw(), "high watermark")
                };
                if *off > bound && !self.cfg.cluster.unclean_leader_election_enable {
                    return Err(format!(
                        "group {}: committed offset {off} of {}-{} is beyond the {what} {bound}",
                        g.group_id,
                        self.topic(tp.topic).name,
                        tp.partition
                    ));
                }
            }
        }
        Ok(())
    }

    /// The consumer protocol's safety: at the coordinator a partition is
    /// owned (assigned or being revoked) by one member at most, at that
    /// member's epoch; and no two live consumers that are members hold the
    /// same partition, whatever their epochs (a member the coordinator
    /// already fenced may still believe it owns one until its next
    /// heartbeat: that zombie's commits are refused).
    fn check_consumer_group_invariants(&self, g: &Group, cg: &ConsumerGroup) -> Result<(), String> {
        let mut seen: VecMap<&TopicPartition, &str> = VecMap::new();
        for m in &cg.members {
            for tp in m.assigned.iter().chain(&m.pending_revocation) {
                if let Some(other) = seen.insert(tp, &m.member_id) {
                    return Err(format!(
                        "group {}: {tp} owned by both {other} and {} at the coordinator",
                        g.group_id, m.member_id
                    ));
                }
                if cg.partition_epoch(tp) != m.member_epoch {
                    return Err(format!(
                        "group {}: {tp} has partition epoch {} but its owner {} is at epoch {}",
                        g.group_id,
                        cg.partition_epoch(tp),
                        m.member_id,
                        m.member_epoch
                    ));
                }
            }
        }
        let mut owners: VecMap<Tp, ConsumerIdx> = VecMap::new();
        // A classic member counts only at the epoch the coordinator gave it:
        // after a conversion it may still hold a partition of an older
        // generation, a zombie whose commits ILLEGAL_GENERATION refuses.
        for c in self.consumers.iter().filter(|c| {
            c.alive
                && c.group == g.idx
                && c.member_id
                    .as_deref()
                    .and_then(|id| cg.member(id))
                    .is_some_and(|m| c.on_consumer_protocol() || m.member_epoch == c.generation.0)
        }) {
            for tp in &c.assignment {
                if let Some(other) = owners.insert(*tp, c.idx) {
                    return Err(format!(
                        "group {}: consumers {} and {} both hold {}-{}",
                        g.group_id,
                        self.consumers[other.0 as usize].label,
                        c.label,
                        self.topic(tp.topic).name,
                        tp.partition
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The most entries [`set_committed`] scans before it falls back on the
/// map's binary search (native only).
#[cfg(engine_speed)]
const SCAN_COMMITTED: usize = 16;

/// Records `offset` as `tp`'s committed offset in a map of committed
/// offsets: the group's (`group_commit_completed`) and a consumer's view of
/// it (`Consumer::commit_answered`), once per committed partition, so twice
/// per record when W1's consumers commit after each one. Natively a small
/// map is first scanned for the partition, which is nearly always there
/// already: each entry is one comparison of partition numbers that fails,
/// where each step of the binary search builds and compares two 64-bit
/// keys (a group's twelve partitions took ~60 instructions a commit). A new partition, or a
/// map of more than [`SCAN_COMMITTED`] entries, goes through the map's
/// `insert`. Same map either way.
#[cfg(engine_speed)]
#[inline(always)]
pub(crate) fn set_committed(committed: &mut VecMap<Tp, Offset>, tp: Tp, offset: Offset) {
    if committed.len() <= SCAN_COMMITTED {
        // The partition first: it is what differs between a group's
        // entries (nearly always of one topic).
        let same = |t: &Tp| t.partition == tp.partition && t.topic == tp.topic;
        if let Some((_, o)) = committed.iter_mut().find(|(t, _)| same(t)) {
            *o = offset;
            return;
        }
    }
    committed.insert(tp, offset);
}

/// The page inserts (its bundle is budgeted; see the native version).
#[cfg(not(engine_speed))]
#[inline(always)]
pub(crate) fn set_committed(committed: &mut VecMap<Tp, Offset>, tp: Tp, offset: Offset) {
    committed.insert(tp, offset);
}

#[cfg(consumer_protocol)]
impl Engine {
    /// A classic member's request to a consumer group goes to
    /// group_migration.rs, which answers a JoinGroup, SyncGroup, Heartbeat
    /// or LeaveGroup and hands anything else back unchanged.
    ///
    /// Natively (`cfg(engine_speed)`) no OffsetCommit gets here: one sent
    /// to its group's coordinator went to its handler before any of
    /// `coordinator_receive`'s general steps (`coordinator_commit_first`,
    /// below), and any other was answered `NOT_COORDINATOR`.
    #[cfg_attr(engine_speed, inline(always))]
    fn coordinator_hand_off(&mut self, b: BrokerId, from: Node, msg: Msg) -> Option<Msg> {
        #[cfg(engine_speed)]
        debug_assert!(!matches!(msg, Msg::OffsetCommit { .. }), "handled first");
        self.classic_request_to_consumer_group(b, from, msg)
    }
}

/// Native only (`cfg(engine_speed)`): an OffsetCommit (once a record when a
/// consumer commits after each one) that reaches its group's coordinator
/// goes straight to `group_offset_commit`, the handler `coordinator_receive`
/// would hand it to, before that function's general steps: the match that
/// finds the group of any coordinator request and, with the consumer
/// protocol compiled in, the hand-off to group_migration.rs, which hands an
/// OffsetCommit back. The same coordinator check comes first, so the same
/// handler runs with the same arguments; a commit sent to a broker that is
/// not its group's coordinator, and every other message, takes the page's
/// steps (which answer `NOT_COORDINATOR`). About 60 instructions fewer a
/// commit (W1 full −0.63%, see bench/README.md, perf-w4e). The call stands
/// on `coordinator_receive`'s first line so the page's lines stay where
/// they were.
#[cfg(engine_speed)]
impl Engine {
    #[inline(always)]
    fn coordinator_commit_first(&mut self, b: BrokerId, from: Node, msg: Msg) -> Option<Msg> {
        match msg {
            Msg::OffsetCommit {
                group,
                member_id,
                generation,
                offsets,
                auto,
                commit_id,
            } if self.groups[group.0 as usize].coordinator(self) == Some(b) => {
                self.group_offset_commit(
                    b, from, group, member_id, generation, offsets, auto, commit_id,
                );
                None
            }
            other => Some(other),
        }
    }
}
