//! Scenario configuration: every knob a student can turn, named as Kafka names
//! it (`acks`, `min.insync.replicas`, `enable.auto.commit`, …) and defaulting
//! to Kafka's own defaults (Kafka 3.x/4.0 line) unless a comment says why not.
//!
//! A configuration is validated before an engine is built from it. Impossible
//! combinations (replication factor above the broker count, `min.insync.replicas`
//! above the replication factor, …) are reported as [`ConfigError`]s that name
//! the field and the constraint, so the UI and the CLI can say exactly what to
//! fix instead of crashing.

use crate::engine::assignor::server::ServerAssignorKind;
use crate::engine::assignor::AssignorKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Upper bounds that keep a scenario drawable and a link decodable. They are
/// limits of this simulator, not of Kafka, and the error message says so.
pub mod limits {
    pub const MAX_BROKERS: u16 = 5;
    pub const MAX_PARTITIONS: u32 = 12;
    pub const MAX_PRODUCERS: usize = 4;
    pub const MAX_GROUPS: usize = 4;
    pub const MAX_CONSUMERS_PER_GROUP: u16 = 8;
    /// Consumers ever started in one scenario (stopped ones stay on the stage).
    pub const MAX_CONSUMERS_TOTAL: usize = 128;
    pub const MAX_TOPICS: usize = 4;
    pub const MAX_WORKLOAD_RECORDS: u32 = 1_000_000;
    pub const MAX_NAME_LEN: usize = 64;
    pub const MAX_LATENCY_MS: u32 = 10_000;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// `acks=0`: fire and forget; the producer never hears back.
    #[serde(rename = "0")]
    Zero,
    /// `acks=1`: the leader answers after its own append.
    #[serde(rename = "1")]
    One,
    /// `acks=all` (-1): the leader answers once the high watermark passes the batch.
    #[serde(rename = "all")]
    All,
}

impl Acks {
    pub fn label(self) -> &'static str {
        match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoOffsetReset {
    Earliest,
    Latest,
    None,
}

impl AutoOffsetReset {
    pub fn name(self) -> &'static str {
        match self {
            AutoOffsetReset::Earliest => "earliest",
            AutoOffsetReset::Latest => "latest",
            AutoOffsetReset::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
}

/// How the application around the consumer commits. The first three are the
/// course text's at-most-once, at-least-once and auto-commit disciplines; the
/// last is exactly-once consume-transform-produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// `enable.auto.commit=true`: positions are committed from inside a later
    /// `poll()` once `auto.commit.interval.ms` has passed.
    Auto,
    /// Commit the polled positions right after `poll()`, then process
    /// (at-most-once: a crash while processing loses the rest).
    BeforeProcessing,
    /// Process each record, then commit `offset + 1` (at-least-once: a crash
    /// between the two re-delivers the record). The course text's code.
    AfterProcessing,
    /// Consume-transform-produce in a transaction with
    /// `sendOffsetsToTransaction` (exactly-once).
    Transactional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Semantics {
    AtMostOnce,
    AtLeastOnce,
    ExactlyOnce,
}

impl Semantics {
    pub fn label(self) -> &'static str {
        match self {
            Semantics::AtMostOnce => "at-most-once",
            Semantics::AtLeastOnce => "at-least-once",
            Semantics::ExactlyOnce => "exactly-once",
        }
    }
}

/// How the workload chooses record keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "keys")]
pub enum KeyMode {
    /// `key=None`: the built-in sticky partitioner (KIP-794) chooses.
    Null,
    /// `key = str(event_id)`.
    EventId,
    /// Keys taken round-robin from a list (e.g. user ids).
    Cycle(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    pub brokers: u16,
    /// One-way network latency of every link, in ms.
    pub network_latency_ms: u32,
    /// KRaft: how long the controller waits for a broker heartbeat before fencing it.
    pub broker_session_timeout_ms: u32,
    pub unclean_leader_election_enable: bool,
    pub replica_lag_time_max_ms: u32,
    pub replica_fetch_wait_max_ms: u32,
    pub offsets_topic_num_partitions: u32,
    /// Kafka's default is 3; a smaller cluster gets min(3, brokers) like a dev setup.
    pub offsets_topic_replication_factor: u16,
    pub transaction_state_log_num_partitions: u32,
    pub group_initial_rebalance_delay_ms: u32,
    /// `auto.leader.rebalance.enable`: the controller periodically moves
    /// leadership back to each partition's preferred replica (the first in
    /// its assignment) once that replica is alive and in the ISR.
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.check.interval.seconds`: how often the controller
    /// runs that check while some partition is led by another replica.
    /// (KRaft ignores `leader.imbalance.per.broker.percentage`: it rebalances
    /// every imbalanced partition.)
    pub leader_imbalance_check_interval_seconds: u32,
    /// `group.consumer.heartbeat.interval.ms`: under the consumer group
    /// protocol (KIP-848) the broker, not the client, sets the interval.
    pub group_consumer_heartbeat_interval_ms: u32,
    /// `group.consumer.session.timeout.ms`, likewise set by the broker.
    pub group_consumer_session_timeout_ms: u32,
    /// `group.consumer.assignors`: the server-side assignors the broker
    /// offers; the first is the default.
    pub group_consumer_assignors: Vec<ServerAssignorKind>,
    /// `group.consumer.migration.policy`: whether a group may convert online
    /// between the classic and the consumer protocol (Kafka 4 default:
    /// both ways). Full page only, like the consumer protocol (see build.rs).
    #[cfg(consumer_protocol)]
    pub group_consumer_migration_policy: MigrationPolicy,
}

/// `group.consumer.migration.policy` (`ConsumerGroupMigrationPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationPolicy {
    Disabled,
    /// A classic group becomes a consumer group when a consumer-protocol
    /// member joins it.
    Upgrade,
    /// A consumer group becomes a classic group when its last
    /// consumer-protocol member leaves and classic members remain.
    Downgrade,
    #[default]
    Bidirectional,
}

impl MigrationPolicy {
    pub fn upgrade_enabled(self) -> bool {
        matches!(
            self,
            MigrationPolicy::Upgrade | MigrationPolicy::Bidirectional
        )
    }
    pub fn downgrade_enabled(self) -> bool {
        matches!(
            self,
            MigrationPolicy::Downgrade | MigrationPolicy::Bidirectional
        )
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            brokers: 1,
            network_latency_ms: 2,
            broker_session_timeout_ms: 9_000,
            unclean_leader_election_enable: false,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_wait_max_ms: 500,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            transaction_state_log_num_partitions: 50,
            group_initial_rebalance_delay_ms: 3_000,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_seconds: 300,
            group_consumer_heartbeat_interval_ms: 5_000,
            group_consumer_session_timeout_ms: 45_000,
            group_consumer_assignors: vec![ServerAssignorKind::Uniform, ServerAssignorKind::Range],
            #[cfg(consumer_protocol)]
            group_consumer_migration_policy: MigrationPolicy::Bidirectional,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicConfig {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u16,
    pub min_insync_replicas: u16,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            name: "events".into(),
            partitions: 3,
            replication_factor: 1,
            min_insync_replicas: 1,
        }
    }
}

/// A stream of records the producer sends by itself while the scenario plays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    pub topic: String,
    /// How many records to send (0 = only what the user sends by hand).
    pub records: u32,
    /// Logical time between two records.
    pub interval_ms: u32,
    pub keys: KeyMode,
    /// When the first record is created.
    pub start_ms: u32,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            topic: "events".into(),
            records: 0,
            interval_ms: 100,
            keys: KeyMode::EventId,
            start_ms: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProducerConfig {
    pub client_id: String,
    pub acks: Acks,
    pub batch_size: u32,
    pub linger_ms: u32,
    pub retries: u32,
    pub retry_backoff_ms: u32,
    pub retry_backoff_max_ms: u32,
    pub request_timeout_ms: u32,
    pub delivery_timeout_ms: u32,
    pub max_in_flight_requests_per_connection: u32,
    /// `None` = unset: Kafka enables idempotence by default when the other
    /// settings allow it (acks=all, retries>0, max.in.flight<=5) and silently
    /// disables it otherwise; `Some(true)` with conflicting settings is a
    /// configuration error, as in Kafka.
    pub enable_idempotence: Option<bool>,
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: u32,
    /// Wraps the sends of the workload in transactions of this many records
    /// (only with a `transactional_id`).
    pub records_per_transaction: u32,
    pub workload: Workload,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            client_id: "producer-1".into(),
            acks: Acks::All,
            batch_size: 16_384,
            linger_ms: 5,
            retries: i32::MAX as u32,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            max_in_flight_requests_per_connection: 5,
            enable_idempotence: None,
            transactional_id: None,
            transaction_timeout_ms: 60_000,
            records_per_transaction: 1,
            workload: Workload::default(),
        }
    }
}

impl ProducerConfig {
    /// Whether idempotence is in force, following `ProducerConfig.postProcessAndValidateIdempotenceConfigs`.
    pub fn idempotent(&self) -> bool {
        let compatible = self.acks == Acks::All
            && self.retries > 0
            && self.max_in_flight_requests_per_connection <= 5;
        match self.enable_idempotence {
            Some(v) => v,
            None => compatible || self.transactional_id.is_some(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupConfig {
    pub group_id: String,
    pub topics: Vec<String>,
    /// `partition.assignment.strategy`, in preference order.
    pub partition_assignment_strategy: Vec<AssignorKind>,
    pub session_timeout_ms: u32,
    pub heartbeat_interval_ms: u32,
    pub max_poll_interval_ms: u32,
    pub auto_commit_interval_ms: u32,
    pub auto_offset_reset: AutoOffsetReset,
    pub isolation_level: IsolationLevel,
    pub commit_mode: CommitMode,
    /// Logical time the application spends on each record.
    pub processing_time_ms: u32,
    pub max_poll_records: u32,
    pub fetch_max_wait_ms: u32,
    /// Consumers started with the scenario.
    pub consumers: u16,
    /// Give consumers a `group.instance.id` (static membership, KIP-345).
    pub static_membership: bool,
    /// For `CommitMode::Transactional`: the topic the transform writes to.
    pub output_topic: Option<String>,
    /// Restart a crashed consumer after this long (0 = stays down).
    pub restart_after_ms: u32,
    /// `group.protocol`: `classic` (JoinGroup/SyncGroup, the default in
    /// Kafka 4.0's client) or `consumer` (KIP-848, ConsumerGroupHeartbeat).
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor`: the server-side assignor this consumer asks
    /// for under the consumer protocol (`None`: the broker's default).
    pub group_remote_assignor: Option<ServerAssignorKind>,
}

/// `group.protocol`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupProtocol {
    #[default]
    Classic,
    Consumer,
}

impl GroupProtocol {
    pub fn name(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
    }
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            group_id: "my-consumer-group".into(),
            topics: vec!["events".into()],
            partition_assignment_strategy: vec![
                AssignorKind::Range,
                AssignorKind::CooperativeSticky,
            ],
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: AutoOffsetReset::Latest,
            isolation_level: IsolationLevel::ReadUncommitted,
            commit_mode: CommitMode::AfterProcessing,
            processing_time_ms: 10,
            max_poll_records: 500,
            fetch_max_wait_ms: 500,
            consumers: 1,
            static_membership: false,
            output_topic: None,
            restart_after_ms: 0,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
        }
    }
}

impl GroupConfig {
    pub fn enable_auto_commit(&self) -> bool {
        self.commit_mode == CommitMode::Auto
    }
}

/// Everything needed to build an engine. Together with the seed and the
/// command log it determines a run completely.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    pub seed: u64,
    pub cluster: ClusterConfig,
    pub topics: Vec<TopicConfig>,
    pub producers: Vec<ProducerConfig>,
    pub groups: Vec<GroupConfig>,
    /// Run the cluster until every group is Stable before step 0, so a lesson
    /// starts with a working pipeline (the initial join is background).
    pub warm_start: bool,
    /// Commands the scenario applies by itself (faults, notes).
    pub script: Vec<crate::engine::command::ScriptEntry>,
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        ScenarioConfig {
            seed: 1,
            cluster: ClusterConfig::default(),
            topics: vec![TopicConfig::default()],
            producers: vec![ProducerConfig::default()],
            groups: vec![GroupConfig::default()],
            warm_start: true,
            script: Vec::new(),
        }
    }
}

/// One violated constraint: which field, and what the user should do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every error of a list, in one line (`field: message; field: message`):
/// what a refused configuration or lesson says.
pub fn one_line<E: fmt::Display>(errs: &[E]) -> String {
    errs.iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl std::error::Error for ConfigError {}

fn err(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        field: field.into(),
        message: message.into(),
    }
}

fn check_name(field: String, name: &str, what: &str, errors: &mut Vec<ConfigError>) {
    if name.is_empty() {
        errors.push(err(field, format!("the {what} must not be empty")));
    } else if name.chars().count() > limits::MAX_NAME_LEN {
        errors.push(err(
            field,
            format!(
                "the {what} is longer than {} characters",
                limits::MAX_NAME_LEN
            ),
        ));
    } else if name.starts_with("__") {
        errors.push(err(
            field,
            format!(
                "the {what} {name:?} starts with \"__\", which Kafka reserves for internal topics"
            ),
        ));
    }
}

impl ScenarioConfig {
    /// Every violated constraint, in field order. Empty means the engine can be built.
    pub fn validate(&self) -> Vec<ConfigError> {
        use limits::*;
        let mut e = Vec::new();
        let c = &self.cluster;
        if c.brokers < 1 || c.brokers > MAX_BROKERS {
            e.push(err(
                "cluster.brokers",
                format!("must be between 1 and {MAX_BROKERS} (got {})", c.brokers),
            ));
        }
        if c.network_latency_ms > MAX_LATENCY_MS {
            e.push(err(
                "cluster.network_latency_ms",
                format!("must be at most {MAX_LATENCY_MS} ms"),
            ));
        }
        if c.offsets_topic_num_partitions < 1 || c.offsets_topic_num_partitions > 200 {
            e.push(err(
                "cluster.offsets_topic_num_partitions",
                "must be between 1 and 200",
            ));
        }
        if c.transaction_state_log_num_partitions < 1
            || c.transaction_state_log_num_partitions > 200
        {
            e.push(err(
                "cluster.transaction_state_log_num_partitions",
                "must be between 1 and 200",
            ));
        }
        if c.offsets_topic_replication_factor < 1 {
            e.push(err(
                "cluster.offsets_topic_replication_factor",
                "must be at least 1",
            ));
        }
        if c.replica_lag_time_max_ms < 1 {
            e.push(err(
                "cluster.replica_lag_time_max_ms",
                "must be at least 1 ms",
            ));
        }
        if c.leader_imbalance_check_interval_seconds < 1 {
            e.push(err(
                "cluster.leader_imbalance_check_interval_seconds",
                "must be at least 1 s",
            ));
        }
        if c.broker_session_timeout_ms < 1 {
            e.push(err(
                "cluster.broker_session_timeout_ms",
                "must be at least 1 ms",
            ));
        }
        if self.topics.is_empty() {
            e.push(err("topics", "a scenario needs at least one topic"));
        }
        if self.topics.len() > MAX_TOPICS {
            e.push(err(
                "topics",
                format!("at most {MAX_TOPICS} topics fit on the stage"),
            ));
        }
        for (i, t) in self.topics.iter().enumerate() {
            let f = |name: &str| format!("topics[{i}].{name}");
            check_name(f("name"), &t.name, "topic name", &mut e);
            if !t
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_' || ch == '-')
            {
                e.push(err(
                    f("name"),
                    "a topic name may only contain ASCII letters, digits, '.', '_' and '-'",
                ));
            }
            if self.topics[..i].iter().any(|o| o.name == t.name) {
                e.push(err(
                    f("name"),
                    format!("topic {:?} is defined twice", t.name),
                ));
            }
            if t.partitions < 1 || t.partitions > MAX_PARTITIONS {
                e.push(err(
                    f("partitions"),
                    format!(
                        "must be between 1 and {MAX_PARTITIONS} (got {})",
                        t.partitions
                    ),
                ));
            }
            if t.replication_factor < 1 {
                e.push(err(f("replication_factor"), "must be at least 1"));
            } else if t.replication_factor > c.brokers {
                e.push(err(
                    f("replication_factor"),
                    format!(
                        "replication factor {} is larger than the number of brokers ({}): Kafka refuses to create the topic (INVALID_REPLICATION_FACTOR); add brokers or lower the replication factor",
                        t.replication_factor, c.brokers
                    ),
                ));
            }
            if t.min_insync_replicas < 1 {
                e.push(err(f("min_insync_replicas"), "must be at least 1"));
            } else if t.min_insync_replicas > t.replication_factor {
                e.push(err(
                    f("min_insync_replicas"),
                    format!(
                        "min.insync.replicas {} is larger than the replication factor {}: every acks=all write would fail with NOT_ENOUGH_REPLICAS; lower it to at most {}",
                        t.min_insync_replicas, t.replication_factor, t.replication_factor
                    ),
                ));
            }
        }
        let topic_exists = |name: &str| self.topics.iter().any(|t| t.name == name);
        if self.producers.len() > MAX_PRODUCERS {
            e.push(err(
                "producers",
                format!("at most {MAX_PRODUCERS} producers"),
            ));
        }
        for (i, p) in self.producers.iter().enumerate() {
            let f = |name: &str| format!("producers[{i}].{name}");
            if p.client_id.is_empty() || p.client_id.chars().count() > MAX_NAME_LEN {
                e.push(err(
                    f("client_id"),
                    format!("must be 1 to {MAX_NAME_LEN} characters"),
                ));
            }
            if p.batch_size < 1 || p.batch_size > 1 << 24 {
                e.push(err(f("batch_size"), "must be between 1 and 16777216 bytes"));
            }
            if p.max_in_flight_requests_per_connection < 1 {
                e.push(err(
                    f("max_in_flight_requests_per_connection"),
                    "must be at least 1",
                ));
            }
            if p.delivery_timeout_ms < p.linger_ms.saturating_add(p.request_timeout_ms) {
                e.push(err(
                    f("delivery_timeout_ms"),
                    "must be at least linger.ms + request.timeout.ms, as Kafka requires",
                ));
            }
            if p.enable_idempotence == Some(true) {
                if p.acks != Acks::All {
                    e.push(err(
                        f("enable_idempotence"),
                        "enable.idempotence=true requires acks=all (Kafka throws a ConfigException); set acks=all or turn idempotence off",
                    ));
                }
                if p.retries == 0 {
                    e.push(err(
                        f("enable_idempotence"),
                        "enable.idempotence=true requires retries > 0",
                    ));
                }
                if p.max_in_flight_requests_per_connection > 5 {
                    e.push(err(
                        f("enable_idempotence"),
                        "enable.idempotence=true requires max.in.flight.requests.per.connection <= 5",
                    ));
                }
            }
            if let Some(tid) = &p.transactional_id {
                if tid.is_empty() || tid.chars().count() > MAX_NAME_LEN {
                    e.push(err(
                        f("transactional_id"),
                        format!("must be 1 to {MAX_NAME_LEN} characters"),
                    ));
                }
                if p.enable_idempotence == Some(false) {
                    e.push(err(
                        f("transactional_id"),
                        "a transactional producer needs idempotence: remove enable.idempotence=false",
                    ));
                }
                if p.acks != Acks::All {
                    e.push(err(f("acks"), "a transactional producer requires acks=all"));
                }
            }
            if p.records_per_transaction < 1 {
                e.push(err(f("records_per_transaction"), "must be at least 1"));
            }
            if p.workload.records > MAX_WORKLOAD_RECORDS {
                e.push(err(
                    f("workload.records"),
                    format!("at most {MAX_WORKLOAD_RECORDS} records per producer"),
                ));
            }
            if p.workload.records > 0 && p.workload.interval_ms == 0 && p.workload.records > 100_000
            {
                // Allowed, but keeps a sanity bound on same-instant bursts.
            }
            if !topic_exists(&p.workload.topic) {
                e.push(err(
                    f("workload.topic"),
                    format!("topic {:?} is not defined in topics", p.workload.topic),
                ));
            }
            if let KeyMode::Cycle(keys) = &p.workload.keys {
                if keys.is_empty() {
                    e.push(err(f("workload.keys"), "the key list must not be empty"));
                }
                if keys.len() > 1000 || keys.iter().any(|k| k.len() > 256) {
                    e.push(err(
                        f("workload.keys"),
                        "at most 1000 keys of at most 256 bytes",
                    ));
                }
            }
        }
        let cl = &self.cluster;
        if cl.group_consumer_assignors.is_empty() {
            e.push(err(
                "cluster.group_consumer_assignors",
                "list at least one server-side assignor (uniform, range)",
            ));
        }
        if cl.group_consumer_heartbeat_interval_ms < 1
            || cl.group_consumer_heartbeat_interval_ms >= cl.group_consumer_session_timeout_ms
        {
            e.push(err(
                "cluster.group_consumer_heartbeat_interval_ms",
                "must be positive and lower than group.consumer.session.timeout.ms (Kafka requires it)",
            ));
        }
        if self.script.len() > 200 {
            e.push(err("script", "at most 200 scripted commands"));
        }
        if self.groups.len() > MAX_GROUPS {
            e.push(err(
                "groups",
                format!("at most {MAX_GROUPS} consumer groups"),
            ));
        }
        for (i, g) in self.groups.iter().enumerate() {
            let f = |name: &str| format!("groups[{i}].{name}");
            if g.group_id.is_empty() || g.group_id.chars().count() > MAX_NAME_LEN {
                e.push(err(
                    f("group_id"),
                    format!("must be 1 to {MAX_NAME_LEN} characters"),
                ));
            }
            if self.groups[..i].iter().any(|o| o.group_id == g.group_id) {
                e.push(err(
                    f("group_id"),
                    format!("group {:?} is defined twice", g.group_id),
                ));
            }
            if g.topics.is_empty() {
                e.push(err(
                    f("topics"),
                    "a group must subscribe to at least one topic",
                ));
            }
            for t in &g.topics {
                if !topic_exists(t) {
                    e.push(err(
                        f("topics"),
                        format!("topic {t:?} is not defined in topics"),
                    ));
                }
            }
            if g.partition_assignment_strategy.is_empty() {
                e.push(err(
                    f("partition_assignment_strategy"),
                    "list at least one assignor (range, roundrobin, sticky, cooperative-sticky)",
                ));
            } else if crate::engine::assignor::client_protocol(&g.partition_assignment_strategy)
                .is_none()
            {
                e.push(err(
                    f("partition_assignment_strategy"),
                    "the assignors share no rebalance protocol",
                ));
            }
            if g.consumers > MAX_CONSUMERS_PER_GROUP {
                e.push(err(
                    f("consumers"),
                    format!(
                        "at most {MAX_CONSUMERS_PER_GROUP} consumers per group fit on the stage"
                    ),
                ));
            }
            if g.session_timeout_ms < 6_000 || g.session_timeout_ms > 1_800_000 {
                e.push(err(
                    f("session_timeout_ms"),
                    "must lie between group.min.session.timeout.ms (6000) and group.max.session.timeout.ms (1800000); the broker rejects the join with INVALID_SESSION_TIMEOUT",
                ));
            }
            if g.heartbeat_interval_ms < 1 || g.heartbeat_interval_ms >= g.session_timeout_ms {
                e.push(err(
                    f("heartbeat_interval_ms"),
                    "must be positive and lower than session.timeout.ms (Kafka recommends a third of it)",
                ));
            }
            #[cfg(not(consumer_protocol))]
            if g.group_protocol == GroupProtocol::Consumer {
                e.push(err(
                    f("group_protocol"),
                    "the consumer protocol runs on the full page (full/)",
                ));
            }
            if g.group_protocol == GroupProtocol::Consumer
                && g.commit_mode == CommitMode::Transactional
            {
                e.push(err(
                    f("group_protocol"),
                    "exactly-once consume-transform-produce is modelled with group.protocol=classic only",
                ));
            }
            if g.max_poll_interval_ms < 1 {
                e.push(err(f("max_poll_interval_ms"), "must be at least 1 ms"));
            }
            if g.max_poll_records < 1 {
                e.push(err(f("max_poll_records"), "must be at least 1"));
            }
            if g.commit_mode == CommitMode::Auto && g.auto_commit_interval_ms < 1 {
                e.push(err(f("auto_commit_interval_ms"), "must be at least 1 ms"));
            }
            if g.commit_mode == CommitMode::Transactional {
                match &g.output_topic {
                    None => e.push(err(
                        f("output_topic"),
                        "exactly-once consume-transform-produce needs an output topic",
                    )),
                    Some(t) if !topic_exists(t) => e.push(err(
                        f("output_topic"),
                        format!("topic {t:?} is not defined in topics"),
                    )),
                    Some(t) if g.topics.contains(t) => e.push(err(
                        f("output_topic"),
                        "the output topic must differ from the input topics",
                    )),
                    _ => {}
                }
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_is_valid() {
        assert_eq!(ScenarioConfig::default().validate(), vec![]);
    }

    #[test]
    fn replication_factor_above_broker_count_names_the_constraint() {
        let mut c = ScenarioConfig::default();
        c.topics[0].replication_factor = 3;
        let errors = c.validate();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "topics[0].replication_factor");
        assert!(errors[0]
            .message
            .contains("larger than the number of brokers"));
    }

    #[test]
    fn min_insync_above_replication_factor_is_rejected() {
        let mut c = ScenarioConfig::default();
        c.cluster.brokers = 3;
        c.topics[0].replication_factor = 2;
        c.topics[0].min_insync_replicas = 3;
        let errors = c.validate();
        assert_eq!(errors[0].field, "topics[0].min_insync_replicas");
    }

    #[test]
    fn idempotence_defaults_on_only_when_compatible() {
        let mut p = ProducerConfig::default();
        assert!(p.idempotent());
        p.acks = Acks::One;
        assert!(
            !p.idempotent(),
            "unset idempotence is silently disabled by acks=1"
        );
        p.enable_idempotence = Some(true);
        let mut c = ScenarioConfig::default();
        c.producers = vec![p];
        assert!(c
            .validate()
            .iter()
            .any(|e| e.field == "producers[0].enable_idempotence"));
    }
}
