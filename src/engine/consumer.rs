//! The consumer client: stages 7–9 of a record's life, group membership,
//! positions and commits (`KafkaConsumer`, `ConsumerCoordinator`, `Fetcher`).
//!
//! 7. **Poll** — `poll()` returns records fetched from the partitions'
//!    leaders; only offsets below the high watermark (or the last stable
//!    offset, for `read_committed`) are ever handed out. The consumer's
//!    **position** moves just past what `poll()` returned.
//! 8. **Deserialize & process** — the application's code runs on each record
//!    (it takes `processing_time_ms` of logical time here).
//! 9. **Commit** — the group coordinator stores the **next offset to read**
//!    (offset + 1) in `__consumer_offsets`. When the commit happens relative
//!    to processing decides the delivery semantics: before processing is
//!    at-most-once, after is at-least-once, auto-commit commits from inside a
//!    *later* `poll()` every `auto.commit.interval.ms`.
//!
//! Group membership is driven from `poll()` too: a rebalance (learned from a
//! heartbeat reply) is joined on the next poll. Under the **eager** protocol
//! the consumer first revokes *all* its partitions; under **cooperative**
//! only the partitions that move are revoked, after the SyncGroup, followed
//! by a second rebalance. A background heartbeat thread keeps the session
//! alive and leaves the group if the application has not polled within
//! `max.poll.interval.ms` (slow processing), after which its commits fail
//! with `CommitFailedException` and another member re-processes its records.
//!
//! A newly assigned partition starts at the group's committed offset
//! (OffsetFetch). The request always asks for stable offsets (KIP-447): if
//! an unfinished transaction holds the group's offset for a partition, the
//! coordinator answers `UNSTABLE_OFFSET_COMMIT` and the consumer asks again
//! after `retry.backoff.ms` (doubling up to `retry.backoff.max.ms`, ±20 %),
//! instead of starting from an offset that transaction may replace.
//!
//! ## The component and the engine
//!
//! The consumer is a component, [`Consumer`], in the style of
//! `TxnCoordinator`: its state and every rule that needs nothing but that
//! state are methods that take the time and their inputs and write what
//! they send, schedule or show into an [`Outbox`], each unit-tested on a
//! consumer alone. `kafka_consumer.rs` holds the state, its timers (each
//! stamped with the consumer's incarnation, so a timer from before a crash
//! does nothing), positions, fetching and the processing loop
//! (`SubscriptionState`, `Fetcher`); `consumer_coordinator.rs` holds its
//! side of the group: joins, the heartbeat thread, `max.poll.interval.ms`,
//! revocation and commits (`ConsumerCoordinator`).
//!
//! This file is the engine glue. It runs the consumer's timers and routes
//! its responses; looks up what the consumer cannot see (its coordinator,
//! with a FindCoordinator if need be, and the topics' names), draws request
//! ids and jitter from the engine, runs the leader's assignor, asks the
//! ledger how often a record was processed, and handles crashes, commands
//! and the exactly-once processor. It calls a rule through
//! `Engine::consumer_rule`, which applies the rule's outbox at once, where
//! the same effects happened before the rules moved, so no trace changed.
//!
//! Kafka's code: `clients/src/main/java/org/apache/kafka/clients/consumer/KafkaConsumer.java`
//! (`poll`, `commitSync`, `close`), `.../consumer/internals/ConsumerCoordinator.java`
//! (`onJoinPrepare`, `onJoinComplete`, `maybeAutoCommitOffsetsAsync`,
//! `fetchCommittedOffsets`), `.../consumer/internals/AbstractCoordinator.java`
//! (`HeartbeatThread`, `maybeLeaveGroup`) and `.../consumer/internals/Fetcher.java`.

use crate::engine::assignor::{
    self, AssignorKind, MemberSubscription, RebalanceProtocol, TopicPartition,
};
use crate::engine::config::{CommitMode, GroupConfig, GroupProtocol, IsolationLevel};
pub use crate::engine::consumer_coordinator::{
    rebalance_protocol, CommitAnswer, JoinAnswer, Reassignment,
};
use crate::engine::event::{CrashPoint, ErrorCode, EventKind, Node};
use crate::engine::ids::*;
use crate::engine::kafka_consumer::PollNext;
pub use crate::engine::kafka_consumer::{
    AfterCommit, AppState, Consumer, ConsumerTimer, Membership, PendingCommit,
};
use crate::engine::network::{CoordinatorKey, FetchPartitionData, MemberMetadata, Msg};
use crate::engine::outbox::Outbox;
use crate::engine::sim::{Action, Engine};
use crate::engine::vecmap::VecMap;

/// A group's configuration, borrowed through the engine's shared
/// `Arc<ScenarioConfig>` so hot paths do not clone strings.
pub(crate) struct GroupCfg {
    cfg: std::sync::Arc<crate::engine::config::ScenarioConfig>,
    g: usize,
}

impl std::ops::Deref for GroupCfg {
    type Target = GroupConfig;
    fn deref(&self) -> &GroupConfig {
        &self.cfg.groups[self.g]
    }
}

impl Consumer {
    pub fn cfg<'a>(&self, e: &'a Engine) -> &'a GroupConfig {
        &e.cfg.groups[self.group.0 as usize]
    }
}

impl Engine {
    pub(crate) fn consumer_create(&mut self, g: GroupIdx) -> ConsumerIdx {
        let idx = ConsumerIdx(self.consumers.len() as u16);
        let gc = self.cfg.groups[g.0 as usize].clone();
        let n = self.next_client_number;
        self.next_client_number += 1;
        let client_id = format!("consumer-{}-{n}", gc.group_id);
        let instance_id = gc
            .static_membership
            .then(|| format!("{}-instance-{}", gc.group_id, idx.0));
        let metadata = self.bootstrap_metadata(&[CoordinatorKey::Group(g)]);
        self.consumers.push(Consumer::new(
            idx,
            g,
            client_id,
            instance_id,
            &gc,
            self.now_ms,
            metadata,
        ));
        self.processor_attach(idx);
        self.consumer_set_timer(idx, 0, ConsumerTimer::Poll);
        idx
    }

    /// Sets one of `c`'s timers to fire `delay_ms` from now (stamped with
    /// its incarnation by [`Consumer::timer`]).
    pub(crate) fn consumer_set_timer(
        &mut self,
        c: ConsumerIdx,
        delay_ms: u64,
        timer: ConsumerTimer,
    ) {
        self.consumer_rule(c, |con, now, out| {
            con.set_timer_at(now + delay_ms, timer, out)
        });
    }

    /// Runs a consumer timer, unless the consumer crashed or restarted
    /// since it was set.
    pub(crate) fn consumer_timer(
        &mut self,
        c: ConsumerIdx,
        incarnation: u32,
        timer: ConsumerTimer,
    ) {
        if !self.consumers[c.0 as usize].is_current(incarnation) {
            return;
        }
        match timer {
            ConsumerTimer::Poll => self.consumer_poll(c),
            ConsumerTimer::ProcessDone => self.consumer_process_done(c),
            ConsumerTimer::HeartbeatTick => self.consumer_heartbeat_tick(c),
            ConsumerTimer::Retry => self.consumer_retry(c),
            ConsumerTimer::OffsetFetchRetry => self.consumer_offset_fetch_retry(c),
        }
    }

    /// Runs one of `c`'s rules at the engine's now and applies what it
    /// decided right away, in its order (see `outbox.rs`).
    pub(crate) fn consumer_rule<R>(
        &mut self,
        c: ConsumerIdx,
        rule: impl FnOnce(&mut Consumer, u64, &mut Outbox) -> R,
    ) -> R {
        let now = self.now_ms;
        let mut out = self.outbox();
        let r = rule(&mut self.consumers[c.0 as usize], now, &mut out);
        self.apply_outbox(out);
        r
    }

    fn consumer(&mut self, c: ConsumerIdx) -> &mut Consumer {
        &mut self.consumers[c.0 as usize]
    }

    /// The group coordinator this consumer found (see
    /// [`Engine::client_coordinator`]).
    fn coordinator_of(&mut self, c: ConsumerIdx) -> Option<BrokerId> {
        let key = CoordinatorKey::Group(self.consumers[c.0 as usize].group);
        self.client_coordinator(Node::Consumer(c), key)
    }

    /// The coordinator, or `None` with a retry in 100 ms (`retry.backoff.ms`).
    pub(crate) fn coordinator_or_retry(&mut self, c: ConsumerIdx) -> Option<BrokerId> {
        let b = self.coordinator_of(c);
        if b.is_none() {
            self.consumer_retry_later(c);
        }
        b
    }

    /// Tries the consumer's pending work again after `retry.backoff.ms`
    /// (100 ms), unless this instance has crashed or restarted by then.
    pub(crate) fn consumer_retry_later(&mut self, c: ConsumerIdx) {
        self.consumer_rule(c, |con, now, out| con.retry_later(now, out));
    }

    /// The consumer's group configuration: a shared pointer, not a copy.
    fn gcfg(&self, c: ConsumerIdx) -> GroupCfg {
        GroupCfg {
            cfg: std::sync::Arc::clone(&self.cfg),
            g: self.consumers[c.0 as usize].group.0 as usize,
        }
    }

    pub(crate) fn consumer_has_pending_work(&self, c: &Consumer) -> bool {
        if !c.alive {
            return false;
        }
        let gc = c.cfg(self);
        if c.has_work_in_hand(gc.commit_mode == CommitMode::Auto) {
            return true;
        }
        // Records it has not fetched yet, below what it may read.
        c.assignment.iter().any(|tp| {
            let Some(pos) = c.positions.get(tp) else {
                return true;
            };
            let Some(l) = self.leader_of(*tp) else {
                return false;
            };
            let Some(rep) = self.brokers[l.0 as usize].replicas.get(tp) else {
                return false;
            };
            let upper = match gc.isolation_level {
                IsolationLevel::ReadCommitted => rep.log.lso(),
                IsolationLevel::ReadUncommitted => rep.log.hw(),
            };
            *pos < upper
        })
    }

    // ---- poll -------------------------------------------------------------------

    pub(crate) fn consumer_poll(&mut self, c: ConsumerIdx) {
        let gc = self.gcfg(c);
        let now = self.now_ms;
        if !self.consumer(c).enter_poll(now) {
            return;
        }
        self.consumer_maybe_auto_commit(c, &gc);
        // The consumer protocol reconciles on the application thread.
        #[cfg(consumer_protocol)]
        self.modern_reconcile(c, &gc);
        match self.consumers[c.0 as usize].poll_next() {
            PollNext::Join => return self.consumer_start_join(c, &gc),
            PollNext::Wait => return,
            PollNext::Records => {}
        }
        // Hand out what was fetched, up to max.poll.records.
        let batch = self.consumer(c).drain_fetched(gc.max_poll_records as usize);
        if !batch.is_empty() {
            self.consumer_deliver(c, batch, &gc);
            return;
        }
        self.consumer_send_fetches(c, &gc);
        // Auto-commit still fires from inside poll while it waits.
        if gc.commit_mode == CommitMode::Auto {
            self.consumer_rule(c, |con, now, out| con.wake_for_auto_commit(now, out));
        }
    }

    /// `maybeAutoCommitOffsetsAsync`: once the interval has passed, commit
    /// every position (the offsets just past what earlier polls returned).
    fn consumer_maybe_auto_commit(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
        if gc.commit_mode != CommitMode::Auto {
            return;
        }
        let now = self.now_ms;
        let interval = gc.auto_commit_interval_ms as u64;
        let offsets = self.consumer(c).auto_commit_due(now, interval);
        if !offsets.is_empty() {
            self.consumer_send_commit(c, offsets, true);
        }
    }

    fn consumer_deliver(
        &mut self,
        c: ConsumerIdx,
        batch: Vec<(Tp, RecordId, Offset)>,
        gc: &GroupConfig,
    ) {
        self.consumer_rule(c, |con, _, out| con.deliver(batch, out));
        if self.consumer_crash_if_armed(c, CrashPoint::AfterPoll) {
            return;
        }
        if gc.commit_mode == CommitMode::Transactional {
            self.processor_begin(c);
            return;
        }
        if gc.commit_mode == CommitMode::BeforeProcessing {
            let offsets = self.consumers[c.0 as usize].positions_to_commit();
            let id = self.consumer_send_commit(c, offsets, false);
            self.consumer_rule(c, |con, now, out| {
                con.block_on_commit(id, AfterCommit::ProcessBatch, now, out)
            });
            return;
        }
        self.consumer_process_next(c);
    }

    fn consumer_process_next(&mut self, c: ConsumerIdx) {
        self.consumer_rule(c, |con, now, out| con.process_next(now, out));
    }
    #[cfg(not(engine_speed))]
    pub(crate) fn consumer_process_done(&mut self, c: ConsumerIdx) {
        let gc = self.gcfg(c);
        let Some(done) = self.consumer(c).record_done() else {
            self.consumer_process_next(c);
            return;
        };
        let (tp, record, offset) = (done.tp, done.record, done.offset);
        let group = self.consumers[c.0 as usize].group;
        if done.raised {
            // The course's loop: `except Exception as e: print(...)`. The
            // position is already past this record, so nothing re-delivers
            // it, and its commit is skipped: the next commit (after the
            // next record) moves the group past it for good.
            self.emit(EventKind::ProcessingRaised {
                consumer: c,
                group,
                tp,
                record,
                offset,
            });
            if gc.commit_mode == CommitMode::Transactional {
                self.processor_next_or_done(c);
            } else {
                self.consumer_process_next(c);
            }
            return;
        }
        let times = self
            .ledger
            .times_processed_record(record, group, &self.records)
            + 1;
        self.emit(EventKind::Processed {
            consumer: c,
            group,
            tp,
            record,
            offset,
            times,
            transactional: gc.commit_mode == CommitMode::Transactional,
        });
        if gc.commit_mode == CommitMode::Transactional {
            self.processor_emit_output(c, record);
        }
        if self.consumer_crash_if_armed(c, CrashPoint::AfterProcess) {
            return;
        }
        if gc.commit_mode == CommitMode::Transactional {
            self.processor_next_or_done(c);
            return;
        }
        if gc.commit_mode == CommitMode::AfterProcessing {
            let offsets = Consumer::commit_after_processing(tp, offset);
            let id = self.consumer_send_commit(c, offsets, false);
            self.consumer_rule(c, |con, now, out| {
                con.block_on_commit(id, AfterCommit::NextRecord, now, out)
            });
            return;
        }
        self.consumer_process_next(c);
    }

    /// An exactly-once processor goes on with the next record of its batch,
    /// or ends the batch's transaction after the last one.
    fn processor_next_or_done(&mut self, c: ConsumerIdx) {
        if self.consumers[c.0 as usize].current.is_empty() {
            self.processor_batch_done(c);
        } else {
            self.consumer_rule(c, |con, now, out| con.schedule_process_done(now, out));
        }
    }
    #[cfg(not(engine_speed))]
    /// Sends an OffsetCommit. Returns its id, or `None` if the consumer is not
    /// in an active generation (Java fails the commit locally).
    pub(crate) fn consumer_send_commit(
        &mut self,
        c: ConsumerIdx,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
    ) -> Option<u64> {
        if !self.consumer_rule(c, |con, _, out| con.may_commit(auto, out)) {
            return None;
        }
        let commit_id = self.next_id();
        self.consumer(c).track_commit(commit_id, offsets, auto);
        self.consumer_send_commit_request(c, commit_id);
        Some(commit_id)
    }

    fn consumer_send_commit_request(&mut self, c: ConsumerIdx, commit_id: u64) {
        let con = &self.consumers[c.0 as usize];
        if !con.pending_commits.iter().any(|p| p.commit_id == commit_id) {
            return;
        }
        let Some(b) = self.coordinator_or_retry(c) else {
            return;
        };
        if let Some(msg) = self.consumers[c.0 as usize].pending_commit_request(commit_id) {
            self.send(Node::Consumer(c), Node::Broker(b), msg);
        }
    }

    fn consumer_send_fetches(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
        self.client_maybe_update_metadata(Node::Consumer(c));
        let plan = self.consumers[c.0 as usize].fetch_plan(self.now_ms);
        if let Some(at) = plan.reconnect_at {
            self.client_wake_at(Node::Consumer(c), at);
        }
        for (l, partitions) in plan.by_leader {
            let fetch_id = self.next_id();
            let msg = self.consumer(c).fetch_request(l, fetch_id, partitions, gc);
            self.send(Node::Consumer(c), Node::Broker(l), msg);
        }
    }

    // ---- group membership --------------------------------------------------------

    /// `onJoinPrepare` + JoinGroup.
    fn consumer_start_join(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
        #[cfg(consumer_protocol)]
        if self.consumers[c.0 as usize].group_protocol == GroupProtocol::Consumer {
            return self.modern_join(c, gc);
        }
        let protocol = rebalance_protocol(gc);
        let con = &self.consumers[c.0 as usize];
        let g = con.group;
        // Auto-commit is attempted before the rebalance.
        if gc.commit_mode == CommitMode::Auto && con.membership == Membership::Stable {
            let offsets = con.uncommitted_positions();
            if !offsets.is_empty() {
                self.consumer_send_commit(c, offsets, true);
            }
        }
        let revoked = self.consumer(c).revoke_before_join(protocol);
        if !revoked.is_empty() {
            let partitions = self.tps_to_names(&revoked);
            self.emit(EventKind::Revoked {
                group: g,
                consumer: c,
                partitions,
                eager: true,
            });
        }
        let Some(b) = self.coordinator_or_retry(c) else {
            return;
        };
        let owned = self.tps_to_names(self.consumers[c.0 as usize].owned_for_join(protocol));
        let msg = self.consumer(c).join_group(gc, owned);
        self.send(Node::Consumer(c), Node::Broker(b), msg);
    }

    pub(crate) fn tps_to_names(&self, tps: &[Tp]) -> Vec<TopicPartition> {
        tps.iter()
            .map(|tp| TopicPartition {
                topic: self.topic(tp.topic).name.clone(),
                partition: tp.partition.0,
            })
            .collect()
    }

    pub(crate) fn names_to_tps(&self, names: &[TopicPartition]) -> Vec<Tp> {
        names
            .iter()
            .filter_map(|n| self.topic_id(&n.topic).map(|t| Tp::new(t, n.partition)))
            .collect()
    }

    /// The leader member runs the assignor (client side, as in Kafka).
    fn consumer_compute_assignment(
        &mut self,
        c: ConsumerIdx,
        kind: AssignorKind,
        members: &[MemberMetadata],
        generation: GenerationId,
    ) -> Vec<(String, Vec<TopicPartition>)> {
        let mut topics = VecMap::new();
        for m in members {
            for t in &m.topics {
                if let Some(id) = self.topic_id(t) {
                    topics.insert(t.clone(), self.topic(id).partitions.len() as u32);
                }
            }
        }
        let subs: Vec<MemberSubscription> = members
            .iter()
            .map(|m| MemberSubscription {
                member_id: m.member_id.clone(),
                group_instance_id: m.instance_id.clone(),
                topics: m.topics.clone(),
                owned: if matches!(kind, AssignorKind::Sticky | AssignorKind::CooperativeSticky) {
                    m.owned.clone()
                } else {
                    Vec::new()
                },
                generation: m.owned_generation,
            })
            .collect();
        let topics: std::collections::BTreeMap<String, u32> = topics.into_iter().collect();
        let outcome = assignor::assign(kind, &topics, &subs);
        let g = self.consumers[c.0 as usize].group;
        self.emit(EventKind::AssignmentComputed {
            group: g,
            leader: c,
            strategy: kind,
            generation,
        });
        outcome.assignment.into_iter().collect()
    }
    #[rustfmt::skip] // The native first step (the file's end) stays on this line.
    pub(crate) fn consumer_receive(&mut self, c: ConsumerIdx, from: Node, msg: Msg) { #[cfg(engine_speed)] let Some(msg) = self.consumer_commit_answered_first(c, msg) else { return };
        let gc = self.gcfg(c);
        self.client_coordinator_error(Node::Consumer(c), from, msg.error());
        match msg {
            Msg::FindCoordinatorResponse { key, coordinator } => {
                self.client_coordinator_response(Node::Consumer(c), key, coordinator)
            }
            Msg::MetadataResponse { partitions } => {
                if let Node::Broker(b) = from {
                    self.client_metadata_response(Node::Consumer(c), b, &partitions);
                }
                if self.consumers[c.0 as usize].app == AppState::Polling {
                    self.consumer_send_fetches(c, &gc);
                }
            }
            Msg::JoinGroupResponse {
                error,
                member_id,
                generation,
                protocol,
                leader,
                members,
                ..
            } => {
                let answer = self.consumer_rule(c, |con, now, out| {
                    con.join_answered(now, error, &member_id, generation, out)
                });
                match answer {
                    JoinAnswer::Ignored | JoinAnswer::Retried => {}
                    JoinAnswer::JoinAgain => self.consumer_start_join(c, &gc),
                    JoinAnswer::Fatal => self.consumer_stop_now(c),
                    JoinAnswer::Joined => {
                        // The leader member runs the assignor (client side).
                        let assignments = match protocol {
                            Some(kind) if leader == member_id && !members.is_empty() => {
                                self.consumer_compute_assignment(c, kind, &members, generation)
                            }
                            _ => Vec::new(),
                        };
                        if let Node::Broker(b) = from {
                            let msg = self.consumers[c.0 as usize].sync_group(assignments);
                            self.send(Node::Consumer(c), Node::Broker(b), msg);
                        }
                        self.consumer_ensure_heartbeat(c, &gc);
                    }
                }
            }
            Msg::SyncGroupResponse {
                error, assignment, ..
            } => {
                if self.consumers[c.0 as usize].membership != Membership::AwaitingSync {
                    return;
                }
                match error {
                    Some(e) => self.consumer_rule(c, |con, now, out| con.sync_failed(now, e, out)),
                    None => self.consumer_on_assignment(c, assignment, &gc),
                }
            }
            // A process restarted with another group.protocol (a rolling
            // bounce) has new connections: the old protocol's answers in
            // flight never reach it.
            Msg::HeartbeatResponse { error, .. } => {
                if self.consumers[c.0 as usize].group_protocol != GroupProtocol::Classic {
                    return;
                }
                if let Some(e) = error {
                    self.consumer_rule(c, |con, now, out| con.heartbeat_failed(now, e, out));
                }
            }
            Msg::LeaveGroupResponse { .. } => {}
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeatResponse { resp, .. } => {
                if self.consumers[c.0 as usize].group_protocol == GroupProtocol::Consumer {
                    self.modern_response(c, resp, &gc)
                }
            }
            Msg::OffsetCommitResponse {
                error,
                offsets,
                commit_id,
                ..
            } => self.consumer_commit_response(c, commit_id, offsets, error),
            Msg::OffsetFetchResponse { error, offsets, .. } => {
                let now = self.now_ms;
                let mut out = self.outbox();
                let con = &mut self.consumers[c.0 as usize];
                let need_reset = con.offsets_fetched(now, error, offsets, &mut self.rng, &mut out);
                self.apply_outbox(out);
                if let Some(tps) = need_reset {
                    self.consumer_reset_offsets(c, tps, &gc);
                    self.consumer_wake_poll(c);
                }
            }
            Msg::ListOffsetsResponse { partitions } => {
                let reset = gc.auto_offset_reset;
                self.consumer_rule(c, |con, now, out| {
                    con.offsets_listed(now, partitions, reset, out);
                    con.wake_poll(now, out);
                });
            }
            Msg::FetchResponse {
                fetch_id,
                partitions,
            } => {
                if let Node::Broker(b) = from {
                    self.consumer_fetch_response(c, b, fetch_id, partitions, &gc);
                }
            }
            other => self.consumer_txn_receive(c, from, other),
        }
    }

    fn consumer_wake_poll(&mut self, c: ConsumerIdx) {
        self.consumer_rule(c, |con, now, out| con.wake_poll(now, out));
    }

    fn consumer_on_assignment(
        &mut self,
        c: ConsumerIdx,
        assignment: Vec<TopicPartition>,
        gc: &GroupConfig,
    ) {
        let protocol = rebalance_protocol(gc);
        let new = self.names_to_tps(&assignment);
        let change = self.consumer_take_assignment(c, new, protocol, gc);
        if change.fetch_offsets {
            self.consumer_send_offset_fetch(c);
        }
        self.consumer_wake_poll(c);
    }

    /// The consumer takes `new` (`onJoinComplete`, or a consumer-protocol
    /// reconciliation) and shows it: the partitions it gave up (unless
    /// eager, which revoked everything before joining) and what it owns now.
    pub(crate) fn consumer_take_assignment(
        &mut self,
        c: ConsumerIdx,
        new: Vec<Tp>,
        protocol: RebalanceProtocol,
        gc: &GroupConfig,
    ) -> Reassignment {
        let con = &self.consumers[c.0 as usize];
        let (g, generation) = (con.group, con.generation);
        let (now, interval) = (self.now_ms, gc.auto_commit_interval_ms as u64);
        let change = self
            .consumer(c)
            .assign(new.clone(), protocol, now, interval);
        let shows_revoked = protocol == RebalanceProtocol::Cooperative;
        if shows_revoked && !change.revoked.is_empty() {
            let partitions = self.tps_to_names(&change.revoked);
            self.emit(EventKind::Revoked {
                group: g,
                consumer: c,
                partitions,
                eager: false,
            });
        }
        self.emit(EventKind::Assigned {
            group: g,
            consumer: c,
            generation,
            assigned: self.tps_to_names(&new),
            added: self.tps_to_names(&change.added),
            revoked: if shows_revoked {
                self.tps_to_names(&change.revoked)
            } else {
                vec![]
            },
        });
        change
    }

    pub(crate) fn consumer_send_offset_fetch_pub(&mut self, c: ConsumerIdx) {
        self.consumer_send_offset_fetch(c);
    }

    fn consumer_send_offset_fetch(&mut self, c: ConsumerIdx) {
        let Some(b) = self.coordinator_or_retry(c) else {
            return;
        };
        let msg = self.consumers[c.0 as usize].offset_fetch();
        self.send(Node::Consumer(c), Node::Broker(b), msg);
    }

    /// Asks again for the committed offsets still missing.
    pub(crate) fn consumer_offset_fetch_retry(&mut self, c: ConsumerIdx) {
        if !self.consumers[c.0 as usize].offsets_pending.is_empty() {
            self.consumer_send_offset_fetch(c);
        }
    }

    fn consumer_reset_offsets(&mut self, c: ConsumerIdx, tps: Vec<Tp>, gc: &GroupConfig) {
        if tps.is_empty() {
            return;
        }
        match self.consumer_rule(c, |con, now, out| con.reset_offsets(now, &tps, gc, out)) {
            None => self.consumer_stop_now(c),
            Some(requests) => {
                for (l, msg) in requests {
                    self.send(Node::Consumer(c), Node::Broker(l), msg);
                }
            }
        }
    }

    fn consumer_fetch_response(
        &mut self,
        c: ConsumerIdx,
        b: BrokerId,
        fetch_id: u64,
        parts: Vec<FetchPartitionData>,
        gc: &GroupConfig,
    ) {
        let Some(answer) = self.consumer(c).fetch_answered(b, fetch_id, parts) else {
            return;
        };
        self.consumer_reset_offsets(c, answer.reset, gc);
        if answer.retry {
            self.consumer_retry_later(c);
        }
        if self.consumers[c.0 as usize].app == AppState::Polling {
            if answer.got {
                self.consumer_set_timer(c, 0, ConsumerTimer::Poll);
            } else if !answer.retry {
                self.consumer_send_fetches(c, gc);
            }
        }
    }

    /// A wake-up of the consumer's network loop: fetch (which refreshes the
    /// metadata first if due) if the application is polling.
    pub(crate) fn consumer_network_wake(&mut self, c: ConsumerIdx) {
        if self.consumers[c.0 as usize].app == AppState::Polling {
            let gc = self.gcfg(c);
            self.consumer_send_fetches(c, &gc);
        } else {
            self.client_maybe_update_metadata(Node::Consumer(c));
        }
    }

    /// Retries whatever was waiting on a coordinator or leader that was unavailable.
    pub(crate) fn consumer_retry(&mut self, c: ConsumerIdx) {
        let gc = self.gcfg(c);
        let con = &self.consumers[c.0 as usize];
        if con.membership == Membership::Unjoined && con.app == AppState::Polling {
            self.consumer_start_join(c, &gc);
            return;
        }
        let commits: Vec<u64> = con.pending_commits.iter().map(|p| p.commit_id).collect();
        for id in commits {
            self.consumer_send_commit_request(c, id);
        }
        if !self.consumers[c.0 as usize].offsets_pending.is_empty() {
            self.consumer_send_offset_fetch(c);
        }
        if self.consumers[c.0 as usize].app == AppState::Polling {
            self.consumer_send_fetches(c, &gc);
        }
    }
    #[cfg(not(engine_speed))]
    fn consumer_commit_response(
        &mut self,
        c: ConsumerIdx,
        commit_id: u64,
        offsets: Vec<(Tp, Offset)>,
        error: Option<ErrorCode>,
    ) {
        let answer = self.consumer_rule(c, |con, now, out| {
            con.commit_answered(now, commit_id, &offsets, error, out)
        });
        match answer {
            CommitAnswer::Unknown | CommitAnswer::Retry => return,
            CommitAnswer::Committed { auto: false } => {
                if self.consumer_crash_if_armed(c, CrashPoint::AfterCommit) {
                    return;
                }
            }
            CommitAnswer::Committed { auto: true } | CommitAnswer::Failed => {}
        }
        let failed = error.is_some();
        self.consumer_rule(c, |con, now, out| {
            con.resume_after_commit(commit_id, failed, now, out)
        });
    }

    // ---- heartbeat thread ----------------------------------------------------------

    fn consumer_ensure_heartbeat(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
        let interval = gc.heartbeat_interval_ms as u64;
        self.consumer_rule(c, |con, now, out| {
            con.start_heartbeat_thread(now, interval, out)
        });
    }

    /// One beat of the heartbeat thread: it enforces `max.poll.interval.ms`,
    /// beats while the member is in a generation, and comes round again.
    pub(crate) fn consumer_heartbeat_tick(&mut self, c: ConsumerIdx) {
        let gc = self.gcfg(c);
        #[cfg(consumer_protocol)]
        if self.consumers[c.0 as usize].group_protocol == GroupProtocol::Consumer {
            return self.modern_heartbeat_tick(c, &gc);
        }
        let max_poll = gc.max_poll_interval_ms as u64;
        let leave = self.consumer_rule(c, |con, now, out| {
            con.check_poll_interval(now, max_poll, out)
        });
        if let Some(msg) = leave {
            if let Some(b) = self.coordinator_of(c) {
                self.send(Node::Consumer(c), Node::Broker(b), msg);
            }
        }
        if self.consumers[c.0 as usize].beats() {
            // The coordinator is looked up (and found if need be) even for a
            // member without a member id.
            let heartbeat = self.consumers[c.0 as usize].heartbeat_request();
            if let (Some(msg), Some(b)) = (heartbeat, self.coordinator_of(c)) {
                self.send(Node::Consumer(c), Node::Broker(b), msg);
            }
        }
        let interval = gc.heartbeat_interval_ms as u64;
        self.consumer_rule(c, |con, now, out| {
            con.set_timer_at(now + interval, ConsumerTimer::HeartbeatTick, out)
        });
    }

    pub(crate) fn consumer_disconnected(&mut self, c: ConsumerIdx, broker: BrokerId) {
        let con = &self.consumers[c.0 as usize];
        if !con.alive {
            return;
        }
        self.client_metadata_disconnected(Node::Consumer(c), broker);
        self.consumer_rule(c, |con, now, out| con.connection_closed(now, broker, out));
    }

    // ---- lifecycle and faults ---------------------------------------------------------

    /// Returns true (and crashes the consumer) if a crash was armed for `point`.
    pub(crate) fn consumer_crash_if_armed(&mut self, c: ConsumerIdx, point: CrashPoint) -> bool {
        if !self.consumer(c).take_armed_crash(point) {
            return false;
        }
        self.consumer_crash(c, point);
        true
    }

    fn consumer_crash(&mut self, c: ConsumerIdx, point: CrashPoint) {
        let gc = self.gcfg(c);
        let con = &self.consumers[c.0 as usize];
        let group = &self.groups[con.group.0 as usize];
        let owned = con
            .assignment
            .iter()
            .map(|tp| (*tp, group.committed.get(tp).copied()))
            .collect();
        self.emit(EventKind::ConsumerCrashed {
            consumer: c,
            point,
            owned,
        });
        self.consumer(c).lose_process();
        if gc.restart_after_ms > 0 {
            self.schedule_in(
                gc.restart_after_ms as u64,
                Action::ConsumerRestart { consumer: c },
            );
        }
        self.consumer_txn_crashed(c);
    }

    pub(crate) fn consumer_stop_now(&mut self, c: ConsumerIdx) {
        self.consumer(c).lose_process();
        self.emit(EventKind::ConsumerStopped { consumer: c });
    }

    pub(crate) fn cmd_crash_consumer(
        &mut self,
        c: ConsumerIdx,
        point: CrashPoint,
    ) -> Result<(), String> {
        let ci = self.check_consumer(c)?;
        if !self.consumers[ci].alive {
            return Err(format!(
                "consumer {} is not running",
                self.consumers[ci].label
            ));
        }
        if point == CrashPoint::Now {
            self.consumer_crash(c, point);
        } else {
            self.consumer(c).armed_crash.push(point);
            let label = self.consumers[ci].label.clone();
            let when = match point {
                CrashPoint::AfterPoll => "right after its next poll",
                CrashPoint::AfterProcess => "right after it processes its next record",
                CrashPoint::AfterCommit => "right after its next commit",
                CrashPoint::Now => "now",
            };
            self.emit(EventKind::FaultArmed {
                text: format!("Consumer {label} will crash {when}"),
            });
        }
        Ok(())
    }

    pub(crate) fn cmd_processing_raises(&mut self, c: ConsumerIdx) -> Result<(), String> {
        let ci = self.check_consumer(c)?;
        self.consumer(c).raise_next = true;
        self.emit(EventKind::FaultArmed {
            text: format!(
                "Consumer {}'s process_event() will raise an exception on the next record",
                self.consumers[ci].label
            ),
        });
        Ok(())
    }

    pub(crate) fn cmd_restart_consumer(&mut self, c: ConsumerIdx) -> Result<(), String> {
        let ci = self.check_consumer(c)?;
        if self.consumers[ci].alive {
            return Err(format!(
                "consumer {} is already running",
                self.consumers[ci].label
            ));
        }
        self.consumer_restart(c);
        Ok(())
    }

    pub(crate) fn consumer_restart(&mut self, c: ConsumerIdx) {
        let now = self.now_ms;
        let gc = self.gcfg(c);
        if self.consumers[c.0 as usize].alive {
            return;
        }
        // A new process bootstraps its metadata again.
        let key = CoordinatorKey::Group(self.consumers[c.0 as usize].group);
        let fresh = self.bootstrap_metadata(&[key]);
        self.consumer(c).restart(now, &gc, fresh);
        self.emit(EventKind::ConsumerStarted {
            consumer: c,
            restart: true,
        });
        self.consumer_txn_restarted(c);
        self.consumer_set_timer(c, 0, ConsumerTimer::Poll);
    }

    pub(crate) fn cmd_add_consumer(&mut self, g: GroupIdx) -> Result<(), String> {
        if g.0 as usize >= self.groups.len() {
            return Err(format!("there is no group #{g}"));
        }
        let max = crate::engine::config::limits::MAX_CONSUMERS_PER_GROUP as usize;
        let alive = self
            .consumers
            .iter()
            .filter(|c| c.group == g && c.alive)
            .count();
        if alive >= max {
            return Err(format!(
                "a group can have at most {max} running consumers here"
            ));
        }
        if self.consumers.len() >= crate::engine::config::limits::MAX_CONSUMERS_TOTAL {
            return Err(format!(
                "this scenario already started {} consumers, the most it keeps track of",
                self.consumers.len()
            ));
        }
        let c = self.consumer_create(g);
        self.emit(EventKind::ConsumerStarted {
            consumer: c,
            restart: false,
        });
        Ok(())
    }

    /// `consumer.close()`: commit (if auto-commit), then LeaveGroup (dynamic
    /// members only: a static member leaves by session timeout).
    pub(crate) fn cmd_stop_consumer(&mut self, c: ConsumerIdx) -> Result<(), String> {
        let ci = self.check_consumer(c)?;
        if !self.consumers[ci].alive {
            return Err(format!(
                "consumer {} is not running",
                self.consumers[ci].label
            ));
        }
        let gc = self.gcfg(c);
        let con = &self.consumers[ci];
        if gc.commit_mode == CommitMode::Auto && con.membership == Membership::Stable {
            let offsets = con.positions_to_commit();
            // Closing, it uses a coordinator it knows and looks none up.
            if let (Some(b), false) = (con.known_coordinator(), offsets.is_empty()) {
                let commit_id = self.next_id();
                let msg = self.consumers[ci].offset_commit(commit_id, offsets, true);
                self.send(Node::Consumer(c), Node::Broker(b), msg);
            }
        }
        let con = &self.consumers[ci];
        if con.group_protocol == GroupProtocol::Consumer {
            #[cfg(consumer_protocol)]
            self.modern_leave(c);
        } else if let (Some(msg), Some(b)) = (con.leave_on_close(), con.known_coordinator()) {
            self.send(Node::Consumer(c), Node::Broker(b), msg);
        }
        self.consumer_stop_now(c);
        Ok(())
    }

    /// A rolling bounce's step: `close()` the consumer if it runs, then start
    /// it again with `group.protocol` = `protocol`. Its group converts online
    /// if Kafka's migration rules allow it (`group_migration.rs`).
    #[cfg(consumer_protocol)]
    pub(crate) fn cmd_restart_consumer_with(
        &mut self,
        c: ConsumerIdx,
        protocol: GroupProtocol,
    ) -> Result<(), String> {
        let ci = self.check_consumer(c)?;
        if self.consumers[ci].alive {
            self.cmd_stop_consumer(c)?;
        }
        self.consumers[ci].group_protocol = protocol;
        self.consumer_restart(c);
        Ok(())
    }
}

/// Native only (`cfg(engine_speed)`, see build.rs): sending an OffsetCommit,
/// once a record (`commitSync()` after each one) for an at-least-once
/// consumer, without the steps whose outcome is known there. The page's
/// `consumer_send_commit` (above, `cfg(not(engine_speed))`) is the rule;
/// this one sends the same message and shows the same events in the same
/// order:
///
/// - A member of an active generation may commit, and then its
///   `may_commit` rule records nothing: the check is read here, and the rule
///   runs (for its `CommitFailed`) only when the commit may not go out.
/// - The request is built from the commit just tracked (the last one
///   pending), not searched for twice by its id
///   (`consumer_send_commit_request`, which a retry still uses).
/// - The coordinator comes straight from the consumer's own metadata when
///   it is known and reachable; otherwise `coordinator_or_retry` decides
///   (a FindCoordinator, a retry) as on the page.
///
/// Together ~150 instructions of the ~565 a commit's request cost (W1 full
/// −1.0%, see bench/README.md, perf-w1x).
///
/// - The request takes the caller's list of offsets itself; the pending
///   commit keeps its own copy, inline for one partition
///   ([`PendingOffsets`](crate::engine::kafka_consumer::PendingOffsets)),
///   where the page tracks the list and sends a clone (perf-w2c).
/// - The request's member id is shared with the consumer
///   ([`MemberId`](crate::engine::network::MemberId), kept in
///   `PendingCommits`): a reference-count bump, where the page's
///   `offset_commit` copies the `String` (a `malloc`, a `memcpy` and the
///   coordinator's `free`, ~75 instructions a commit; perf-w3e).
#[cfg(engine_speed)]
impl Engine {
    pub(crate) fn consumer_send_commit(
        &mut self,
        c: ConsumerIdx,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
    ) -> Option<u64> {
        let con = &self.consumers[c.0 as usize];
        if con.membership != Membership::Stable || con.member_id.is_none() {
            let may = self.consumer_rule(c, |con, _, out| con.may_commit(auto, out));
            debug_assert!(!may);
            return None;
        }
        let commit_id = self.next_id();
        self.consumer(c).track_commit_of(commit_id, &offsets, auto);
        let known = self.consumer_reachable_coordinator(c);
        // Not known or not reachable: the rule (a FindCoordinator, a retry).
        let Some(b) = known.or_else(|| self.coordinator_or_retry(c)) else {
            return Some(commit_id);
        };
        let con = &mut self.consumers[c.0 as usize];
        let pc = &con.pending_commits[con.pending_commits.len() - 1];
        debug_assert_eq!((pc.commit_id, &pc.offsets[..]), (commit_id, &offsets[..]));
        #[cfg(debug_assertions)]
        let page = con.offset_commit(commit_id, offsets.clone(), auto);
        // The page's `offset_commit`, with the member id shared.
        let member = con.member_id.as_deref().unwrap_or_default();
        let msg = Msg::OffsetCommit {
            group: con.group,
            member_id: con.pending_commits.shared_member_id(member),
            generation: con.generation,
            offsets,
            auto,
            commit_id,
        };
        #[cfg(debug_assertions)]
        debug_assert_eq!(msg, page);
        self.send(Node::Consumer(c), Node::Broker(b), msg);
        Some(commit_id)
    }

    /// The group coordinator `c` knows and may reach now: what
    /// `client_coordinator` answers first, read from the consumer's own
    /// metadata (debug builds check it against that rule).
    #[inline(always)]
    fn consumer_reachable_coordinator(&mut self, c: ConsumerIdx) -> Option<BrokerId> {
        let con = &self.consumers[c.0 as usize];
        let key = CoordinatorKey::Group(con.group);
        let m = &con.metadata;
        let b = m.coordinators.iter().find(|(k, _)| *k == key)?.1;
        if m.reconnect_at(b, self.now_ms).is_some() {
            return None;
        }
        debug_assert_eq!(self.coordinator_of(c), Some(b));
        Some(b)
    }
}

/// Native only (`cfg(engine_speed)`): the answer to an OffsetCommit, once a
/// record for an at-least-once consumer, without the two rules' outboxes
/// when it succeeded. The page's `consumer_commit_response` (above,
/// `cfg(not(engine_speed))`) runs `commit_answered` and
/// `resume_after_commit` as rules; a success records nothing in the first,
/// and the second records one timer, the application's next step
/// (`ProcessDone` for the next record, or `Poll`). Here a success is taken by
/// [`Consumer::commit_succeeded`] and the timer, returned by
/// [`Consumer::resume_after_success`], is scheduled at once, where the
/// rule's outbox would have been applied: the same state, the same timer in
/// the same place in the queue. An error takes the page's rules.
#[cfg(engine_speed)]
impl Engine {
    fn consumer_commit_response(
        &mut self,
        c: ConsumerIdx,
        commit_id: u64,
        offsets: Vec<(Tp, Offset)>,
        error: Option<ErrorCode>,
    ) {
        if error.is_none() {
            return self.consumer_commit_succeeded(c, commit_id, offsets);
        }
        let answer = self.consumer_rule(c, |con, now, out| {
            con.commit_answered(now, commit_id, &offsets, error, out)
        });
        match answer {
            CommitAnswer::Unknown | CommitAnswer::Retry => return,
            CommitAnswer::Committed { auto: false } => {
                if self.consumer_crash_if_armed(c, CrashPoint::AfterCommit) {
                    return;
                }
            }
            CommitAnswer::Committed { auto: true } | CommitAnswer::Failed => {}
        }
        self.consumer_rule(c, |con, now, out| {
            con.resume_after_commit(commit_id, true, now, out)
        });
    }

    /// A commit's answer without an error: the consumer is looked up once
    /// (again only after a scripted crash point, which a consumer with none
    /// armed skips as `take_armed_crash` would), the answer's list is kept
    /// for the next commit and the application's next step is scheduled.
    #[inline(always)]
    fn consumer_commit_succeeded(
        &mut self,
        c: ConsumerIdx,
        commit_id: u64,
        offsets: Vec<(Tp, Offset)>,
    ) {
        let now = self.now_ms;
        let ci = c.0 as usize;
        let mut con = &mut self.consumers[ci];
        match con.commit_succeeded(commit_id, &offsets) {
            CommitAnswer::Unknown | CommitAnswer::Retry => return,
            CommitAnswer::Committed { auto: false } if !con.armed_crash.is_empty() => {
                if self.consumer_crash_if_armed(c, CrashPoint::AfterCommit) {
                    return;
                }
                con = &mut self.consumers[ci];
            }
            CommitAnswer::Committed { .. } | CommitAnswer::Failed => {}
        }
        con.pending_commits.keep_spare(offsets);
        if let Some((at, timer)) = con.resume_after_success(commit_id, now) {
            let action = con.timer(timer);
            self.schedule(at, action);
        }
    }
}

/// Native only (`cfg(engine_speed)`): a record processed (the `ProcessDone`
/// timer, once a record), as the page's `consumer_process_done` (above,
/// `cfg(not(engine_speed))`) with the same events and effects in the same
/// order, less three steps that cost an at-least-once consumer ~80
/// instructions a record:
///
/// - The group's commit mode is read once. The page reads it through
///   `gcfg` (a shared pointer cloned and dropped) four times, each read a
///   bounds-checked index the compiler cannot merge across the calls
///   between them.
/// - The commit's list of offsets reuses the one the last commit's answer
///   brought back ([`Consumer::commit_list`]): one `malloc` and one `free`
///   fewer a commit.
/// - `block_on_commit` of a commit that went out records nothing: it is
///   called with an outbox of its own (a vector that never allocates), not
///   through `consumer_rule`'s.
#[cfg(engine_speed)]
impl Engine {
    pub(crate) fn consumer_process_done(&mut self, c: ConsumerIdx) {
        let con = &mut self.consumers[c.0 as usize];
        let group = con.group;
        let Some(done) = con.record_done() else {
            self.consumer_process_next(c);
            return;
        };
        let mode = self.cfg.groups[group.0 as usize].commit_mode;
        let transactional = mode == CommitMode::Transactional;
        let (tp, record, offset) = (done.tp, done.record, done.offset);
        if done.raised {
            // As on the page: shown, not processed, its commit skipped.
            self.emit(EventKind::ProcessingRaised {
                consumer: c,
                group,
                tp,
                record,
                offset,
            });
            return self.consumer_next_after_record(c, transactional);
        }
        // (Counted here unless transactional: `Ledger::count_processed`.)
        let times = if transactional {
            self.ledger
                .times_processed_record(record, group, &self.records)
                + 1
        } else {
            self.ledger.count_processed(record, group, &self.records)
        };
        self.emit(EventKind::Processed {
            consumer: c,
            group,
            tp,
            record,
            offset,
            times,
            transactional,
        });
        if transactional {
            self.processor_emit_output(c, record);
        }
        if self.consumer_crash_if_armed(c, CrashPoint::AfterProcess) {
            return;
        }
        if mode != CommitMode::AfterProcessing {
            return self.consumer_next_after_record(c, transactional);
        }
        let offsets = self.consumers[c.0 as usize].commit_list(tp, offset);
        let id = self.consumer_send_commit(c, offsets, false);
        if id.is_none() {
            self.consumer_rule(c, |con, now, out| {
                con.block_on_commit(id, AfterCommit::NextRecord, now, out)
            });
            return;
        }
        let mut none = Outbox::new();
        let now = self.now_ms;
        let con = &mut self.consumers[c.0 as usize];
        con.block_on_commit(id, AfterCommit::NextRecord, now, &mut none);
        debug_assert!(none.is_empty(), "blocking on a commit sent records nothing");
    }

    /// The application goes on after a record without a commit of its own:
    /// an exactly-once processor with its batch, any other with its next
    /// record.
    fn consumer_next_after_record(&mut self, c: ConsumerIdx, transactional: bool) {
        if transactional {
            self.processor_next_or_done(c);
        } else {
            self.consumer_process_next(c);
        }
    }
}

/// Native only (`cfg(engine_speed)`): a successful OffsetCommit answer
/// (once a record for an at-least-once consumer) goes straight to
/// `consumer_commit_response`, the handler `consumer_receive`'s match
/// would hand it to, before that function's general steps: the group's
/// configuration (`gcfg`, a shared pointer cloned and dropped), the
/// message's error read by a match over every kind of message, and
/// `client_coordinator_error`, which does nothing without an error. The
/// same handler with the same arguments, so the same state and events; any
/// other message (an error, a fetch answer, a rebalance) takes the page's
/// steps. The call stands on `consumer_receive`'s first line so the page's
/// lines stay where they were.
#[cfg(engine_speed)]
impl Engine {
    #[inline(always)]
    fn consumer_commit_answered_first(&mut self, c: ConsumerIdx, msg: Msg) -> Option<Msg> {
        match msg {
            Msg::OffsetCommitResponse {
                error: None,
                offsets,
                commit_id,
                ..
            } => {
                self.consumer_commit_succeeded(c, commit_id, offsets);
                None
            }
            other => Some(other),
        }
    }
}
