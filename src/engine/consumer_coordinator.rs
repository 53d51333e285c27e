//! The consumer's side of its group (`ConsumerCoordinator` and its parent
//! `AbstractCoordinator`): membership, the heartbeat thread and commits, as
//! rules of the [`Consumer`] component (see `kafka_consumer.rs` for its
//! state and the component's shape).
//!
//! - **Joining.** `onJoinPrepare` runs before the JoinGroup: under the
//!   *eager* protocol the member revokes every partition first; under
//!   *cooperative* (KIP-429) it keeps them and reports them as owned. A new
//!   member is first handed its member id (KIP-394, MEMBER_ID_REQUIRED) and
//!   joins again with it. The leader member runs the assignor and every
//!   member sends a SyncGroup; `onJoinComplete` then takes the assignment,
//!   and under cooperative a member that gave partitions up rejoins at once
//!   so a second rebalance can hand them to their new owner.
//! - **The heartbeat thread** beats every `heartbeat.interval.ms` while the
//!   member is in a generation, and it enforces `max.poll.interval.ms`: an
//!   application away from `poll()` for longer loses its generation (a
//!   dynamic member leaves the group; a static one, KIP-345, just waits to
//!   rejoin), and its next commit fails with `CommitFailedException`.
//! - **Commits** go out only in an active generation. A retriable answer
//!   (the coordinator moved) is retried; any other error is
//!   `CommitFailedException`, and the member must rejoin.
//!
//! Kafka's code: `clients/src/main/java/org/apache/kafka/clients/consumer/internals/ConsumerCoordinator.java`
//! (`onJoinPrepare`, `onJoinComplete`, `commitOffsetsSync`,
//! `OffsetCommitResponseHandler`) and `.../consumer/internals/AbstractCoordinator.java`
//! (`JoinGroupResponseHandler`, `SyncGroupResponseHandler`,
//! `HeartbeatResponseHandler`, `HeartbeatThread`, `maybeLeaveGroup`).

use crate::engine::assignor::{self, RebalanceProtocol, TopicPartition};
use crate::engine::config::GroupConfig;
use crate::engine::event::{ErrorCode, EventKind, LeaveReason};
use crate::engine::ids::*;
use crate::engine::kafka_consumer::{
    AfterCommit, AppState, Consumer, ConsumerTimer, Membership, PendingCommit,
    RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_MS,
};
use crate::engine::network::{CoordinatorKey, MemberMetadata, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::rng::Pcg32;

impl Consumer {
    // ---- commits (`commitSync`, `OffsetCommitResponseHandler`) ----------------

    /// Whether a commit may go out: only a member of an active generation
    /// commits. Otherwise Java fails it locally; `commitSync()` throws
    /// `CommitFailedException` (shown), an auto-commit fails quietly.
    pub fn may_commit(&self, auto: bool, out: &mut Outbox) -> bool {
        if self.membership == Membership::Stable && self.member_id.is_some() {
            return true;
        }
        if !auto {
            out.event(EventKind::CommitFailed {
                group: self.group,
                consumer: self.idx,
                error: ErrorCode::CommitFailed,
            });
        }
        false
    }

    /// A commit `commit_id` of `offsets` goes out and waits for its answer.
    pub fn track_commit(&mut self, commit_id: u64, offsets: Vec<(Tp, Offset)>, auto: bool) {
        self.pending_commits.push(PendingCommit {
            commit_id,
            offsets: crate::engine::sim::speed_or_page!(offsets.into(), offsets),
            auto,
        });
    }

    /// The OffsetCommit for `offsets`, stamped with this member's id and
    /// generation (the coordinator refuses a stale one).
    pub fn offset_commit(&self, commit_id: u64, offsets: Vec<(Tp, Offset)>, auto: bool) -> Msg {
        Msg::OffsetCommit {
            group: self.group,
            member_id: self.member_id.clone().unwrap_or_default().into(),
            generation: self.generation,
            offsets,
            auto,
            commit_id,
        }
    }

    /// The OffsetCommit of a commit still waiting for its answer (sent
    /// again after a retriable error).
    pub fn pending_commit_request(&self, commit_id: u64) -> Option<Msg> {
        let pc = self
            .pending_commits
            .iter()
            .find(|p| p.commit_id == commit_id)?;
        Some(self.offset_commit(commit_id, pc.offsets.clone().into(), pc.auto))
    }

    /// The group coordinator this consumer already knows (closing, it
    /// looks none up).
    pub fn known_coordinator(&self) -> Option<BrokerId> {
        let key = CoordinatorKey::Group(self.group);
        self.metadata
            .coordinators
            .iter()
            .find(|(k, _)| *k == key)
            .map(|x| x.1)
    }

    /// `close()` → `maybeLeaveGroup`: a dynamic member leaves at once; a
    /// static member sends nothing and leaves by session timeout (KIP-345),
    /// so a restart within it gets its partitions back without a rebalance.
    pub fn leave_on_close(&self) -> Option<Msg> {
        if self.instance_id.is_some() {
            return None;
        }
        Some(Msg::LeaveGroup {
            group: self.group,
            member_id: self.member_id.clone()?,
            reason: LeaveReason::Clean,
        })
    }

    /// The coordinator answered commit `commit_id`. A retriable error
    /// (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) keeps it pending and
    /// retries after `retry.backoff.ms`. Success records the offsets as
    /// committed. Any other error is `CommitFailedException`: the member
    /// must rejoin, as a new member after UNKNOWN_MEMBER_ID (a static one
    /// keeps its id) and in a new generation after ILLEGAL_GENERATION.
    pub fn commit_answered(
        &mut self,
        now_ms: u64,
        commit_id: u64,
        offsets: &[(Tp, Offset)],
        error: Option<ErrorCode>,
        out: &mut Outbox,
    ) -> CommitAnswer {
        let Some(pos) = self
            .pending_commits
            .iter()
            .position(|p| p.commit_id == commit_id)
        else {
            return CommitAnswer::Unknown;
        };
        if let Some(ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable) = error {
            self.retry_later(now_ms, out);
            return CommitAnswer::Retry;
        }
        let pc = self.pending_commits.remove(pos);
        let Some(e) = error else {
            for (tp, o) in offsets {
                crate::engine::group_coordinator::set_committed(&mut self.committed, *tp, *o);
            }
            return CommitAnswer::Committed { auto: pc.auto };
        };
        out.event(EventKind::CommitFailed {
            group: self.group,
            consumer: self.idx,
            error: e,
        });
        if self.on_consumer_protocol() {
            // The consumer protocol: the heartbeat, not the commit, decides
            // membership (a stale epoch just fails this commit).
            return CommitAnswer::Failed;
        }
        self.rejoin_needed = true;
        if e == ErrorCode::UnknownMemberId && self.instance_id.is_none() {
            self.member_id = None;
            self.membership = Membership::Unjoined;
        }
        if e == ErrorCode::IllegalGeneration {
            self.membership = Membership::Unjoined;
        }
        CommitAnswer::Failed
    }

    /// An application blocked in `commitSync()` on `commit_id` goes on. At
    /// most once, a failed commit threw before the processing loop, so the
    /// batch is dropped (its records go to the partitions' next owner).
    pub fn resume_after_commit(
        &mut self,
        commit_id: u64,
        failed: bool,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        let AppState::Committing {
            commit_id: waiting,
            then,
        } = self.app
        else {
            return;
        };
        if waiting != commit_id {
            return;
        }
        self.app = AppState::Processing;
        if then == AfterCommit::ProcessBatch && failed {
            self.current.clear();
        }
        self.process_next(now_ms, out);
    }

    // ---- committed offsets (`fetchCommittedOffsets`, KIP-447) ---------------

    /// The OffsetFetch for the partitions still waiting for a position.
    /// `sendOffsetFetchRequest` always asks for stable offsets (KIP-447),
    /// whatever the isolation level.
    pub fn offset_fetch(&self) -> Msg {
        Msg::OffsetFetch {
            group: self.group,
            partitions: self.offsets_pending.clone(),
            require_stable: true,
            member: None,
        }
    }

    /// The committed offsets arrived (`OffsetFetchResponseHandler`). An error
    /// is retried after `retry.backoff.ms`. UNSTABLE_OFFSET_COMMIT for any
    /// partition (a transaction holds its offset) fails the whole fetch,
    /// which is asked again after an exponential backoff drawn from `rng`.
    /// Otherwise each waiting partition starts at its committed offset, and
    /// those with none committed are returned: `auto.offset.reset` decides
    /// where they start.
    pub fn offsets_fetched(
        &mut self,
        now_ms: u64,
        error: Option<ErrorCode>,
        offsets: Vec<(Tp, Result<Option<Offset>, ErrorCode>)>,
        rng: &mut Pcg32,
        out: &mut Outbox,
    ) -> Option<Vec<Tp>> {
        if error.is_some() {
            self.retry_later(now_ms, out);
            return None;
        }
        if offsets
            .iter()
            .any(|(_, r)| *r == Err(ErrorCode::UnstableOffsetCommit))
        {
            // fetchCommittedOffsets sleeps retryBackoff.backoff(attempts++)
            // and asks again.
            let backoff = retry_backoff_ms(self.offset_fetch_attempts, rng);
            self.offset_fetch_attempts += 1;
            self.set_timer_at(now_ms + backoff, ConsumerTimer::OffsetFetchRetry, out);
            return None;
        }
        self.offset_fetch_attempts = 0;
        let mut need_reset = Vec::new();
        for (tp, committed) in offsets {
            if !self.offsets_pending.contains(&tp) {
                continue;
            }
            match committed {
                Ok(Some(o)) => {
                    self.committed.insert(tp, o);
                    self.position_found(tp, o, Some(o), None, out);
                }
                Ok(None) => need_reset.push(tp),
                Err(_) => {}
            }
        }
        Some(need_reset)
    }

    // ---- the heartbeat thread (`AbstractCoordinator.HeartbeatThread`) -------

    /// Starts the heartbeat thread once a JoinGroup succeeds: its first beat
    /// is `heartbeat.interval.ms` away. A running thread is left alone.
    pub fn start_heartbeat_thread(&mut self, now_ms: u64, interval_ms: u64, out: &mut Outbox) {
        if self.heartbeat_running {
            return;
        }
        self.heartbeat_running = true;
        self.set_timer_at(now_ms + interval_ms, ConsumerTimer::HeartbeatTick, out);
    }

    /// `heartbeat.pollTimeoutExpired(now)` → `maybeLeaveGroup`: the thread
    /// sees the application has been away from `poll()` (processing or
    /// committing) for more than `max.poll.interval.ms`. The member gives up
    /// its generation, and a dynamic member its member id too; the LeaveGroup
    /// it sends (a static member sends none: it leaves by session timeout) is
    /// returned. The next `poll()` rejoins.
    pub fn check_poll_interval(
        &mut self,
        now_ms: u64,
        max_poll_interval_ms: u64,
        out: &mut Outbox,
    ) -> Option<Msg> {
        if self.app == AppState::Polling
            || self.poll_expired
            || now_ms.saturating_sub(self.last_poll_ms) <= max_poll_interval_ms
        {
            return None;
        }
        let member_id = self.member_id.clone()?;
        out.event(EventKind::PollTimeoutExpired { consumer: self.idx });
        let is_static = self.instance_id.is_some();
        self.poll_expired = true;
        self.membership = Membership::Unjoined;
        self.generation = GenerationId(-1);
        if is_static {
            return None;
        }
        self.member_id = None;
        Some(Msg::LeaveGroup {
            group: self.group,
            member_id,
            reason: LeaveReason::PollTimeout,
        })
    }

    /// Whether the heartbeat thread beats: while the member has (or is
    /// about to receive) an assignment of a generation.
    pub fn beats(&self) -> bool {
        matches!(
            self.membership,
            Membership::Stable | Membership::AwaitingSync
        )
    }

    /// The Heartbeat of this beat, for a member with a member id.
    pub fn heartbeat_request(&self) -> Option<Msg> {
        Some(Msg::Heartbeat {
            group: self.group,
            member_id: self.member_id.clone()?,
            generation: self.generation,
        })
    }

    // ---- rebalances (`ConsumerCoordinator.onJoinPrepare`, `onJoinComplete`) --

    /// `onJoinPrepare`: under the **eager** protocol the member revokes every
    /// partition before it joins, dropping their positions, fetched records
    /// and pending offset lookups; it returns what it revoked. Under
    /// **cooperative** it keeps everything (nothing is returned): only the
    /// partitions that move are revoked, once the new assignment is known;
    /// unless its generation or member id was reset, when it loses them all.
    pub fn revoke_before_join(&mut self, protocol: RebalanceProtocol) -> Vec<Tp> {
        // `onJoinPrepare`: a member whose generation or member id was reset
        // (it left on a poll timeout, or was told it is unknown) gives
        // everything up as lost, whatever its protocol.
        let reset = self.generation.0 < 0 || self.member_id.is_none();
        if (protocol != RebalanceProtocol::Eager && !reset) || self.assignment.is_empty() {
            return Vec::new();
        }
        let revoked = std::mem::take(&mut self.assignment);
        self.positions.clear();
        self.fetched.clear();
        self.offsets_pending.clear();
        revoked
    }

    /// The partitions the JoinGroup reports as owned: cooperative's
    /// `ownedPartitions` (what it still holds), or for eager the last
    /// assignment, which the sticky assignor's userData carries.
    pub fn owned_for_join(&self, protocol: RebalanceProtocol) -> &[Tp] {
        match protocol {
            RebalanceProtocol::Cooperative => &self.assignment,
            RebalanceProtocol::Eager => &self.last_assignment,
        }
    }

    /// Sends the JoinGroup (`owned` names [`Consumer::owned_for_join`]):
    /// the member is now joining and no longer needs a rejoin.
    pub fn join_group(&mut self, gc: &GroupConfig, owned: Vec<TopicPartition>) -> Msg {
        self.rejoin_needed = false;
        self.membership = Membership::Joining;
        Msg::JoinGroup {
            group: self.group,
            meta: Box::new(MemberMetadata {
                member_id: self.member_id.clone().unwrap_or_default(),
                instance_id: self.instance_id.clone(),
                consumer: self.idx,
                protocols: gc.partition_assignment_strategy.clone(),
                topics: gc.topics.clone(),
                owned,
                owned_generation: self.last_generation,
            }),
            session_timeout_ms: gc.session_timeout_ms,
            rebalance_timeout_ms: gc.max_poll_interval_ms,
            known_member: self.member_id.is_some(),
        }
    }

    /// `onJoinComplete`: the SyncGroup brought the assignment `new`. The
    /// partitions that moved away lose their positions and fetched records;
    /// under cooperative, giving any up calls for a second rebalance
    /// (KIP-429) so their new owner can take them. The member is Stable,
    /// the auto-commit interval starts again, and the partitions without a
    /// position wait for their committed offsets (an OffsetFetch).
    pub fn assign(
        &mut self,
        new: Vec<Tp>,
        protocol: RebalanceProtocol,
        now_ms: u64,
        auto_commit_interval_ms: u64,
    ) -> Reassignment {
        let revoked: Vec<Tp> = self
            .assignment
            .iter()
            .copied()
            .filter(|tp| !new.contains(tp))
            .collect();
        let added: Vec<Tp> = new
            .iter()
            .copied()
            .filter(|tp| !self.assignment.contains(tp))
            .collect();
        for tp in &revoked {
            self.positions.remove(tp);
            self.fetched.remove(tp);
        }
        // A lookup still in flight for a revoked partition must not give it
        // a position when it answers (`SubscriptionState` forgets it whole).
        self.offsets_pending.retain(|tp| !revoked.contains(tp));
        self.assignment = new.clone();
        self.last_assignment = new;
        self.last_generation = Some(self.generation.0);
        self.membership = Membership::Stable;
        if protocol == RebalanceProtocol::Cooperative && !revoked.is_empty() {
            self.rejoin_needed = true;
        }
        self.auto_commit_due_ms = now_ms + auto_commit_interval_ms;
        let need: Vec<Tp> = self
            .assignment
            .iter()
            .copied()
            .filter(|tp| !self.positions.contains_key(tp))
            .collect();
        let fetch_offsets = !need.is_empty();
        if fetch_offsets {
            self.offsets_pending = need;
        }
        Reassignment {
            revoked,
            added,
            fetch_offsets,
        }
    }

    /// The JoinGroup answer (`JoinGroupResponseHandler`), taken only while
    /// joining. KIP-394's MEMBER_ID_REQUIRED hands out the member id to join
    /// with; UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION start over as a new
    /// member; INCONSISTENT_GROUP_PROTOCOL is fatal (shown; the consumer
    /// stops); anything else is retried after `retry.backoff.ms`. Success
    /// makes this a member of `generation`, waiting for its SyncGroup.
    pub fn join_answered(
        &mut self,
        now_ms: u64,
        error: Option<ErrorCode>,
        member_id: &str,
        generation: GenerationId,
        out: &mut Outbox,
    ) -> JoinAnswer {
        if self.membership != Membership::Joining {
            return JoinAnswer::Ignored;
        }
        match error {
            Some(ErrorCode::MemberIdRequired) => {
                self.member_id = Some(member_id.to_string());
                self.membership = Membership::Unjoined;
                JoinAnswer::JoinAgain
            }
            Some(ErrorCode::UnknownMemberId) | Some(ErrorCode::IllegalGeneration) => {
                self.member_id = None;
                self.generation = GenerationId(-1);
                self.membership = Membership::Unjoined;
                JoinAnswer::JoinAgain
            }
            Some(e @ ErrorCode::InconsistentGroupProtocol) => {
                out.event(EventKind::ConsumerError {
                    consumer: self.idx,
                    tp: Tp::new(TopicId(0), 0),
                    error: e,
                });
                JoinAnswer::Fatal
            }
            Some(_) => {
                self.membership = Membership::Unjoined;
                self.rejoin_needed = true;
                self.retry_later(now_ms, out);
                JoinAnswer::Retried
            }
            None => {
                self.member_id = Some(member_id.to_string());
                self.generation = generation;
                self.membership = Membership::AwaitingSync;
                JoinAnswer::Joined
            }
        }
    }

    /// The SyncGroup of a joined member; the leader's carries the
    /// assignment it computed, the others' none.
    pub fn sync_group(&self, assignments: Vec<(String, Vec<TopicPartition>)>) -> Msg {
        Msg::SyncGroup {
            group: self.group,
            member_id: self.member_id.clone().unwrap_or_default(),
            generation: self.generation,
            assignments,
        }
    }

    /// A SyncGroup failed (the group rebalanced again, or forgot this
    /// member): rejoin from the next `poll()`, at once if the application
    /// is in it.
    pub fn sync_failed(&mut self, now_ms: u64, error: ErrorCode, out: &mut Outbox) {
        if error == ErrorCode::UnknownMemberId {
            self.member_id = None;
        }
        if matches!(
            error,
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration
        ) {
            self.generation = GenerationId(-1);
        }
        self.membership = Membership::Unjoined;
        self.rejoin_needed = true;
        if self.app == AppState::Polling {
            self.set_timer_at(now_ms, ConsumerTimer::Poll, out);
        }
    }

    /// A Heartbeat's error (`HeartbeatResponseHandler`):
    /// REBALANCE_IN_PROGRESS asks the member to rejoin in its next `poll()`;
    /// UNKNOWN_MEMBER_ID (a dynamic member also forgets its id) and
    /// ILLEGAL_GENERATION take its generation away first. A polling
    /// application rejoins at once.
    pub fn heartbeat_failed(&mut self, now_ms: u64, error: ErrorCode, out: &mut Outbox) {
        match error {
            ErrorCode::RebalanceInProgress => self.rejoin_needed = true,
            ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                if error == ErrorCode::UnknownMemberId && self.instance_id.is_none() {
                    self.member_id = None;
                }
                self.generation = GenerationId(-1);
                self.membership = Membership::Unjoined;
                self.rejoin_needed = true;
            }
            _ => {}
        }
        if self.app == AppState::Polling && self.rejoin_needed {
            self.set_timer_at(now_ms, ConsumerTimer::Poll, out);
        }
    }
}

/// `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2)`
/// with the consumer defaults (100 ms, 1000 ms): 100, 200, 400, 800, then
/// 1000 ms, each ±20 %, never above the maximum.
pub fn retry_backoff_ms(attempts: u32, rng: &mut Pcg32) -> u64 {
    let term = (RETRY_BACKOFF_MS << attempts.min(10)).min(RETRY_BACKOFF_MAX_MS);
    let jitter = rng.below(41) as u64; // 80 %..=120 %
    (term * (80 + jitter) / 100).min(RETRY_BACKOFF_MAX_MS)
}

/// What became of a commit's answer (see [`Consumer::commit_answered`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitAnswer {
    /// Not a commit this consumer waits for (answered already, or from
    /// before a crash).
    Unknown,
    /// Retriable: it stays pending and goes out again.
    Retry,
    Committed {
        auto: bool,
    },
    Failed,
}

/// What a JoinGroup answer leads to (see [`Consumer::join_answered`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinAnswer {
    /// Not joining any more (a late answer).
    Ignored,
    /// Send a new JoinGroup now.
    JoinAgain,
    /// The consumer cannot go on and stops.
    Fatal,
    /// A retry is set.
    Retried,
    /// A member of the new generation: the leader assigns, all SyncGroup.
    Joined,
}

/// What an assignment changed (see [`Consumer::assign`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassignment {
    /// Owned before, not now.
    pub revoked: Vec<Tp>,
    /// New to this member.
    pub added: Vec<Tp>,
    /// Some partition has no position yet: its committed offset is fetched.
    pub fetch_offsets: bool,
}

/// `ConsumerCoordinator`'s rebalance protocol for the configured assignors
/// (eager when they share none).
pub fn rebalance_protocol(gc: &GroupConfig) -> RebalanceProtocol {
    assignor::client_protocol(&gc.partition_assignment_strategy).unwrap_or(RebalanceProtocol::Eager)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::kafka_consumer::tests::{consumer, entry, fetched, stable, timers, tp};

    #[test]
    fn the_heartbeat_thread_starts_once_and_beats_every_interval() {
        let mut c = stable(&[0], 0);
        let mut out = Outbox::new();
        c.start_heartbeat_thread(100, 3_000, &mut out);
        c.start_heartbeat_thread(200, 3_000, &mut out);
        assert_eq!(timers(&out), [(3_100, ConsumerTimer::HeartbeatTick)]);
        assert_eq!(
            c.heartbeat_request(),
            Some(Msg::Heartbeat {
                group: GroupIdx(0),
                member_id: "member-1".into(),
                generation: GenerationId(1),
            })
        );
        c.membership = Membership::Joining;
        assert!(!c.beats());
    }

    #[test]
    fn a_member_away_from_poll_longer_than_max_poll_interval_leaves_the_group() {
        let mut c = stable(&[0], 0);
        c.app = AppState::Processing;
        c.last_poll_ms = 1_000;
        let mut out = Outbox::new();
        // Exactly max.poll.interval.ms is still in time.
        assert_eq!(c.check_poll_interval(301_000, 300_000, &mut out), None);
        assert!(out.is_empty());
        let leave = c.check_poll_interval(301_001, 300_000, &mut out);
        assert_eq!(
            leave,
            Some(Msg::LeaveGroup {
                group: GroupIdx(0),
                member_id: "member-1".into(),
                reason: LeaveReason::PollTimeout,
            })
        );
        assert_eq!(
            out.events().collect::<Vec<_>>(),
            [&EventKind::PollTimeoutExpired {
                consumer: ConsumerIdx(0)
            }]
        );
        assert_eq!(
            (c.membership, c.generation, c.member_id.as_deref()),
            (Membership::Unjoined, GenerationId(-1), None)
        );
        assert!(c.poll_expired && !c.beats());
        // It expires once; the next poll() clears it and rejoins.
        assert_eq!(c.check_poll_interval(400_000, 300_000, &mut out), None);
    }

    #[test]
    fn a_static_member_away_from_poll_keeps_its_member_id_and_sends_no_leave_group() {
        let mut c = stable(&[0], 0);
        c.instance_id = Some("g-instance-0".into());
        c.app = AppState::Committing {
            commit_id: 1,
            then: AfterCommit::NextRecord,
        };
        let mut out = Outbox::new();
        assert_eq!(c.check_poll_interval(300_001, 300_000, &mut out), None);
        assert_eq!(out.events().count(), 1);
        assert_eq!(c.member_id.as_deref(), Some("member-1"));
        assert_eq!(c.membership, Membership::Unjoined);
    }

    #[test]
    fn a_polling_application_never_exceeds_max_poll_interval() {
        let mut c = stable(&[0], 0);
        let mut out = Outbox::new();
        assert_eq!(c.check_poll_interval(10_000_000, 300_000, &mut out), None);
        assert!(out.is_empty() && !c.poll_expired);
    }

    #[test]
    fn an_eager_rejoin_revokes_every_partition_and_its_position_before_joining() {
        let mut c = stable(&[0, 1], 5);
        c.last_assignment = vec![tp(0), tp(1)];
        fetched(&mut c, 0, vec![entry(5, Some(5))]);
        let revoked = c.revoke_before_join(RebalanceProtocol::Eager);
        assert_eq!(revoked, [tp(0), tp(1)]);
        assert!(c.assignment.is_empty() && c.positions.is_empty() && c.fetched.is_empty());
        // Sticky's userData still names the last assignment.
        assert_eq!(c.owned_for_join(RebalanceProtocol::Eager), [tp(0), tp(1)]);
        // Nothing left to revoke on a second try.
        assert!(c.revoke_before_join(RebalanceProtocol::Eager).is_empty());
    }

    #[test]
    fn a_cooperative_rejoin_keeps_its_partitions_and_reports_them_as_owned() {
        let mut c = stable(&[0, 1], 5);
        c.last_generation = Some(1);
        assert!(c
            .revoke_before_join(RebalanceProtocol::Cooperative)
            .is_empty());
        assert_eq!(c.positions.len(), 2);
        assert_eq!(
            c.owned_for_join(RebalanceProtocol::Cooperative),
            [tp(0), tp(1)]
        );
        c.rejoin_needed = true;
        let owned = vec![TopicPartition {
            topic: "events".into(),
            partition: 0,
        }];
        let Msg::JoinGroup {
            meta, known_member, ..
        } = c.join_group(&GroupConfig::default(), owned.clone())
        else {
            panic!("not a JoinGroup");
        };
        assert_eq!((meta.owned, meta.owned_generation), (owned, Some(1)));
        assert_eq!(meta.member_id, "member-1");
        assert!(known_member);
        assert_eq!(c.membership, Membership::Joining);
        assert!(!c.rejoin_needed);
    }

    #[test]
    fn a_cooperative_assignment_revokes_only_what_moved_and_asks_for_a_second_rebalance() {
        let mut c = stable(&[0, 1], 5);
        c.membership = Membership::AwaitingSync;
        c.generation = GenerationId(2);
        let change = c.assign(
            vec![tp(1), tp(2)],
            RebalanceProtocol::Cooperative,
            50,
            5_000,
        );
        assert_eq!(change.revoked, [tp(0)]);
        assert_eq!(change.added, [tp(2)]);
        // Partition 1 stays where it was; partition 2 needs its committed offset.
        assert_eq!(c.positions.get(&tp(1)), Some(&Offset(5)));
        assert!(!c.positions.contains_key(&tp(0)));
        assert!(change.fetch_offsets);
        assert_eq!(c.offsets_pending, [tp(2)]);
        assert!(c.rejoin_needed, "KIP-429: rejoin so partition 0 can move");
        assert_eq!(c.membership, Membership::Stable);
        assert_eq!(c.last_generation, Some(2));
        assert_eq!(c.auto_commit_due_ms, 5_050);
    }

    #[test]
    fn an_eager_assignment_after_the_revoke_needs_no_second_rebalance() {
        let mut c = stable(&[0, 1], 5);
        c.revoke_before_join(RebalanceProtocol::Eager);
        let change = c.assign(vec![tp(1)], RebalanceProtocol::Eager, 0, 5_000);
        assert!(change.revoked.is_empty());
        assert_eq!(change.added, [tp(1)]);
        assert!(!c.rejoin_needed);
        assert_eq!(c.offsets_pending, [tp(1)]);
    }

    /// A stable member with commit 7 of `offsets` pending, blocked in
    /// `commitSync()` on it before `then`.
    fn committing(then: AfterCommit, offsets: Vec<(Tp, Offset)>) -> Consumer {
        let mut c = stable(&[0, 1], 3);
        c.pending_commits.push(PendingCommit {
            commit_id: 7,
            offsets: crate::engine::kafka_consumer::PendingOffsets::copy_of(&offsets),
            auto: false,
        });
        c.app = AppState::Committing { commit_id: 7, then };
        c
    }

    /// The coordinator's answer to commit 7, at `now`, with `error`.
    fn answer(c: &mut Consumer, now: u64, error: Option<ErrorCode>) -> (CommitAnswer, Outbox) {
        let offsets = c.pending_commits.first().map(|p| p.offsets.to_vec());
        let mut out = Outbox::new();
        let answer = c.commit_answered(now, 7, &offsets.unwrap_or_default(), error, &mut out);
        (answer, out)
    }

    #[test]
    fn only_a_member_of_an_active_generation_may_commit() {
        let mut out = Outbox::new();
        assert!(stable(&[0], 0).may_commit(false, &mut out));
        let mut c = consumer();
        // An auto-commit fails quietly, commitSync() throws.
        assert!(!c.may_commit(true, &mut out));
        assert!(out.is_empty());
        c.member_id = Some("member-1".into());
        c.membership = Membership::Joining;
        assert!(!c.may_commit(false, &mut out));
        assert_eq!(
            out.events().collect::<Vec<_>>(),
            [&EventKind::CommitFailed {
                group: GroupIdx(0),
                consumer: ConsumerIdx(0),
                error: ErrorCode::CommitFailed,
            }]
        );
    }

    #[test]
    fn a_successful_commit_is_remembered_and_the_next_record_is_processed() {
        let offsets = vec![(tp(0), Offset(4))];
        let mut c = committing(AfterCommit::NextRecord, offsets.clone());
        c.processing_time_ms = 25;
        c.current.push_back((tp(0), RecordId(4), Offset(4)));
        let request = c.pending_commit_request(7);
        assert_eq!(request, Some(c.offset_commit(7, offsets.clone(), false)));
        let (answer, mut out) = answer(&mut c, 10, None);
        assert_eq!(answer, CommitAnswer::Committed { auto: false });
        assert_eq!(c.committed.get(&tp(0)), Some(&Offset(4)));
        assert!(c.pending_commits.is_empty());
        // The same answer again (or one from before a crash) is ignored.
        assert_eq!(
            c.commit_answered(10, 7, &offsets, None, &mut out),
            CommitAnswer::Unknown
        );
        c.resume_after_commit(7, false, 10, &mut out);
        assert_eq!(c.app, AppState::Processing);
        assert_eq!(timers(&out), [(35, ConsumerTimer::ProcessDone)]);
    }

    #[test]
    fn a_commit_refused_by_a_moving_coordinator_stays_pending_and_is_retried() {
        let offsets = vec![(tp(0), Offset(4))];
        let mut c = committing(AfterCommit::NextRecord, offsets);
        let (answer, out) = answer(&mut c, 500, Some(ErrorCode::NotCoordinator));
        assert_eq!(answer, CommitAnswer::Retry);
        assert_eq!(c.pending_commits.len(), 1);
        assert!(c.committed.is_empty());
        assert_eq!(timers(&out), [(600, ConsumerTimer::Retry)]);
    }

    #[test]
    fn a_commit_from_a_stale_generation_fails_and_at_most_once_drops_the_batch() {
        let offsets = vec![(tp(0), Offset(5)), (tp(1), Offset(3))];
        let mut c = committing(AfterCommit::ProcessBatch, offsets);
        c.current.push_back((tp(0), RecordId(4), Offset(4)));
        let (answer, mut out) = answer(&mut c, 10, Some(ErrorCode::IllegalGeneration));
        assert_eq!(answer, CommitAnswer::Failed);
        assert!(c.committed.is_empty());
        assert!(c.rejoin_needed);
        assert_eq!(c.membership, Membership::Unjoined);
        assert_eq!(c.member_id.as_deref(), Some("member-1"));
        // commitSync() threw before the processing loop: the batch is gone
        // and the application polls again.
        c.resume_after_commit(7, true, 10, &mut out);
        assert!(c.current.is_empty());
        assert_eq!(c.app, AppState::Polling);
        assert_eq!(timers(&out), [(10, ConsumerTimer::Poll)]);
    }

    #[test]
    fn an_unknown_dynamic_member_forgets_its_member_id_after_a_failed_commit() {
        let offsets = vec![(tp(0), Offset(4))];
        let mut c = committing(AfterCommit::NextRecord, offsets.clone());
        let error = Some(ErrorCode::UnknownMemberId);
        answer(&mut c, 10, error);
        assert_eq!(c.member_id, None);
        let mut s = committing(AfterCommit::NextRecord, offsets);
        s.instance_id = Some("g-instance-0".into());
        answer(&mut s, 10, error);
        assert_eq!(s.member_id.as_deref(), Some("member-1"));
        assert_eq!(s.membership, Membership::Stable);
    }

    #[test]
    fn on_close_a_dynamic_member_leaves_the_group_and_a_static_one_does_not() {
        let mut c = stable(&[0], 0);
        assert_eq!(
            c.leave_on_close(),
            Some(Msg::LeaveGroup {
                group: GroupIdx(0),
                member_id: "member-1".into(),
                reason: LeaveReason::Clean,
            })
        );
        c.instance_id = Some("g-instance-0".into());
        assert_eq!(c.leave_on_close(), None);
    }

    /// A consumer whose JoinGroup is in flight gets its answer at `now`.
    fn join(now: u64, error: Option<ErrorCode>, generation: i32) -> (Consumer, JoinAnswer, Outbox) {
        let mut c = consumer();
        c.membership = Membership::Joining;
        c.rejoin_needed = false;
        let mut out = Outbox::new();
        let answer = c.join_answered(now, error, "member-9", GenerationId(generation), &mut out);
        (c, answer, out)
    }

    #[test]
    fn a_new_member_joins_again_with_the_member_id_the_coordinator_required() {
        let (c, answer, out) = join(0, Some(ErrorCode::MemberIdRequired), -1);
        assert_eq!(answer, JoinAnswer::JoinAgain);
        assert_eq!(c.member_id.as_deref(), Some("member-9"));
        assert_eq!(c.membership, Membership::Unjoined);
        assert!(out.is_empty());
    }

    #[test]
    fn a_joined_member_of_a_new_generation_waits_for_its_assignment() {
        let (mut c, answer, mut out) = join(0, None, 4);
        assert_eq!(answer, JoinAnswer::Joined);
        assert_eq!(c.membership, Membership::AwaitingSync);
        assert!(c.beats());
        assert_eq!(
            c.sync_group(Vec::new()),
            Msg::SyncGroup {
                group: GroupIdx(0),
                member_id: "member-9".into(),
                generation: GenerationId(4),
                assignments: Vec::new(),
            }
        );
        // A second answer to the same join is late and ignored.
        let late = c.join_answered(0, None, "member-9", GenerationId(5), &mut out);
        assert_eq!(late, JoinAnswer::Ignored);
        assert_eq!(c.generation, GenerationId(4));
    }

    #[test]
    fn an_inconsistent_group_protocol_is_fatal_and_other_join_errors_are_retried() {
        let (_, answer, out) = join(0, Some(ErrorCode::InconsistentGroupProtocol), -1);
        assert_eq!(answer, JoinAnswer::Fatal);
        assert_eq!(out.events().count(), 1);
        let (c, answer, out) = join(1_000, Some(ErrorCode::CoordinatorNotAvailable), -1);
        assert_eq!(answer, JoinAnswer::Retried);
        assert!(c.rejoin_needed);
        assert_eq!(timers(&out), [(1_100, ConsumerTimer::Retry)]);
    }

    #[test]
    fn a_rebalance_in_progress_makes_a_polling_member_rejoin_at_once() {
        let mut c = stable(&[0], 0);
        let mut out = Outbox::new();
        c.heartbeat_failed(200, ErrorCode::RebalanceInProgress, &mut out);
        assert!(c.rejoin_needed);
        // It keeps its generation (and partitions) until it rejoins.
        assert_eq!(
            (c.membership, c.generation),
            (Membership::Stable, GenerationId(1))
        );
        assert_eq!(timers(&out), [(200, ConsumerTimer::Poll)]);
        // A busy application rejoins from its next poll() instead.
        let mut c = stable(&[0], 0);
        c.app = AppState::Processing;
        let mut out = Outbox::new();
        c.heartbeat_failed(200, ErrorCode::IllegalGeneration, &mut out);
        assert_eq!(c.membership, Membership::Unjoined);
        assert_eq!(c.generation, GenerationId(-1));
        assert!(out.is_empty());
    }

    #[test]
    fn a_static_member_keeps_its_member_id_when_the_coordinator_forgets_it() {
        let mut c = stable(&[0], 0);
        c.instance_id = Some("g-instance-0".into());
        let mut out = Outbox::new();
        c.heartbeat_failed(0, ErrorCode::UnknownMemberId, &mut out);
        assert_eq!(c.member_id.as_deref(), Some("member-1"));
        let mut d = stable(&[0], 0);
        d.heartbeat_failed(0, ErrorCode::UnknownMemberId, &mut out);
        assert_eq!(d.member_id, None);
        let mut e = stable(&[0], 0);
        e.membership = Membership::AwaitingSync;
        e.sync_failed(0, ErrorCode::UnknownMemberId, &mut out);
        assert_eq!((e.member_id, e.generation), (None, GenerationId(-1)));
        assert!(e.rejoin_needed);
    }

    #[test]
    fn a_committed_offset_becomes_the_position_and_partitions_without_one_are_reset() {
        let mut c = stable(&[0, 1], 0);
        c.positions.clear();
        c.offsets_pending = vec![tp(0), tp(1)];
        let mut rng = Pcg32::new(1, 2);
        let mut out = Outbox::new();
        let offsets = vec![(tp(0), Ok(Some(Offset(8)))), (tp(1), Ok(None))];
        let reset = c.offsets_fetched(0, None, offsets, &mut rng, &mut out);
        assert_eq!(reset, Some(vec![tp(1)]));
        assert_eq!(c.positions.get(&tp(0)), Some(&Offset(8)));
        assert_eq!(c.committed.get(&tp(0)), Some(&Offset(8)));
        assert_eq!(c.offsets_pending, [tp(1)]);
        assert_eq!(out.events().count(), 1);
        assert_eq!(
            c.offset_fetch(),
            Msg::OffsetFetch {
                group: GroupIdx(0),
                partitions: vec![tp(1)],
                require_stable: true,
                member: None,
            }
        );
    }

    #[test]
    fn an_unstable_offset_commit_is_asked_again_after_a_growing_backoff() {
        let mut c = stable(&[0], 0);
        c.offsets_pending = vec![tp(0)];
        let mut rng = Pcg32::new(1, 2);
        let mut out = Outbox::new();
        for now in [0, 1_000, 2_000] {
            let unstable = vec![(tp(0), Err(ErrorCode::UnstableOffsetCommit))];
            assert_eq!(
                c.offsets_fetched(now, None, unstable, &mut rng, &mut out),
                None
            );
        }
        assert_eq!(c.offset_fetch_attempts, 3);
        let waits: Vec<u64> = timers(&out)
            .iter()
            .zip([0, 1_000, 2_000])
            .map(|((at, timer), now)| {
                assert_eq!(*timer, ConsumerTimer::OffsetFetchRetry);
                at - now
            })
            .collect();
        for (wait, base) in waits.iter().zip([100, 200, 400]) {
            assert!((base * 4 / 5..=base * 6 / 5).contains(wait), "{waits:?}");
        }
        // The next stable answer starts the backoff over.
        let stable_answer = vec![(tp(0), Ok(Some(Offset(1))))];
        c.offsets_fetched(3_000, None, stable_answer, &mut rng, &mut out);
        assert_eq!(c.offset_fetch_attempts, 0);
    }

    #[test]
    fn the_retry_backoff_doubles_up_to_its_maximum_within_twenty_percent() {
        let mut rng = Pcg32::new(7, 7);
        for attempts in 0..40 {
            let wait = retry_backoff_ms(attempts, &mut rng);
            let base = (100u64 << attempts.min(10)).min(1_000);
            assert!(wait >= base * 4 / 5 && wait <= base.min(1_000) * 6 / 5);
            assert!(wait <= 1_000);
        }
    }
}

/// Native only (`cfg(engine_speed)`): the two commit rules an
/// at-least-once consumer runs after each record, for a commit that
/// succeeded, without an outbox (see the native
/// `Engine::consumer_commit_response` in consumer.rs). Debug builds run the
/// page's rules on a copy of the consumer and check that they agree.
#[cfg(engine_speed)]
impl Consumer {
    /// [`Consumer::commit_answered`] without an error: the commit leaves
    /// the pending list and its offsets are committed; nothing is recorded.
    /// The answer is nearly always to the last commit sent (a consumer
    /// blocked in `commitSync()` has one pending), so the list is searched
    /// from its end (ids are unique: the same commit either way) and the
    /// commit popped rather than removed.
    pub fn commit_succeeded(&mut self, commit_id: u64, offsets: &[(Tp, Offset)]) -> CommitAnswer {
        #[cfg(debug_assertions)]
        let rule = {
            let mut twin = self.clone();
            let mut out = Outbox::new();
            let answer = twin.commit_answered(0, commit_id, offsets, None, &mut out);
            assert!(out.is_empty(), "a successful commit records nothing");
            (twin, answer)
        };
        let answer = match self
            .pending_commits
            .iter()
            .rposition(|p| p.commit_id == commit_id)
        {
            None => CommitAnswer::Unknown,
            Some(pos) => {
                let pc = if pos + 1 == self.pending_commits.len() {
                    self.pending_commits.pop().expect("found at pos")
                } else {
                    self.pending_commits.remove(pos)
                };
                for (tp, o) in offsets {
                    crate::engine::group_coordinator::set_committed(&mut self.committed, *tp, *o);
                }
                CommitAnswer::Committed { auto: pc.auto }
            }
        };
        #[cfg(debug_assertions)]
        assert!(
            *self == rule.0 && answer == rule.1,
            "commit_succeeded differs from commit_answered"
        );
        answer
    }

    /// [`Consumer::resume_after_commit`] after a success: the timer of the
    /// application's next step (`process_next`'s), returned instead of
    /// recorded, or `None` if the application does not wait for this
    /// commit. A success drops nothing, whatever the application does next.
    pub fn resume_after_success(
        &mut self,
        commit_id: u64,
        now_ms: u64,
    ) -> Option<(u64, ConsumerTimer)> {
        #[cfg(debug_assertions)]
        let rule = {
            let mut twin = self.clone();
            let mut out = Outbox::new();
            twin.resume_after_commit(commit_id, false, now_ms, &mut out);
            (twin, out)
        };
        let next = match self.app {
            AppState::Committing {
                commit_id: waiting, ..
            } if waiting == commit_id => Some(if self.current.is_empty() {
                self.app = AppState::Polling;
                (now_ms, ConsumerTimer::Poll)
            } else {
                self.app = AppState::Processing;
                let at = now_ms + self.processing_time_ms as u64;
                (at, ConsumerTimer::ProcessDone)
            }),
            _ => None,
        };
        #[cfg(debug_assertions)]
        {
            let timers: Vec<_> = rule.1.timers().map(|(at, a)| (at, a.clone())).collect();
            let mine: Vec<_> = next.iter().map(|&(at, t)| (at, self.timer(t))).collect();
            assert!(
                *self == rule.0 && timers == mine,
                "resume_after_success differs from resume_after_commit"
            );
        }
        next
    }
}
