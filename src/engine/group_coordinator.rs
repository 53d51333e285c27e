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
//! a new member joined (see [`InitialDelay`]): consumers that start together
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

use crate::engine::assignor::{self, AssignorKind, TopicPartition};
use crate::engine::controller::CONSUMER_OFFSETS;
use crate::engine::event::{ErrorCode, EventKind, GroupState, LeaveReason, Node};
use crate::engine::ids::*;
use crate::engine::java::partition_for_id;
use crate::engine::network::{MemberMetadata, Msg};
use crate::engine::record::{KeySource, RecordData, RecordKind, ValueSource};
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub meta: MemberMetadata,
    pub session_timeout_ms: u32,
    pub rebalance_timeout_ms: u32,
    pub last_heartbeat_ms: u64,
    /// Sent JoinGroup in the current rebalance.
    pub joined: bool,
    /// Waiting for the leader's SyncGroup.
    pub awaiting_sync: bool,
    pub assignment: Vec<TopicPartition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub idx: GroupIdx,
    pub group_id: String,
    pub state: GroupState,
    pub generation: GenerationId,
    pub protocol: Option<AssignorKind>,
    pub leader: Option<String>,
    pub members: VecMap<String, Member>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, not yet joined (KIP-394).
    pub pending_members: crate::engine::vecmap::VecMap<String, ()>,
    /// Committed offsets as the coordinator caches them.
    pub committed: VecMap<Tp, Offset>,
    /// Offsets committed inside a transaction, waiting for its outcome.
    pub pending_txn_offsets: VecMap<ProducerId, Vec<(Tp, Offset)>>,
    /// This group's `__consumer_offsets` partition.
    pub offsets_tp: Tp,
    pub rebalance_id: u32,
    /// The initial rebalance of an empty group, while it waits for more
    /// members (`group.initial.rebalance.delay.ms`).
    pub initial_delay: Option<InitialDelay>,
    /// A new member joined during the initial delay (`newMemberAdded`).
    pub new_member_added: bool,
    pub rebalance_deadline_ms: Option<u64>,
    pub rebalances: u32,
    /// Members in the last completed generation (to tell joins from rejoins).
    pub generation_size: usize,
    /// Member ids known to be assigned in the current generation (for invariants).
    pub member_counter: u32,
}

/// The timer of a group's initial rebalance (`GroupMetadataManager`'s
/// `tryCompleteInitialRebalanceElseSchedule`, formerly `InitialDelayedJoin`).
///
/// A group that leaves Empty does not complete its first JoinGroup phase
/// when everyone known has joined: it waits `group.initial.rebalance.delay.ms`
/// so that consumers starting together land in one generation. When the
/// timer fires and a *new* member joined meanwhile, it is re-armed for
/// `min(delay, remaining)`, where `remaining` started at `rebalance timeout −
/// delay` and drops by the previous delay each time; it completes once a
/// whole delay passes without a new member, or when no time remains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitialDelay {
    /// When the timer fires.
    pub until_ms: u64,
    pub delay_ms: u64,
    pub remaining_ms: u64,
}

impl InitialDelay {
    /// The first timer, armed when the group leaves Empty.
    pub fn start(now_ms: u64, configured_delay_ms: u64, rebalance_timeout_ms: u64) -> InitialDelay {
        InitialDelay {
            until_ms: now_ms + configured_delay_ms,
            delay_ms: configured_delay_ms,
            remaining_ms: rebalance_timeout_ms.saturating_sub(configured_delay_ms),
        }
    }

    /// The timer fired at `now_ms`: the next timer if a new member joined
    /// and time remains, or `None` to complete the join phase.
    pub fn fired(
        &self,
        now_ms: u64,
        configured_delay_ms: u64,
        new_member_added: bool,
    ) -> Option<InitialDelay> {
        if !new_member_added || self.remaining_ms == 0 {
            return None;
        }
        let delay_ms = configured_delay_ms.min(self.remaining_ms);
        Some(InitialDelay {
            until_ms: now_ms + delay_ms,
            delay_ms,
            remaining_ms: self.remaining_ms.saturating_sub(self.delay_ms),
        })
    }
}

impl Group {
    pub fn coordinator(&self, e: &Engine) -> Option<BrokerId> {
        e.leader_of(self.offsets_tp)
    }

    pub(crate) fn is_settled(&self, e: &Engine) -> bool {
        let alive = e
            .consumers
            .iter()
            .filter(|c| c.group == self.idx && c.alive)
            .count();
        alive == 0 || (self.state == GroupState::Stable && self.members.len() == alive)
    }

    pub(crate) fn has_pending_work(&self, e: &Engine) -> bool {
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

    /// `ClassicGroup.validateOffsetCommit`, in Kafka's order: a dead group;
    /// a commit without generation into an empty group (admin tools, manual
    /// assignment) is accepted; otherwise the member must exist
    /// (`UNKNOWN_MEMBER_ID`) and be in the current generation
    /// (`ILLEGAL_GENERATION`); only then does a plain (not transactional)
    /// commit between JoinGroup and SyncGroup get `REBALANCE_IN_PROGRESS`.
    /// So a stale member that commits while the group completes a rebalance
    /// is told its generation is gone, not that a rebalance is running.
    pub fn validate_offset_commit(
        &self,
        member_id: &str,
        generation: GenerationId,
        transactional: bool,
    ) -> Option<ErrorCode> {
        if self.state == GroupState::Dead {
            return Some(ErrorCode::CoordinatorNotAvailable);
        }
        if generation.0 < 0 && self.state == GroupState::Empty {
            return None;
        }
        if generation.0 >= 0 || !member_id.is_empty() {
            if !self.members.contains_key(member_id) {
                return Some(ErrorCode::UnknownMemberId);
            }
            if generation != self.generation {
                return Some(ErrorCode::IllegalGeneration);
            }
        } else if !transactional && self.state != GroupState::Empty {
            return Some(ErrorCode::UnknownMemberId);
        }
        if !transactional && self.state == GroupState::CompletingRebalance {
            return Some(ErrorCode::RebalanceInProgress);
        }
        None
    }

    /// Whether an unfinished transaction holds an offset of this group for
    /// `tp` (`hasPendingTransactionalOffsets`).
    pub fn has_pending_txn_offset(&self, tp: Tp) -> bool {
        self.pending_txn_offsets
            .values()
            .any(|offsets| offsets.iter().any(|(t, _)| *t == tp))
    }

    /// OffsetFetch for one partition (`fetchOffsets`): with `require_stable`
    /// (KIP-447; the Java consumer always sets it), a partition whose offset
    /// is pending in an unfinished transaction answers
    /// `UNSTABLE_OFFSET_COMMIT` instead of an offset that may be about to
    /// change; otherwise the committed offset, if any.
    pub fn fetch_offset(&self, tp: Tp, require_stable: bool) -> Result<Option<Offset>, ErrorCode> {
        if require_stable && self.has_pending_txn_offset(tp) {
            return Err(ErrorCode::UnstableOffsetCommit);
        }
        Ok(self.committed.get(&tp).copied())
    }

    /// The consumer that owns `tp` in the current generation, if any.
    pub fn owner_of(&self, topic: &str, partition: u32) -> Option<&Member> {
        self.members.values().find(|m| {
            m.assignment
                .iter()
                .any(|tp| tp.topic == topic && tp.partition == partition)
        })
    }
}

/// A group's timers at its coordinator, dispatched by [`Engine::group_timer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupTimer {
    /// Check members' `session.timeout.ms`.
    SessionCheck,
    /// The rebalance timeout of this rebalance passed.
    RebalanceDeadline { rebalance_id: u32 },
}

impl Engine {
    /// Runs one of group `g`'s timers.
    pub(crate) fn group_timer(&mut self, g: GroupIdx, timer: GroupTimer) {
        match timer {
            GroupTimer::SessionCheck => self.group_session_check(g),
            GroupTimer::RebalanceDeadline { rebalance_id } => {
                self.group_rebalance_deadline(g, rebalance_id)
            }
        }
    }

    pub(crate) fn init_groups(&mut self) {
        let offsets = self
            .topic_id(CONSUMER_OFFSETS)
            .expect("offsets topic exists");
        let n = self.cfg.cluster.offsets_topic_num_partitions;
        let cfgs = self.cfg.groups.clone();
        for (i, g) in cfgs.iter().enumerate() {
            let idx = GroupIdx(i as u16);
            self.groups.push(Group {
                idx,
                group_id: g.group_id.clone(),
                state: GroupState::Empty,
                generation: GenerationId(0),
                protocol: None,
                leader: None,
                members: VecMap::new(),
                pending_members: Default::default(),
                committed: VecMap::new(),
                pending_txn_offsets: VecMap::new(),
                offsets_tp: Tp::new(offsets, partition_for_id(&g.group_id, n)),
                rebalance_id: 0,
                initial_delay: None,
                new_member_added: false,
                rebalance_deadline_ms: None,
                rebalances: 0,
                generation_size: 0,
                member_counter: 0,
            });
            for _ in 0..g.consumers {
                self.consumer_create(idx);
            }
        }
    }

    fn group(&mut self, g: GroupIdx) -> &mut Group {
        &mut self.groups[g.0 as usize]
    }

    fn set_group_state(&mut self, g: GroupIdx, state: GroupState) {
        if self.groups[g.0 as usize].state == state {
            return;
        }
        self.group(g).state = state;
        let generation = self.groups[g.0 as usize].generation;
        self.emit(EventKind::GroupStateChanged {
            group: g,
            state,
            generation,
        });
    }

    /// Requests addressed to a broker as group or transaction coordinator.
    pub(crate) fn coordinator_receive(&mut self, b: BrokerId, from: Node, msg: Msg) {
        let group_of = |msg: &Msg| -> Option<GroupIdx> {
            match msg {
                Msg::JoinGroup { group, .. }
                | Msg::SyncGroup { group, .. }
                | Msg::Heartbeat { group, .. }
                | Msg::LeaveGroup { group, .. }
                | Msg::OffsetCommit { group, .. }
                | Msg::OffsetFetch { group, .. }
                | Msg::TxnOffsetCommit { group, .. } => Some(*group),
                _ => None,
            }
        };
        if let Some(g) = group_of(&msg) {
            if self.groups[g.0 as usize].coordinator(self) != Some(b) {
                self.reply_not_coordinator(b, from, &msg);
                return;
            }
        }
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
                meta,
                session_timeout_ms,
                rebalance_timeout_ms,
                known_member,
            ),
            Msg::SyncGroup {
                group,
                member_id,
                generation,
                assignments,
            } => self.group_sync(b, from, group, member_id, generation, assignments),
            Msg::Heartbeat {
                group,
                member_id,
                generation,
            } => {
                let error = self.group_heartbeat(group, &member_id, generation);
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
                self.group_remove_member(group, &member_id, reason);
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
            } => {
                let g = &self.groups[group.0 as usize];
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
            other => self.txn_coordinator_receive(b, from, other),
        }
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
        if let Some(error) = grp.validate_offset_commit(&member_id, generation, true) {
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
        match self.broker_internal_append_as(b, otp, &ids, Some((pid, epoch))) {
            Ok(end) => {
                self.group(g).pending_txn_offsets.insert(pid, offsets);
                let id = self.next_id();
                let op = crate::engine::broker::DelayedOp {
                    id,
                    waiting: vec![(otp, end)],
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
            _ => return,
        };
        self.send(Node::Broker(b), from, reply);
    }

    // ---- JoinGroup ----------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn group_join(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        mut meta: MemberMetadata,
        session_timeout_ms: u32,
        rebalance_timeout_ms: u32,
        known_member: bool,
    ) {
        let now = self.now_ms;
        let reply_error = |e: &mut Engine, meta: &MemberMetadata, error: ErrorCode| {
            e.send(
                Node::Broker(b),
                from,
                Msg::JoinGroupResponse {
                    group: g,
                    error: Some(error),
                    member_id: meta.member_id.clone(),
                    generation: GenerationId(-1),
                    protocol: None,
                    leader: String::new(),
                    members: vec![],
                },
            );
        };
        // Protocol compatibility: the member must share a protocol with the group.
        let group = &self.groups[g.0 as usize];
        if !group.members.is_empty() {
            let mut all: Vec<Vec<AssignorKind>> = group
                .members
                .values()
                .map(|m| m.meta.protocols.clone())
                .collect();
            all.push(meta.protocols.clone());
            if assignor::select_group_protocol(&all).is_none() {
                reply_error(self, &meta, ErrorCode::InconsistentGroupProtocol);
                return;
            }
        }
        // Static membership: a known group.instance.id takes over its old member id.
        if let Some(instance) = meta.instance_id.clone() {
            let existing = group
                .members
                .iter()
                .find(|(_, m)| m.meta.instance_id.as_deref() == Some(instance.as_str()))
                .map(|(id, _)| id.clone());
            if let Some(old_id) = existing {
                if old_id != meta.member_id {
                    let new_id = self.new_member_id(g, &meta);
                    let mut m = self.group(g).members.remove(&old_id).expect("member");
                    meta.member_id = new_id.clone();
                    m.meta = MemberMetadata {
                        owned: m.meta.owned.clone(),
                        owned_generation: m.meta.owned_generation,
                        ..meta.clone()
                    };
                    m.last_heartbeat_ms = now;
                    m.session_timeout_ms = session_timeout_ms;
                    if self.groups[g.0 as usize].leader.as_deref() == Some(old_id.as_str()) {
                        self.group(g).leader = Some(new_id.clone());
                    }
                    self.group(g).members.insert(new_id.clone(), m);
                    self.schedule_session_check(g, session_timeout_ms);
                    self.emit(EventKind::MemberJoined {
                        group: g,
                        consumer: meta.consumer,
                        member_id: new_id.clone(),
                    });
                    if self.groups[g.0 as usize].state == GroupState::Stable {
                        // KIP-345: a static member coming back within its session
                        // gets its old assignment without a rebalance.
                        let grp = &self.groups[g.0 as usize];
                        let reply = Msg::JoinGroupResponse {
                            group: g,
                            error: None,
                            member_id: new_id,
                            generation: grp.generation,
                            protocol: grp.protocol,
                            leader: grp.leader.clone().unwrap_or_default(),
                            members: vec![],
                        };
                        self.send(Node::Broker(b), from, reply);
                        return;
                    }
                    self.group_member_joined(b, g, meta.member_id.clone(), from);
                    return;
                }
            }
        }
        let is_member = self.groups[g.0 as usize]
            .members
            .contains_key(&meta.member_id);
        if meta.member_id.is_empty() {
            // KIP-394: a new dynamic member first gets an id to retry with.
            let id = self.new_member_id(g, &meta);
            meta.member_id = id;
            if meta.instance_id.is_none() {
                self.group(g)
                    .pending_members
                    .insert(meta.member_id.clone(), ());
                reply_error(self, &meta, ErrorCode::MemberIdRequired);
                return;
            }
        } else if !is_member
            && !self.groups[g.0 as usize]
                .pending_members
                .contains_key(&meta.member_id)
        {
            reply_error(self, &meta, ErrorCode::UnknownMemberId);
            return;
        }
        self.group(g).pending_members.remove(&meta.member_id);
        let _ = known_member;
        let member_id = meta.member_id.clone();
        let consumer = meta.consumer;
        let existing = self.groups[g.0 as usize].members.contains_key(&member_id);
        let m = Member {
            meta,
            session_timeout_ms,
            rebalance_timeout_ms,
            last_heartbeat_ms: now,
            joined: true,
            awaiting_sync: false,
            assignment: self.groups[g.0 as usize]
                .members
                .get(&member_id)
                .map(|m| m.assignment.clone())
                .unwrap_or_default(),
        };
        // addMemberAndRebalance: a new member during the initial delay
        // extends it when the timer fires.
        if !existing && self.groups[g.0 as usize].initial_delay.is_some() {
            self.group(g).new_member_added = true;
        }
        self.group(g).members.insert(member_id.clone(), m);
        self.schedule_session_check(g, session_timeout_ms);
        if !existing {
            self.emit(EventKind::MemberJoined {
                group: g,
                consumer,
                member_id: member_id.clone(),
            });
        }
        self.group_member_joined(b, g, member_id, from);
    }

    fn new_member_id(&mut self, g: GroupIdx, meta: &MemberMetadata) -> String {
        // Java: clientId + "-" + UUID.randomUUID(). The UUID comes from the seeded PRNG.
        self.group(g).member_counter += 1;
        let a = self.rng.next_u32();
        let b = self.rng.next_u32() & 0xffff;
        let client = self.consumers[meta.consumer.0 as usize].client_id.clone();
        format!("{client}-{a:08x}-{b:04x}")
    }

    /// A member has (re)joined: start or continue the rebalance.
    fn group_member_joined(&mut self, _b: BrokerId, g: GroupIdx, _member_id: String, _from: Node) {
        let now = self.now_ms;
        let state = self.groups[g.0 as usize].state;
        match state {
            GroupState::Empty => {
                let delay = self.cfg.cluster.group_initial_rebalance_delay_ms as u64;
                let timeout = self.group_rebalance_timeout_ms(g);
                let grp = self.group(g);
                grp.initial_delay = Some(InitialDelay::start(now, delay, timeout));
                grp.new_member_added = false;
                self.group_prepare_rebalance(
                    g,
                    "a member joined an empty group (the join phase waits group.initial.rebalance.delay.ms, and longer while new members keep arriving)".into(),
                );
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                let reason = if self.groups[g.0 as usize].members.len()
                    > self.groups[g.0 as usize].generation_size
                {
                    "a new member joined"
                } else {
                    "a member rejoined (its owned partitions or subscription changed)"
                };
                self.group_prepare_rebalance(g, reason.into());
            }
            // During the initial delay only the timer completes the join.
            GroupState::PreparingRebalance => {}
            GroupState::Dead => {}
        }
        self.group_maybe_complete_join(g);
    }

    fn group_prepare_rebalance(&mut self, g: GroupIdx, reason: String) {
        let now = self.now_ms;
        // Members that were waiting for SyncGroup are told to rejoin.
        let waiting: Vec<(String, ConsumerIdx)> = self.groups[g.0 as usize]
            .members
            .iter()
            .filter(|(_, m)| m.awaiting_sync)
            .map(|(id, m)| (id.clone(), m.meta.consumer))
            .collect();
        let coordinator = self.groups[g.0 as usize].coordinator(self);
        for (id, c) in waiting {
            self.group(g)
                .members
                .get_mut(&id)
                .expect("member")
                .awaiting_sync = false;
            if let Some(b) = coordinator {
                self.send(
                    Node::Broker(b),
                    Node::Consumer(c),
                    Msg::SyncGroupResponse {
                        group: g,
                        error: Some(ErrorCode::RebalanceInProgress),
                        assignment: vec![],
                    },
                );
            }
        }
        let timeout = self.group_rebalance_timeout_ms(g);
        let initial = self.groups[g.0 as usize].initial_delay;
        let grp = self.group(g);
        grp.rebalance_id += 1;
        grp.rebalances += 1;
        // An initial rebalance has only its delay timer; any other waits
        // for every member up to the rebalance timeout.
        grp.rebalance_deadline_ms = initial.is_none().then_some(now + timeout);
        let id = grp.rebalance_id;
        self.emit(EventKind::RebalanceStarted { group: g, reason });
        self.set_group_state(g, GroupState::PreparingRebalance);
        let at = initial.map_or(now + timeout, |d| d.until_ms);
        self.schedule(
            at,
            Action::Group {
                group: g,
                timer: GroupTimer::RebalanceDeadline { rebalance_id: id },
            },
        );
    }

    /// `ClassicGroup.rebalanceTimeoutMs`: the largest rebalance timeout
    /// (`max.poll.interval.ms`) among the members.
    fn group_rebalance_timeout_ms(&self, g: GroupIdx) -> u64 {
        self.groups[g.0 as usize]
            .members
            .values()
            .map(|m| m.rebalance_timeout_ms as u64)
            .max()
            .unwrap_or(300_000)
    }

    pub(crate) fn group_rebalance_deadline(&mut self, g: GroupIdx, rebalance_id: u32) {
        let grp = &self.groups[g.0 as usize];
        if grp.rebalance_id != rebalance_id || grp.state != GroupState::PreparingRebalance {
            return;
        }
        let now = self.now_ms;
        if let Some(delay) = grp.initial_delay {
            if now < delay.until_ms {
                return;
            }
            let configured = self.cfg.cluster.group_initial_rebalance_delay_ms as u64;
            if let Some(next) = delay.fired(now, configured, grp.new_member_added) {
                let grp = self.group(g);
                grp.initial_delay = Some(next);
                grp.new_member_added = false;
                self.schedule(
                    next.until_ms,
                    Action::Group {
                        group: g,
                        timer: GroupTimer::RebalanceDeadline { rebalance_id },
                    },
                );
                return;
            }
            // completeClassicGroupJoin: the initial delay is over.
            let grp = self.group(g);
            grp.initial_delay = None;
            grp.new_member_added = false;
            grp.rebalance_deadline_ms = Some(now);
        }
        let grp = &self.groups[g.0 as usize];
        if grp.rebalance_deadline_ms.is_some_and(|d| now >= d) {
            // Members that did not rejoin in time are dropped.
            let late: Vec<String> = grp
                .members
                .iter()
                .filter(|(_, m)| !m.joined)
                .map(|(id, _)| id.clone())
                .collect();
            for id in late {
                self.group_remove_member_quiet(g, &id, LeaveReason::RebalanceTimeout);
            }
        }
        self.group_maybe_complete_join(g);
    }

    fn group_maybe_complete_join(&mut self, g: GroupIdx) {
        let now = self.now_ms;
        let grp = &self.groups[g.0 as usize];
        if grp.state != GroupState::PreparingRebalance {
            return;
        }
        if grp.initial_delay.is_some() {
            // maybeCompleteJoinPhase never completes an initial rebalance:
            // only its timer does.
            return;
        }
        if !grp.members.values().all(|m| m.joined) {
            return;
        }
        self.group(g).rebalance_deadline_ms = None;
        if self.groups[g.0 as usize].members.is_empty() {
            let grp = self.group(g);
            grp.generation = GenerationId(grp.generation.0 + 1);
            grp.protocol = None;
            grp.leader = None;
            self.set_group_state(g, GroupState::Empty);
            return;
        }
        let protocols: Vec<Vec<AssignorKind>> = self.groups[g.0 as usize]
            .members
            .values()
            .map(|m| m.meta.protocols.clone())
            .collect();
        let protocol = assignor::select_group_protocol(&protocols);
        let leader = {
            let grp = &self.groups[g.0 as usize];
            match &grp.leader {
                Some(l) if grp.members.contains_key(l) => l.clone(),
                _ => grp.members.keys().next().cloned().expect("non-empty"),
            }
        };
        {
            let grp = self.group(g);
            grp.generation = GenerationId(grp.generation.0 + 1);
            grp.protocol = protocol;
            grp.leader = Some(leader.clone());
            grp.generation_size = grp.members.len();
            for m in grp.members.values_mut() {
                m.joined = false;
                m.awaiting_sync = false;
                // completeAndScheduleNextHeartbeatExpiration in onCompleteJoin:
                // each member's session deadline restarts with the new generation.
                m.last_heartbeat_ms = now;
            }
        }
        let sessions: Vec<u32> = self.groups[g.0 as usize]
            .members
            .values()
            .map(|m| m.session_timeout_ms)
            .collect();
        for s in sessions {
            self.schedule_session_check(g, s);
        }
        self.set_group_state(g, GroupState::CompletingRebalance);
        let grp = self.groups[g.0 as usize].clone();
        let Some(b) = grp.coordinator(self) else {
            return;
        };
        let all: Vec<MemberMetadata> = grp.members.values().map(|m| m.meta.clone()).collect();
        for (id, m) in &grp.members {
            let members = if *id == leader { all.clone() } else { vec![] };
            self.send(
                Node::Broker(b),
                Node::Consumer(m.meta.consumer),
                Msg::JoinGroupResponse {
                    group: g,
                    error: None,
                    member_id: id.clone(),
                    generation: grp.generation,
                    protocol,
                    leader: leader.clone(),
                    members,
                },
            );
        }
    }

    // ---- SyncGroup, Heartbeat, LeaveGroup ------------------------------------------

    fn group_sync(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        member_id: String,
        generation: GenerationId,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    ) {
        let reply = |e: &mut Engine, error: Option<ErrorCode>, assignment: Vec<TopicPartition>| {
            e.send(
                Node::Broker(b),
                from,
                Msg::SyncGroupResponse {
                    group: g,
                    error,
                    assignment,
                },
            );
        };
        let grp = &self.groups[g.0 as usize];
        if !grp.members.contains_key(&member_id) {
            return reply(self, Some(ErrorCode::UnknownMemberId), vec![]);
        }
        if generation != grp.generation {
            return reply(self, Some(ErrorCode::IllegalGeneration), vec![]);
        }
        match grp.state {
            GroupState::PreparingRebalance => {
                reply(self, Some(ErrorCode::RebalanceInProgress), vec![])
            }
            GroupState::Stable => {
                let a = grp.members[&member_id].assignment.clone();
                reply(self, None, a);
                // The sync counts as a heartbeat (doSyncGroup, Stable case).
                let now = self.now_ms;
                if let Some(m) = self.group(g).members.get_mut(&member_id) {
                    m.last_heartbeat_ms = now;
                    let session = m.session_timeout_ms;
                    self.schedule_session_check(g, session);
                }
            }
            GroupState::CompletingRebalance => {
                let is_leader = grp.leader.as_deref() == Some(member_id.as_str());
                self.group(g)
                    .members
                    .get_mut(&member_id)
                    .expect("member")
                    .awaiting_sync = true;
                if is_leader {
                    let grp = self.group(g);
                    for m in grp.members.values_mut() {
                        m.assignment.clear();
                    }
                    for (id, parts) in assignments {
                        if let Some(m) = grp.members.get_mut(&id) {
                            m.assignment = parts;
                        }
                    }
                    self.set_group_state(g, GroupState::Stable);
                    let waiting: Vec<(ConsumerIdx, Vec<TopicPartition>)> = self.groups
                        [g.0 as usize]
                        .members
                        .values()
                        .filter(|m| m.awaiting_sync)
                        .map(|m| (m.meta.consumer, m.assignment.clone()))
                        .collect();
                    let now = self.now_ms;
                    let mut sessions = Vec::new();
                    for m in self.group(g).members.values_mut() {
                        // propagateAssignment: answered members' deadlines restart.
                        if m.awaiting_sync {
                            m.last_heartbeat_ms = now;
                            sessions.push(m.session_timeout_ms);
                        }
                        m.awaiting_sync = false;
                    }
                    for s in sessions {
                        self.schedule_session_check(g, s);
                    }
                    for (c, a) in waiting {
                        self.send(
                            Node::Broker(b),
                            Node::Consumer(c),
                            Msg::SyncGroupResponse {
                                group: g,
                                error: None,
                                assignment: a,
                            },
                        );
                    }
                }
            }
            GroupState::Empty | GroupState::Dead => {
                reply(self, Some(ErrorCode::UnknownMemberId), vec![])
            }
        }
    }

    fn group_heartbeat(
        &mut self,
        g: GroupIdx,
        member_id: &str,
        generation: GenerationId,
    ) -> Option<ErrorCode> {
        let now = self.now_ms;
        let grp = &self.groups[g.0 as usize];
        let Some(m) = grp.members.get(member_id) else {
            return Some(ErrorCode::UnknownMemberId);
        };
        let session = m.session_timeout_ms;
        if generation != grp.generation && grp.state != GroupState::PreparingRebalance {
            return Some(ErrorCode::IllegalGeneration);
        }
        let state = grp.state;
        self.group(g)
            .members
            .get_mut(member_id)
            .expect("member")
            .last_heartbeat_ms = now;
        self.schedule_session_check(g, session);
        match state {
            GroupState::PreparingRebalance => Some(ErrorCode::RebalanceInProgress),
            _ => None,
        }
    }

    fn schedule_session_check(&mut self, g: GroupIdx, session_timeout_ms: u32) {
        self.schedule_in(
            session_timeout_ms as u64,
            Action::Group {
                group: g,
                timer: GroupTimer::SessionCheck,
            },
        );
    }

    pub(crate) fn group_session_check(&mut self, g: GroupIdx) {
        let now = self.now_ms;
        let expired: Vec<String> = self.groups[g.0 as usize]
            .members
            .iter()
            .filter(|(_, m)| {
                !m.joined || self.groups[g.0 as usize].state != GroupState::PreparingRebalance
            })
            .filter(|(_, m)| now >= m.last_heartbeat_ms + m.session_timeout_ms as u64)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.group_remove_member(g, &id, LeaveReason::SessionTimeout);
        }
    }

    pub(crate) fn group_remove_member(
        &mut self,
        g: GroupIdx,
        member_id: &str,
        reason: LeaveReason,
    ) {
        if !self.groups[g.0 as usize].members.contains_key(member_id) {
            return;
        }
        self.group_remove_member_quiet(g, member_id, reason);
        match self.groups[g.0 as usize].state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                let why = match reason {
                    LeaveReason::Clean => "a member left the group",
                    LeaveReason::SessionTimeout => "a member's session timed out",
                    LeaveReason::PollTimeout => "a member exceeded max.poll.interval.ms",
                    LeaveReason::RebalanceTimeout => "a member did not rejoin in time",
                };
                if self.groups[g.0 as usize].members.is_empty() {
                    let grp = self.group(g);
                    grp.generation = GenerationId(grp.generation.0 + 1);
                    grp.leader = None;
                    grp.protocol = None;
                    self.set_group_state(g, GroupState::Empty);
                } else {
                    self.group_prepare_rebalance(g, why.into());
                }
            }
            GroupState::PreparingRebalance => self.group_maybe_complete_join(g),
            _ => {}
        }
    }

    fn group_remove_member_quiet(&mut self, g: GroupIdx, member_id: &str, reason: LeaveReason) {
        let Some(m) = self.group(g).members.remove(member_id) else {
            return;
        };
        if self.groups[g.0 as usize].leader.as_deref() == Some(member_id) {
            self.group(g).leader = None;
        }
        self.emit(EventKind::MemberRemoved {
            group: g,
            consumer: m.meta.consumer,
            member_id: member_id.to_string(),
            reason,
        });
    }

    // ---- offsets ------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn group_offset_commit(
        &mut self,
        b: BrokerId,
        from: Node,
        g: GroupIdx,
        member_id: String,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        commit_id: u64,
    ) {
        let grp = &self.groups[g.0 as usize];
        if let Some(error) = grp.validate_offset_commit(&member_id, generation, false) {
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
        let member = grp.members.get(&member_id).map(|m| m.meta.consumer);
        self.group_append_offsets(b, from, g, offsets, auto, commit_id, member);
    }

    /// Creates the OffsetCommit records (key `group/topic/partition`, value
    /// the committed offset) for `offsets`, bound for the group's
    /// `__consumer_offsets` partition; a plain and a transactional commit
    /// write the same records.
    fn group_offset_commit_records(
        &mut self,
        g: GroupIdx,
        offsets: &[(Tp, Offset)],
    ) -> Vec<RecordId> {
        let otp = self.groups[g.0 as usize].offsets_tp;
        let mut ids = Vec::new();
        for (tp, offset) in offsets {
            let id = RecordId(self.records.len() as u32);
            self.records.push(RecordData {
                id,
                event_id: EventId(u32::MAX),
                producer: None,
                topic: otp.topic,
                key: KeySource::Text(format!(
                    "{}/{}/{}",
                    self.groups[g.0 as usize].group_id,
                    self.topics[tp.topic.0 as usize].name,
                    tp.partition
                )),
                value: ValueSource::Internal,
                kind: RecordKind::OffsetCommit {
                    group: g,
                    tp: *tp,
                    offset: *offset,
                },
                created_ms: self.now_ms,
                partition: Some(otp.partition),
                explicit_partition: None,
            });
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
        match self.broker_internal_append(b, otp, &ids) {
            Ok(end) => {
                let id = self.next_id();
                let op = crate::engine::broker::DelayedOp {
                    id,
                    waiting: vec![(otp, end)],
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
                self.group(g).committed.insert(*tp, *offset);
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
                if c.membership != crate::engine::consumer::Membership::Stable {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A group in `state` at `generation` with members "m1" and "m2".
    fn group(state: GroupState, generation: i32) -> Group {
        let mut members = VecMap::new();
        for (i, id) in ["m1", "m2"].iter().enumerate() {
            members.insert(
                id.to_string(),
                Member {
                    meta: MemberMetadata {
                        member_id: id.to_string(),
                        instance_id: None,
                        consumer: ConsumerIdx(i as u16),
                        protocols: vec![AssignorKind::Range],
                        topics: vec!["events".into()],
                        owned: vec![],
                        owned_generation: None,
                    },
                    session_timeout_ms: 45_000,
                    rebalance_timeout_ms: 300_000,
                    last_heartbeat_ms: 0,
                    joined: false,
                    awaiting_sync: false,
                    assignment: vec![],
                },
            );
        }
        Group {
            idx: GroupIdx(0),
            group_id: "g".into(),
            state,
            generation: GenerationId(generation),
            protocol: None,
            leader: None,
            members,
            pending_members: VecMap::new(),
            committed: VecMap::new(),
            pending_txn_offsets: VecMap::new(),
            offsets_tp: Tp::new(TopicId(1), 0),
            rebalance_id: 0,
            initial_delay: None,
            new_member_added: false,
            rebalance_deadline_ms: None,
            rebalances: 0,
            generation_size: 0,
            member_counter: 0,
        }
    }

    #[test]
    fn a_stale_member_committing_during_a_rebalance_gets_illegal_generation() {
        let g = group(GroupState::CompletingRebalance, 5);
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(4), false),
            Some(ErrorCode::IllegalGeneration),
            "generation is checked before the rebalance"
        );
        assert_eq!(
            g.validate_offset_commit("gone", GenerationId(5), false),
            Some(ErrorCode::UnknownMemberId),
            "so is the member"
        );
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(5), false),
            Some(ErrorCode::RebalanceInProgress),
            "a current member between JoinGroup and SyncGroup"
        );
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(5), true),
            None,
            "the group state is not enforced for transactional commits"
        );
    }

    #[test]
    fn offset_commit_validation_follows_classic_group_order() {
        let stable = group(GroupState::Stable, 3);
        assert_eq!(
            stable.validate_offset_commit("m2", GenerationId(3), false),
            None
        );
        assert_eq!(
            stable.validate_offset_commit("m2", GenerationId(2), false),
            Some(ErrorCode::IllegalGeneration)
        );
        assert_eq!(
            stable.validate_offset_commit("", GenerationId(-1), false),
            Some(ErrorCode::UnknownMemberId),
            "no generation: only into an empty group"
        );
        let mut empty = group(GroupState::Empty, 3);
        empty.members.clear();
        assert_eq!(
            empty.validate_offset_commit("", GenerationId(-1), false),
            None
        );
        assert_eq!(
            group(GroupState::Dead, 3).validate_offset_commit("m1", GenerationId(3), false),
            Some(ErrorCode::CoordinatorNotAvailable)
        );
    }

    #[test]
    fn the_initial_delay_is_extended_while_new_members_keep_arriving() {
        // Defaults: group.initial.rebalance.delay.ms = 3000, rebalance
        // timeout = max.poll.interval.ms = 300000.
        let d = InitialDelay::start(0, 3_000, 300_000);
        assert_eq!(
            d,
            InitialDelay {
                until_ms: 3_000,
                delay_ms: 3_000,
                remaining_ms: 297_000
            }
        );
        assert_eq!(d.fired(3_000, 3_000, false), None, "nobody new: complete");
        let d2 = d.fired(3_000, 3_000, true).expect("a new member: extend");
        assert_eq!(
            d2,
            InitialDelay {
                until_ms: 6_000,
                delay_ms: 3_000,
                remaining_ms: 294_000
            }
        );
        assert_eq!(d2.fired(6_000, 3_000, false), None);
    }

    #[test]
    fn the_initial_delay_never_runs_past_the_rebalance_timeout() {
        // remaining = 10000 - 3000; each extension is min(delay, remaining)
        // and remaining drops by the previous delay.
        let mut d = InitialDelay::start(0, 3_000, 10_000);
        let mut fires = vec![d.until_ms];
        while let Some(next) = d.fired(d.until_ms, 3_000, true) {
            d = next;
            fires.push(d.until_ms);
        }
        assert_eq!(fires, vec![3_000, 6_000, 9_000, 10_000]);
    }

    #[test]
    fn an_offset_pending_in_a_transaction_is_unstable_for_a_fetch_that_requires_stable_offsets() {
        let mut g = group(GroupState::Stable, 1);
        let (p0, p1) = (Tp::new(TopicId(0), 0), Tp::new(TopicId(0), 1));
        g.committed.insert(p0, Offset(3));
        g.pending_txn_offsets
            .insert(ProducerId(7), vec![(p0, Offset(5))]);
        assert_eq!(
            g.fetch_offset(p0, true),
            Err(ErrorCode::UnstableOffsetCommit)
        );
        assert_eq!(
            g.fetch_offset(p0, false),
            Ok(Some(Offset(3))),
            "the old offset"
        );
        assert_eq!(g.fetch_offset(p1, true), Ok(None), "nothing pending there");
        g.pending_txn_offsets.remove(&ProducerId(7));
        assert_eq!(g.fetch_offset(p0, true), Ok(Some(Offset(3))));
    }
}
