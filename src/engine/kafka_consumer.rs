//! The consumer client as a component: what one `KafkaConsumer` knows and
//! the rules it decides by, without the engine.
//!
//! Kafka splits the client into a few classes, and so does this state:
//!
//! - `SubscriptionState` (`clients/src/main/java/org/apache/kafka/clients/consumer/internals/SubscriptionState.java`):
//!   the assigned partitions and the **position** of each, the offset of
//!   the next record `poll()` hands out ([`Consumer::positions`]).
//! - `Fetcher` / `FetchCollector` (`.../consumer/internals/Fetcher.java`,
//!   `FetchCollector.java`): which partitions the next Fetch asks for, from
//!   which offset, and how completed fetches become a poll's records.
//! - `ConsumerCoordinator` (`.../consumer/internals/ConsumerCoordinator.java`)
//!   and its parent `AbstractCoordinator`: group membership (member id,
//!   generation, JoinGroup/SyncGroup), the heartbeat thread and
//!   `max.poll.interval.ms`, eager or cooperative revocation, and commits.
//!   Those rules are in `consumer_coordinator.rs`.
//!
//! The rules are methods of [`Consumer`] that take the time and what they
//! need, change the consumer's state and write what they send, schedule or
//! show into an [`Outbox`], so each is unit-tested on a consumer alone.
//! This file holds the state, the timers (every one is stamped with the
//! consumer's incarnation by [`Consumer::timer`]), positions, fetching and
//! the processing loop. `consumer.rs` is the engine glue: it looks up
//! coordinators and leaders, draws ids from the engine, names topics, and
//! applies the outbox at the point where the effects happened before.

use crate::engine::client_metadata::ClientMetadata;
use crate::engine::config::{AutoOffsetReset, GroupConfig};
use crate::engine::event::CrashPoint;
use crate::engine::event::{ErrorCode, EventKind};
use crate::engine::ids::*;
use crate::engine::log::LogEntry;
use crate::engine::network::{FetchPartition, FetchPartitionData, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::sim::Action;
use crate::engine::vecmap::VecMap;
use std::collections::VecDeque;

/// The consumer's `retry.backoff.ms` and `retry.backoff.max.ms` (defaults).
pub(crate) const RETRY_BACKOFF_MS: u64 = 100;
pub(crate) const RETRY_BACKOFF_MAX_MS: u64 = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    Unjoined,
    Joining,
    AwaitingSync,
    Stable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterCommit {
    /// At-most-once: the commit came first; now process the batch.
    ProcessBatch,
    /// At-least-once: the record is done; take the next one.
    NextRecord,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppState {
    /// Inside `poll()`, waiting for the group, offsets or records.
    Polling,
    /// Running the application's code on `current[0]`.
    Processing,
    /// Blocked in `commitSync()`.
    Committing { commit_id: u64, then: AfterCommit },
    /// Closed or crashed.
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCommit {
    pub commit_id: u64,
    pub offsets: PendingOffsets,
    pub auto: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub idx: ConsumerIdx,
    pub group: GroupIdx,
    /// "A", "B", … as the course text names consumers.
    pub label: String,
    /// Java's default `client.id`: `consumer-<group>-<n>`.
    pub client_id: String,
    pub alive: bool,
    pub incarnation: u32,
    pub member_id: Option<String>,
    pub instance_id: Option<String>,
    pub generation: GenerationId,
    pub membership: Membership,
    pub assignment: Vec<Tp>,
    /// The assignment and generation of the last completed rebalance
    /// (eager sticky's userData survives the eager revoke).
    pub last_assignment: Vec<Tp>,
    pub last_generation: Option<i32>,
    pub positions: VecMap<Tp, Offset>,
    /// What this consumer last saw committed, per partition.
    pub committed: VecMap<Tp, Offset>,
    pub offsets_pending: Vec<Tp>,
    /// OffsetFetch answers of UNSTABLE_OFFSET_COMMIT in a row (the backoff grows).
    pub offset_fetch_attempts: u32,
    pub fetches: VecMap<BrokerId, u64>,
    /// Completed fetches not yet returned by `poll()`.
    pub fetched: VecMap<Tp, VecDeque<LogEntry>>,
    pub aborted: VecMap<Tp, Vec<crate::engine::log::AbortedTxn>>,
    /// Records returned by the last `poll()`, not yet processed.
    pub current: VecDeque<(Tp, RecordId, Offset)>,
    pub app: AppState,
    pub last_poll_ms: u64,
    pub rejoin_needed: bool,
    pub poll_expired: bool,
    pub auto_commit_due_ms: u64,
    pub armed_crash: Vec<CrashPoint>,
    /// `process_event()` raises on the next record (a scripted fault).
    pub raise_next: bool,
    pub processing_time_ms: u32,
    pub heartbeat_running: bool,
    pub pending_commits: PendingCommits,
    pub records_processed: u64,
    pub batch_committed: bool,
    /// The transactional producer of an exactly-once processor.
    pub txn_producer: Option<ProducerIdx>,
    /// Who leads each partition and who coordinates its group, as far as
    /// this consumer knows.
    pub metadata: ClientMetadata,
    /// This consumer's `group.protocol` (its group's, until a rolling bounce
    /// restarts it with another: `Command::RestartConsumerWith`).
    pub group_protocol: crate::engine::config::GroupProtocol,
    /// The consumer group protocol's state (`group.protocol=consumer`; not in
    /// the course page's bundle, see build.rs).
    #[cfg(consumer_protocol)]
    pub modern: Option<crate::engine::consumer_membership::ModernMembership>,
}

impl Consumer {
    /// A new `KafkaConsumer` at `now_ms`: no member id yet, nothing
    /// assigned, a join due on its first `poll()`.
    pub fn new(
        idx: ConsumerIdx,
        group: GroupIdx,
        client_id: String,
        instance_id: Option<String>,
        gc: &GroupConfig,
        now_ms: u64,
        metadata: ClientMetadata,
    ) -> Consumer {
        Consumer {
            idx,
            group,
            label: label_for(idx.0 as usize),
            client_id,
            alive: true,
            incarnation: 0,
            member_id: None,
            instance_id,
            generation: GenerationId(-1),
            membership: Membership::Unjoined,
            assignment: Vec::new(),
            last_assignment: Vec::new(),
            last_generation: None,
            positions: VecMap::new(),
            committed: VecMap::new(),
            offsets_pending: Vec::new(),
            offset_fetch_attempts: 0,
            fetches: VecMap::new(),
            fetched: VecMap::new(),
            aborted: VecMap::new(),
            current: VecDeque::new(),
            app: AppState::Polling,
            last_poll_ms: now_ms,
            rejoin_needed: true,
            poll_expired: false,
            auto_commit_due_ms: now_ms + gc.auto_commit_interval_ms as u64,
            armed_crash: Vec::new(),
            raise_next: false,
            processing_time_ms: gc.processing_time_ms,
            heartbeat_running: false,
            pending_commits: PendingCommits::new(),
            records_processed: 0,
            batch_committed: false,
            txn_producer: None,
            metadata,
            group_protocol: gc.group_protocol,
            #[cfg(consumer_protocol)]
            modern: None,
        }
    }

    /// Whether this consumer is a member under Kafka 4's consumer protocol.
    pub fn on_consumer_protocol(&self) -> bool {
        #[cfg(consumer_protocol)]
        return self.modern.is_some();
        #[cfg(not(consumer_protocol))]
        false
    }

    /// The action that runs `timer` for this incarnation of the consumer: a
    /// timer set before a crash or restart is ignored when it fires (see
    /// [`Consumer::is_current`]). Every consumer timer is built here.
    pub fn timer(&self, timer: ConsumerTimer) -> Action {
        Action::Consumer {
            consumer: self.idx,
            incarnation: self.incarnation,
            timer,
        }
    }

    /// Sets one of this consumer's timers to fire at `at_ms`.
    pub fn set_timer_at(&self, at_ms: u64, timer: ConsumerTimer, out: &mut Outbox) {
        out.timer_at(at_ms, self.timer(timer));
    }

    /// Whether a timer set in `incarnation` may still run: this process has
    /// neither crashed nor restarted since.
    pub fn is_current(&self, incarnation: u32) -> bool {
        self.alive && self.incarnation == incarnation
    }

    // ---- the poll loop (`KafkaConsumer.poll`) ---------------------------------

    /// The application enters `poll()` (only from its loop: not while it
    /// processes, commits or is stopped). Polling resets the
    /// `max.poll.interval.ms` clock; if that interval expired meanwhile, the
    /// member rejoins now.
    pub fn enter_poll(&mut self, now_ms: u64) -> bool {
        if self.app != AppState::Polling {
            return false;
        }
        self.last_poll_ms = now_ms;
        if self.poll_expired {
            self.poll_expired = false;
            self.rejoin_needed = true;
        }
        true
    }

    /// What this `poll()` does after its auto-commit: (re)join the group if
    /// asked to and not already joining; wait while a rebalance or an
    /// offset lookup is under way; else hand out records or fetch.
    pub fn poll_next(&self) -> PollNext {
        let joining = matches!(
            self.membership,
            Membership::Joining | Membership::AwaitingSync
        );
        if self.rejoin_needed && !joining {
            PollNext::Join
        } else if self.membership != Membership::Stable || !self.offsets_pending.is_empty() {
            PollNext::Wait
        } else {
            PollNext::Records
        }
    }

    /// `poll()` found nothing and waits; under auto-commit it wakes up when
    /// the next commit is due (at least 1 ms on), while something is left
    /// to commit.
    pub fn wake_for_auto_commit(&self, now_ms: u64, out: &mut Outbox) {
        if self.has_uncommitted_positions() {
            let due = self.auto_commit_due_ms.max(now_ms + 1);
            self.set_timer_at(due, ConsumerTimer::Poll, out);
        }
    }

    /// `poll()` returns `batch`: one Polled per partition, with its new
    /// position. It becomes the records the application processes next.
    pub fn deliver(&mut self, batch: Vec<(Tp, RecordId, Offset)>, out: &mut Outbox) {
        let mut by_tp: VecMap<Tp, Vec<(RecordId, Offset)>> = VecMap::new();
        for (tp, r, o) in &batch {
            by_tp.entry_or_default(*tp).push((*r, *o));
        }
        for (tp, records) in by_tp {
            out.event(EventKind::Polled {
                consumer: self.idx,
                tp,
                records,
                position: self.positions[&tp],
                skipped_control: 0,
            });
        }
        self.current = batch.into();
        self.batch_committed = false;
    }

    // ---- positions and fetching (`SubscriptionState`, `Fetcher`) -------------

    /// `FetchCollector.collectFetch`: moves up to `max` records from completed
    /// fetches into a poll's result, in partition order. The position moves
    /// past every entry taken, including control records and records of
    /// aborted transactions, which are not handed out; an entry that is not
    /// at the position is stale (fetched before a seek or a reset) and dropped.
    /// (Each partition's position is looked up once and moved in place, and
    /// its aborted transactions are borrowed: W1 full polls ~60,000 records.)
    pub fn drain_fetched(&mut self, max: usize) -> Vec<(Tp, RecordId, Offset)> {
        let queued: usize = self.fetched.values().map(VecDeque::len).sum();
        let mut out = Vec::with_capacity(queued.min(max));
        let tps: Vec<Tp> = self.fetched.keys().copied().collect();
        for tp in tps {
            let aborted = self.aborted.get(&tp).map_or(&[][..], Vec::as_slice);
            let queue = self.fetched.get_mut(&tp).expect("key");
            let mut position = self.positions.get_mut(&tp);
            while out.len() < max {
                let Some(e) = queue.pop_front() else { break };
                match position.as_deref_mut() {
                    Some(p) if *p == e.offset => *p = e.offset.next(),
                    _ => continue, // stale data from before a seek
                }
                // Control records and aborted records move the position only.
                if let Some(record) = e.record.filter(|_| !in_aborted_txn(aborted, &e)) {
                    out.push((tp, record, e.offset));
                }
            }
            if queue.is_empty() {
                self.fetched.remove(&tp);
            }
        }
        out
    }

    /// `Fetcher.prepareFetchRequests`: one Fetch per leader this consumer
    /// knows, for each assigned partition with a position, nothing fetched
    /// and waiting, no fetch to that leader in flight and a connection out of
    /// its reconnect backoff. Each asks from the partition's position.
    pub fn fetch_plan(&self, now_ms: u64) -> FetchPlan {
        let mut plan = FetchPlan::default();
        for tp in &self.assignment {
            let Some(pos) = self.positions.get(tp) else {
                continue;
            };
            if self.fetched.get(tp).is_some_and(|q| !q.is_empty()) {
                continue;
            }
            // The leader this consumer knows; none (or one whose connection
            // just closed) means no fetch until the metadata is refreshed.
            let Some(l) = self.metadata.leader(*tp) else {
                continue;
            };
            if self.fetches.contains_key(&l) {
                continue;
            }
            if let Some(at) = self.metadata.reconnect_at(l, now_ms) {
                plan.reconnect_at = Some(plan.reconnect_at.map_or(at, |r: u64| r.min(at)));
                continue;
            }
            plan.by_leader.entry_or_default(l).push(FetchPartition {
                tp: *tp,
                fetch_offset: *pos,
                last_fetched_epoch: None,
                current_leader_epoch: self.metadata.leader_epoch(*tp),
                follower_hw: None,
            });
        }
        plan
    }

    /// `poll()` goes on once no partition waits for its position.
    pub fn wake_poll(&self, now_ms: u64, out: &mut Outbox) {
        if self.app == AppState::Polling && self.offsets_pending.is_empty() {
            self.set_timer_at(now_ms, ConsumerTimer::Poll, out);
        }
    }

    /// `auto.offset.reset` for partitions with no committed offset (or whose
    /// position fell out of range): a ListOffsets to each one's leader, for
    /// the earliest or latest offset. A partition with no known leader is
    /// retried. With `none` there is nothing to reset to: each partition is
    /// shown as NO_OFFSET_FOR_PARTITION and `None` is returned (the consumer
    /// stops).
    pub fn reset_offsets(
        &self,
        now_ms: u64,
        tps: &[Tp],
        gc: &GroupConfig,
        out: &mut Outbox,
    ) -> Option<Vec<(BrokerId, Msg)>> {
        if gc.auto_offset_reset == AutoOffsetReset::None {
            for tp in tps {
                out.event(EventKind::ConsumerError {
                    consumer: self.idx,
                    tp: *tp,
                    error: ErrorCode::NoOffsetForPartition,
                });
            }
            return None;
        }
        let mut by_leader: VecMap<BrokerId, Vec<(Tp, AutoOffsetReset)>> = VecMap::new();
        for tp in tps {
            match self.metadata.leader(*tp) {
                Some(l) => by_leader
                    .entry_or_default(l)
                    .push((*tp, gc.auto_offset_reset)),
                None => self.retry_later(now_ms, out),
            }
        }
        let requests = by_leader.into_iter().map(|(l, partitions)| {
            let isolation = gc.isolation_level;
            (
                l,
                Msg::ListOffsets {
                    isolation,
                    partitions,
                },
            )
        });
        Some(requests.collect())
    }

    /// A partition waiting for its position gets one
    /// (`SubscriptionState.seekUnvalidated`): its committed offset, or the
    /// offset `auto.offset.reset` chose.
    pub(crate) fn position_found(
        &mut self,
        tp: Tp,
        position: Offset,
        committed: Option<Offset>,
        reset: Option<AutoOffsetReset>,
        out: &mut Outbox,
    ) {
        self.positions.insert(tp, position);
        self.offsets_pending.retain(|x| *x != tp);
        out.event(EventKind::PositionReset {
            consumer: self.idx,
            tp,
            position,
            committed,
            reset,
        });
    }

    /// The ListOffsets answers: each partition still waiting starts at the
    /// offset found (shown with the reset policy that chose it); an error
    /// is retried, after a metadata refresh if the leader moved.
    pub fn offsets_listed(
        &mut self,
        now_ms: u64,
        partitions: Vec<(Tp, Result<Offset, ErrorCode>)>,
        reset: AutoOffsetReset,
        out: &mut Outbox,
    ) {
        for (tp, res) in partitions {
            if !self.offsets_pending.contains(&tp) {
                continue;
            }
            match res {
                Ok(o) => self.position_found(tp, o, None, Some(reset), out),
                Err(e) => {
                    if e.invalidates_metadata() {
                        self.metadata.request_update();
                    }
                    self.retry_later(now_ms, out);
                }
            }
        }
    }

    /// A Fetch answer from `broker` (`Fetcher.handleFetchSuccess`), taken
    /// only if it answers the fetch in flight to that broker. Records that
    /// start at a partition's position are kept for `poll()`; a partition
    /// out of range loses its position and waits for a reset (its
    /// partitions are returned); other errors ask for a retry, after a
    /// metadata refresh if the leader moved. Partitions no longer assigned,
    /// or without a position, are ignored.
    pub fn fetch_answered(
        &mut self,
        broker: BrokerId,
        fetch_id: u64,
        parts: Vec<FetchPartitionData>,
    ) -> Option<FetchAnswer> {
        if self.fetches.get(&broker) != Some(&fetch_id) {
            return None;
        }
        self.fetches.remove(&broker);
        let mut answer = FetchAnswer::default();
        for d in parts {
            if !self.assignment.contains(&d.tp) || !self.positions.contains_key(&d.tp) {
                continue;
            }
            match d.error {
                Some(ErrorCode::OffsetOutOfRange) => answer.reset.push(d.tp),
                Some(e) => {
                    answer.retry = true;
                    if e.invalidates_metadata() {
                        self.metadata.request_update();
                    }
                }
                None => {
                    if !d.entries.is_empty() && d.entries[0].offset == self.positions[&d.tp] {
                        answer.got = true;
                        self.aborted.insert(d.tp, d.aborted);
                        self.fetched.entry_or_default(d.tp).extend(d.entries);
                    }
                }
            }
        }
        for tp in &answer.reset {
            self.positions.remove(tp);
        }
        self.offsets_pending.extend(answer.reset.iter().copied());
        Some(answer)
    }

    /// The Fetch `fetch_id` to `leader` for `partitions` (from
    /// [`Consumer::fetch_plan`]); it is the fetch in flight to that leader.
    pub fn fetch_request(
        &mut self,
        leader: BrokerId,
        fetch_id: u64,
        partitions: Vec<FetchPartition>,
        gc: &GroupConfig,
    ) -> Msg {
        self.fetches.insert(leader, fetch_id);
        Msg::Fetch {
            fetch_id,
            replica: None,
            isolation: gc.isolation_level,
            max_wait_ms: gc.fetch_max_wait_ms,
            max_records: gc.max_poll_records,
            partitions,
        }
    }

    // ---- processing and what it commits (`KafkaConsumer`) ----------------------

    /// Every position: what `commitSync()` with no arguments commits (before
    /// processing, and auto-commit on `close()`).
    pub fn positions_to_commit(&self) -> Vec<(Tp, Offset)> {
        self.positions.iter().map(|(t, o)| (*t, *o)).collect()
    }

    /// The positions not yet committed, as auto-commit sends them.
    pub fn uncommitted_positions(&self) -> Vec<(Tp, Offset)> {
        self.positions
            .iter()
            .filter(|(tp, p)| self.committed.get(tp) != Some(p))
            .map(|(tp, p)| (*tp, *p))
            .collect()
    }

    /// Whether some position is ahead of what this consumer saw committed.
    pub fn has_uncommitted_positions(&self) -> bool {
        self.positions
            .iter()
            .any(|(tp, p)| self.committed.get(tp) != Some(p))
    }

    /// After processing `offset` of `tp`, the application commits the
    /// *next* offset to read, not the one it processed.
    pub fn commit_after_processing(tp: Tp, offset: Offset) -> Vec<(Tp, Offset)> {
        vec![(tp, offset.next())]
    }

    /// `maybeAutoCommitOffsetsAsync`: once `auto.commit.interval.ms` has
    /// passed (and only in an active generation), the interval starts again
    /// and the positions not yet committed are to be committed.
    pub fn auto_commit_due(&mut self, now_ms: u64, interval_ms: u64) -> Vec<(Tp, Offset)> {
        if now_ms < self.auto_commit_due_ms || self.membership != Membership::Stable {
            return Vec::new();
        }
        let offsets = self.uncommitted_positions();
        self.auto_commit_due_ms = now_ms + interval_ms;
        offsets
    }

    /// Tries the pending work again after `retry.backoff.ms` (a coordinator
    /// or a connection was missing).
    pub fn retry_later(&self, now_ms: u64, out: &mut Outbox) {
        self.set_timer_at(now_ms + RETRY_BACKOFF_MS, ConsumerTimer::Retry, out);
    }

    /// The record being processed (`current[0]`) is done and leaves the
    /// batch. If a scripted fault made `process_event()` raise on it,
    /// `raised` is set and it does not count as processed.
    pub fn record_done(&mut self) -> Option<RecordDone> {
        let (tp, record, offset) = self.current.pop_front()?;
        let raised = std::mem::take(&mut self.raise_next);
        if !raised {
            self.records_processed += 1;
        }
        Some(RecordDone {
            tp,
            record,
            offset,
            raised,
        })
    }

    /// A scripted crash armed for `point` fires (once): true if there was one.
    pub fn take_armed_crash(&mut self, point: CrashPoint) -> bool {
        let Some(i) = self.armed_crash.iter().position(|p| *p == point) else {
            return false;
        };
        self.armed_crash.remove(i);
        true
    }

    /// An exactly-once batch's transaction committed, and the positions
    /// with it (`sendOffsetsToTransaction`).
    pub fn positions_committed(&mut self) {
        for (tp, o) in self.positions.iter() {
            self.committed.insert(*tp, *o);
        }
    }

    /// An exactly-once batch's transaction aborted: its records and
    /// positions are dropped, and every partition goes back to its committed
    /// offset, to be processed again.
    pub fn rewind_to_committed(&mut self) {
        self.positions.clear();
        self.fetched.clear();
        self.offsets_pending = self.assignment.clone();
        self.current.clear();
    }

    /// The application calls `commitSync()` (`commit` is its id, `None` if
    /// it failed locally): it blocks until the answer, then goes on with
    /// `then`; a commit that failed locally threw, and the loop goes on.
    pub fn block_on_commit(
        &mut self,
        commit: Option<u64>,
        then: AfterCommit,
        now_ms: u64,
        out: &mut Outbox,
    ) {
        match commit {
            Some(commit_id) => self.app = AppState::Committing { commit_id, then },
            None => self.process_next(now_ms, out),
        }
    }

    /// The application goes on: the next record of the last poll takes
    /// `processing_time_ms`, or, with none left, it calls `poll()` again.
    pub fn process_next(&mut self, now_ms: u64, out: &mut Outbox) {
        if self.current.is_empty() {
            self.app = AppState::Polling;
            self.set_timer_at(now_ms, ConsumerTimer::Poll, out);
            return;
        }
        self.start_processing(now_ms, out);
    }

    /// The application starts on `current[0]`.
    pub fn start_processing(&mut self, now_ms: u64, out: &mut Outbox) {
        self.app = AppState::Processing;
        self.schedule_process_done(now_ms, out);
    }

    /// The record now being processed is done in `processing_time_ms`.
    pub fn schedule_process_done(&self, now_ms: u64, out: &mut Outbox) {
        let at = now_ms + self.processing_time_ms as u64;
        self.set_timer_at(at, ConsumerTimer::ProcessDone, out);
    }

    // ---- the process (`close()`, crashes, restarts) ---------------------------

    /// The connection to `broker` closed: a fetch to it is lost, a join or
    /// sync in flight starts over, and anything waiting (that fetch, the
    /// join, commits, offset lookups) is retried after `retry.backoff.ms`.
    pub fn connection_closed(&mut self, now_ms: u64, broker: BrokerId, out: &mut Outbox) {
        let had_fetch = self.fetches.remove(&broker).is_some();
        let joining = matches!(
            self.membership,
            Membership::Joining | Membership::AwaitingSync
        );
        if joining {
            self.membership = Membership::Unjoined;
            self.rejoin_needed = true;
        }
        if had_fetch
            || joining
            || !self.pending_commits.is_empty()
            || !self.offsets_pending.is_empty()
        {
            self.retry_later(now_ms, out);
        }
    }

    /// The process is gone (crashed or closed): everything in memory is
    /// lost, and every timer it set is stale (a new incarnation).
    pub fn lose_process(&mut self) {
        #[cfg(consumer_protocol)]
        {
            self.modern = None;
        }
        self.alive = false;
        self.incarnation += 1;
        self.app = AppState::Stopped;
        self.membership = Membership::Unjoined;
        self.assignment.clear();
        self.positions.clear();
        self.fetched.clear();
        self.current.clear();
        self.fetches.clear();
        self.pending_commits.clear();
        self.offsets_pending.clear();
        self.heartbeat_running = false;
        self.armed_crash.clear();
        self.raise_next = false;
        self.poll_expired = false;
    }

    /// A restarted process is a new `KafkaConsumer` with fresh `metadata`:
    /// it knows no member id, static or not. A static member joins with its
    /// `group.instance.id` and an unknown member id; the coordinator then
    /// swaps in a new member id and, if the group is Stable, hands back the
    /// old assignment without a rebalance (KIP-345). Rejoining with the old
    /// member id would instead look like a metadata change and rebalance.
    pub fn restart(&mut self, now_ms: u64, gc: &GroupConfig, metadata: ClientMetadata) {
        self.alive = true;
        self.app = AppState::Polling;
        self.membership = Membership::Unjoined;
        self.rejoin_needed = true;
        self.generation = GenerationId(-1);
        self.member_id = None;
        self.last_poll_ms = now_ms;
        self.auto_commit_due_ms = now_ms + gc.auto_commit_interval_ms as u64;
        self.committed.clear();
        self.last_assignment.clear();
        self.last_generation = None;
        self.metadata = metadata;
    }

    /// Whether this consumer has something in hand that the simulation
    /// must run on for (an unfinished poll, rebalance, batch, commit or
    /// lookup; under auto-commit, positions not yet committed). Records
    /// still to fetch are the engine's to judge (they are in the logs).
    pub fn has_work_in_hand(&self, auto_commit: bool) -> bool {
        self.app != AppState::Polling
            || self.membership != Membership::Stable
            || self.rejoin_needed
            || !self.current.is_empty()
            || !self.offsets_pending.is_empty()
            || !self.pending_commits.is_empty()
            || self.fetched.values().any(|q| !q.is_empty())
            || (auto_commit && self.has_uncommitted_positions())
    }

    pub(crate) fn is_fetching(&self) -> bool {
        self.membership == Membership::Stable && self.offsets_pending.is_empty()
    }

    /// Partitions assigned but paused by an in-progress rebalance.
    pub fn is_rebalancing(&self) -> bool {
        self.alive && self.membership != Membership::Stable
    }
}

/// A record the application finished (see [`Consumer::record_done`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordDone {
    pub tp: Tp,
    pub record: RecordId,
    pub offset: Offset,
    /// `process_event()` raised on it.
    pub raised: bool,
}

/// What a `poll()` does next (see [`Consumer::poll_next`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollNext {
    /// Send a JoinGroup (after `onJoinPrepare`).
    Join,
    /// A rebalance or an offset lookup is under way.
    Wait,
    /// Hand out fetched records, or fetch.
    Records,
}

/// The Fetch requests `poll()` sends next (see [`Consumer::fetch_plan`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchPlan {
    /// Per leader, the partitions to ask it for, from their positions.
    pub by_leader: VecMap<BrokerId, Vec<FetchPartition>>,
    /// The earliest end of a reconnect backoff that held a fetch back.
    pub reconnect_at: Option<u64>,
}

/// What a Fetch answer brought (see [`Consumer::fetch_answered`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchAnswer {
    /// Records at some partition's position, ready for `poll()`.
    pub got: bool,
    /// Some partition failed and is fetched again after a backoff.
    pub retry: bool,
    /// Partitions out of range, waiting for `auto.offset.reset`.
    pub reset: Vec<Tp>,
}

fn label_for(n: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if n < 26 {
        (letters[n] as char).to_string()
    } else {
        format!("C{n}")
    }
}

/// A consumer's own timers. [`Consumer::timer`] stamps each with the
/// consumer's incarnation, and `Engine::consumer_timer` runs it only if
/// the consumer is still that incarnation and alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumerTimer {
    /// The application's loop calls `poll()` again.
    Poll,
    /// The application finished processing the current record.
    ProcessDone,
    /// The heartbeat thread's next beat (`heartbeat.interval.ms`).
    HeartbeatTick,
    /// Retry what failed for want of a coordinator or a connection.
    Retry,
    /// The backoff after UNSTABLE_OFFSET_COMMIT is over: fetch offsets again.
    OffsetFetchRetry,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::client_metadata::LeaderInfo;
    use crate::engine::log::{AbortedTxn, ProducerStamp};

    pub(crate) fn tp(p: u32) -> Tp {
        Tp::new(TopicId(0), p)
    }

    /// A consumer of a default group, started at 0 ms, that knows broker
    /// `p % 2` leads partition `p` (partitions 0 to 3).
    pub(crate) fn consumer() -> Consumer {
        let mut leaders = VecMap::new();
        for p in 0..4 {
            let info = LeaderInfo {
                leader: Some(BrokerId(p as u16 % 2)),
                epoch: LeaderEpoch(3),
            };
            leaders.insert(tp(p), info);
        }
        Consumer::new(
            ConsumerIdx(0),
            GroupIdx(0),
            "consumer-g-1".into(),
            None,
            &GroupConfig::default(),
            0,
            ClientMetadata::bootstrapped(0, leaders),
        )
    }

    /// A member of generation 1 that owns `partitions`, each at `position`.
    pub(crate) fn stable(partitions: &[u32], position: i64) -> Consumer {
        let mut c = consumer();
        c.member_id = Some("member-1".into());
        c.generation = GenerationId(1);
        c.membership = Membership::Stable;
        c.rejoin_needed = false;
        for p in partitions {
            c.assignment.push(tp(*p));
            c.positions.insert(tp(*p), Offset(position));
        }
        c
    }

    pub(crate) fn entry(offset: i64, record: Option<u32>) -> LogEntry {
        LogEntry {
            offset: Offset(offset),
            leader_epoch: LeaderEpoch(3),
            record: record.map(RecordId),
            control: None,
            producer: None,
            transactional: false,
            batch: BatchId(0),
            batch_base: Offset(offset),
            batch_len: 1,
            append_time_ms: 0,
        }
    }

    /// The consumer timers an outbox sets, in order.
    pub(crate) fn timers(out: &Outbox) -> Vec<(u64, ConsumerTimer)> {
        out.timers()
            .map(|(at, action)| match action {
                Action::Consumer { timer, .. } => (at, *timer),
                other => panic!("not a consumer timer: {other:?}"),
            })
            .collect()
    }

    pub(crate) fn fetched(c: &mut Consumer, p: u32, entries: Vec<LogEntry>) {
        c.fetched.entry_or_default(tp(p)).extend(entries);
    }

    #[test]
    fn a_timer_carries_the_incarnation_it_was_set_in() {
        let mut c = consumer();
        let mut out = Outbox::new();
        c.set_timer_at(40, ConsumerTimer::Poll, &mut out);
        let (at, action) = out.timers().next().expect("a timer");
        assert_eq!(at, 40);
        let Action::Consumer { incarnation, .. } = *action else {
            panic!("not a consumer timer: {action:?}");
        };
        assert!(c.is_current(incarnation));
        // A crash and restart make every earlier timer stale.
        c.incarnation += 1;
        assert!(!c.is_current(incarnation));
        c.alive = false;
        assert!(!c.is_current(c.incarnation));
    }

    #[test]
    fn a_poll_hands_out_records_from_the_position_and_moves_it_past_them() {
        let mut c = stable(&[0], 5);
        fetched(
            &mut c,
            0,
            (5..9).map(|o| entry(o, Some(o as u32))).collect(),
        );
        let batch = c.drain_fetched(3);
        let offsets: Vec<i64> = batch.iter().map(|(_, _, o)| o.0).collect();
        assert_eq!(offsets, [5, 6, 7]);
        assert_eq!(c.positions[&tp(0)], Offset(8));
        // max.poll.records: the rest waits for the next poll.
        assert_eq!(c.drain_fetched(3).len(), 1);
        assert_eq!(c.positions[&tp(0)], Offset(9));
        assert!(c.fetched.is_empty());
    }

    #[test]
    fn control_records_and_aborted_records_are_skipped_but_the_position_moves_past_them() {
        let mut c = stable(&[0], 0);
        let producer = Some(ProducerStamp {
            producer_id: ProducerId(7),
            epoch: ProducerEpoch(0),
            sequence: 0,
        });
        let aborted = |o: i64| LogEntry {
            producer,
            transactional: true,
            ..entry(o, Some(o as u32))
        };
        fetched(
            &mut c,
            0,
            vec![aborted(0), aborted(1), entry(2, None), entry(3, Some(3))],
        );
        c.aborted.insert(
            tp(0),
            vec![AbortedTxn {
                producer_id: ProducerId(7),
                first_offset: Offset(0),
                last_offset: Offset(2),
            }],
        );
        let batch = c.drain_fetched(10);
        assert_eq!(batch, [(tp(0), RecordId(3), Offset(3))]);
        assert_eq!(c.positions[&tp(0)], Offset(4));
    }

    #[test]
    fn fetched_records_that_are_not_at_the_position_are_stale_and_dropped() {
        let mut c = stable(&[0], 10);
        fetched(&mut c, 0, vec![entry(4, Some(4)), entry(5, Some(5))]);
        assert!(c.drain_fetched(10).is_empty());
        assert_eq!(c.positions[&tp(0)], Offset(10));
        assert!(c.fetched.is_empty());
    }

    #[test]
    fn the_next_fetch_asks_each_leader_for_its_partitions_from_their_positions() {
        let mut c = stable(&[0, 1, 2, 3], 0);
        c.positions.insert(tp(2), Offset(12));
        let plan = c.fetch_plan(0);
        let asked: Vec<(u16, Vec<(u32, i64)>)> = plan
            .by_leader
            .iter()
            .map(|(b, parts)| {
                let parts = parts
                    .iter()
                    .map(|f| (f.tp.partition.0, f.fetch_offset.0))
                    .collect();
                (b.0, parts)
            })
            .collect();
        assert_eq!(
            asked,
            [(0, vec![(0, 0), (2, 12)]), (1, vec![(1, 0), (3, 0)])]
        );
        assert!(plan.by_leader[&BrokerId(0)]
            .iter()
            .all(|f| f.current_leader_epoch == LeaderEpoch(3) && f.follower_hw.is_none()));
        assert_eq!(plan.reconnect_at, None);
    }

    #[test]
    fn no_fetch_goes_out_while_one_is_in_flight_records_wait_or_the_leader_is_in_backoff() {
        let mut c = stable(&[0, 1, 2, 3], 0);
        c.fetches.insert(BrokerId(0), 99);
        fetched(&mut c, 1, vec![entry(0, Some(0))]);
        c.metadata.unreachable.insert(BrokerId(1), 250);
        let plan = c.fetch_plan(100);
        assert!(plan.by_leader.is_empty());
        assert_eq!(plan.reconnect_at, Some(250));
        // Once the backoff is over, partition 3 is fetched (1 still has records).
        let plan = c.fetch_plan(250);
        let asked: Vec<Tp> = plan.by_leader[&BrokerId(1)].iter().map(|f| f.tp).collect();
        assert_eq!(asked, [tp(3)]);
    }

    #[test]
    fn a_commit_after_processing_commits_the_next_offset() {
        assert_eq!(
            Consumer::commit_after_processing(tp(1), Offset(41)),
            [(tp(1), Offset(42))]
        );
    }

    #[test]
    fn auto_commit_waits_for_its_interval_then_commits_only_positions_not_yet_committed() {
        let mut c = stable(&[0, 1], 7);
        c.committed.insert(tp(0), Offset(7));
        let interval = GroupConfig::default().auto_commit_interval_ms as u64;
        assert!(c.auto_commit_due(interval - 1, interval).is_empty());
        assert_eq!(c.auto_commit_due(interval, interval), [(tp(1), Offset(7))]);
        // The interval starts again.
        assert!(c.auto_commit_due(interval + 1, interval).is_empty());
        assert_eq!(c.auto_commit_due_ms, 2 * interval);
        // A consumer between generations does not auto-commit.
        c.membership = Membership::Joining;
        assert!(c.auto_commit_due(3 * interval, interval).is_empty());
    }

    #[test]
    fn processing_takes_its_time_per_record_then_the_loop_polls_again() {
        let mut c = stable(&[0], 1);
        c.processing_time_ms = 30;
        c.current.push_back((tp(0), RecordId(0), Offset(0)));
        let mut out = Outbox::new();
        c.process_next(100, &mut out);
        assert_eq!(c.app, AppState::Processing);
        c.current.clear();
        c.process_next(130, &mut out);
        assert_eq!(c.app, AppState::Polling);
        assert_eq!(
            timers(&out),
            [
                (130, ConsumerTimer::ProcessDone),
                (130, ConsumerTimer::Poll)
            ]
        );
    }

    #[test]
    fn a_partition_without_an_offset_is_reset_through_its_leader_or_retried_without_one() {
        let mut c = stable(&[0, 1, 2], 0);
        c.metadata.partitions.remove(&tp(2));
        let gc = GroupConfig {
            auto_offset_reset: AutoOffsetReset::Earliest,
            ..GroupConfig::default()
        };
        let mut out = Outbox::new();
        let requests = c.reset_offsets(10, &[tp(0), tp(1), tp(2)], &gc, &mut out);
        let earliest = |p| vec![(tp(p), AutoOffsetReset::Earliest)];
        let list = |partitions| Msg::ListOffsets {
            isolation: gc.isolation_level,
            partitions,
        };
        assert_eq!(
            requests,
            Some(vec![
                (BrokerId(0), list(earliest(0))),
                (BrokerId(1), list(earliest(1)))
            ])
        );
        assert_eq!(timers(&out), [(110, ConsumerTimer::Retry)]);
    }

    #[test]
    fn with_auto_offset_reset_none_a_partition_without_an_offset_is_an_error() {
        let c = stable(&[0], 0);
        let gc = GroupConfig {
            auto_offset_reset: AutoOffsetReset::None,
            ..GroupConfig::default()
        };
        let mut out = Outbox::new();
        assert_eq!(c.reset_offsets(0, &[tp(0)], &gc, &mut out), None);
        assert_eq!(
            out.events().collect::<Vec<_>>(),
            [&EventKind::ConsumerError {
                consumer: ConsumerIdx(0),
                tp: tp(0),
                error: ErrorCode::NoOffsetForPartition,
            }]
        );
    }

    #[test]
    fn a_listed_offset_becomes_the_position_and_poll_goes_on_once_none_is_missing() {
        let mut c = stable(&[0, 1], 0);
        c.positions.clear();
        c.offsets_pending = vec![tp(0), tp(1)];
        let mut out = Outbox::new();
        let answers = vec![
            (tp(0), Ok(Offset(12))),
            (tp(1), Err(ErrorCode::NotLeaderOrFollower)),
        ];
        c.offsets_listed(0, answers, AutoOffsetReset::Latest, &mut out);
        c.wake_poll(0, &mut out);
        assert_eq!(c.positions.get(&tp(0)), Some(&Offset(12)));
        assert_eq!(c.offsets_pending, [tp(1)]);
        assert!(c.metadata.update_requested);
        // Partition 1 is retried; poll() still waits for it.
        assert_eq!(timers(&out), [(100, ConsumerTimer::Retry)]);
        c.offsets_listed(
            100,
            vec![(tp(1), Ok(Offset(3)))],
            AutoOffsetReset::Latest,
            &mut out,
        );
        c.wake_poll(100, &mut out);
        assert!(c.offsets_pending.is_empty());
        assert_eq!(timers(&out).last(), Some(&(100, ConsumerTimer::Poll)));
        assert_eq!(out.events().count(), 2);
    }

    fn data(p: u32, error: Option<ErrorCode>, entries: Vec<LogEntry>) -> FetchPartitionData {
        FetchPartitionData {
            tp: tp(p),
            error,
            hw: Offset(100),
            lso: Offset(100),
            log_start: Offset(0),
            entries,
            diverging: None,
            aborted: Vec::new(),
        }
    }

    #[test]
    fn a_fetch_answer_keeps_records_at_the_position_and_only_for_the_fetch_in_flight() {
        let mut c = stable(&[0, 2], 4);
        c.fetches.insert(BrokerId(0), 9);
        let parts = || {
            vec![
                data(0, None, vec![entry(4, Some(4)), entry(5, Some(5))]),
                data(2, None, vec![entry(2, Some(2))]),
            ]
        };
        assert_eq!(c.fetch_answered(BrokerId(0), 8, parts()), None);
        let answer = c
            .fetch_answered(BrokerId(0), 9, parts())
            .expect("in flight");
        assert!(answer.got && !answer.retry && answer.reset.is_empty());
        assert!(c.fetches.is_empty());
        assert_eq!(c.fetched[&tp(0)].len(), 2);
        assert!(!c.fetched.contains_key(&tp(2)), "not at the position");
    }

    #[test]
    fn an_out_of_range_partition_loses_its_position_and_waits_for_a_reset() {
        let mut c = stable(&[0, 2], 4);
        c.fetches.insert(BrokerId(0), 9);
        let parts = vec![
            data(0, Some(ErrorCode::OffsetOutOfRange), Vec::new()),
            data(2, Some(ErrorCode::NotLeaderOrFollower), Vec::new()),
        ];
        let answer = c.fetch_answered(BrokerId(0), 9, parts).expect("in flight");
        assert_eq!(answer.reset, [tp(0)]);
        assert!(answer.retry && !answer.got);
        assert!(!c.positions.contains_key(&tp(0)));
        assert_eq!(c.offsets_pending, [tp(0)]);
        assert!(c.metadata.update_requested);
    }

    #[test]
    fn a_poll_rejoins_first_waits_out_a_rebalance_and_otherwise_hands_out_records() {
        let mut c = stable(&[0], 0);
        assert!(c.enter_poll(5));
        assert_eq!(c.poll_next(), PollNext::Records);
        c.offsets_pending = vec![tp(0)];
        assert_eq!(c.poll_next(), PollNext::Wait);
        c.rejoin_needed = true;
        assert_eq!(c.poll_next(), PollNext::Join);
        // Already joining: the poll waits for the answer.
        c.membership = Membership::AwaitingSync;
        assert_eq!(c.poll_next(), PollNext::Wait);
        // The application is busy: this is not a poll() at all.
        c.app = AppState::Processing;
        assert!(!c.enter_poll(6));
        assert_eq!(c.last_poll_ms, 5);
    }

    #[test]
    fn the_first_poll_after_max_poll_interval_expired_rejoins() {
        let mut c = stable(&[0], 0);
        c.poll_expired = true;
        c.membership = Membership::Unjoined;
        assert!(c.enter_poll(400_000));
        assert!(c.rejoin_needed && !c.poll_expired);
        assert_eq!(c.poll_next(), PollNext::Join);
    }

    #[test]
    fn a_waiting_auto_commit_poll_wakes_when_the_next_commit_is_due() {
        let mut c = stable(&[0], 3);
        c.auto_commit_due_ms = 5_000;
        let mut out = Outbox::new();
        c.wake_for_auto_commit(1_000, &mut out);
        // Due already: at least 1 ms on, so time moves.
        c.wake_for_auto_commit(6_000, &mut out);
        c.committed.insert(tp(0), Offset(3));
        c.wake_for_auto_commit(7_000, &mut out);
        assert_eq!(
            timers(&out),
            [(5_000, ConsumerTimer::Poll), (6_001, ConsumerTimer::Poll)]
        );
    }

    #[test]
    fn a_delivered_batch_shows_one_poll_per_partition_with_its_new_position() {
        let mut c = stable(&[0, 1], 0);
        c.positions.insert(tp(0), Offset(7));
        c.positions.insert(tp(1), Offset(2));
        c.batch_committed = true;
        let batch = vec![
            (tp(0), RecordId(5), Offset(5)),
            (tp(1), RecordId(9), Offset(1)),
            (tp(0), RecordId(6), Offset(6)),
        ];
        let mut out = Outbox::new();
        c.deliver(batch.clone(), &mut out);
        let polled: Vec<(Tp, usize, Offset)> = out
            .events()
            .map(|e| match e {
                EventKind::Polled {
                    tp,
                    records,
                    position,
                    ..
                } => (*tp, records.len(), *position),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(polled, [(tp(0), 2, Offset(7)), (tp(1), 1, Offset(2))]);
        assert_eq!(c.current, batch);
        assert!(!c.batch_committed);
    }

    #[test]
    fn a_commit_before_processing_blocks_the_batch_until_it_is_answered() {
        let mut c = stable(&[0], 1);
        c.current.push_back((tp(0), RecordId(0), Offset(0)));
        let mut out = Outbox::new();
        c.block_on_commit(Some(3), AfterCommit::ProcessBatch, 0, &mut out);
        assert_eq!(
            c.app,
            AppState::Committing {
                commit_id: 3,
                then: AfterCommit::ProcessBatch
            }
        );
        assert!(out.is_empty());
        // Refused locally (no generation): commitSync() threw, the loop goes on.
        c.app = AppState::Polling;
        c.block_on_commit(None, AfterCommit::ProcessBatch, 0, &mut out);
        assert_eq!(c.app, AppState::Processing);
        assert_eq!(timers(&out), [(10, ConsumerTimer::ProcessDone)]);
    }

    #[test]
    fn a_closed_connection_loses_its_fetch_restarts_a_join_and_retries() {
        let mut c = stable(&[0], 0);
        c.fetches.insert(BrokerId(1), 4);
        let mut out = Outbox::new();
        c.connection_closed(50, BrokerId(0), &mut out);
        assert!(out.is_empty(), "nothing was waiting on broker 0");
        c.connection_closed(50, BrokerId(1), &mut out);
        assert!(c.fetches.is_empty());
        c.membership = Membership::AwaitingSync;
        c.connection_closed(60, BrokerId(0), &mut out);
        assert_eq!(c.membership, Membership::Unjoined);
        assert!(c.rejoin_needed);
        assert_eq!(
            timers(&out),
            [(150, ConsumerTimer::Retry), (160, ConsumerTimer::Retry)]
        );
    }

    #[test]
    fn a_crash_loses_everything_in_memory_and_a_restart_is_a_new_member() {
        let mut c = stable(&[0], 4);
        c.instance_id = Some("g-instance-0".into());
        c.committed.insert(tp(0), Offset(4));
        c.last_assignment = vec![tp(0)];
        let before = c.timer(ConsumerTimer::Poll);
        c.lose_process();
        assert!(!c.alive && c.app == AppState::Stopped);
        assert!(c.assignment.is_empty() && c.positions.is_empty());
        let Action::Consumer { incarnation, .. } = before else {
            unreachable!()
        };
        c.restart(9_000, &GroupConfig::default(), ClientMetadata::default());
        assert!(
            !c.is_current(incarnation),
            "timers from before the crash are stale"
        );
        // KIP-345: even a static member joins with no member id.
        assert_eq!(
            (c.member_id.as_deref(), c.generation),
            (None, GenerationId(-1))
        );
        assert!(c.committed.is_empty() && c.last_assignment.is_empty());
        assert_eq!(c.poll_next(), PollNext::Join);
        assert_eq!(c.last_poll_ms, 9_000);
    }

    #[test]
    fn a_record_that_raised_is_done_but_not_counted_as_processed() {
        let mut c = stable(&[0], 2);
        c.current.push_back((tp(0), RecordId(0), Offset(0)));
        c.current.push_back((tp(0), RecordId(1), Offset(1)));
        c.raise_next = true;
        let first = c.record_done().expect("a record");
        assert!(first.raised && first.offset == Offset(0));
        let second = c.record_done().expect("a record");
        assert!(!second.raised && second.record == RecordId(1));
        assert_eq!(c.records_processed, 1);
        assert_eq!(c.record_done(), None);
    }

    #[test]
    fn an_armed_crash_fires_once_at_its_point() {
        let mut c = stable(&[0], 0);
        c.armed_crash = vec![CrashPoint::AfterCommit];
        assert!(!c.take_armed_crash(CrashPoint::AfterPoll));
        assert!(c.take_armed_crash(CrashPoint::AfterCommit));
        assert!(!c.take_armed_crash(CrashPoint::AfterCommit));
    }

    #[test]
    fn a_fetch_request_becomes_the_fetch_in_flight_to_its_leader() {
        let mut c = stable(&[0, 2], 0);
        let plan = c.fetch_plan(0);
        let partitions = plan.by_leader[&BrokerId(0)].clone();
        let gc = GroupConfig::default();
        let msg = c.fetch_request(BrokerId(0), 31, partitions.clone(), &gc);
        assert_eq!(
            msg,
            Msg::Fetch {
                fetch_id: 31,
                replica: None,
                isolation: gc.isolation_level,
                max_wait_ms: gc.fetch_max_wait_ms,
                max_records: gc.max_poll_records,
                partitions,
            }
        );
        assert_eq!(c.fetches.get(&BrokerId(0)), Some(&31));
        assert!(c.fetch_plan(0).by_leader.is_empty(), "one fetch per leader");
    }

    #[test]
    fn an_aborted_exactly_once_batch_goes_back_to_the_committed_offsets() {
        let mut c = stable(&[0, 1], 6);
        c.current.push_back((tp(0), RecordId(5), Offset(5)));
        fetched(&mut c, 1, vec![entry(6, Some(6))]);
        c.rewind_to_committed();
        assert!(c.positions.is_empty() && c.fetched.is_empty() && c.current.is_empty());
        assert_eq!(c.offsets_pending, [tp(0), tp(1)]);
        assert_eq!(c.poll_next(), PollNext::Wait);
        let mut d = stable(&[0, 1], 6);
        d.positions_committed();
        assert_eq!(d.committed.get(&tp(1)), Some(&Offset(6)));
        assert!(!d.has_uncommitted_positions());
    }

    #[test]
    fn a_consumer_idle_in_poll_has_no_work_in_hand_unless_auto_commit_is_behind() {
        let mut c = stable(&[0], 6);
        assert!(!c.has_work_in_hand(false));
        assert!(c.has_work_in_hand(true), "position 6 is not committed");
        c.committed.insert(tp(0), Offset(6));
        assert!(!c.has_work_in_hand(true));
        c.current.push_back((tp(0), RecordId(6), Offset(6)));
        assert!(c.has_work_in_hand(false));
    }
}

/// Whether entry `e` belongs to one of a partition's aborted transactions
/// (`read_committed` skips it).
fn in_aborted_txn(aborted: &[crate::engine::log::AbortedTxn], e: &LogEntry) -> bool {
    e.transactional
        && e.producer.is_some_and(|p| {
            aborted.iter().any(|a| {
                a.producer_id == p.producer_id
                    && (a.first_offset..=a.last_offset).contains(&e.offset)
            })
        })
}

/// A pending commit's own record of its offsets, kept to send them again
/// after a retriable error or a lost connection. On the page, the list
/// itself (the OffsetCommit carries a clone of it).
#[cfg(not(engine_speed))]
pub type PendingOffsets = Vec<(Tp, Offset)>;

/// Native only (`cfg(engine_speed)`): a pending commit's record of its
/// offsets, inline when it is a single partition's. An at-least-once
/// consumer commits after each record (`commitSync()` with that record's
/// partition alone), and the OffsetCommit then takes the list the
/// application handed over while the pending commit keeps this copy: one
/// heap list a commit instead of two (the page's clone for the request,
/// and its free when the answer comes). The same offsets in the same
/// order either way; a retry sends them again as a list
/// ([`Consumer::pending_commit_request`]).
#[cfg(engine_speed)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PendingOffsets {
    One([(Tp, Offset); 1]),
    Many(Vec<(Tp, Offset)>),
}

#[cfg(engine_speed)]
impl PendingOffsets {
    /// A copy of `offsets`, inline for a single partition.
    #[inline(always)]
    pub fn copy_of(offsets: &[(Tp, Offset)]) -> PendingOffsets {
        match offsets {
            [one] => PendingOffsets::One([*one]),
            _ => PendingOffsets::Many(offsets.to_vec()),
        }
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for PendingOffsets {
    type Target = [(Tp, Offset)];
    #[inline(always)]
    fn deref(&self) -> &[(Tp, Offset)] {
        match self {
            PendingOffsets::One(one) => one,
            PendingOffsets::Many(many) => many,
        }
    }
}

#[cfg(engine_speed)]
impl From<Vec<(Tp, Offset)>> for PendingOffsets {
    /// The page's way in (`Consumer::track_commit`, which the native
    /// commit does not take).
    fn from(offsets: Vec<(Tp, Offset)>) -> PendingOffsets {
        PendingOffsets::copy_of(&offsets)
    }
}

#[cfg(engine_speed)]
impl From<PendingOffsets> for Vec<(Tp, Offset)> {
    /// The list a retry sends again (`Consumer::pending_commit_request`).
    fn from(offsets: PendingOffsets) -> Vec<(Tp, Offset)> {
        match offsets {
            PendingOffsets::One(one) => one.to_vec(),
            PendingOffsets::Many(many) => many,
        }
    }
}

#[cfg(engine_speed)]
impl Consumer {
    /// A commit `commit_id` of `offsets` goes out and waits for its
    /// answer, keeping its own copy of them (natively the caller sends the
    /// list itself; see [`PendingOffsets`]).
    pub fn track_commit_of(&mut self, commit_id: u64, offsets: &[(Tp, Offset)], auto: bool) {
        self.pending_commits.push(PendingCommit {
            commit_id,
            offsets: PendingOffsets::copy_of(offsets),
            auto,
        });
    }
}

/// The commits waiting for their answers. On the page, the list itself.
#[cfg(not(engine_speed))]
pub type PendingCommits = Vec<PendingCommit>;

/// Native only (`cfg(engine_speed)`): the commits waiting for their
/// answers (the list, through `Deref`), with the list of one offset the
/// last successful answer brought back, kept for the next commit's request
/// ([`Consumer::commit_list`]). An at-least-once consumer commits
/// after each record, one partition at a time: its request's list went to
/// the coordinator and back in the answer, was freed there, and the next
/// commit allocated another. A cache, not state: it compares and prints
/// as the list alone, and a copy (a time-travel snapshot) starts without
/// one; a list's capacity changes no message.
///
/// It also keeps the member id the last commit's request carried, shared
/// ([`MemberId`](crate::engine::network::MemberId), an `Rc<str>`): each
/// request takes a reference-count bump instead of a copy of the
/// consumer's `member_id` ([`PendingCommits::shared_member_id`]). Also a
/// cache: checked against `member_id` at each use, so a member id set
/// anywhere (a rejoin, a reset, an external client) is never stale.
#[cfg(engine_speed)]
#[derive(Default)]
pub struct PendingCommits {
    list: Vec<PendingCommit>,
    spare: Vec<(Tp, Offset)>,
    member: crate::engine::network::MemberId,
}

#[cfg(engine_speed)]
impl PendingCommits {
    pub fn new() -> PendingCommits {
        PendingCommits::default()
    }

    /// Keeps a commit's answered list of one partition's offset for the
    /// next commit's request (it is overwritten there), unless one is kept
    /// already.
    #[inline(always)]
    pub fn keep_spare(&mut self, offsets: Vec<(Tp, Offset)>) {
        if offsets.len() == 1 && self.spare.capacity() == 0 {
            self.spare = offsets;
        }
    }

    /// `member_id`, shared: the id the last request carried when it is
    /// still the member's (compared by content: the consumer's `member_id`
    /// is set in several places, none of which tells this cache), a new
    /// shared copy otherwise.
    #[inline(always)]
    pub fn shared_member_id(&mut self, member_id: &str) -> crate::engine::network::MemberId {
        if *self.member != *member_id {
            self.member = member_id.into();
        }
        self.member.clone()
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for PendingCommits {
    type Target = Vec<PendingCommit>;
    #[inline(always)]
    fn deref(&self) -> &Vec<PendingCommit> {
        &self.list
    }
}

#[cfg(engine_speed)]
impl std::ops::DerefMut for PendingCommits {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Vec<PendingCommit> {
        &mut self.list
    }
}

#[cfg(engine_speed)]
impl Clone for PendingCommits {
    fn clone(&self) -> PendingCommits {
        PendingCommits {
            list: self.list.clone(),
            spare: Vec::new(),
            member: Default::default(),
        }
    }
}

#[cfg(engine_speed)]
impl PartialEq for PendingCommits {
    fn eq(&self, other: &PendingCommits) -> bool {
        self.list == other.list
    }
}

#[cfg(engine_speed)]
impl Eq for PendingCommits {}

#[cfg(engine_speed)]
impl std::fmt::Debug for PendingCommits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.list.fmt(f)
    }
}

#[cfg(engine_speed)]
impl Consumer {
    /// [`Consumer::commit_after_processing`]'s list, in the list of one
    /// offset the last answer brought back when there is one (see
    /// [`PendingCommits`]), overwritten.
    #[inline(always)]
    pub fn commit_list(&mut self, tp: Tp, offset: Offset) -> Vec<(Tp, Offset)> {
        match std::mem::take(&mut self.pending_commits.spare) {
            mut offsets if offsets.len() == 1 => {
                offsets[0] = (tp, offset.next());
                debug_assert_eq!(offsets, Consumer::commit_after_processing(tp, offset));
                offsets
            }
            _ => Consumer::commit_after_processing(tp, offset),
        }
    }
}
