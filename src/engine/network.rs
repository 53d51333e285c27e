//! The wire: request and response messages, and their latency.
//!
//! Kafka clients and brokers talk only through requests and responses over
//! TCP connections. Modelling them as messages with a delivery time is what
//! lets the simulator show *causality* (a Produce travels to the leader, a
//! Fetch brings the record to a follower, the ack comes back) and *latency*
//! (acks=all waits for a follower's round trip; acks=0 waits for nothing).
//! A message to a crashed process is lost; a crashed broker's connections
//! close, which clients notice as `NETWORK_EXCEPTION`.
//!
//! Latency is per link (`Engine::latency_ms`, in `sim.rs`): the cluster's
//! `network_latency_ms`, plus the extra latency of a broker slowed by a
//! `SlowBroker` fault at either end of the link.

use crate::engine::assignor::{AssignorKind, TopicPartition};
use crate::engine::config::{Acks, AutoOffsetReset, IsolationLevel};
use crate::engine::event::{ErrorCode, MsgKind};
use crate::engine::ids::*;
use crate::engine::log::{AbortedTxn, ControlType, LogEntry};

/// A producer batch on the wire (`RecordBatch` v2 header fields that matter).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WireBatch {
    pub batch: BatchId,
    pub tp: Tp,
    pub records: Vec<RecordId>,
    /// (producerId, producerEpoch, baseSequence) for idempotent producers.
    pub producer: Option<(ProducerId, ProducerEpoch, i32)>,
    pub transactional: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchResult {
    pub batch: BatchId,
    pub tp: Tp,
    pub result: Result<Offset, ErrorCode>,
    /// The broker recognised an idempotent retry and did not append it again.
    pub duplicate: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FetchPartition {
    pub tp: Tp,
    pub fetch_offset: Offset,
    /// Followers send the epoch of their last entry so the leader can spot divergence.
    pub last_fetched_epoch: Option<LeaderEpoch>,
    pub current_leader_epoch: LeaderEpoch,
    /// A follower's high watermark. It stands for the leader's fetch-session
    /// cache (KIP-227, `FetchSession.CachedPartition`): an incremental
    /// response leaves out a partition with no records, no error and no
    /// high watermark the follower does not already have. `None` for
    /// consumers, whose responses list every partition.
    pub follower_hw: Option<Offset>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FetchPartitionData {
    pub tp: Tp,
    pub error: Option<ErrorCode>,
    pub hw: Offset,
    pub lso: Offset,
    pub log_start: Offset,
    pub entries: Vec<LogEntry>,
    /// `DivergingEpoch`: truncate to this end offset of this epoch.
    pub diverging: Option<(LeaderEpoch, Offset)>,
    pub aborted: Vec<AbortedTxn>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberMetadata {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub consumer: ConsumerIdx,
    pub protocols: Vec<AssignorKind>,
    pub topics: Vec<String>,
    /// Cooperative: `ownedPartitions`; eager sticky: userData.
    pub owned: Vec<TopicPartition>,
    pub owned_generation: Option<i32>,
}

/// What a FindCoordinator asks about (its key type and key).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CoordinatorKey {
    Group(GroupIdx),
    Transaction(String),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Msg {
    /// The first request on a new connection (`ApiVersionsRequest`): the
    /// client reconnects before it sends anything else there.
    ApiVersions {},
    ApiVersionsResponse {},
    /// A client asks any broker who leads each partition (`MetadataRequest`).
    Metadata {},
    MetadataResponse {
        partitions: Vec<(Tp, crate::engine::client_metadata::LeaderInfo)>,
    },
    /// A client asks any broker which broker coordinates a group or a
    /// transactional id (`FindCoordinatorRequest`).
    FindCoordinator {
        key: CoordinatorKey,
    },
    /// The leader of the key's `__consumer_offsets` or `__transaction_state`
    /// partition, or COORDINATOR_NOT_AVAILABLE when it has no leader.
    FindCoordinatorResponse {
        key: CoordinatorKey,
        coordinator: Result<BrokerId, ErrorCode>,
    },
    Produce {
        request_id: u64,
        acks: Acks,
        timeout_ms: u32,
        batches: Vec<WireBatch>,
    },
    ProduceResponse {
        request_id: u64,
        results: Vec<BatchResult>,
    },
    Fetch {
        fetch_id: u64,
        replica: Option<BrokerId>,
        isolation: IsolationLevel,
        max_wait_ms: u32,
        max_records: u32,
        partitions: Vec<FetchPartition>,
    },
    FetchResponse {
        fetch_id: u64,
        partitions: Vec<FetchPartitionData>,
    },
    ListOffsets {
        isolation: IsolationLevel,
        partitions: Vec<(Tp, AutoOffsetReset)>,
    },
    ListOffsetsResponse {
        partitions: Vec<(Tp, Result<Offset, ErrorCode>)>,
    },
    JoinGroup {
        group: GroupIdx,
        /// Boxed: the largest payload of any request, kept out of line so
        /// that every message is smaller to move.
        meta: Box<MemberMetadata>,
        session_timeout_ms: u32,
        rebalance_timeout_ms: u32,
        known_member: bool,
    },
    JoinGroupResponse {
        group: GroupIdx,
        error: Option<ErrorCode>,
        member_id: String,
        generation: GenerationId,
        protocol: Option<AssignorKind>,
        leader: String,
        members: Vec<MemberMetadata>,
    },
    SyncGroup {
        group: GroupIdx,
        member_id: String,
        generation: GenerationId,
        assignments: Vec<(String, Vec<TopicPartition>)>,
    },
    SyncGroupResponse {
        group: GroupIdx,
        error: Option<ErrorCode>,
        assignment: Vec<TopicPartition>,
    },
    Heartbeat {
        group: GroupIdx,
        member_id: String,
        generation: GenerationId,
    },
    HeartbeatResponse {
        group: GroupIdx,
        error: Option<ErrorCode>,
    },
    /// The consumer group protocol's one request (KIP-848; full page only).
    #[cfg(consumer_protocol)]
    ConsumerGroupHeartbeat {
        group: GroupIdx,
        /// Boxed, as `JoinGroup`'s metadata.
        req: Box<crate::engine::consumer_group::HeartbeatRequest>,
    },
    #[cfg(consumer_protocol)]
    ConsumerGroupHeartbeatResponse {
        group: GroupIdx,
        resp: crate::engine::consumer_group::HeartbeatResponse,
    },
    LeaveGroup {
        group: GroupIdx,
        member_id: String,
        /// KIP-800's reason field: why the member is leaving.
        reason: crate::engine::event::LeaveReason,
    },
    LeaveGroupResponse {
        group: GroupIdx,
    },
    OffsetCommit {
        group: GroupIdx,
        member_id: MemberId,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
        auto: bool,
        commit_id: u64,
    },
    OffsetCommitResponse {
        group: GroupIdx,
        error: Option<ErrorCode>,
        offsets: Vec<(Tp, Offset)>,
        commit_id: u64,
    },
    OffsetFetch {
        group: GroupIdx,
        partitions: Vec<Tp>,
        require_stable: bool,
        /// OffsetFetch v9's member id and member epoch (KIP-848), which a
        /// consumer group checks as it checks a commit's; `None` when the
        /// request carries neither (a null member id and epoch -1: an admin
        /// client, a classic consumer, the simulated consumers).
        #[serde(default)]
        member: Option<(String, i32)>,
    },
    OffsetFetchResponse {
        group: GroupIdx,
        error: Option<ErrorCode>,
        /// Per partition: the committed offset (`None`: none committed), or
        /// an error (`UNSTABLE_OFFSET_COMMIT`).
        offsets: Vec<(Tp, Result<Option<Offset>, ErrorCode>)>,
    },
    InitProducerId {
        transactional_id: Option<String>,
        instance: u32,
    },
    InitProducerIdResponse {
        error: Option<ErrorCode>,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        instance: u32,
    },
    AddPartitionsToTxn {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        partitions: Vec<Tp>,
    },
    AddPartitionsToTxnResponse {
        error: Option<ErrorCode>,
        partitions: Vec<Tp>,
    },
    AddOffsetsToTxn {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        group: GroupIdx,
    },
    AddOffsetsToTxnResponse {
        error: Option<ErrorCode>,
        group: GroupIdx,
    },
    TxnOffsetCommit {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        group: GroupIdx,
        member_id: String,
        generation: GenerationId,
        offsets: Vec<(Tp, Offset)>,
    },
    TxnOffsetCommitResponse {
        error: Option<ErrorCode>,
        group: GroupIdx,
    },
    EndTxn {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        commit: bool,
    },
    EndTxnResponse {
        error: Option<ErrorCode>,
    },
    WriteTxnMarkers {
        transactional_id: String,
        producer_id: ProducerId,
        epoch: ProducerEpoch,
        control: ControlType,
        partitions: Vec<Tp>,
    },
    WriteTxnMarkersResponse {
        transactional_id: String,
        partitions: Vec<(Tp, Option<ErrorCode>)>,
    },
}

impl Msg {
    pub fn kind(&self) -> MsgKind {
        match self {
            Msg::ApiVersions { .. } => MsgKind::ApiVersions,
            Msg::ApiVersionsResponse { .. } => MsgKind::ApiVersionsResponse,
            Msg::Metadata { .. } => MsgKind::Metadata,
            Msg::MetadataResponse { .. } => MsgKind::MetadataResponse,
            Msg::FindCoordinator { .. } => MsgKind::FindCoordinator,
            Msg::FindCoordinatorResponse { .. } => MsgKind::FindCoordinatorResponse,
            Msg::Produce { .. } => MsgKind::Produce,
            Msg::ProduceResponse { .. } => MsgKind::ProduceResponse,
            Msg::Fetch { .. } => MsgKind::Fetch,
            Msg::FetchResponse { .. } => MsgKind::FetchResponse,
            Msg::ListOffsets { .. } => MsgKind::ListOffsets,
            Msg::ListOffsetsResponse { .. } => MsgKind::ListOffsetsResponse,
            Msg::JoinGroup { .. } => MsgKind::JoinGroup,
            Msg::JoinGroupResponse { .. } => MsgKind::JoinGroupResponse,
            Msg::SyncGroup { .. } => MsgKind::SyncGroup,
            Msg::SyncGroupResponse { .. } => MsgKind::SyncGroupResponse,
            Msg::Heartbeat { .. } => MsgKind::Heartbeat,
            Msg::HeartbeatResponse { .. } => MsgKind::HeartbeatResponse,
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeat { req, .. } => match req.owned {
                Some(_) if req.member_epoch > 0 => MsgKind::ConsumerGroupHeartbeatAck,
                _ => MsgKind::ConsumerGroupHeartbeat,
            },
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeatResponse { resp, .. } => match resp.assignment {
                Some(_) => MsgKind::ConsumerGroupHeartbeatAssignment,
                None => MsgKind::ConsumerGroupHeartbeatResponse,
            },
            Msg::LeaveGroup { .. } => MsgKind::LeaveGroup,
            Msg::LeaveGroupResponse { .. } => MsgKind::LeaveGroupResponse,
            Msg::OffsetCommit { .. } => MsgKind::OffsetCommit,
            Msg::OffsetCommitResponse { .. } => MsgKind::OffsetCommitResponse,
            Msg::OffsetFetch { .. } => MsgKind::OffsetFetch,
            Msg::OffsetFetchResponse { .. } => MsgKind::OffsetFetchResponse,
            Msg::InitProducerId { .. } => MsgKind::InitProducerId,
            Msg::InitProducerIdResponse { .. } => MsgKind::InitProducerIdResponse,
            Msg::AddPartitionsToTxn { .. } => MsgKind::AddPartitionsToTxn,
            Msg::AddPartitionsToTxnResponse { .. } => MsgKind::AddPartitionsToTxnResponse,
            Msg::AddOffsetsToTxn { .. } => MsgKind::AddOffsetsToTxn,
            Msg::AddOffsetsToTxnResponse { .. } => MsgKind::AddOffsetsToTxnResponse,
            Msg::TxnOffsetCommit { .. } => MsgKind::TxnOffsetCommit,
            Msg::TxnOffsetCommitResponse { .. } => MsgKind::TxnOffsetCommitResponse,
            Msg::EndTxn { .. } => MsgKind::EndTxn,
            Msg::EndTxnResponse { .. } => MsgKind::EndTxnResponse,
            Msg::WriteTxnMarkers { .. } => MsgKind::WriteTxnMarkers,
            Msg::WriteTxnMarkersResponse { .. } => MsgKind::WriteTxnMarkersResponse,
        }
    }

    /// The protocol error a response carries, for narration.
    #[cfg_attr(engine_speed, inline(always))]
    pub fn error(&self) -> Option<ErrorCode> {
        match self {
            Msg::JoinGroupResponse { error, .. }
            | Msg::SyncGroupResponse { error, .. }
            | Msg::HeartbeatResponse { error, .. }
            | Msg::OffsetCommitResponse { error, .. }
            | Msg::InitProducerIdResponse { error, .. }
            | Msg::AddPartitionsToTxnResponse { error, .. }
            | Msg::AddOffsetsToTxnResponse { error, .. }
            | Msg::TxnOffsetCommitResponse { error, .. }
            | Msg::EndTxnResponse { error, .. } => *error,
            Msg::ProduceResponse { results, .. } => results.iter().find_map(|r| r.result.err()),
            Msg::FindCoordinatorResponse { coordinator, .. } => coordinator.err(),
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeatResponse { resp, .. } => resp.error,
            Msg::FetchResponse { partitions, .. } => partitions.iter().find_map(|p| p.error),
            Msg::OffsetFetchResponse { error, offsets, .. } => {
                error.or_else(|| offsets.iter().find_map(|(_, r)| r.err()))
            }
            _ => None,
        }
    }

    /// Whether the message by itself keeps the simulation awake. Routine
    /// traffic (fetch requests, empty fetch responses, heartbeats) does not;
    /// the engine's pending-work check decides whether it still matters.
    #[cfg_attr(engine_speed, inline)]
    pub fn keeps_alive(&self) -> bool {
        match self {
            Msg::FetchResponse { partitions, .. } => partitions
                .iter()
                .any(|p| !p.entries.is_empty() || p.error.is_some() || p.diverging.is_some()),
            // Routine: refreshes are asked for by work that keeps the run going.
            Msg::Fetch { .. }
            | Msg::Metadata { .. }
            | Msg::MetadataResponse { .. }
            | Msg::ApiVersions { .. }
            | Msg::ApiVersionsResponse { .. } => false,
            Msg::Heartbeat { .. } => false,
            Msg::HeartbeatResponse { error, .. } => error.is_some(),
            // A consumer-protocol heartbeat is routine unless it joins,
            // leaves, acknowledges a reconciliation or carries an assignment.
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeat { req, .. } => req.member_epoch <= 0 || req.owned.is_some(),
            #[cfg(consumer_protocol)]
            Msg::ConsumerGroupHeartbeatResponse { resp, .. } => {
                resp.error.is_some() || resp.assignment.is_some()
            }
            _ => true,
        }
    }
}

// Natively `Engine::send` asks one match for all three answers about a
// message (see `Msg::narration`); the page asks `kind`, `error` and
// `keeps_alive` one after another, the least code.
#[cfg(engine_speed)]
impl Msg {
    /// The message's kind, its error and whether it keeps the run awake, in
    /// one dispatch. `send` needs all three for every message (about four
    /// a record in W1 full): the kind and the error for its `Message`
    /// event, the flag for the queue's count of keep-alive actions. Asked
    /// one by one they are three matches on the same message, and a
    /// follower's fetch answer (~21 partitions) is scanned twice, once for
    /// an error and once for news. Here the messages a busy run sends most
    /// are answered at once, the fetch answer in one pass; the rest fall
    /// back to the three questions. Debug builds check the answer against
    /// them.
    #[inline(always)]
    pub(crate) fn narration(&self) -> (MsgKind, Option<ErrorCode>, bool) {
        let fused = match self {
            Msg::FetchResponse { partitions, .. } => {
                // The first error is the error, and an error is news; with
                // none, news is records or a divergence.
                let mut news = false;
                let mut error = None;
                for p in partitions {
                    if p.error.is_some() {
                        error = p.error;
                        news = true;
                        break;
                    }
                    news |= !p.entries.is_empty() || p.diverging.is_some();
                }
                (MsgKind::FetchResponse, error, news)
            }
            Msg::Fetch { .. } => (MsgKind::Fetch, None, false),
            Msg::Produce { .. } => (MsgKind::Produce, None, true),
            Msg::ProduceResponse { results, .. } => (
                MsgKind::ProduceResponse,
                results.iter().find_map(|r| r.result.err()),
                true,
            ),
            Msg::OffsetCommit { .. } => (MsgKind::OffsetCommit, None, true),
            Msg::OffsetCommitResponse { error, .. } => {
                (MsgKind::OffsetCommitResponse, *error, true)
            }
            _ => (self.kind(), self.error(), self.keeps_alive()),
        };
        debug_assert_eq!(fused, (self.kind(), self.error(), self.keeps_alive()));
        fused
    }
}

/// The member id an [`Msg::OffsetCommit`] carries: on the page, a `String`.
#[cfg(not(engine_speed))]
pub type MemberId = String;

/// Natively (`cfg(engine_speed)`), the member id an [`Msg::OffsetCommit`]
/// carries, shared (`Rc<str>`) with the consumer that sends it.
///
/// Why: an at-least-once consumer commits after each record, and each
/// OffsetCommit carried a clone of the consumer's member id, a `malloc`,
/// a `memcpy` and, when the coordinator dropped the request, a `free`
/// (~75 instructions a commit). The consumer keeps the shared id beside
/// its `member_id` (natively in `PendingCommits`, kafka_consumer.rs) and
/// each request takes a reference-count bump. It reads as a `str`
/// (`Deref`), and compares, hashes, prints (`Debug`, `Display`) and
/// serialises exactly as the page's `String` does, so a message's text
/// and the trace digests are the same either way.
#[cfg(engine_speed)]
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(std::rc::Rc<str>);

#[cfg(engine_speed)]
impl std::ops::Deref for MemberId {
    type Target = str;
    #[inline(always)]
    fn deref(&self) -> &str {
        &self.0
    }
}

#[cfg(engine_speed)]
impl From<&str> for MemberId {
    fn from(id: &str) -> MemberId {
        MemberId(id.into())
    }
}

#[cfg(engine_speed)]
impl From<String> for MemberId {
    fn from(id: String) -> MemberId {
        MemberId(id.into())
    }
}

/// Printed as the page's `String` prints: quoted, escaped.
#[cfg(engine_speed)]
impl std::fmt::Debug for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

#[cfg(engine_speed)]
impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

/// Serialised as a string, as the page's `String` is (serde's `rc`
/// feature is off, so by hand).
#[cfg(engine_speed)]
impl serde::Serialize for MemberId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(engine_speed)]
impl<'de> serde::Deserialize<'de> for MemberId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<MemberId, D::Error> {
        String::deserialize(d).map(MemberId::from)
    }
}

/// Each broker's extra one-way latency (a `SlowBroker` fault), by broker
/// index: on the page, a `Vec<u32>`.
#[cfg(not(engine_speed))]
pub type ExtraLatencies = Vec<u32>;

/// Natively (`cfg(engine_speed)`), each broker's extra one-way latency
/// with a flag that says whether any of them may be non-zero.
///
/// Why: every message sent asks its link's latency (`Engine::latency_ms`:
/// for each end, a match on the node and a bounds-checked read of this
/// vector), ~250,000 times in the 3 x 20k-record W1 full run, and in nearly
/// every run no broker is ever slowed. The flag is set by every write
/// (`IndexMut`, the only way to write: there is no `DerefMut`), so while it
/// is unset every entry is still the zero it was built with, and the
/// native `send` takes the cluster's latency alone
/// ([`Engine::link_latency_ms`]). A broker slowed and then set back to 0
/// leaves the flag set: the full rule then answers, which is always right.
/// It reads as a `[u32]` (`Deref`) and prints as the page's vector.
#[cfg(engine_speed)]
#[derive(Clone, Default)]
pub struct ExtraLatencies {
    ms: Vec<u32>,
    /// Some entry has been written (or was built non-zero).
    written: bool,
}

#[cfg(engine_speed)]
impl From<Vec<u32>> for ExtraLatencies {
    fn from(ms: Vec<u32>) -> ExtraLatencies {
        let written = ms.iter().any(|&x| x > 0);
        ExtraLatencies { ms, written }
    }
}

#[cfg(engine_speed)]
impl std::ops::Deref for ExtraLatencies {
    type Target = [u32];
    #[inline(always)]
    fn deref(&self) -> &[u32] {
        &self.ms
    }
}

#[cfg(engine_speed)]
impl std::ops::Index<usize> for ExtraLatencies {
    type Output = u32;
    #[inline(always)]
    fn index(&self, b: usize) -> &u32 {
        &self.ms[b]
    }
}

/// A write: sets the flag (see [`ExtraLatencies`]).
#[cfg(engine_speed)]
impl std::ops::IndexMut<usize> for ExtraLatencies {
    #[inline(always)]
    fn index_mut(&mut self, b: usize) -> &mut u32 {
        self.written = true;
        &mut self.ms[b]
    }
}

/// Printed as the page's `Vec<u32>` prints (tests compare engines by
/// `Debug`): the flag is no part of the value.
#[cfg(engine_speed)]
impl std::fmt::Debug for ExtraLatencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.ms, f)
    }
}

#[cfg(engine_speed)]
impl crate::engine::sim::Engine {
    /// [`Engine::latency_ms`](crate::engine::sim::Engine::latency_ms) for
    /// the native `send`: the cluster's latency alone while no broker's
    /// extra latency was ever written (see [`ExtraLatencies`]), without
    /// looking at either end of the link. Debug builds check it against
    /// the full rule.
    #[inline(always)]
    pub(crate) fn link_latency_ms(
        &self,
        from: crate::engine::event::Node,
        to: crate::engine::event::Node,
    ) -> u64 {
        if self.broker_extra_latency_ms.written {
            return self.latency_ms(from, to);
        }
        debug_assert!(self.broker_extra_latency_ms.iter().all(|&x| x == 0));
        let ms = self.cfg.cluster.network_latency_ms as u64;
        debug_assert_eq!(ms, self.latency_ms(from, to));
        ms
    }
}
