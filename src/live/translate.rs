//! Between Kafka's wire messages and the engine's messages (live mode).
//!
//! The engine's [`Msg`] is Kafka's protocol with the bytes taken out: a
//! `Produce` carries record ids, a `JoinGroup` carries the subscription as
//! topics, a `FetchResponse` carries log entries. This module is the only
//! place that knows both shapes:
//!
//! - a request from a real client becomes an engine [`Msg`] (the records it
//!   carries are stored in the engine first, byte for byte);
//! - the engine's answer becomes the response at the version the client
//!   asked for (kafka-protocol encodes it; version differences such as
//!   which fields exist are its business).
//!
//! Error codes are Kafka's numbers (`clients/src/main/java/org/apache/kafka/
//! common/protocol/Errors.java`).

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{self as km, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::engine::assignor::{AssignorKind, TopicPartition};
use crate::engine::event::ErrorCode;
use crate::engine::ids::*;
use crate::engine::log::{ControlType, LogEntry};
use crate::engine::network::{FetchPartitionData, MemberMetadata};
use crate::engine::Engine;

/// Kafka's error codes used here (`Errors.java`).
pub mod code {
    pub const NONE: i16 = 0;
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
    pub const OFFSET_OUT_OF_RANGE: i16 = 1;
    pub const CORRUPT_MESSAGE: i16 = 2;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const LEADER_NOT_AVAILABLE: i16 = 5;
    pub const NOT_LEADER_OR_FOLLOWER: i16 = 6;
    pub const REQUEST_TIMED_OUT: i16 = 7;
    pub const NETWORK_EXCEPTION: i16 = 13;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const NOT_COORDINATOR: i16 = 16;
    pub const NOT_ENOUGH_REPLICAS: i16 = 19;
    pub const NOT_ENOUGH_REPLICAS_AFTER_APPEND: i16 = 20;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub const INVALID_GROUP_ID: i16 = 24;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const MESSAGE_TOO_LARGE: i16 = 10;
    pub const INVALID_REQUIRED_ACKS: i16 = 21;
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    pub const INVALID_REQUEST: i16 = 42;
    pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
    pub const INVALID_PRODUCER_EPOCH: i16 = 47;
    pub const INVALID_TXN_STATE: i16 = 48;
    pub const CONCURRENT_TRANSACTIONS: i16 = 51;
    pub const UNKNOWN_LEADER_EPOCH: i16 = 56;
    pub const FENCED_LEADER_EPOCH: i16 = 74;
    pub const UNSUPPORTED_COMPRESSION_TYPE: i16 = 76;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
    pub const INVALID_RECORD: i16 = 87;
    pub const UNSTABLE_OFFSET_COMMIT: i16 = 88;
    pub const PRODUCER_FENCED: i16 = 90;
    pub const GROUP_ID_NOT_FOUND: i16 = 69;
    pub const FENCED_INSTANCE_ID: i16 = 82;
    pub const FENCED_MEMBER_EPOCH: i16 = 110;
    pub const UNRELEASED_INSTANCE_ID: i16 = 111;
    pub const UNSUPPORTED_ASSIGNOR: i16 = 112;
    pub const STALE_MEMBER_EPOCH: i16 = 113;
    pub const UNKNOWN_TOPIC_ID: i16 = 100;
}

/// The wire number of an engine error. The client-side outcomes (delivery
/// timeout, retries exhausted, …) never travel in a response.
pub fn kafka_code(e: ErrorCode) -> i16 {
    use ErrorCode::*;
    match e {
        NotLeaderOrFollower => code::NOT_LEADER_OR_FOLLOWER,
        NotEnoughReplicas => code::NOT_ENOUGH_REPLICAS,
        NotEnoughReplicasAfterAppend => code::NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RequestTimedOut => code::REQUEST_TIMED_OUT,
        NetworkException => code::NETWORK_EXCEPTION,
        OutOfOrderSequenceNumber => code::OUT_OF_ORDER_SEQUENCE_NUMBER,
        InvalidProducerEpoch => code::INVALID_PRODUCER_EPOCH,
        ProducerFenced => code::PRODUCER_FENCED,
        FencedLeaderEpoch => code::FENCED_LEADER_EPOCH,
        IllegalGeneration => code::ILLEGAL_GENERATION,
        UnknownMemberId => code::UNKNOWN_MEMBER_ID,
        RebalanceInProgress => code::REBALANCE_IN_PROGRESS,
        MemberIdRequired => code::MEMBER_ID_REQUIRED,
        InconsistentGroupProtocol => code::INCONSISTENT_GROUP_PROTOCOL,
        NotCoordinator => code::NOT_COORDINATOR,
        CoordinatorNotAvailable => code::COORDINATOR_NOT_AVAILABLE,
        ConcurrentTransactions => code::CONCURRENT_TRANSACTIONS,
        InvalidTxnState => code::INVALID_TXN_STATE,
        OffsetOutOfRange => code::OFFSET_OUT_OF_RANGE,
        UnstableOffsetCommit => code::UNSTABLE_OFFSET_COMMIT,
        InvalidRequest => code::INVALID_REQUEST,
        GroupIdNotFound => code::GROUP_ID_NOT_FOUND,
        FencedInstanceId => code::FENCED_INSTANCE_ID,
        FencedMemberEpoch => code::FENCED_MEMBER_EPOCH,
        UnreleasedInstanceId => code::UNRELEASED_INSTANCE_ID,
        UnsupportedAssignor => code::UNSUPPORTED_ASSIGNOR,
        StaleMemberEpoch => code::STALE_MEMBER_EPOCH,
        DeliveryTimeout | RetriesExhausted | NoOffsetForPartition | CommitFailed => {
            code::UNKNOWN_SERVER_ERROR
        }
    }
}

pub fn opt_code(e: Option<ErrorCode>) -> i16 {
    e.map_or(code::NONE, kafka_code)
}

pub fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

pub fn topic_name(s: &str) -> TopicName {
    TopicName(str_bytes(s))
}

/// The partition `topic`/`partition` names, if the cluster has it (and it
/// is not an internal topic, which clients cannot read or write here).
pub fn resolve_tp(engine: &Engine, topic: &str, partition: i32) -> Option<Tp> {
    let t = engine.topic_id(topic)?;
    let meta = engine.topic(t);
    (!meta.internal && partition >= 0 && (partition as usize) < meta.partitions.len())
        .then(|| Tp::new(t, partition as u32))
}

/// A record's headers, as kafka-protocol keeps them.
pub type Headers = indexmap::IndexMap<StrBytes, Option<Bytes>>;

/// One record of a produce request, as the client serialized it.
pub struct WireRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// The producer's CreateTime (Kafka keeps it; `LogValidator` only
    /// checks it) and its headers, given back to consumers unchanged.
    pub timestamp: i64,
    pub headers: Headers,
}

/// The one v2 record batch a Produce request carries for a partition.
pub struct WireBatchIn {
    pub records: Vec<WireRecord>,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub transactional: bool,
}

/// Decodes a partition's `records` field. Kafka requires exactly one v2
/// batch per partition from Produce v3 on (`ProduceRequest.validateRecords`,
/// INVALID_RECORD otherwise) and refuses control records from clients
/// (`LogValidator.validateBatch`, INVALID_RECORD); compressed batches are
/// refused because this build has no codecs (UNSUPPORTED_COMPRESSION_TYPE,
/// which a client does not retry).
pub fn decode_produce_batch(records: &Bytes) -> Result<WireBatchIn, i16> {
    // A v2 batch header: baseOffset 8, batchLength 4, partitionLeaderEpoch
    // 4, magic 1, crc 4, then attributes 2, whose low 3 bits are the codec.
    if records.len() >= 23 && records[16] == 2 && records[22] & 0x07 != 0 {
        return Err(code::UNSUPPORTED_COMPRESSION_TYPE);
    }
    let mut buf = records.clone();
    let sets = std::panic::catch_unwind(move || RecordBatchDecoder::decode_all(&mut buf))
        .map_err(|_| code::CORRUPT_MESSAGE)?
        .map_err(|e| {
            if e.to_string().contains("ompression") {
                code::UNSUPPORTED_COMPRESSION_TYPE
            } else {
                code::CORRUPT_MESSAGE
            }
        })?;
    if sets.len() != 1 || sets[0].version != 2 {
        return Err(code::INVALID_RECORD);
    }
    let set = &sets[0];
    if !matches!(set.compression, Compression::None) {
        return Err(code::UNSUPPORTED_COMPRESSION_TYPE);
    }
    let first = set.records.first().ok_or(code::CORRUPT_MESSAGE)?;
    let limit = crate::engine::external::MAX_EXTERNAL_RECORD_BYTES;
    let mut out = Vec::with_capacity(set.records.len());
    for r in &set.records {
        if r.control {
            return Err(code::INVALID_RECORD);
        }
        let too_big = |b: &Option<Bytes>| b.as_ref().is_some_and(|b| b.len() > limit);
        if too_big(&r.key) || too_big(&r.value) {
            return Err(code::MESSAGE_TOO_LARGE);
        }
        out.push(WireRecord {
            key: r.key.as_ref().map(|b| b.to_vec()),
            value: r.value.as_ref().map(|b| b.to_vec()),
            timestamp: r.timestamp,
            headers: r.headers.clone(),
        });
    }
    Ok(WireBatchIn {
        records: out,
        producer_id: first.producer_id,
        producer_epoch: first.producer_epoch,
        base_sequence: first.sequence,
        transactional: first.transactional,
    })
}

/// Encodes a fetch answer's log entries as v2 record batches, one per
/// producer batch (the entries of one batch share `batch_base`), so a
/// client sees the batches the producer made, with their producer ids and
/// sequences, and transaction markers as control batches.
pub fn encode_entries(
    engine: &Engine,
    entries: &[LogEntry],
    epoch_origin_ms: i64,
    wire: &dyn Fn(RecordId) -> Option<(i64, Headers)>,
) -> Bytes {
    let mut buf = BytesMut::new();
    let mut i = 0;
    while i < entries.len() {
        let base = entries[i].batch_base;
        let batch = entries[i].batch;
        let mut j = i;
        while j < entries.len() && entries[j].batch_base == base && entries[j].batch == batch {
            j += 1;
        }
        let records: Vec<Record> = entries[i..j]
            .iter()
            .map(|e| wire_record(engine, e, epoch_origin_ms, wire))
            .collect();
        let options = RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        };
        // Encoding what this module built cannot fail; were it to, the
        // client gets the batches before it (it fetches the rest again).
        if RecordBatchEncoder::encode(&mut buf, records.iter(), &options).is_err() {
            break;
        }
        i = j;
    }
    buf.freeze()
}

fn wire_record(
    engine: &Engine,
    e: &LogEntry,
    epoch_origin_ms: i64,
    wire: &dyn Fn(RecordId) -> Option<(i64, Headers)>,
) -> Record {
    let (producer_id, producer_epoch, sequence) = match e.producer {
        Some(s) => (s.producer_id.0, s.epoch.0, s.sequence),
        None => (-1, -1, -1),
    };
    let (key, value, created_ms) = match (e.control, e.record) {
        // A control record: key (version 0, type 0 abort / 1 commit) and
        // value (version 0, coordinator epoch) — `ControlRecordType` and
        // `EndTransactionMarker` in Kafka's clients.
        (Some(c), _) => {
            let kind: u8 = match c {
                ControlType::Abort => 0,
                ControlType::Commit => 1,
            };
            (
                Some(Bytes::from(vec![0, 0, 0, kind])),
                Some(Bytes::from(vec![0, 0, 0, 0, 0, 0])),
                e.append_time_ms,
            )
        }
        (None, Some(id)) => {
            let r = engine.record(id);
            (
                r.key_bytes().map(Bytes::from),
                Some(Bytes::from(r.value_bytes())),
                r.created_ms,
            )
        }
        (None, None) => (None, None, e.append_time_ms),
    };
    let (timestamp, headers) = e
        .record
        .and_then(wire)
        .unwrap_or_else(|| (epoch_origin_ms + created_ms as i64, Headers::default()));
    Record {
        transactional: e.transactional,
        control: e.control.is_some(),
        delete_horizon: false,
        partition_leader_epoch: e.leader_epoch.0,
        producer_id,
        producer_epoch,
        timestamp_type: TimestampType::Creation,
        offset: e.offset.0,
        sequence,
        timestamp,
        key,
        value,
        headers,
    }
}

/// A fetch answer's partition, as the wire has it.
pub fn fetch_partition(
    engine: &Engine,
    p: &FetchPartitionData,
    epoch_origin_ms: i64,
    wire: &dyn Fn(RecordId) -> Option<(i64, Headers)>,
) -> km::fetch_response::PartitionData {
    let mut out = km::fetch_response::PartitionData::default();
    out.partition_index = p.tp.partition.0 as i32;
    out.error_code = opt_code(p.error);
    out.high_watermark = p.hw.0;
    out.last_stable_offset = p.lso.0;
    out.log_start_offset = p.log_start.0;
    out.aborted_transactions = Some(
        p.aborted
            .iter()
            .map(|a| {
                let mut t = km::fetch_response::AbortedTransaction::default();
                t.producer_id = km::ProducerId(a.producer_id.0);
                t.first_offset = a.first_offset.0;
                t
            })
            .collect(),
    );
    out.preferred_read_replica = km::BrokerId(-1);
    out.records = Some(encode_entries(engine, &p.entries, epoch_origin_ms, wire));
    out
}

/// The assignors a member offers, by the protocol names its client sent
/// (`ConsumerPartitionAssignor.name()`); names the engine does not know
/// are left out.
pub fn assignors(
    protocols: &[km::join_group_request::JoinGroupRequestProtocol],
) -> Vec<AssignorKind> {
    protocols
        .iter()
        .filter_map(|p| {
            AssignorKind::ALL
                .into_iter()
                .find(|k| k.name() == p.name.as_str())
        })
        .collect()
}

/// Decodes `ConsumerProtocolSubscription` (a version, then the body).
pub fn decode_subscription(b: &Bytes) -> Option<km::ConsumerProtocolSubscription> {
    let mut buf = b.clone();
    if buf.len() < 2 {
        return None;
    }
    let version = i16::from_be_bytes([buf[0], buf[1]]);
    let _ = bytes::Buf::advance(&mut buf, 2);
    let version = version.clamp(0, 3);
    std::panic::catch_unwind(move || km::ConsumerProtocolSubscription::decode(&mut buf, version))
        .ok()?
        .ok()
}

/// Encodes `ConsumerProtocolSubscription` at version 1 (topics, user
/// data, owned partitions), which every client since Kafka 2.4 reads.
pub fn encode_subscription(m: &MemberMetadata) -> Bytes {
    let mut s = km::ConsumerProtocolSubscription::default();
    s.topics = m.topics.iter().map(|t| str_bytes(t)).collect();
    s.owned_partitions = group_by_topic(&m.owned);
    versioned(&s, 1)
}

/// Decodes `ConsumerProtocolAssignment` into partitions.
pub fn decode_assignment(b: &Bytes) -> Option<Vec<TopicPartition>> {
    let mut buf = b.clone();
    if buf.len() < 2 {
        return if buf.is_empty() {
            Some(Vec::new())
        } else {
            None
        };
    }
    let version = i16::from_be_bytes([buf[0], buf[1]]).clamp(0, 3);
    bytes::Buf::advance(&mut buf, 2);
    let a =
        std::panic::catch_unwind(move || km::ConsumerProtocolAssignment::decode(&mut buf, version))
            .ok()?
            .ok()?;
    Some(
        a.assigned_partitions
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .filter(|p| **p >= 0)
                    .map(|p| TopicPartition::new(t.topic.0.as_str(), *p as u32))
            })
            .collect(),
    )
}

/// Encodes `ConsumerProtocolAssignment` at version 0.
pub fn encode_assignment(tps: &[TopicPartition]) -> Bytes {
    let mut a = km::ConsumerProtocolAssignment::default();
    a.assigned_partitions = group_by_topic(tps)
        .into_iter()
        .map(|t| {
            let mut o = km::consumer_protocol_assignment::TopicPartition::default();
            o.topic = t.topic;
            o.partitions = t.partitions;
            o
        })
        .collect();
    versioned(&a, 0)
}

fn group_by_topic(
    tps: &[TopicPartition],
) -> Vec<km::consumer_protocol_subscription::TopicPartition> {
    let mut out: Vec<km::consumer_protocol_subscription::TopicPartition> = Vec::new();
    for tp in tps {
        match out.iter_mut().find(|t| t.topic.0.as_str() == tp.topic) {
            Some(t) => t.partitions.push(tp.partition as i32),
            None => {
                let mut t = km::consumer_protocol_subscription::TopicPartition::default();
                t.topic = topic_name(&tp.topic);
                t.partitions = vec![tp.partition as i32];
                out.push(t);
            }
        }
    }
    out
}

fn versioned<T: Encodable>(m: &T, version: i16) -> Bytes {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&version.to_be_bytes());
    if m.encode(&mut buf, version).is_err() {
        return Bytes::new();
    }
    buf.freeze()
}

/// A group id as the engine keeps it.
pub fn group_id(g: &km::GroupId) -> &str {
    g.0.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_survives_the_round_trip_through_the_engine_shape() {
        let m = MemberMetadata {
            member_id: "m".into(),
            instance_id: None,
            consumer: ConsumerIdx(0),
            protocols: vec![AssignorKind::Range],
            topics: vec!["events".into()],
            owned: vec![TopicPartition::new("events", 2)],
            owned_generation: None,
        };
        let s = decode_subscription(&encode_subscription(&m)).expect("decodes");
        assert_eq!(s.topics.len(), 1);
        assert_eq!(s.topics[0].as_str(), "events");
        assert_eq!(s.owned_partitions[0].partitions, vec![2]);
    }

    #[test]
    fn an_assignment_survives_the_round_trip() {
        let tps = vec![
            TopicPartition::new("events", 0),
            TopicPartition::new("events", 2),
            TopicPartition::new("other", 1),
        ];
        assert_eq!(decode_assignment(&encode_assignment(&tps)), Some(tps));
        assert_eq!(decode_assignment(&Bytes::new()), Some(vec![]));
        assert_eq!(decode_assignment(&Bytes::from_static(&[0])), None);
    }
}
