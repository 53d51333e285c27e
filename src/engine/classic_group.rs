//! One consumer group at its coordinator: the classic protocol's state
//! machine and the rules of its requests (`ClassicGroup`, `ClassicGroupState`
//! and the classic-group handlers of `GroupMetadataManager`).
//!
//! A group is in one of five states. Kafka lists, for each, the states it
//! may be entered from (`ClassicGroupState.validPreviousStates`), and so
//! does [`GroupState::valid_previous_states`]:
//!
//! | state | entered from | how |
//! | --- | --- | --- |
//! | Empty | PreparingRebalance | the join phase completes with no member |
//! | PreparingRebalance | Empty, Stable, CompletingRebalance | a join, a leave, an expired session |
//! | CompletingRebalance | PreparingRebalance | every member joined: a new generation |
//! | Stable | CompletingRebalance | the leader's SyncGroup brought the assignment |
//! | Dead | any state | the group is removed (not modelled) |
//!
//! [`Group::transition_to`] refuses anything else. When the last member of
//! a Stable or CompletingRebalance group leaves, Kafka prepares a rebalance
//! and completes its join phase at once with nobody: PreparingRebalance and
//! then Empty in the same instant. [`Group::remove_member`] takes both
//! steps but shows only where the group lands (Empty, a new generation).
//!
//! The requests' checks are methods of the group, in Kafka's order:
//! [`Group::check_join`] (a shared protocol, static membership's
//! `group.instance.id`, KIP-394's member id round trip, unknown members),
//! [`Group::check_sync`] and [`Group::check_heartbeat`] (unknown member,
//! illegal generation, rebalance in progress), and
//! [`Group::validate_offset_commit`]. The handlers (`handle_join`,
//! `handle_sync`, `heartbeat`, `remove_member`, `session_check`,
//! `rebalance_deadline`) take the time and the coordinator through a
//! [`Ctx`] and write what they decide (answers, timers, events) into an
//! [`Outbox`]; they see nothing else, so each rule is unit-tested here on a
//! group alone. `group_coordinator.rs` routes requests to them, hands them
//! member ids drawn from the engine's seeded PRNG, and writes offsets to
//! `__consumer_offsets`.
//!
//! Where this model differs from Kafka: a heartbeat from an older
//! generation during PreparingRebalance is answered REBALANCE_IN_PROGRESS
//! (and counts), not ILLEGAL_GENERATION; there is no FENCED_INSTANCE_ID (a
//! static member's new instance takes the old one's place).
//!
//! Kafka's code: `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/classic/ClassicGroup.java`,
//! `.../classic/ClassicGroupState.java` and `.../GroupMetadataManager.java`
//! (`classicGroupJoin`, `classicGroupSync`, `classicGroupHeartbeat`,
//! `prepareRebalance`, `completeClassicGroupJoin`).

use crate::engine::assignor::{self, AssignorKind, TopicPartition};
use crate::engine::event::{ErrorCode, EventKind, GroupState, LeaveReason, Node};
use crate::engine::ids::*;
use crate::engine::network::{MemberMetadata, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::vecmap::VecMap;

impl GroupState {
    /// `ClassicGroupState.validPreviousStates`: the states a group may be in
    /// to move to this one.
    pub fn valid_previous_states(self) -> &'static [GroupState] {
        use GroupState::*;
        match self {
            Empty => &[PreparingRebalance],
            PreparingRebalance => &[Stable, CompletingRebalance, Empty],
            CompletingRebalance => &[PreparingRebalance],
            Stable => &[CompletingRebalance],
            Dead => &[Stable, PreparingRebalance, CompletingRebalance, Empty, Dead],
        }
    }

    /// Whether a group in `self` may move to `to`.
    pub fn may_become(self, to: GroupState) -> bool {
        to.valid_previous_states().contains(&self)
    }
}

/// A group's timers at its coordinator, dispatched by `Engine::group_timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupTimer {
    /// Check members' `session.timeout.ms`.
    SessionCheck,
    /// The rebalance timeout of this rebalance passed.
    RebalanceDeadline { rebalance_id: u32 },
    /// Consumer protocol: a member's session may have expired.
    MemberSession { serial: u32, deadline_ms: u64 },
    /// Consumer protocol: a member had until now to revoke at `epoch`.
    MemberRebalance { serial: u32, epoch: i32 },
    /// A classic member of a consumer group had until now to rejoin.
    MemberJoin { serial: u32, deadline_ms: u64 },
    /// A classic member of a consumer group had until now to sync.
    MemberSync { serial: u32, deadline_ms: u64 },
}

/// What a group's handlers are told about the world: the time, the broker
/// coordinating it (the leader of its `__consumer_offsets` partition, which
/// sends its answers; `None` while that partition has no leader) and the
/// broker's `group.initial.rebalance.delay.ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    pub now_ms: u64,
    pub coordinator: Option<BrokerId>,
    pub initial_rebalance_delay_ms: u64,
}

/// What JoinGroup does with a member ([`Group::check_join`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinCheck {
    /// Refused: `INCONSISTENT_GROUP_PROTOCOL` (no assignor in common) or
    /// `UNKNOWN_MEMBER_ID`.
    Refuse(ErrorCode),
    /// A static member (KIP-345) whose `group.instance.id` the group knows
    /// under another member id: it takes that member's place.
    StaticRejoin { old_member_id: String },
    /// A member without an id gets one; a dynamic member must rejoin with
    /// it (`MEMBER_ID_REQUIRED`, KIP-394), a static one joins at once.
    NeedsMemberId,
    /// A member (or a pending member id) joins.
    Accept,
}

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
    pub pending_members: VecMap<String, ()>,
    /// Committed offsets as the coordinator caches them.
    pub committed: VecMap<Tp, Offset>,
    /// Offsets committed inside a transaction, waiting for its outcome.
    pub pending_txn_offsets: VecMap<ProducerId, Vec<(Tp, Offset)>>,
    /// This group's `__consumer_offsets` partition.
    pub offsets_tp: Tp,
    /// The key of each partition's offset-commit record
    /// (`group/topic/partition`), made once: a consumer that commits after
    /// every record writes the same key over and over. Native only, as a
    /// speed cache (the page formats each key: see `fetch_session::ENABLED`).
    #[cfg(engine_speed)]
    pub commit_keys: crate::engine::vecmap::TpMap<std::rc::Rc<str>>,
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
    /// Set while the group is a consumer group of the KIP-848 protocol
    /// (`consumer_group.rs`); the offsets above are shared by both kinds.
    /// Not in the course page's bundle (see build.rs).
    #[cfg(consumer_protocol)]
    pub modern: Option<Box<crate::engine::consumer_group::ConsumerGroup>>,
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
    /// A group with no members yet, whose offsets live in `offsets_tp`.
    pub fn new(idx: GroupIdx, group_id: &str, offsets_tp: Tp) -> Group {
        Group {
            idx,
            group_id: group_id.to_string(),
            state: GroupState::Empty,
            generation: GenerationId(0),
            protocol: None,
            leader: None,
            members: VecMap::new(),
            pending_members: VecMap::new(),
            committed: VecMap::new(),
            pending_txn_offsets: VecMap::new(),
            offsets_tp,
            #[cfg(engine_speed)]
            commit_keys: Default::default(),
            rebalance_id: 0,
            initial_delay: None,
            new_member_added: false,
            rebalance_deadline_ms: None,
            rebalances: 0,
            generation_size: 0,
            member_counter: 0,
            #[cfg(consumer_protocol)]
            modern: None,
        }
    }

    /// Moves to `to` and shows it. A transition Kafka does not allow
    /// ([`GroupState::valid_previous_states`]) is refused: a debug build
    /// (every test) stops on it, a release build leaves the state as it was.
    pub fn transition_to(&mut self, to: GroupState, out: &mut Outbox) {
        if self.transition(to) {
            out.event(EventKind::GroupStateChanged {
                group: self.idx,
                state: to,
                generation: self.generation,
            });
        }
    }

    /// [`Group::transition_to`] without showing it. Returns whether the
    /// state changed.
    fn transition(&mut self, to: GroupState) -> bool {
        if !self.state.may_become(to) {
            debug_assert!(
                false,
                "group {}: {} cannot become {}",
                self.group_id,
                self.state.name(),
                to.name()
            );
            return false;
        }
        self.state = to;
        true
    }

    /// `ClassicGroup.rebalanceTimeoutMs`: the largest rebalance timeout
    /// (`max.poll.interval.ms`) among the members.
    pub fn rebalance_timeout_ms(&self) -> u64 {
        self.members
            .values()
            .map(|m| m.rebalance_timeout_ms as u64)
            .max()
            .unwrap_or(300_000)
    }

    fn session_timer(&self, ctx: Ctx, session_timeout_ms: u32, out: &mut Outbox) {
        let at = ctx.now_ms + session_timeout_ms as u64;
        out.timer_at(at, (self.idx, GroupTimer::SessionCheck));
    }

    fn reply(&self, ctx: Ctx, to: Node, msg: Msg, out: &mut Outbox) {
        if let Some(b) = ctx.coordinator {
            out.send(Node::Broker(b), to, msg);
        }
    }

    // ---- JoinGroup ----------------------------------------------------------

    /// JoinGroup's checks, in `classicGroupJoin`'s order: the member must
    /// share an assignor with the members already there; a known
    /// `group.instance.id` under another member id is a static member
    /// coming back; a member without an id needs one first; an id the group
    /// neither has nor handed out is unknown.
    pub fn check_join(&self, meta: &MemberMetadata) -> JoinCheck {
        if !self.members.is_empty() {
            let mut all: Vec<Vec<AssignorKind>> = self
                .members
                .values()
                .map(|m| m.meta.protocols.clone())
                .collect();
            all.push(meta.protocols.clone());
            if assignor::select_group_protocol(&all).is_none() {
                return JoinCheck::Refuse(ErrorCode::InconsistentGroupProtocol);
            }
        }
        if let Some(instance) = meta.instance_id.as_deref() {
            let known = self
                .members
                .iter()
                .find(|(_, m)| m.meta.instance_id.as_deref() == Some(instance))
                .map(|(id, _)| id);
            if let Some(old) = known.filter(|old| **old != meta.member_id) {
                return JoinCheck::StaticRejoin {
                    old_member_id: old.clone(),
                };
            }
        }
        if meta.member_id.is_empty() {
            return JoinCheck::NeedsMemberId;
        }
        if !self.members.contains_key(&meta.member_id)
            && !self.pending_members.contains_key(&meta.member_id)
        {
            return JoinCheck::Refuse(ErrorCode::UnknownMemberId);
        }
        JoinCheck::Accept
    }

    /// JoinGroup (`classicGroupJoin`). `new_member_id` draws a fresh member
    /// id (Java: `clientId + "-" + UUID.randomUUID()`) when one is needed.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_join(
        &mut self,
        from: Node,
        mut meta: MemberMetadata,
        session_timeout_ms: u32,
        rebalance_timeout_ms: u32,
        mut new_member_id: impl FnMut() -> String,
        ctx: Ctx,
        out: &mut Outbox,
    ) {
        let group = self.idx;
        let refuse = |meta: &MemberMetadata, error| Msg::JoinGroupResponse {
            group,
            error: Some(error),
            member_id: meta.member_id.clone(),
            generation: GenerationId(-1),
            protocol: None,
            leader: String::new(),
            members: vec![],
        };
        match self.check_join(&meta) {
            JoinCheck::Refuse(error) => {
                let msg = refuse(&meta, error);
                return self.reply(ctx, from, msg, out);
            }
            JoinCheck::StaticRejoin { old_member_id } => {
                self.member_counter += 1;
                meta.member_id = new_member_id();
                return self.static_rejoin(
                    &old_member_id,
                    meta,
                    session_timeout_ms,
                    from,
                    ctx,
                    out,
                );
            }
            JoinCheck::NeedsMemberId => {
                self.member_counter += 1;
                meta.member_id = new_member_id();
                if meta.instance_id.is_none() {
                    self.pending_members.insert(meta.member_id.clone(), ());
                    let msg = refuse(&meta, ErrorCode::MemberIdRequired);
                    return self.reply(ctx, from, msg, out);
                }
            }
            JoinCheck::Accept => {}
        }
        self.pending_members.remove(&meta.member_id);
        let member_id = meta.member_id.clone();
        let consumer = meta.consumer;
        let existing = self.members.contains_key(&member_id);
        let m = Member {
            meta,
            session_timeout_ms,
            rebalance_timeout_ms,
            last_heartbeat_ms: ctx.now_ms,
            joined: true,
            awaiting_sync: false,
            assignment: self
                .members
                .get(&member_id)
                .map(|m| m.assignment.clone())
                .unwrap_or_default(),
        };
        // addMemberAndRebalance: a new member during the initial delay
        // extends it when the timer fires.
        if !existing && self.initial_delay.is_some() {
            self.new_member_added = true;
        }
        self.members.insert(member_id.clone(), m);
        self.session_timer(ctx, session_timeout_ms, out);
        if !existing {
            out.event(EventKind::MemberJoined {
                group: self.idx,
                consumer,
                member_id,
            });
        }
        self.member_joined(ctx, out);
    }

    /// A static member (KIP-345) comes back under the new member id in
    /// `meta`: it takes the old member's place, keeping what it owned. In a
    /// Stable group it gets its old assignment without a rebalance.
    fn static_rejoin(
        &mut self,
        old_id: &str,
        meta: MemberMetadata,
        session_timeout_ms: u32,
        from: Node,
        ctx: Ctx,
        out: &mut Outbox,
    ) {
        let new_id = meta.member_id.clone();
        let mut m = self.members.remove(old_id).expect("member");
        m.meta = MemberMetadata {
            owned: m.meta.owned.clone(),
            owned_generation: m.meta.owned_generation,
            ..meta.clone()
        };
        m.last_heartbeat_ms = ctx.now_ms;
        m.session_timeout_ms = session_timeout_ms;
        if self.leader.as_deref() == Some(old_id) {
            self.leader = Some(new_id.clone());
        }
        self.members.insert(new_id.clone(), m);
        self.session_timer(ctx, session_timeout_ms, out);
        out.event(EventKind::MemberJoined {
            group: self.idx,
            consumer: meta.consumer,
            member_id: new_id.clone(),
        });
        if self.state == GroupState::Stable {
            let msg = Msg::JoinGroupResponse {
                group: self.idx,
                error: None,
                member_id: new_id,
                generation: self.generation,
                protocol: self.protocol,
                leader: self.leader.clone().unwrap_or_default(),
                members: vec![],
            };
            return self.reply(ctx, from, msg, out);
        }
        self.member_joined(ctx, out);
    }

    /// A member has (re)joined: start or continue the rebalance.
    fn member_joined(&mut self, ctx: Ctx, out: &mut Outbox) {
        match self.state {
            GroupState::Empty => {
                let delay = ctx.initial_rebalance_delay_ms;
                let timeout = self.rebalance_timeout_ms();
                self.initial_delay = Some(InitialDelay::start(ctx.now_ms, delay, timeout));
                self.new_member_added = false;
                self.prepare_rebalance(
                    "a member joined an empty group (the join phase waits group.initial.rebalance.delay.ms, and longer while new members keep arriving)",
                    ctx,
                    out,
                );
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                let reason = if self.members.len() > self.generation_size {
                    "a new member joined"
                } else {
                    "a member rejoined (its owned partitions or subscription changed)"
                };
                self.prepare_rebalance(reason, ctx, out);
            }
            // During the initial delay only the timer completes the join.
            GroupState::PreparingRebalance => {}
            GroupState::Dead => {}
        }
        self.maybe_complete_join(ctx, out);
    }

    /// `prepareRebalance`: members waiting for SyncGroup are told to rejoin,
    /// and every member has until the rebalance timeout to join (an initial
    /// rebalance waits for its delay timer instead).
    pub fn prepare_rebalance(&mut self, reason: &str, ctx: Ctx, out: &mut Outbox) {
        let now = ctx.now_ms;
        let waiting: Vec<ConsumerIdx> = self
            .members
            .values_mut()
            .filter(|m| m.awaiting_sync)
            .map(|m| {
                m.awaiting_sync = false;
                m.meta.consumer
            })
            .collect();
        for c in waiting {
            let msg = Msg::SyncGroupResponse {
                group: self.idx,
                error: Some(ErrorCode::RebalanceInProgress),
                assignment: vec![],
            };
            self.reply(ctx, Node::Consumer(c), msg, out);
        }
        let timeout = self.rebalance_timeout_ms();
        let initial = self.initial_delay;
        self.rebalance_id += 1;
        self.rebalances += 1;
        // An initial rebalance has only its delay timer; any other waits
        // for every member up to the rebalance timeout.
        self.rebalance_deadline_ms = initial.is_none().then_some(now + timeout);
        out.event(EventKind::RebalanceStarted {
            group: self.idx,
            reason: reason.to_string(),
        });
        self.transition_to(GroupState::PreparingRebalance, out);
        let at = initial.map_or(now + timeout, |d| d.until_ms);
        let rebalance_id = self.rebalance_id;
        out.timer_at(
            at,
            (self.idx, GroupTimer::RebalanceDeadline { rebalance_id }),
        );
    }

    /// The rebalance's timer fired: the initial delay is extended while new
    /// members keep arriving; past the rebalance timeout, members that did
    /// not rejoin are dropped; then the join phase may complete.
    pub fn rebalance_deadline(&mut self, rebalance_id: u32, ctx: Ctx, out: &mut Outbox) {
        if self.rebalance_id != rebalance_id || self.state != GroupState::PreparingRebalance {
            return;
        }
        let now = ctx.now_ms;
        if let Some(delay) = self.initial_delay {
            if now < delay.until_ms {
                return;
            }
            let configured = ctx.initial_rebalance_delay_ms;
            if let Some(next) = delay.fired(now, configured, self.new_member_added) {
                self.initial_delay = Some(next);
                self.new_member_added = false;
                let timer = GroupTimer::RebalanceDeadline { rebalance_id };
                out.timer_at(next.until_ms, (self.idx, timer));
                return;
            }
            // completeClassicGroupJoin: the initial delay is over.
            self.initial_delay = None;
            self.new_member_added = false;
            self.rebalance_deadline_ms = Some(now);
        }
        if self.rebalance_deadline_ms.is_some_and(|d| now >= d) {
            // Members that did not rejoin in time are dropped.
            let late: Vec<String> = self
                .members
                .iter()
                .filter(|(_, m)| !m.joined)
                .map(|(id, _)| id.clone())
                .collect();
            for id in late {
                self.remove_member_quietly(&id, LeaveReason::RebalanceTimeout, out);
            }
        }
        self.maybe_complete_join(ctx, out);
    }

    /// `completeClassicGroupJoin` once every member has joined: a new
    /// generation with a protocol chosen by vote and a leader, which alone
    /// gets everyone's subscriptions. A join phase that ends with nobody
    /// leaves the group Empty.
    fn maybe_complete_join(&mut self, ctx: Ctx, out: &mut Outbox) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        if self.initial_delay.is_some() {
            // maybeCompleteJoinPhase never completes an initial rebalance:
            // only its timer does.
            return;
        }
        if !self.members.values().all(|m| m.joined) {
            return;
        }
        self.rebalance_deadline_ms = None;
        if self.members.is_empty() {
            self.init_next_generation_empty();
            self.transition_to(GroupState::Empty, out);
            return;
        }
        let protocols: Vec<Vec<AssignorKind>> = self
            .members
            .values()
            .map(|m| m.meta.protocols.clone())
            .collect();
        let protocol = assignor::select_group_protocol(&protocols);
        let leader = match &self.leader {
            Some(l) if self.members.contains_key(l) => l.clone(),
            _ => self.members.keys().next().cloned().expect("non-empty"),
        };
        self.generation = GenerationId(self.generation.0 + 1);
        self.protocol = protocol;
        self.leader = Some(leader.clone());
        self.generation_size = self.members.len();
        for m in self.members.values_mut() {
            m.joined = false;
            m.awaiting_sync = false;
            // completeAndScheduleNextHeartbeatExpiration in onCompleteJoin:
            // each member's session deadline restarts with the new generation.
            m.last_heartbeat_ms = ctx.now_ms;
        }
        for m in self.members.values() {
            self.session_timer(ctx, m.session_timeout_ms, out);
        }
        self.transition_to(GroupState::CompletingRebalance, out);
        let all: Vec<MemberMetadata> = self.members.values().map(|m| m.meta.clone()).collect();
        for (id, m) in &self.members {
            let members = if *id == leader { all.clone() } else { vec![] };
            let msg = Msg::JoinGroupResponse {
                group: self.idx,
                error: None,
                member_id: id.clone(),
                generation: self.generation,
                protocol,
                leader: leader.clone(),
                members,
            };
            self.reply(ctx, Node::Consumer(m.meta.consumer), msg, out);
        }
    }

    /// `initNextGeneration` with no members: the generation moves on with
    /// no protocol and no leader.
    fn init_next_generation_empty(&mut self) {
        self.generation = GenerationId(self.generation.0 + 1);
        self.protocol = None;
        self.leader = None;
    }

    // ---- SyncGroup, Heartbeat, LeaveGroup, session expiry --------------------

    /// SyncGroup's checks (`classicGroupSync`): the member must exist and be
    /// in the current generation; during PreparingRebalance it must rejoin
    /// first; an Empty or Dead group knows no member. `Ok` in Stable or
    /// CompletingRebalance.
    pub fn check_sync(&self, member_id: &str, generation: GenerationId) -> Result<(), ErrorCode> {
        if !self.members.contains_key(member_id) {
            return Err(ErrorCode::UnknownMemberId);
        }
        if generation != self.generation {
            return Err(ErrorCode::IllegalGeneration);
        }
        match self.state {
            GroupState::PreparingRebalance => Err(ErrorCode::RebalanceInProgress),
            GroupState::Empty | GroupState::Dead => Err(ErrorCode::UnknownMemberId),
            GroupState::Stable | GroupState::CompletingRebalance => Ok(()),
        }
    }

    /// SyncGroup: in Stable a member gets its assignment again (and it
    /// counts as a heartbeat); in CompletingRebalance members wait until the
    /// leader's SyncGroup brings everyone's assignment and makes the group
    /// Stable.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_sync(
        &mut self,
        from: Node,
        member_id: &str,
        generation: GenerationId,
        assignments: Vec<(String, Vec<TopicPartition>)>,
        ctx: Ctx,
        out: &mut Outbox,
    ) {
        let group = self.idx;
        let answer = |error, assignment| Msg::SyncGroupResponse {
            group,
            error,
            assignment,
        };
        if let Err(e) = self.check_sync(member_id, generation) {
            return self.reply(ctx, from, answer(Some(e), vec![]), out);
        }
        if self.state == GroupState::Stable {
            let m = self.members.get_mut(member_id).expect("checked");
            let assignment = m.assignment.clone();
            // The sync counts as a heartbeat (doSyncGroup, Stable case).
            m.last_heartbeat_ms = ctx.now_ms;
            let session = m.session_timeout_ms;
            self.reply(ctx, from, answer(None, assignment), out);
            return self.session_timer(ctx, session, out);
        }
        self.members
            .get_mut(member_id)
            .expect("checked")
            .awaiting_sync = true;
        if self.leader.as_deref() != Some(member_id) {
            return;
        }
        for m in self.members.values_mut() {
            m.assignment.clear();
        }
        for (id, parts) in assignments {
            if let Some(m) = self.members.get_mut(&id) {
                m.assignment = parts;
            }
        }
        self.transition_to(GroupState::Stable, out);
        // propagateAssignment: answered members' deadlines restart.
        let mut waiting = Vec::new();
        for m in self.members.values_mut() {
            if m.awaiting_sync {
                m.last_heartbeat_ms = ctx.now_ms;
                waiting.push((m.meta.consumer, m.assignment.clone(), m.session_timeout_ms));
            }
            m.awaiting_sync = false;
        }
        for (_, _, session) in &waiting {
            self.session_timer(ctx, *session, out);
        }
        for (c, assignment, _) in waiting {
            self.reply(ctx, Node::Consumer(c), answer(None, assignment), out);
        }
    }

    /// Heartbeat's checks: the member must exist and be in the current
    /// generation, except during PreparingRebalance (see the module docs).
    pub fn check_heartbeat(
        &self,
        member_id: &str,
        generation: GenerationId,
    ) -> Result<(), ErrorCode> {
        if !self.members.contains_key(member_id) {
            return Err(ErrorCode::UnknownMemberId);
        }
        if generation != self.generation && self.state != GroupState::PreparingRebalance {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(())
    }

    /// Heartbeat (`classicGroupHeartbeat`): a valid one restarts the
    /// member's session; during a rebalance it is answered
    /// `REBALANCE_IN_PROGRESS`, which tells the member to rejoin. Returns
    /// the answer's error.
    pub fn heartbeat(
        &mut self,
        member_id: &str,
        generation: GenerationId,
        ctx: Ctx,
        out: &mut Outbox,
    ) -> Option<ErrorCode> {
        if let Err(e) = self.check_heartbeat(member_id, generation) {
            return Some(e);
        }
        let m = self.members.get_mut(member_id).expect("checked");
        m.last_heartbeat_ms = ctx.now_ms;
        let session = m.session_timeout_ms;
        self.session_timer(ctx, session, out);
        (self.state == GroupState::PreparingRebalance).then_some(ErrorCode::RebalanceInProgress)
    }

    /// Members whose session expired by `now_ms`: no heartbeat within
    /// `session.timeout.ms` (a member that already rejoined a rebalance in
    /// progress waits for it instead).
    pub fn expired_members(&self, now_ms: u64) -> Vec<String> {
        self.members
            .iter()
            .filter(|(_, m)| !m.joined || self.state != GroupState::PreparingRebalance)
            .filter(|(_, m)| now_ms >= m.last_heartbeat_ms + m.session_timeout_ms as u64)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The session check fired: expired members are removed.
    pub fn session_check(&mut self, ctx: Ctx, out: &mut Outbox) {
        for id in self.expired_members(ctx.now_ms) {
            self.remove_member(&id, LeaveReason::SessionTimeout, ctx, out);
        }
    }

    /// A member leaves (LeaveGroup, an expired session or poll interval):
    /// the others rebalance; the last one leaves the group Empty.
    pub fn remove_member(
        &mut self,
        member_id: &str,
        reason: LeaveReason,
        ctx: Ctx,
        out: &mut Outbox,
    ) {
        if !self.members.contains_key(member_id) {
            return;
        }
        self.remove_member_quietly(member_id, reason, out);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                let why = match reason {
                    LeaveReason::Clean => "a member left the group",
                    LeaveReason::SessionTimeout => "a member's session timed out",
                    LeaveReason::PollTimeout => "a member exceeded max.poll.interval.ms",
                    LeaveReason::RebalanceTimeout => "a member did not rejoin in time",
                };
                if self.members.is_empty() {
                    // prepareRebalance, then completeClassicGroupJoin at
                    // once with nobody: only the landing state is shown.
                    self.transition(GroupState::PreparingRebalance);
                    self.init_next_generation_empty();
                    self.transition_to(GroupState::Empty, out);
                } else {
                    self.prepare_rebalance(why, ctx, out);
                }
            }
            GroupState::PreparingRebalance => self.maybe_complete_join(ctx, out),
            _ => {}
        }
    }

    fn remove_member_quietly(&mut self, member_id: &str, reason: LeaveReason, out: &mut Outbox) {
        let Some(m) = self.members.remove(member_id) else {
            return;
        };
        if self.leader.as_deref() == Some(member_id) {
            self.leader = None;
        }
        out.event(EventKind::MemberRemoved {
            group: self.idx,
            consumer: m.meta.consumer,
            member_id: member_id.to_string(),
            reason,
        });
    }

    // ---- offsets ------------------------------------------------------------

    /// `ClassicGroup.validateOffsetCommit`, in Kafka's order: a dead group;
    /// a commit without generation into an empty group (admin tools, manual
    /// assignment) is accepted; otherwise the member must exist
    /// (`UNKNOWN_MEMBER_ID`) and be in the current generation
    /// (`ILLEGAL_GENERATION`); only then does a plain (not transactional)
    /// commit between JoinGroup and SyncGroup get `REBALANCE_IN_PROGRESS`.
    /// So a stale member that commits while the group completes a rebalance
    /// is told its generation is gone, not that a rebalance is running.
    ///
    /// An accepted commit comes with the member the check found (`None`
    /// when it had none to check: no generation, from an admin client or a
    /// transactional producer), so that the coordinator, which needs the
    /// member's consumer, does not search the members by id a second time.
    pub fn validate_offset_commit(
        &self,
        member_id: &str,
        generation: GenerationId,
        transactional: bool,
    ) -> Result<Option<&Member>, ErrorCode> {
        if self.state == GroupState::Dead {
            return Err(ErrorCode::CoordinatorNotAvailable);
        }
        if generation.0 < 0 && self.state == GroupState::Empty {
            // An empty group has no member to find (every way into `Empty`
            // leaves `members` empty, and a join leaves `Empty`).
            debug_assert!(self.members.is_empty());
            return Ok(None);
        }
        let mut member = None;
        if generation.0 >= 0 || !member_id.is_empty() {
            // Natively a small group's members are scanned by `==`
            // (lengths first, then the bytes), not binary-searched by
            // `Ord`: their ids share their `consumer-<group>-<n>-` prefix,
            // so each `Ord` step compares that prefix again, and this runs
            // every commit. A larger group keeps the search, so the check
            // stays logarithmic (see `find_member`, at the end of this
            // file so that the page's lines, and so its panic locations,
            // stay where they were; speed-only: the page keeps the map's
            // lookup).
            #[cfg(engine_speed)]
            let found = find_member(&self.members, member_id);
            #[cfg(not(engine_speed))]
            let found = self.members.get(member_id);
            let Some(m) = found else {
                return Err(ErrorCode::UnknownMemberId);
            };
            if generation != self.generation {
                return Err(ErrorCode::IllegalGeneration);
            }
            member = Some(m);
        } else if !transactional && self.state != GroupState::Empty {
            return Err(ErrorCode::UnknownMemberId);
        }
        if !transactional && self.state == GroupState::CompletingRebalance {
            return Err(ErrorCode::RebalanceInProgress);
        }
        Ok(member)
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

#[cfg(test)]
mod tests {
    use super::*;

    const B0: BrokerId = BrokerId(0);

    /// The metadata a consumer joins with.
    fn meta(member_id: &str, consumer: u16) -> MemberMetadata {
        MemberMetadata {
            member_id: member_id.to_string(),
            instance_id: None,
            consumer: ConsumerIdx(consumer),
            protocols: vec![AssignorKind::Range],
            topics: vec!["events".into()],
            owned: vec![],
            owned_generation: None,
        }
    }

    /// A group in `state` at `generation` with members "m1" and "m2".
    fn group(state: GroupState, generation: i32) -> Group {
        let mut g = Group::new(GroupIdx(0), "g", Tp::new(TopicId(1), 0));
        g.state = state;
        g.generation = GenerationId(generation);
        for (i, id) in ["m1", "m2"].iter().enumerate() {
            let member = Member {
                meta: meta(id, i as u16),
                session_timeout_ms: 45_000,
                rebalance_timeout_ms: 300_000,
                last_heartbeat_ms: 0,
                joined: false,
                awaiting_sync: false,
                assignment: vec![],
            };
            g.members.insert(id.to_string(), member);
        }
        g
    }

    /// At `now_ms`, coordinated by broker 0, with the default 3 s initial delay.
    fn ctx(now_ms: u64) -> Ctx {
        Ctx {
            now_ms,
            coordinator: Some(B0),
            initial_rebalance_delay_ms: 3_000,
        }
    }

    fn states(out: &Outbox) -> Vec<GroupState> {
        out.events()
            .filter_map(|e| match e {
                EventKind::GroupStateChanged { state, .. } => Some(*state),
                _ => None,
            })
            .collect()
    }

    /// The errors of the answers `out` sends to `to`.
    fn answers_to(out: &Outbox, to: u16) -> Vec<Option<ErrorCode>> {
        out.sent()
            .filter(|(_, t, _)| *t == Node::Consumer(ConsumerIdx(to)))
            .map(|(_, _, m)| m.error())
            .collect()
    }

    fn join(g: &mut Group, m: MemberMetadata, now: u64) -> Outbox {
        let mut out = Outbox::new();
        let from = Node::Consumer(m.consumer);
        let mut n = 0;
        let ids = move || {
            n += 1;
            format!("new-{n}")
        };
        g.handle_join(from, m, 45_000, 300_000, ids, ctx(now), &mut out);
        out
    }

    #[test]
    fn each_group_state_follows_exactly_the_states_kafka_allows() {
        use GroupState::*;
        let all = [Empty, PreparingRebalance, CompletingRebalance, Stable, Dead];
        let allowed = [
            (PreparingRebalance, Empty),
            (Stable, PreparingRebalance),
            (CompletingRebalance, PreparingRebalance),
            (Empty, PreparingRebalance),
            (PreparingRebalance, CompletingRebalance),
            (CompletingRebalance, Stable),
        ];
        for from in all {
            for to in all {
                let ok = allowed.contains(&(from, to)) || to == Dead;
                assert_eq!(from.may_become(to), ok, "{} -> {}", from.name(), to.name());
            }
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "Stable cannot become Empty")]
    fn an_invalid_group_transition_stops_a_debug_build() {
        group(GroupState::Stable, 1).transition_to(GroupState::Empty, &mut Outbox::new());
    }

    #[test]
    fn a_new_dynamic_member_first_gets_a_member_id_to_rejoin_with() {
        let mut g = Group::new(GroupIdx(0), "g", Tp::new(TopicId(1), 0));
        let out = join(&mut g, meta("", 0), 0);
        assert_eq!(answers_to(&out, 0), [Some(ErrorCode::MemberIdRequired)]);
        assert!(g.pending_members.contains_key("new-1") && g.members.is_empty());
        // Rejoining with it is accepted; an id nobody handed out is not.
        assert_eq!(g.check_join(&meta("new-1", 0)), JoinCheck::Accept);
        assert_eq!(
            g.check_join(&meta("forged", 0)),
            JoinCheck::Refuse(ErrorCode::UnknownMemberId)
        );
        let out = join(&mut g, meta("new-1", 0), 10);
        assert!(g.members.contains_key("new-1") && g.pending_members.is_empty());
        assert!(matches!(
            out.events().next(),
            Some(EventKind::MemberJoined { .. })
        ));
    }

    #[test]
    fn a_member_without_a_shared_assignor_is_refused() {
        let g = group(GroupState::Stable, 1);
        let mut m = meta("m3", 2);
        m.protocols = vec![AssignorKind::Roundrobin];
        assert_eq!(
            g.check_join(&m),
            JoinCheck::Refuse(ErrorCode::InconsistentGroupProtocol)
        );
    }

    #[test]
    fn the_first_member_of_an_empty_group_waits_for_the_initial_delay() {
        let mut g = Group::new(GroupIdx(0), "g", Tp::new(TopicId(1), 0));
        let mut m = meta("", 0);
        m.instance_id = Some("static-0".into());
        // A static member joins at once with its new id.
        let out = join(&mut g, m, 1_000);
        assert_eq!(states(&out), [GroupState::PreparingRebalance]);
        assert!(answers_to(&out, 0).is_empty(), "no answer before the delay");
        let deadline = GroupTimer::RebalanceDeadline { rebalance_id: 1 };
        assert!(out.timers().any(|(at, a)| at == 4_000
            && *a
                == crate::engine::sim::Action::Group {
                    group: GroupIdx(0),
                    timer: deadline
                }));
        // The delay's timer completes the join phase: generation 1, led by
        // the only member, who gets everyone's subscriptions.
        let mut out = Outbox::new();
        g.rebalance_deadline(1, ctx(4_000), &mut out);
        assert_eq!(states(&out), [GroupState::CompletingRebalance]);
        assert_eq!(g.generation, GenerationId(1));
        let Some((
            _,
            _,
            Msg::JoinGroupResponse {
                leader, members, ..
            },
        )) = out.sent().next()
        else {
            panic!("a JoinGroup answer");
        };
        assert_eq!((leader.as_str(), members.len()), ("new-1", 1));
    }

    #[test]
    fn the_leaders_sync_makes_the_group_stable_and_answers_the_waiting_members() {
        let mut g = group(GroupState::CompletingRebalance, 4);
        g.leader = Some("m1".into());
        let tp = |p| TopicPartition {
            topic: "events".into(),
            partition: p,
        };
        let gen = GenerationId(4);
        // A follower waits for the leader.
        let mut out = Outbox::new();
        g.handle_sync(
            Node::Consumer(ConsumerIdx(1)),
            "m2",
            gen,
            vec![],
            ctx(5),
            &mut out,
        );
        assert!(out.is_empty() && g.members["m2"].awaiting_sync);
        let assignments = vec![("m1".into(), vec![tp(0)]), ("m2".into(), vec![tp(1)])];
        let mut out = Outbox::new();
        g.handle_sync(
            Node::Consumer(ConsumerIdx(0)),
            "m1",
            gen,
            assignments,
            ctx(9),
            &mut out,
        );
        assert_eq!(states(&out), [GroupState::Stable]);
        assert_eq!(
            (answers_to(&out, 0), answers_to(&out, 1)),
            (vec![None], vec![None])
        );
        assert_eq!(g.members["m2"].assignment, vec![tp(1)]);
        assert_eq!(out.timers().count(), 2, "both sessions restart");
        // In Stable, a sync is answered with the member's assignment again.
        assert_eq!(g.check_sync("m2", gen), Ok(()));
    }

    #[test]
    fn sync_refuses_unknown_members_old_generations_and_members_that_must_rejoin() {
        let g = group(GroupState::CompletingRebalance, 4);
        assert_eq!(
            g.check_sync("gone", GenerationId(4)),
            Err(ErrorCode::UnknownMemberId)
        );
        assert_eq!(
            g.check_sync("m1", GenerationId(3)),
            Err(ErrorCode::IllegalGeneration)
        );
        let g = group(GroupState::PreparingRebalance, 4);
        assert_eq!(
            g.check_sync("m1", GenerationId(4)),
            Err(ErrorCode::RebalanceInProgress)
        );
    }

    #[test]
    fn a_heartbeat_during_a_rebalance_counts_and_tells_the_member_to_rejoin() {
        let mut g = group(GroupState::Stable, 2);
        let mut out = Outbox::new();
        assert_eq!(g.heartbeat("m1", GenerationId(2), ctx(100), &mut out), None);
        assert_eq!(g.members["m1"].last_heartbeat_ms, 100);
        assert_eq!(out.timers().next().map(|(at, _)| at), Some(45_100));
        assert_eq!(
            g.heartbeat("m1", GenerationId(1), ctx(200), &mut Outbox::new()),
            Some(ErrorCode::IllegalGeneration)
        );
        assert_eq!(
            g.heartbeat("gone", GenerationId(2), ctx(200), &mut Outbox::new()),
            Some(ErrorCode::UnknownMemberId)
        );
        g.state = GroupState::PreparingRebalance;
        let mut out = Outbox::new();
        assert_eq!(
            g.heartbeat("m2", GenerationId(1), ctx(300), &mut out),
            Some(ErrorCode::RebalanceInProgress)
        );
        assert_eq!(g.members["m2"].last_heartbeat_ms, 300, "it still counts");
    }

    #[test]
    fn a_member_silent_for_its_session_timeout_is_removed_and_the_rest_rebalance() {
        let mut g = group(GroupState::Stable, 2);
        g.members.get_mut("m2").unwrap().last_heartbeat_ms = 10_000;
        assert_eq!(g.expired_members(44_999), Vec::<String>::new());
        assert_eq!(g.expired_members(45_000), vec!["m1".to_string()]);
        let mut out = Outbox::new();
        g.session_check(ctx(45_000), &mut out);
        assert!(!g.members.contains_key("m1"));
        assert!(matches!(
            out.events().next(),
            Some(EventKind::MemberRemoved {
                reason: LeaveReason::SessionTimeout,
                ..
            })
        ));
        assert_eq!(states(&out), [GroupState::PreparingRebalance]);
        // A member that already rejoined the rebalance is not expired.
        g.members.get_mut("m2").unwrap().joined = true;
        assert!(g.expired_members(1_000_000).is_empty());
    }

    #[test]
    fn the_last_member_leaving_leaves_the_group_empty_in_a_new_generation() {
        let mut g = group(GroupState::Stable, 3);
        g.leader = Some("m1".into());
        let mut out = Outbox::new();
        g.remove_member("m1", LeaveReason::Clean, ctx(0), &mut out);
        g.remove_member("m2", LeaveReason::Clean, ctx(0), &mut out);
        // The first leave starts a rebalance; the last one ends it at once.
        assert_eq!(
            states(&out),
            [GroupState::PreparingRebalance, GroupState::Empty]
        );
        assert_eq!((g.generation, g.leader.clone()), (GenerationId(4), None));
        // From Stable directly, Kafka's PreparingRebalance instant is not shown.
        let mut g = group(GroupState::Stable, 3);
        g.members.remove("m2");
        let mut out = Outbox::new();
        g.remove_member("m1", LeaveReason::Clean, ctx(0), &mut out);
        assert_eq!(states(&out), [GroupState::Empty]);
        assert_eq!(g.generation, GenerationId(4));
    }

    #[test]
    fn a_member_that_does_not_rejoin_by_the_rebalance_timeout_is_dropped() {
        let mut g = group(GroupState::Stable, 1);
        let mut out = Outbox::new();
        g.prepare_rebalance("test", ctx(0), &mut out);
        assert_eq!(g.rebalance_deadline_ms, Some(300_000));
        g.members.get_mut("m1").unwrap().joined = true;
        let mut out = Outbox::new();
        g.rebalance_deadline(g.rebalance_id, ctx(300_000), &mut out);
        assert_eq!(g.members.keys().collect::<Vec<_>>(), ["m1"]);
        assert_eq!(states(&out), [GroupState::CompletingRebalance]);
        assert_eq!(g.generation, GenerationId(2));
        // A stale timer (an earlier rebalance) does nothing.
        let mut out = Outbox::new();
        g.rebalance_deadline(0, ctx(400_000), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_static_member_returning_to_a_stable_group_keeps_its_assignment_without_a_rebalance() {
        let mut g = group(GroupState::Stable, 7);
        let owned = vec![TopicPartition {
            topic: "events".into(),
            partition: 0,
        }];
        {
            let m2 = g.members.get_mut("m2").unwrap();
            m2.meta.instance_id = Some("host-2".into());
            m2.assignment = owned.clone();
        }
        g.leader = Some("m2".into());
        let mut back = meta("", 1);
        back.instance_id = Some("host-2".into());
        assert_eq!(
            g.check_join(&back),
            JoinCheck::StaticRejoin {
                old_member_id: "m2".into()
            }
        );
        let out = join(&mut g, back, 50);
        assert!(states(&out).is_empty(), "no rebalance");
        assert_eq!(g.members["new-1"].assignment, owned);
        assert_eq!(g.leader.as_deref(), Some("new-1"));
        assert!(matches!(
            out.sent().next(),
            Some((
                _,
                _,
                Msg::JoinGroupResponse {
                    generation: GenerationId(7),
                    error: None,
                    ..
                }
            ))
        ));
    }

    #[test]
    fn a_stale_member_committing_during_a_rebalance_gets_illegal_generation() {
        let g = group(GroupState::CompletingRebalance, 5);
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(4), false).err(),
            Some(ErrorCode::IllegalGeneration),
            "generation is checked before the rebalance"
        );
        assert_eq!(
            g.validate_offset_commit("gone", GenerationId(5), false)
                .err(),
            Some(ErrorCode::UnknownMemberId),
            "so is the member"
        );
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(5), false).err(),
            Some(ErrorCode::RebalanceInProgress),
            "a current member between JoinGroup and SyncGroup"
        );
        assert_eq!(
            g.validate_offset_commit("m1", GenerationId(5), true).err(),
            None,
            "the group state is not enforced for transactional commits"
        );
    }

    #[test]
    fn offset_commit_validation_follows_classic_group_order() {
        let stable = group(GroupState::Stable, 3);
        assert_eq!(
            stable
                .validate_offset_commit("m2", GenerationId(3), false)
                .err(),
            None
        );
        assert_eq!(
            stable
                .validate_offset_commit("m2", GenerationId(2), false)
                .err(),
            Some(ErrorCode::IllegalGeneration)
        );
        assert_eq!(
            stable
                .validate_offset_commit("", GenerationId(-1), false)
                .err(),
            Some(ErrorCode::UnknownMemberId),
            "no generation: only into an empty group"
        );
        let mut empty = group(GroupState::Empty, 3);
        empty.members.clear();
        assert_eq!(
            empty
                .validate_offset_commit("", GenerationId(-1), false)
                .err(),
            None
        );
        assert_eq!(
            group(GroupState::Dead, 3)
                .validate_offset_commit("m1", GenerationId(3), false)
                .err(),
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

    #[test]
    fn a_commit_finds_its_member_in_a_small_group_and_in_a_large_one() {
        // Natively a group of at most 16 members is scanned, a larger one
        // searched (`find_member`); the page always searches. All agree.
        for extra in [0, 30] {
            let mut g = group(GroupState::Stable, 3);
            for i in 0..extra {
                let mut member = g.members.get("m1").expect("m1").clone();
                member.meta = meta(&format!("x{i}"), 2 + i as u16);
                g.members.insert(format!("x{i}"), member);
            }
            for id in ["m1", "m2", "x7", "x29"] {
                let found = g.validate_offset_commit(id, GenerationId(3), false);
                if id.starts_with('x') && extra == 0 {
                    assert_eq!(found.err(), Some(ErrorCode::UnknownMemberId), "{id}");
                } else {
                    let m = found.expect(id).expect("a member was checked");
                    assert_eq!(m.meta.member_id, id, "{extra} extra members");
                }
            }
            assert_eq!(
                g.validate_offset_commit("gone", GenerationId(3), false)
                    .err(),
                Some(ErrorCode::UnknownMemberId)
            );
        }
    }
}

/// The most members [`find_member`] scans; a larger group is searched.
/// Sixteen ids compared by length and then by their bytes cost about what
/// a binary search's four or five prefix-long `memcmp`s do, and a scan
/// that is not bounded would make a group of thousands pay thousands of
/// compares per commit. (Native only, with `find_member`.)
#[cfg(engine_speed)]
const SCAN_MEMBERS: usize = 16;

/// A large group's member, by the map's binary search. Cold and out of
/// line: the scan's caller is inlined into the coordinator's commit path,
/// and the search's code there kept the check from being inlined at all
/// (+0.3% of W1 full, whose group has four members).
#[cfg(engine_speed)]
#[cold]
#[inline(never)]
fn search_member<'a>(members: &'a VecMap<String, Member>, member_id: &str) -> Option<&'a Member> {
    members.get(member_id)
}

/// Member `member_id` of a group, for the offset commit's check
/// (`Group::validate_offset_commit`, every commit): a scan by `==` while
/// the group has at most [`SCAN_MEMBERS`] members, the map's binary search
/// beyond. Both find the same member; the scan only skips the shared
/// prefix that each `Ord` step of the search compares again. Native only:
/// the page keeps the map's lookup (its bundle is budgeted).
#[cfg(engine_speed)]
#[inline(always)]
fn find_member<'a>(members: &'a VecMap<String, Member>, member_id: &str) -> Option<&'a Member> {
    if members.len() > SCAN_MEMBERS {
        return search_member(members, member_id);
    }
    let found = members
        .iter()
        .find(|(id, _)| same_member_id(id, member_id))
        .map(|(_, m)| m);
    debug_assert!(
        found.map(std::ptr::from_ref) == members.get(member_id).map(std::ptr::from_ref),
        "the scan finds the member the search does"
    );
    found
}

/// `a == b` for two member ids, their last bytes first: a group's ids
/// (`<client.id>-<8 hex>-<4 hex>`) share their client id's
/// `consumer-<group>-` prefix and nearly always their length, so `==`
/// compared that prefix again for each member the scan passed; their last
/// hex digit nearly always tells them apart. Same answer as `==`.
#[cfg(engine_speed)]
#[inline(always)]
fn same_member_id(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.last() == b.last() && a == b
}
