//! What the engine tells the world: one [`Event`] per thing that happened.
//!
//! The engine never draws. It emits events carrying everything the UI needs
//! to animate and narrate (who sent what to whom, when it arrives, which
//! offset a record got, why a request failed). Same seed + same commands ⇒
//! the identical event sequence, which is what the determinism tests hash.
//!
//! Events are *headline* (worth a step of their own: the nine stages of a
//! record, faults, elections, rebalances, errors) or *background* (a follower's
//! empty fetch, a heartbeat). Stepping advances to the next headline event.

use crate::engine::assignor::TopicPartition;
use crate::engine::ids::*;
use crate::engine::log::ControlType;
use serde::{Deserialize, Serialize};

/// The nine stages of a record in the course text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    Create = 1,
    Serialize = 2,
    Partition = 3,
    Send = 4,
    Append = 5,
    Acknowledge = 6,
    Poll = 7,
    Process = 8,
    Commit = 9,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Create,
        Stage::Serialize,
        Stage::Partition,
        Stage::Send,
        Stage::Append,
        Stage::Acknowledge,
        Stage::Poll,
        Stage::Process,
        Stage::Commit,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    /// The stage name as the course text lists it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Create => "Create",
            Stage::Serialize => "Serialize",
            Stage::Partition => "Partition",
            Stage::Send => "Send",
            Stage::Append => "Append",
            Stage::Acknowledge => "Acknowledge",
            Stage::Poll => "Poll",
            Stage::Process => "Deserialize & process",
            Stage::Commit => "Commit",
        }
    }

    /// Who performs the stage.
    pub fn actor(self) -> &'static str {
        match self {
            Stage::Create | Stage::Serialize | Stage::Partition | Stage::Send => "producer",
            Stage::Append | Stage::Acknowledge => "broker",
            Stage::Poll | Stage::Process | Stage::Commit => "consumer",
        }
    }
}

/// A participant on the stage.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Node {
    Broker(BrokerId),
    Producer(ProducerIdx),
    Consumer(ConsumerIdx),
    /// The KRaft controller quorum (drawn as one box).
    Controller,
}

/// Kafka protocol error codes (their wire names), plus the client-side
/// exceptions that end a record's journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    NetworkException,
    OutOfOrderSequenceNumber,
    InvalidProducerEpoch,
    ProducerFenced,
    FencedLeaderEpoch,
    IllegalGeneration,
    UnknownMemberId,
    RebalanceInProgress,
    MemberIdRequired,
    InconsistentGroupProtocol,
    NotCoordinator,
    CoordinatorNotAvailable,
    ConcurrentTransactions,
    InvalidTxnState,
    OffsetOutOfRange,
    /// OffsetFetch with `require_stable`: a transaction holding offsets for
    /// the partition has not completed yet.
    UnstableOffsetCommit,
    /// Client side: `delivery.timeout.ms` expired (`TimeoutException`).
    DeliveryTimeout,
    /// Client side: retries exhausted.
    RetriesExhausted,
    /// Client side: `NoOffsetForPartitionException` (auto.offset.reset=none).
    NoOffsetForPartition,
    /// Client side: `CommitFailedException`.
    CommitFailed,
    // The consumer group protocol (KIP-848).
    FencedMemberEpoch,
    StaleMemberEpoch,
    UnsupportedAssignor,
    UnreleasedInstanceId,
    FencedInstanceId,
    InvalidRequest,
    GroupIdNotFound,
}

impl ErrorCode {
    /// The name Kafka prints.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ErrorCode::RequestTimedOut => "REQUEST_TIMED_OUT",
            ErrorCode::NetworkException => "NETWORK_EXCEPTION",
            ErrorCode::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ErrorCode::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            ErrorCode::ProducerFenced => "PRODUCER_FENCED",
            ErrorCode::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            ErrorCode::IllegalGeneration => "ILLEGAL_GENERATION",
            ErrorCode::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            ErrorCode::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            ErrorCode::MemberIdRequired => "MEMBER_ID_REQUIRED",
            ErrorCode::InconsistentGroupProtocol => "INCONSISTENT_GROUP_PROTOCOL",
            ErrorCode::NotCoordinator => "NOT_COORDINATOR",
            ErrorCode::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            ErrorCode::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            ErrorCode::InvalidTxnState => "INVALID_TXN_STATE",
            ErrorCode::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            ErrorCode::UnstableOffsetCommit => "UNSTABLE_OFFSET_COMMIT",
            ErrorCode::DeliveryTimeout => "TimeoutException (delivery.timeout.ms)",
            ErrorCode::RetriesExhausted => "retries exhausted",
            ErrorCode::NoOffsetForPartition => "NoOffsetForPartitionException",
            ErrorCode::CommitFailed => "CommitFailedException",
            ErrorCode::FencedMemberEpoch => "FENCED_MEMBER_EPOCH",
            ErrorCode::StaleMemberEpoch => "STALE_MEMBER_EPOCH",
            ErrorCode::UnsupportedAssignor => "UNSUPPORTED_ASSIGNOR",
            ErrorCode::UnreleasedInstanceId => "UNRELEASED_INSTANCE_ID",
            ErrorCode::FencedInstanceId => "FENCED_INSTANCE_ID",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::GroupIdNotFound => "GROUP_ID_NOT_FOUND",
        }
    }

    /// Whether the error is a `RetriableException`. OUT_OF_ORDER_SEQUENCE_NUMBER
    /// is not: the idempotent producer decides about it itself
    /// (`TransactionManager.canRetry`, in `sender.rs`).
    /// An `InvalidMetadataException`: the client's metadata is stale, so it
    /// refreshes it (`Sender.completeBatch`, `FetchCollector`).
    /// (UNKNOWN_TOPIC_OR_PARTITION is one too; topics here never change.)
    pub fn invalidates_metadata(self) -> bool {
        matches!(
            self,
            ErrorCode::NotLeaderOrFollower | ErrorCode::FencedLeaderEpoch
        )
    }

    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            ErrorCode::NotLeaderOrFollower
                | ErrorCode::NotEnoughReplicas
                | ErrorCode::NotEnoughReplicasAfterAppend
                | ErrorCode::RequestTimedOut
                | ErrorCode::NetworkException
                | ErrorCode::FencedLeaderEpoch
        )
    }
}

/// How the producer chose a partition (stage 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionChoice {
    /// `toPositive(murmur2(keyBytes)) % numPartitions`.
    Keyed {
        murmur2: i32,
        positive: i32,
        num_partitions: u32,
    },
    /// Null key: KIP-794's built-in sticky partitioner; `switched` when this
    /// record started a new sticky partition.
    Sticky { switched: bool, available: u32 },
    /// `ProducerRecord.partition()` was set.
    Explicit,
}

/// The protocol messages the UI animates along wires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MsgKind {
    ApiVersions,
    ApiVersionsResponse,
    Metadata,
    MetadataResponse,
    FindCoordinator,
    FindCoordinatorResponse,
    Produce,
    ProduceResponse,
    Fetch,
    FetchResponse,
    ListOffsets,
    ListOffsetsResponse,
    JoinGroup,
    JoinGroupResponse,
    SyncGroup,
    SyncGroupResponse,
    Heartbeat,
    HeartbeatResponse,
    ConsumerGroupHeartbeat,
    ConsumerGroupHeartbeatResponse,
    /// A ConsumerGroupHeartbeat that acknowledges a reconciliation (it lists
    /// what the member owns now).
    ConsumerGroupHeartbeatAck,
    /// A ConsumerGroupHeartbeat answer that carries a new assignment.
    ConsumerGroupHeartbeatAssignment,
    LeaveGroup,
    LeaveGroupResponse,
    OffsetCommit,
    OffsetCommitResponse,
    OffsetFetch,
    OffsetFetchResponse,
    InitProducerId,
    InitProducerIdResponse,
    AddPartitionsToTxn,
    AddPartitionsToTxnResponse,
    AddOffsetsToTxn,
    AddOffsetsToTxnResponse,
    TxnOffsetCommit,
    TxnOffsetCommitResponse,
    EndTxn,
    EndTxnResponse,
    WriteTxnMarkers,
    WriteTxnMarkersResponse,
}

impl MsgKind {
    pub fn name(self) -> &'static str {
        match self {
            MsgKind::ApiVersions => "ApiVersions",
            MsgKind::ApiVersionsResponse => "ApiVersions response",
            MsgKind::Metadata => "Metadata",
            MsgKind::MetadataResponse => "Metadata response",
            MsgKind::FindCoordinator => "FindCoordinator",
            MsgKind::FindCoordinatorResponse => "FindCoordinator response",
            MsgKind::Produce => "Produce",
            MsgKind::ProduceResponse => "Produce response",
            MsgKind::Fetch => "Fetch",
            MsgKind::FetchResponse => "Fetch response",
            MsgKind::ListOffsets => "ListOffsets",
            MsgKind::ListOffsetsResponse => "ListOffsets response",
            MsgKind::JoinGroup => "JoinGroup",
            MsgKind::JoinGroupResponse => "JoinGroup response",
            MsgKind::SyncGroup => "SyncGroup",
            MsgKind::SyncGroupResponse => "SyncGroup response",
            MsgKind::Heartbeat => "Heartbeat",
            MsgKind::HeartbeatResponse => "Heartbeat response",
            MsgKind::ConsumerGroupHeartbeat => "ConsumerGroupHeartbeat",
            MsgKind::ConsumerGroupHeartbeatResponse => "ConsumerGroupHeartbeat response",
            MsgKind::ConsumerGroupHeartbeatAck => "ConsumerGroupHeartbeat (owned partitions)",
            MsgKind::ConsumerGroupHeartbeatAssignment => {
                "ConsumerGroupHeartbeat response (new assignment)"
            }
            MsgKind::LeaveGroup => "LeaveGroup",
            MsgKind::LeaveGroupResponse => "LeaveGroup response",
            MsgKind::OffsetCommit => "OffsetCommit",
            MsgKind::OffsetCommitResponse => "OffsetCommit response",
            MsgKind::OffsetFetch => "OffsetFetch",
            MsgKind::OffsetFetchResponse => "OffsetFetch response",
            MsgKind::InitProducerId => "InitProducerId",
            MsgKind::InitProducerIdResponse => "InitProducerId response",
            MsgKind::AddPartitionsToTxn => "AddPartitionsToTxn",
            MsgKind::AddPartitionsToTxnResponse => "AddPartitionsToTxn response",
            MsgKind::AddOffsetsToTxn => "AddOffsetsToTxn",
            MsgKind::AddOffsetsToTxnResponse => "AddOffsetsToTxn response",
            MsgKind::TxnOffsetCommit => "TxnOffsetCommit",
            MsgKind::TxnOffsetCommitResponse => "TxnOffsetCommit response",
            MsgKind::EndTxn => "EndTxn",
            MsgKind::EndTxnResponse => "EndTxn response",
            MsgKind::WriteTxnMarkers => "WriteTxnMarkers",
            MsgKind::WriteTxnMarkersResponse => "WriteTxnMarkers response",
        }
    }
}

/// Classic group states (`ClassicGroupState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// Transaction coordinator states (`TransactionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
    PrepareEpochFence,
    Dead,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
            TxnState::PrepareEpochFence => "PrepareEpochFence",
            TxnState::Dead => "Dead",
        }
    }
}

/// Why a member left a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeaveReason {
    /// `LeaveGroup` on close.
    Clean,
    /// No heartbeat within `session.timeout.ms` (a crash).
    SessionTimeout,
    /// `poll()` not called within `max.poll.interval.ms`.
    PollTimeout,
    /// Did not rejoin before the rebalance timeout.
    RebalanceTimeout,
}

/// Where a consumer crash was injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPoint {
    /// Right after `poll()` returned records, before processing.
    AfterPoll,
    /// After processing a record, before committing it.
    AfterProcess,
    /// Right after a commit succeeded.
    AfterCommit,
    /// Immediately, wherever the consumer is.
    Now,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub time_ms: u64,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    // ---- the nine stages -------------------------------------------------
    Created {
        producer: ProducerIdx,
        record: RecordId,
    },
    Serialized {
        producer: ProducerIdx,
        record: RecordId,
    },
    Partitioned {
        producer: ProducerIdx,
        record: RecordId,
        tp: Tp,
        choice: PartitionChoice,
    },
    Sent {
        producer: ProducerIdx,
        broker: BrokerId,
        tp: Tp,
        batch: BatchId,
        records: Vec<RecordId>,
        attempt: u32,
        arrive_ms: u64,
    },
    Appended {
        broker: BrokerId,
        tp: Tp,
        batch: BatchId,
        records: Vec<RecordId>,
        first: Offset,
        leo: Offset,
        hw: Offset,
        /// The leader epoch of the append: (offset, epoch) identifies a copy.
        epoch: LeaderEpoch,
    },
    /// A retry the broker recognised as a duplicate (idempotence): not appended again.
    DuplicateDropped {
        broker: BrokerId,
        tp: Tp,
        batch: BatchId,
        records: Vec<RecordId>,
        first: Offset,
    },
    /// Stage 6. `first = None` for acks=0 (no response ever comes).
    Acked {
        producer: ProducerIdx,
        tp: Tp,
        batch: BatchId,
        records: Vec<RecordId>,
        first: Option<Offset>,
        acks_zero: bool,
    },
    Polled {
        consumer: ConsumerIdx,
        tp: Tp,
        records: Vec<(RecordId, Offset)>,
        position: Offset,
        skipped_control: u32,
    },
    Processed {
        consumer: ConsumerIdx,
        group: GroupIdx,
        tp: Tp,
        record: RecordId,
        offset: Offset,
        times: u32,
        transactional: bool,
    },
    /// `process_event()` raised on this record; the application caught the
    /// exception and went on (no commit for it, and no redelivery).
    ProcessingRaised {
        consumer: ConsumerIdx,
        group: GroupIdx,
        tp: Tp,
        record: RecordId,
        offset: Offset,
    },
    /// Stage 9: the coordinator stored `offset` (the next offset to read).
    Committed {
        group: GroupIdx,
        consumer: Option<ConsumerIdx>,
        tp: Tp,
        offset: Offset,
        auto: bool,
        transactional: bool,
    },

    /// A coordinator wrote internal records (offset commits, transaction
    /// log) to `__consumer_offsets` / `__transaction_state`.
    InternalAppended {
        broker: BrokerId,
        tp: Tp,
        records: InternalRecords,
        first: Offset,
        leo: Offset,
    },

    // ---- the network -----------------------------------------------------
    Message {
        from: Node,
        to: Node,
        kind: MsgKind,
        arrive_ms: u64,
        error: Option<ErrorCode>,
    },
    MessageDropped {
        from: Node,
        to: Node,
        kind: MsgKind,
        why: DropReason,
    },

    // ---- producer ----------------------------------------------------------
    ProduceFailed {
        producer: ProducerIdx,
        tp: Tp,
        batch: BatchId,
        records: Vec<RecordId>,
        error: ErrorCode,
        retry_in_ms: Option<u64>,
        attempt: u32,
    },
    ProducerIdAssigned {
        producer: ProducerIdx,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
    },
    /// A client's Metadata response moved partitions to a new leader in its
    /// cache: (partition, leader it had, leader it has now, leader epoch).
    MetadataUpdated {
        client: Node,
        from: BrokerId,
        moved: Vec<(Tp, Option<BrokerId>, Option<BrokerId>, LeaderEpoch)>,
    },

    /// A client that had lost its coordinator found it again with
    /// FindCoordinator.
    CoordinatorFound {
        client: Node,
        key: crate::engine::network::CoordinatorKey,
        coordinator: BrokerId,
        /// Why it had lost the last one: its error, or `None` (a closed
        /// connection).
        after: Option<ErrorCode>,
    },

    // ---- replication and the controller ------------------------------------
    Replicated {
        broker: BrokerId,
        tp: Tp,
        first: Offset,
        count: u32,
        leo: Offset,
        hw: Offset,
        internal: bool,
    },
    HighWatermark {
        broker: BrokerId,
        tp: Tp,
        hw: Offset,
        leader: bool,
    },
    IsrChanged {
        tp: Tp,
        isr: Vec<BrokerId>,
        removed: Vec<BrokerId>,
        added: Vec<BrokerId>,
        internal: bool,
    },
    LeaderElected {
        tp: Tp,
        leader: Option<BrokerId>,
        epoch: LeaderEpoch,
        unclean: bool,
        /// A preferred-leader election (`auto.leader.rebalance.enable`): the
        /// controller moved leadership from a live leader back to the first
        /// replica of the assignment.
        preferred: bool,
        previous: Option<BrokerId>,
        internal: bool,
    },
    /// A group's coordinator moved (its offsets partition got a new leader).
    CoordinatorMoved {
        group: GroupIdx,
        broker: Option<BrokerId>,
    },
    Truncated {
        broker: BrokerId,
        tp: Tp,
        to: Offset,
        /// (offset, record, leader epoch of the removed entry).
        removed: Vec<(Offset, Option<RecordId>, LeaderEpoch)>,
    },
    BrokerCrashed {
        broker: BrokerId,
    },
    BrokerRestarted {
        broker: BrokerId,
    },
    BrokerFenced {
        broker: BrokerId,
    },

    // ---- consumer groups -------------------------------------------------
    GroupStateChanged {
        group: GroupIdx,
        state: GroupState,
        generation: GenerationId,
    },
    MemberJoined {
        group: GroupIdx,
        consumer: ConsumerIdx,
        member_id: String,
    },
    MemberRemoved {
        group: GroupIdx,
        consumer: ConsumerIdx,
        member_id: String,
        reason: LeaveReason,
    },
    RebalanceStarted {
        group: GroupIdx,
        reason: String,
    },
    /// The leader member ran the assignor.
    AssignmentComputed {
        group: GroupIdx,
        leader: ConsumerIdx,
        strategy: crate::engine::assignor::AssignorKind,
        generation: GenerationId,
    },
    /// A member received its assignment (`onPartitionsAssigned`).
    Assigned {
        group: GroupIdx,
        consumer: ConsumerIdx,
        generation: GenerationId,
        assigned: Vec<TopicPartition>,
        added: Vec<TopicPartition>,
        revoked: Vec<TopicPartition>,
    },
    // ---- the consumer group protocol (KIP-848, consumer_group.rs) ---------
    /// The group epoch went up: a member joined, left or changed its subscription.
    #[cfg(consumer_protocol)]
    GroupEpochBumped {
        group: GroupIdx,
        epoch: GenerationId,
        /// The member whose change bumped it, when it is a simulated consumer.
        consumer: Option<ConsumerIdx>,
    },
    /// The coordinator ran a server-side assignor for a new target assignment.
    #[cfg(consumer_protocol)]
    TargetAssignmentComputed {
        group: GroupIdx,
        epoch: GenerationId,
        assignor: crate::engine::assignor::server::ServerAssignorKind,
    },
    /// The coordinator moved a member towards the target (`CurrentAssignmentBuilder`).
    #[cfg(consumer_protocol)]
    MemberReconciled {
        group: GroupIdx,
        consumer: Option<ConsumerIdx>,
        epoch: GenerationId,
        state: crate::engine::consumer_group::MemberState,
        assigned: Vec<TopicPartition>,
        revoking: Vec<TopicPartition>,
    },
    /// The group changed kind during a rolling bounce (Kafka 4's online
    /// migration): classic to consumer group, or back. Full page only.
    #[cfg(consumer_protocol)]
    GroupConverted {
        group: GroupIdx,
        to_consumer_protocol: bool,
        /// The group epoch (upgrade) or generation (downgrade) it kept.
        epoch: GenerationId,
    },
    /// A consumer-protocol member left (epoch -1 or -2) or was fenced.
    #[cfg(consumer_protocol)]
    MemberLeft {
        group: GroupIdx,
        consumer: Option<ConsumerIdx>,
        static_leave: bool,
        fenced: Option<ErrorCode>,
    },
    /// `onPartitionsRevoked` before (eager) or after (cooperative) the join.
    Revoked {
        group: GroupIdx,
        consumer: ConsumerIdx,
        partitions: Vec<TopicPartition>,
        eager: bool,
    },
    PositionReset {
        consumer: ConsumerIdx,
        tp: Tp,
        position: Offset,
        committed: Option<Offset>,
        reset: Option<crate::engine::config::AutoOffsetReset>,
    },
    CommitFailed {
        group: GroupIdx,
        consumer: ConsumerIdx,
        error: ErrorCode,
    },
    ConsumerCrashed {
        consumer: ConsumerIdx,
        point: CrashPoint,
        /// The partitions it owned, each with the group's committed offset
        /// at the crash (`None`: nothing committed yet, so the next owner
        /// falls back on `auto.offset.reset`).
        owned: Vec<(Tp, Option<Offset>)>,
    },
    ConsumerStarted {
        consumer: ConsumerIdx,
        restart: bool,
    },
    ConsumerStopped {
        consumer: ConsumerIdx,
    },
    ConsumerError {
        consumer: ConsumerIdx,
        tp: Tp,
        error: ErrorCode,
    },
    PollTimeoutExpired {
        consumer: ConsumerIdx,
    },

    // ---- transactions ----------------------------------------------------
    TxnStateChanged {
        transactional_id: String,
        state: TxnState,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
    },
    TxnBegun {
        producer: ProducerIdx,
    },
    TxnPartitionAdded {
        producer: ProducerIdx,
        tp: Tp,
    },
    MarkerWritten {
        broker: BrokerId,
        tp: Tp,
        offset: Offset,
        control: ControlType,
        producer_id: ProducerId,
    },
    ProducerFenced {
        producer: ProducerIdx,
        by_epoch: ProducerEpoch,
    },
    ProducerCrashed {
        producer: ProducerIdx,
    },
    ProducerStarted {
        producer: ProducerIdx,
        zombie_of: Option<ProducerIdx>,
    },

    // ---- scenario ---------------------------------------------------------
    /// A narrative note from a scheduled command or a preset.
    Note {
        text: String,
    },
    FaultArmed {
        text: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The receiver is down.
    ReceiverDown,
    /// A "drop next response" fault.
    Injected,
    /// The connection was closed (e.g. the sender restarted).
    ConnectionClosed,
}

impl EventKind {
    /// The course-text stage this event is, if any.
    #[cfg_attr(engine_speed, inline)]
    pub fn stage(&self) -> Option<Stage> {
        Some(match self {
            EventKind::Created { .. } => Stage::Create,
            EventKind::Serialized { .. } => Stage::Serialize,
            EventKind::Partitioned { .. } => Stage::Partition,
            EventKind::Sent { .. } => Stage::Send,
            EventKind::Appended { .. } | EventKind::DuplicateDropped { .. } => Stage::Append,
            EventKind::Acked { .. } => Stage::Acknowledge,
            EventKind::Polled { .. } => Stage::Poll,
            EventKind::Processed { .. } | EventKind::ProcessingRaised { .. } => Stage::Process,
            EventKind::Committed { .. } => Stage::Commit,
            _ => return None,
        })
    }

    /// Whether this event is news beyond a record's routine: anything but
    /// the nine stages and a record's replication ("Next change" stops at
    /// such a step; a lesson's tour slows down for it).
    #[cfg_attr(engine_speed, inline)]
    pub fn is_change(&self) -> bool {
        self.stage().is_none() && !matches!(self, EventKind::Replicated { .. })
    }

    /// Whether this event's news is about a consumer group and its members
    /// (a headline message is a group protocol's error): on a phone the
    /// stage scrolls to the group for it.
    pub fn is_about_group(&self) -> bool {
        match self {
            EventKind::GroupStateChanged { .. }
            | EventKind::MemberJoined { .. }
            | EventKind::MemberRemoved { .. }
            | EventKind::RebalanceStarted { .. }
            | EventKind::AssignmentComputed { .. }
            | EventKind::Assigned { .. }
            | EventKind::Revoked { .. }
            | EventKind::CommitFailed { .. }
            | EventKind::ConsumerCrashed { .. }
            | EventKind::ConsumerStarted { .. }
            | EventKind::ConsumerStopped { .. }
            | EventKind::PollTimeoutExpired { .. }
            | EventKind::Message { .. } => true,
            #[cfg(consumer_protocol)]
            EventKind::GroupEpochBumped { .. }
            | EventKind::TargetAssignmentComputed { .. }
            | EventKind::MemberReconciled { .. }
            | EventKind::MemberLeft { .. }
            | EventKind::GroupConverted { .. } => true,
            _ => false,
        }
    }

    /// Whether this event deserves a step of its own.
    #[cfg_attr(engine_speed, inline)]
    pub fn is_headline(&self) -> bool {
        match self {
            EventKind::Message { error, kind, .. } => {
                // Errors on group protocol replies are news, and so is an
                // OffsetFetch held back by an unfinished transaction; produce
                // and commit errors are told by their own events
                // (ProduceFailed, CommitFailed).
                (error.is_some_and(|e| !matches!(e, ErrorCode::MemberIdRequired))
                    && matches!(
                        kind,
                        MsgKind::JoinGroupResponse
                            | MsgKind::SyncGroupResponse
                            | MsgKind::HeartbeatResponse
                            | MsgKind::ConsumerGroupHeartbeatResponse
                            | MsgKind::ConsumerGroupHeartbeatAssignment
                    ))
                    || (*error == Some(ErrorCode::UnstableOffsetCommit)
                        && *kind == MsgKind::OffsetFetchResponse)
            }
            EventKind::MessageDropped { why, .. } => *why == DropReason::Injected,
            EventKind::HighWatermark { .. } => false,
            EventKind::InternalAppended { .. } => false,
            // Internal topics (__consumer_offsets, __transaction_state) churn in
            // the background; what matters about them gets its own event.
            EventKind::Replicated { internal, .. }
            | EventKind::IsrChanged { internal, .. }
            | EventKind::LeaderElected { internal, .. } => !internal,
            EventKind::ProducerIdAssigned { .. } => false,
            EventKind::GroupStateChanged { .. } => true,
            EventKind::MemberJoined { .. } => true,
            EventKind::PositionReset { .. } => false,
            EventKind::TxnStateChanged { .. } => true,
            EventKind::TxnBegun { .. } => false,
            EventKind::TxnPartitionAdded { .. } => false,
            _ => true,
        }
    }

    /// The record this event is about, if it is about exactly one.
    pub fn focus_record(&self) -> Option<RecordId> {
        match self {
            EventKind::Created { record, .. }
            | EventKind::Serialized { record, .. }
            | EventKind::Partitioned { record, .. }
            | EventKind::Processed { record, .. }
            | EventKind::ProcessingRaised { record, .. } => Some(*record),
            EventKind::Sent { records, .. }
            | EventKind::Appended { records, .. }
            | EventKind::DuplicateDropped { records, .. }
            | EventKind::Acked { records, .. }
            | EventKind::ProduceFailed { records, .. } => records.first().copied(),
            EventKind::Polled { records, .. } => records.first().map(|r| r.0),
            // The record a truncation removes (acks=1's lost order-1), not
            // the one followed before it.
            EventKind::Truncated { removed, .. } => removed.iter().find_map(|r| r.1),
            _ => None,
        }
    }
}

/// Natively, which events need no drop (`sim.rs`'s `swap_events` and `clear_events`).
#[cfg(engine_speed)]
impl EventKind {
    /// True for the routine events whose fields are all `Copy`, so that
    /// dropping one frees nothing and it may be forgotten instead. Each arm
    /// names every field and asks the compiler that it is `Copy` (a field
    /// added to one of these kinds must be named here, and a field that
    /// owns memory does not compile); the checks fold away. So is an
    /// `InternalAppended` whose records are kept inline (an offset commit's
    /// one record), a check of how they are kept. Any other kind answers
    /// false and is dropped as usual.
    #[inline(always)]
    pub(crate) fn owns_nothing(&self) -> bool {
        fn copy<T: Copy>(_: &T) {}
        match self {
            EventKind::Created { producer, record }
            | EventKind::Serialized { producer, record } => {
                copy(producer);
                copy(record);
                true
            }
            EventKind::Partitioned {
                producer,
                record,
                tp,
                choice,
            } => {
                copy(producer);
                copy(record);
                copy(tp);
                copy(choice);
                true
            }
            EventKind::Processed {
                consumer,
                group,
                tp,
                record,
                offset,
                times,
                transactional,
            } => {
                copy(consumer);
                copy(group);
                copy(tp);
                copy(record);
                copy(offset);
                copy(times);
                copy(transactional);
                true
            }
            EventKind::Committed {
                group,
                consumer,
                tp,
                offset,
                auto,
                transactional,
            } => {
                copy(group);
                copy(consumer);
                copy(tp);
                copy(offset);
                copy(auto);
                copy(transactional);
                true
            }
            EventKind::Message {
                from,
                to,
                kind,
                arrive_ms,
                error,
            } => {
                copy(from);
                copy(to);
                copy(kind);
                copy(arrive_ms);
                copy(error);
                true
            }
            EventKind::Replicated {
                broker,
                tp,
                first,
                count,
                leo,
                hw,
                internal,
            } => {
                copy(broker);
                copy(tp);
                copy(first);
                copy(count);
                copy(leo);
                copy(hw);
                copy(internal);
                true
            }
            EventKind::HighWatermark {
                broker,
                tp,
                hw,
                leader,
            } => {
                copy(broker);
                copy(tp);
                copy(hw);
                copy(leader);
                true
            }
            // An offset commit's one record, kept inline (`InternalRecords`).
            EventKind::InternalAppended {
                broker,
                tp,
                records: InternalRecords::Inline(one),
                first,
                leo,
            } => {
                copy(broker);
                copy(tp);
                copy(one);
                copy(first);
                copy(leo);
                true
            }
            _ => false,
        }
    }
}

/// The records of an [`EventKind::InternalAppended`]: on the page, a `Vec`.
#[cfg(not(engine_speed))]
pub type InternalRecords = Vec<RecordId>;

/// Natively, the records of an [`EventKind::InternalAppended`], with one
/// record kept inline.
///
/// Why: an offset commit of one partition writes one record, and W1 full
/// commits once a record, so its event's list was a `malloc` of one
/// four-byte id and, when the event was dropped, its `free` (~50
/// instructions a commit). A list of at most one record is kept in the
/// event itself; a longer one (a commit of several partitions, a
/// transaction-log write) is a `Vec` as on the page. It reads as a slice
/// (`Deref`), and compares and prints as one, so an event's `Debug` text
/// (what the trace digests hash) is the page's `[RecordId(7)]` either way.
#[cfg(engine_speed)]
#[derive(Clone)]
pub enum InternalRecords {
    /// No record or one, in place.
    Inline(Option<RecordId>),
    /// Two or more (or a list made elsewhere, [`From<Vec<RecordId>>`]).
    Heap(Vec<RecordId>),
}

#[cfg(engine_speed)]
impl InternalRecords {
    /// An empty list with room for `n` records (no allocation for one).
    #[inline(always)]
    pub fn with_capacity(n: usize) -> Self {
        if n <= 1 {
            InternalRecords::Inline(None)
        } else {
            InternalRecords::Heap(Vec::with_capacity(n))
        }
    }

    /// Appends `id`, moving the list to the heap at its second record.
    #[inline(always)]
    pub fn push(&mut self, id: RecordId) {
        match self {
            InternalRecords::Inline(slot @ None) => *slot = Some(id),
            InternalRecords::Inline(Some(first)) => {
                *self = InternalRecords::Heap(vec![*first, id]);
            }
            InternalRecords::Heap(ids) => ids.push(id),
        }
    }
}

#[cfg(engine_speed)]
impl From<Vec<RecordId>> for InternalRecords {
    fn from(ids: Vec<RecordId>) -> Self {
        InternalRecords::Heap(ids)
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for InternalRecords {
    type Target = [RecordId];
    #[inline(always)]
    fn deref(&self) -> &[RecordId] {
        match self {
            InternalRecords::Inline(one) => one.as_slice(),
            InternalRecords::Heap(ids) => ids,
        }
    }
}

/// Equal when the records are, however they are kept.
#[cfg(engine_speed)]
impl PartialEq for InternalRecords {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

#[cfg(engine_speed)]
impl Eq for InternalRecords {}

/// Printed as the page's `Vec` prints: a list of ids.
#[cfg(engine_speed)]
impl std::fmt::Debug for InternalRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}
