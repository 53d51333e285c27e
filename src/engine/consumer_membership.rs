//! The consumer's side of Kafka 4's consumer group protocol (KIP-848,
//! `group.protocol=consumer`): one heartbeat instead of JoinGroup/SyncGroup,
//! and reconciliation at the member's own pace.
//!
//! - **Joining** is a ConsumerGroupHeartbeat at member epoch 0 with the
//!   subscription, the rebalance timeout (`max.poll.interval.ms`) and,
//!   optionally, `group.remote.assignor`. The answer carries the member id,
//!   the member epoch, the heartbeat interval the *broker* chose
//!   (`group.consumer.heartbeat.interval.ms`) and the assignment.
//! - **Heartbeats** go out every interval; a field is sent only when it
//!   changed since the last request, so most heartbeats are tiny.
//! - **Reconciling**: when an answer brings a new assignment, the member
//!   gives up the partitions that are no longer in it (after committing them
//!   under auto-commit), takes the new ones, and acknowledges at once with a
//!   heartbeat that lists what it owns now. Revocation runs on the
//!   application thread, so a member busy processing first finishes its
//!   records and reconciles on its next `poll()`. Nothing waits for other
//!   members: the coordinator hands a partition to its new owner only after
//!   the old owner's acknowledgement.
//! - **Fenced** (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID): the member loses
//!   its partitions without committing (`onPartitionsLost`) and rejoins at
//!   epoch 0.
//! - **Leaving**: epoch -1 (a static member, KIP-345: -2, which keeps its
//!   partitions parked until its session expires or it comes back).
//! - **Commits** carry the member epoch; the coordinator refuses any other
//!   epoch with STALE_MEMBER_EPOCH (`commitSync` throws `CommitFailedException`;
//!   the member is not fenced and goes on).
//!
//! Kafka's code: `clients/src/main/java/org/apache/kafka/clients/consumer/internals/ConsumerMembershipManager.java`
//! and `AbstractMembershipManager.java` (`onHeartbeatSuccess`,
//! `maybeReconcile`, `revokeAndAssign`, `transitionToFenced`,
//! `leaveGroup`), `ConsumerHeartbeatRequestManager.java` (which fields a
//! heartbeat carries) and `CommitRequestManager.java`.

/// What a consumer on the consumer protocol keeps beyond the classic state
/// (its member epoch is `Consumer::generation`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModernMembership {
    /// The heartbeat interval the broker asked for.
    pub interval_ms: u64,
    /// An assignment received, to reconcile on the application thread.
    pub pending: Option<Vec<crate::engine::assignor::TopicPartition>>,
    /// The owned partitions changed since the last heartbeat: send them.
    pub owned_changed: bool,
    /// A heartbeat is in flight (one at a time, as Java's request manager).
    pub in_flight: bool,
}

// Only the full page's and the live page's bundles (and native builds) run
// it: see build.rs.
#[cfg(consumer_protocol)]
mod engine_side {
    use super::ModernMembership;
    use crate::engine::assignor::RebalanceProtocol;
    use crate::engine::config::{CommitMode, GroupConfig};
    use crate::engine::consumer_group::{
        HeartbeatRequest, HeartbeatResponse, LEAVE_EPOCH, LEAVE_STATIC_EPOCH,
    };
    use crate::engine::event::{ErrorCode, EventKind, Node};
    use crate::engine::ids::*;
    use crate::engine::kafka_consumer::{AppState, ConsumerTimer, Membership};
    use crate::engine::network::Msg;
    use crate::engine::sim::Engine;

    impl Engine {
        fn modern(&mut self, c: ConsumerIdx) -> &mut ModernMembership {
            self.consumers[c.0 as usize]
                .modern
                .get_or_insert_with(ModernMembership::default)
        }

        /// Joins (or rejoins) at member epoch 0.
        pub(crate) fn modern_join(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
            self.modern_lose_partitions(c);
            let Some(b) = self.coordinator_or_retry(c) else {
                return;
            };
            let con = &mut self.consumers[c.0 as usize];
            con.rejoin_needed = false;
            con.membership = Membership::Joining;
            con.generation = GenerationId(0);
            let req = HeartbeatRequest {
                member_id: con.member_id.clone().unwrap_or_default(),
                instance_id: con.instance_id.clone(),
                member_epoch: 0,
                rebalance_timeout_ms: gc.max_poll_interval_ms as i32,
                subscribed_topics: Some(gc.topics.clone()),
                server_assignor: gc.group_remote_assignor,
                owned: Some(Vec::new()),
            };
            self.modern_send(c, b, req);
            let m = self.modern(c);
            if m.interval_ms == 0 {
                m.interval_ms = 1;
                self.consumer_set_timer(c, 0, ConsumerTimer::HeartbeatTick);
            }
        }

        fn modern_send(&mut self, c: ConsumerIdx, b: BrokerId, req: HeartbeatRequest) {
            let m = self.modern(c);
            m.in_flight = true;
            m.owned_changed = false;
            let group = self.consumers[c.0 as usize].group;
            self.send(
                Node::Consumer(c),
                Node::Broker(b),
                Msg::ConsumerGroupHeartbeat {
                    group,
                    req: Box::new(req),
                },
            );
        }

        /// A heartbeat of a member in the group: the epoch, and what it owns if
        /// that changed.
        fn modern_beat(&mut self, c: ConsumerIdx) {
            let con = &self.consumers[c.0 as usize];
            let Some(m) = &con.modern else { return };
            if con.membership != Membership::Stable || m.in_flight {
                return;
            }
            let Some(member_id) = con.member_id.clone() else {
                return;
            };
            let owned = m.owned_changed.then(|| self.tps_to_names(&con.assignment));
            let req = HeartbeatRequest {
                member_id,
                instance_id: con.instance_id.clone(),
                member_epoch: con.generation.0,
                rebalance_timeout_ms: -1,
                subscribed_topics: None,
                server_assignor: None,
                owned,
            };
            if let Some(b) = self.coordinator_or_retry(c) {
                self.modern_send(c, b, req);
            }
        }

        /// The heartbeat timer: `max.poll.interval.ms`, then a beat, then again
        /// after the broker's interval.
        pub(crate) fn modern_heartbeat_tick(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
            let con = &self.consumers[c.0 as usize];
            let now = self.now_ms;
            if con.app != AppState::Polling
                && con.membership == Membership::Stable
                && now.saturating_sub(con.last_poll_ms) > gc.max_poll_interval_ms as u64
            {
                // The application is stuck: leave (its partitions go to others).
                self.emit(EventKind::PollTimeoutExpired { consumer: c });
                self.modern_leave(c);
                let con = &mut self.consumers[c.0 as usize];
                con.poll_expired = true;
                con.rejoin_needed = true;
                self.modern_lose_partitions(c);
            } else {
                self.modern_beat(c);
            }
            let interval = self.modern(c).interval_ms.max(1);
            self.consumer_set_timer(c, interval, ConsumerTimer::HeartbeatTick);
        }

        /// Sends the leave heartbeat (-1, or -2 for a static member).
        pub(crate) fn modern_leave(&mut self, c: ConsumerIdx) {
            let con = &mut self.consumers[c.0 as usize];
            let Some(member_id) = con.member_id.clone() else {
                return;
            };
            let epoch = if con.instance_id.is_some() {
                LEAVE_STATIC_EPOCH
            } else {
                LEAVE_EPOCH
            };
            con.membership = Membership::Unjoined;
            con.generation = GenerationId(epoch);
            let req = HeartbeatRequest {
                member_id,
                instance_id: con.instance_id.clone(),
                member_epoch: epoch,
                rebalance_timeout_ms: -1,
                subscribed_topics: None,
                server_assignor: None,
                owned: None,
            };
            if let Some(b) = self.consumers[c.0 as usize].known_coordinator() {
                self.modern_send(c, b, req);
            }
        }

        /// `onPartitionsLost`: everything goes, nothing is committed.
        fn modern_lose_partitions(&mut self, c: ConsumerIdx) {
            let con = &mut self.consumers[c.0 as usize];
            if con.assignment.is_empty() {
                return;
            }
            let lost = std::mem::take(&mut con.assignment);
            for tp in &lost {
                con.positions.remove(tp);
                con.fetched.remove(tp);
            }
            con.offsets_pending.clear();
            let group = con.group;
            let partitions = self.tps_to_names(&lost);
            self.modern(c).owned_changed = true;
            self.emit(EventKind::Revoked {
                group,
                consumer: c,
                partitions,
                eager: true,
            });
        }

        /// The coordinator answered a heartbeat.
        pub(crate) fn modern_response(
            &mut self,
            c: ConsumerIdx,
            resp: HeartbeatResponse,
            gc: &GroupConfig,
        ) {
            self.modern(c).in_flight = false;
            let con = &mut self.consumers[c.0 as usize];
            if con.membership == Membership::Unjoined && resp.error.is_none() {
                // The answer to a leave.
                return;
            }
            match resp.error {
                None => {
                    con.member_id = Some(resp.member_id);
                    con.generation = GenerationId(resp.member_epoch);
                    con.membership = Membership::Stable;
                    con.poll_expired = false;
                    let m = self.modern(c);
                    m.interval_ms = resp.heartbeat_interval_ms as u64;
                    if let Some(assignment) = resp.assignment {
                        m.pending = Some(assignment);
                        if self.consumers[c.0 as usize].app == AppState::Polling {
                            self.modern_reconcile(c, gc);
                        }
                    }
                }
                Some(ErrorCode::FencedMemberEpoch | ErrorCode::UnknownMemberId) => {
                    // `transitionToFenced`: lose everything, rejoin at epoch 0.
                    self.modern_lose_partitions(c);
                    let con = &mut self.consumers[c.0 as usize];
                    con.membership = Membership::Unjoined;
                    con.rejoin_needed = true;
                    con.generation = GenerationId(0);
                    self.consumer_set_timer(c, 0, ConsumerTimer::Poll);
                }
                Some(ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable) => {
                    let con = &mut self.consumers[c.0 as usize];
                    if con.membership == Membership::Joining {
                        con.membership = Membership::Unjoined;
                        con.rejoin_needed = true;
                    }
                    self.consumer_retry_later(c);
                }
                Some(_) => {
                    // UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, UNRELEASED_INSTANCE_ID,
                    // FENCED_INSTANCE_ID, GROUP_ID_NOT_FOUND: `poll()` throws.
                    self.consumer_stop_now(c);
                }
            }
        }

        /// Reconciles a received assignment on the application thread, then
        /// acknowledges with a heartbeat at once.
        pub(crate) fn modern_reconcile(&mut self, c: ConsumerIdx, gc: &GroupConfig) {
            let Some(target) = self.consumers[c.0 as usize]
                .modern
                .as_mut()
                .and_then(|m| m.pending.take())
            else {
                return;
            };
            let new = self.names_to_tps(&target);
            let con = &self.consumers[c.0 as usize];
            if new == con.assignment {
                return;
            }
            // Under auto-commit, the revoked partitions' positions are committed first.
            if gc.commit_mode == CommitMode::Auto {
                let offsets: Vec<(Tp, Offset)> = con
                    .uncommitted_positions()
                    .into_iter()
                    .filter(|(tp, _)| !new.contains(tp))
                    .collect();
                if !offsets.is_empty() {
                    self.consumer_send_commit(c, offsets, true);
                }
            }
            // Revoked and added in one go (no second rebalance follows: the
            // coordinator hands revoked partitions on after the acknowledgement).
            let change = self.consumer_take_assignment(c, new, RebalanceProtocol::Cooperative, gc);
            // A cooperative revocation asks for a rejoin; this protocol does not.
            self.consumers[c.0 as usize].rejoin_needed = false;
            self.modern(c).owned_changed = true;
            if change.fetch_offsets {
                self.consumer_send_offset_fetch_pub(c);
            }
            // Acknowledge now, not at the next interval.
            self.modern_beat(c);
        }
    }
}
