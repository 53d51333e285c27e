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
//!
//! The rules are methods of [`Consumer`] that take the time and what they
//! need, change the consumer's state and write what they send, schedule or
//! show into an [`Outbox`], so each is unit-tested below on a consumer
//! alone. `consumer.rs` is the engine glue: it looks up coordinators and
//! leaders, draws ids from the engine, names topics, and applies the outbox
//! at the point where the effects happened before.

use crate::engine::client_metadata::ClientMetadata;
use crate::engine::config::GroupConfig;
use crate::engine::event::CrashPoint;
use crate::engine::ids::*;
use crate::engine::log::LogEntry;
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
    pub offsets: Vec<(Tp, Offset)>,
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
    pub pending_commits: Vec<PendingCommit>,
    pub records_processed: u64,
    pub batch_committed: bool,
    /// The transactional producer of an exactly-once processor.
    pub txn_producer: Option<ProducerIdx>,
    /// Who leads each partition and who coordinates its group, as far as
    /// this consumer knows.
    pub metadata: ClientMetadata,
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
            pending_commits: Vec::new(),
            records_processed: 0,
            batch_committed: false,
            txn_producer: None,
            metadata,
        }
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

    pub(crate) fn is_fetching(&self) -> bool {
        self.membership == Membership::Stable && self.offsets_pending.is_empty()
    }

    /// Partitions assigned but paused by an in-progress rebalance.
    pub fn is_rebalancing(&self) -> bool {
        self.alive && self.membership != Membership::Stable
    }
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
/// consumer's incarnation, and [`Engine::consumer_timer`] runs it only if
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
