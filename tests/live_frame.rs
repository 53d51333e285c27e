//! Live mode's wire layer (`src/live/frame.rs`, `src/live/transport.rs`):
//! the codec round-trips every api and version we serve, refuses what we do
//! not serve the way Kafka does, survives malformed and hostile frames
//! (this binary installs the allocation guard of `src/live/alloc_guard.rs`,
//! as the `kafkascope` binary does: without it, the two-billion-topics test
//! aborts the process), and the transport keeps one bad connection from
//! hurting the others.
//!
//! The fuzz sweep runs `KAFKASCOPE_FUZZ_CASES` cases (20 000 by default).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/rng.rs"]
#[allow(dead_code)]
mod rng;

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{self as km, ApiKey, RequestHeader, RequestKind, ResponseHeader};
use kafka_protocol::messages::{GroupId, TopicName, TransactionalId};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafkascope::live::alloc_guard::GuardedAlloc;
use kafkascope::live::frame::{
    api_versions_response, decode_request, encode_response, read_frame, supported_range,
    unsupported_version_reply, FrameError, ReadError, MAX_FRAME_BYTES, SUPPORTED,
};
use kafkascope::live::transport::{serve, serve_brokers, ConnId, Inbound, Limits, Reply};
use rng::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[global_allocator]
static GUARD: GuardedAlloc<std::alloc::System> = GuardedAlloc(std::alloc::System);

// ---------------------------------------------------------------------------
// Building frames, as a client would.

fn s(text: &'static str) -> StrBytes {
    StrBytes::from_static_str(text)
}

#[path = "common/kafka_wire.rs"]
mod kafka_wire;
use kafka_wire::sized;

/// A request frame without its size prefix.
fn request_frame(api_key: ApiKey, version: i16, correlation_id: i32, body: &RequestKind) -> Bytes {
    kafka_wire::request_frame_from("live-frame-test", api_key, version, correlation_id, body)
}

/// Each api's request with every field at its default.
fn default_body(api_key: ApiKey) -> RequestKind {
    match api_key {
        ApiKey::Produce => RequestKind::Produce(Default::default()),
        ApiKey::Fetch => RequestKind::Fetch(Default::default()),
        ApiKey::ListOffsets => RequestKind::ListOffsets(Default::default()),
        ApiKey::Metadata => RequestKind::Metadata(Default::default()),
        ApiKey::OffsetCommit => RequestKind::OffsetCommit(Default::default()),
        ApiKey::OffsetFetch => RequestKind::OffsetFetch(Default::default()),
        ApiKey::FindCoordinator => RequestKind::FindCoordinator(Default::default()),
        ApiKey::JoinGroup => RequestKind::JoinGroup(Default::default()),
        ApiKey::Heartbeat => RequestKind::Heartbeat(Default::default()),
        ApiKey::LeaveGroup => RequestKind::LeaveGroup(Default::default()),
        ApiKey::SyncGroup => RequestKind::SyncGroup(Default::default()),
        ApiKey::ApiVersions => RequestKind::ApiVersions(Default::default()),
        ApiKey::InitProducerId => RequestKind::InitProducerId(Default::default()),
        ApiKey::AddPartitionsToTxn => RequestKind::AddPartitionsToTxn(Default::default()),
        ApiKey::AddOffsetsToTxn => RequestKind::AddOffsetsToTxn(Default::default()),
        ApiKey::EndTxn => RequestKind::EndTxn(Default::default()),
        ApiKey::TxnOffsetCommit => RequestKind::TxnOffsetCommit(Default::default()),
        ApiKey::OffsetForLeaderEpoch => RequestKind::OffsetForLeaderEpoch(Default::default()),
        ApiKey::ConsumerGroupHeartbeat => RequestKind::ConsumerGroupHeartbeat(Default::default()),
        ApiKey::ConsumerGroupDescribe => RequestKind::ConsumerGroupDescribe(Default::default()),
        other => panic!("no default body for {other:?}"),
    }
}

/// A default response to `api_key`, for the encoding check.
fn default_response(api_key: ApiKey) -> km::ResponseKind {
    use km::ResponseKind as R;
    match api_key {
        ApiKey::Produce => R::Produce(Default::default()),
        ApiKey::Fetch => R::Fetch(Default::default()),
        ApiKey::ListOffsets => R::ListOffsets(Default::default()),
        ApiKey::Metadata => R::Metadata(Default::default()),
        ApiKey::OffsetCommit => R::OffsetCommit(Default::default()),
        ApiKey::OffsetFetch => R::OffsetFetch(Default::default()),
        ApiKey::FindCoordinator => R::FindCoordinator(Default::default()),
        ApiKey::JoinGroup => R::JoinGroup(Default::default()),
        ApiKey::Heartbeat => R::Heartbeat(Default::default()),
        ApiKey::LeaveGroup => R::LeaveGroup(Default::default()),
        ApiKey::SyncGroup => R::SyncGroup(Default::default()),
        ApiKey::ApiVersions => R::ApiVersions(Default::default()),
        ApiKey::InitProducerId => R::InitProducerId(Default::default()),
        ApiKey::AddPartitionsToTxn => R::AddPartitionsToTxn(Default::default()),
        ApiKey::AddOffsetsToTxn => R::AddOffsetsToTxn(Default::default()),
        ApiKey::EndTxn => R::EndTxn(Default::default()),
        ApiKey::TxnOffsetCommit => R::TxnOffsetCommit(Default::default()),
        ApiKey::OffsetForLeaderEpoch => R::OffsetForLeaderEpoch(Default::default()),
        ApiKey::ConsumerGroupHeartbeat => R::ConsumerGroupHeartbeat(Default::default()),
        ApiKey::ConsumerGroupDescribe => R::ConsumerGroupDescribe(Default::default()),
        other => panic!("no default response for {other:?}"),
    }
}

/// Every api in the table can be answered: its response encodes at every
/// version served (a row added without its response mapping fails here).
#[test]
fn every_supported_api_can_be_answered_at_every_supported_version() {
    for &(api, lo, hi) in SUPPORTED {
        for v in lo..=hi {
            let body = default_response(api);
            let frame = kafkascope::live::frame::encode_response(api, v, 7, &body)
                .unwrap_or_else(|e| panic!("{api:?} v{v}: {e}"));
            assert!(frame.len() > 8, "{api:?} v{v}");
        }
    }
}

/// A request with nested arrays and strings filled in, for the apis a
/// client sends most, using only fields every version we serve has.
fn rich_body(api_key: ApiKey) -> Option<RequestKind> {
    let topic = || TopicName(s("orders"));
    Some(match api_key {
        ApiKey::Produce => RequestKind::Produce(
            km::ProduceRequest::default()
                .with_transactional_id(Some(TransactionalId(s("tx-1"))))
                .with_acks(-1)
                .with_timeout_ms(30_000)
                .with_topic_data(vec![km::produce_request::TopicProduceData::default()
                    .with_name(topic())
                    .with_partition_data(vec![
                        km::produce_request::PartitionProduceData::default()
                            .with_index(2)
                            .with_records(Some(Bytes::from_static(b"not really a batch"))),
                    ])]),
        ),
        ApiKey::Fetch => RequestKind::Fetch(
            km::FetchRequest::default()
                .with_max_wait_ms(500)
                .with_min_bytes(1)
                .with_topics(vec![km::fetch_request::FetchTopic::default()
                    .with_topic(topic())
                    .with_partitions(vec![km::fetch_request::FetchPartition::default()
                        .with_partition(1)
                        .with_fetch_offset(42)
                        .with_partition_max_bytes(1 << 20)])]),
        ),
        ApiKey::Metadata => {
            RequestKind::Metadata(km::MetadataRequest::default().with_topics(Some(vec![
                km::metadata_request::MetadataRequestTopic::default().with_name(Some(topic())),
                km::metadata_request::MetadataRequestTopic::default()
                    .with_name(Some(TopicName(s("payments")))),
            ])))
        }
        ApiKey::JoinGroup => RequestKind::JoinGroup(
            km::JoinGroupRequest::default()
                .with_group_id(GroupId(s("g")))
                .with_session_timeout_ms(10_000)
                .with_member_id(s("m-1"))
                .with_protocol_type(s("consumer"))
                .with_protocols(vec![
                    km::join_group_request::JoinGroupRequestProtocol::default()
                        .with_name(s("range"))
                        .with_metadata(Bytes::from_static(&[0, 1, 0, 0, 0, 1])),
                ]),
        ),
        ApiKey::OffsetCommit => RequestKind::OffsetCommit(
            km::OffsetCommitRequest::default()
                .with_group_id(GroupId(s("g")))
                .with_topics(vec![
                    km::offset_commit_request::OffsetCommitRequestTopic::default()
                        .with_name(topic())
                        .with_partitions(vec![
                            km::offset_commit_request::OffsetCommitRequestPartition::default()
                                .with_partition_index(0)
                                .with_committed_offset(7),
                        ]),
                ]),
        ),
        // A join of the consumer protocol (KIP-848): topic ids, not names.
        ApiKey::ConsumerGroupHeartbeat => RequestKind::ConsumerGroupHeartbeat(
            km::ConsumerGroupHeartbeatRequest::default()
                .with_group_id(GroupId(s("g")))
                .with_member_id(s("AAAAAAAAAAAAAAAAAAAAAA"))
                .with_rebalance_timeout_ms(300_000)
                .with_subscribed_topic_names(Some(vec![topic()]))
                .with_topic_partitions(Some(vec![
                    km::consumer_group_heartbeat_request::TopicPartitions::default()
                        .with_topic_id(uuid::Uuid::from_u128(0x1234_5678))
                        .with_partitions(vec![0, 2]),
                ])),
        ),
        _ => return None,
    })
}

/// Every valid frame the tests start from: each supported api at each
/// supported version, with default and (where built) rich bodies.
fn valid_frames() -> Vec<(ApiKey, i16, RequestKind, Bytes)> {
    let mut out = Vec::new();
    let mut corr = 0;
    for &(api_key, lo, hi) in SUPPORTED {
        for version in lo..=hi {
            for body in [Some(default_body(api_key)), rich_body(api_key)]
                .into_iter()
                .flatten()
            {
                corr += 1;
                let frame = request_frame(api_key, version, corr, &body);
                out.push((api_key, version, body, frame));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The codec.

#[test]
fn every_supported_range_lies_within_what_kafka_protocol_supports() {
    for &(api_key, lo, hi) in SUPPORTED {
        let theirs = api_key.valid_versions();
        assert!(
            theirs.min <= lo && hi <= theirs.max,
            "{api_key:?} {lo}..={hi} is outside kafka-protocol's {theirs}"
        );
        assert_eq!(supported_range(api_key as i16), Some((lo, hi)));
    }
    assert_eq!(SUPPORTED.len(), 20);
    assert_eq!(supported_range(ApiKey::DescribeGroups as i16), None);
    assert_eq!(supported_range(-1), None);
}

#[test]
fn every_supported_api_round_trips_at_every_supported_version() {
    let frames = valid_frames();
    for (i, (api_key, version, body, frame)) in frames.into_iter().enumerate() {
        let request = decode_request(frame)
            .unwrap_or_else(|e| panic!("{api_key:?} v{version} (frame {i}): {e}"));
        assert_eq!(request.api_key, api_key);
        assert_eq!(request.api_version, version);
        assert_eq!(request.header.request_api_key, api_key as i16);
        assert_eq!(request.header.request_api_version, version);
        assert_eq!(request.client_id(), "live-frame-test");
        assert_eq!(request.body, body, "{api_key:?} v{version}");
    }
}

#[test]
fn a_null_client_id_reads_as_empty_and_trailing_bytes_are_tolerated_as_in_kafka() {
    let mut buf = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(ApiKey::Heartbeat as i16)
        .with_request_api_version(0)
        .with_correlation_id(9)
        .with_client_id(None)
        .encode(&mut buf, 1)
        .unwrap();
    default_body(ApiKey::Heartbeat).encode(&mut buf, 0).unwrap();
    buf.put_slice(b"trailing");
    let request = decode_request(buf.freeze()).expect("decodes");
    assert_eq!(request.client_id(), "");
    assert_eq!(request.correlation_id(), 9);
}

#[test]
fn a_version_outside_the_table_is_refused_with_the_correlation_id() {
    // Known to kafka-protocol (and to Kafka), not served by us.
    for (api_key, version) in [
        (ApiKey::Produce, 10),
        (ApiKey::Produce, 2),
        (ApiKey::Metadata, 13),
        (ApiKey::Fetch, 13),
        (ApiKey::Heartbeat, -1),
    ] {
        let (lo, _) = supported_range(api_key as i16).unwrap();
        let mut frame = request_frame(api_key, lo, 77, &default_body(api_key)).to_vec();
        frame[2..4].copy_from_slice(&i16::to_be_bytes(version));
        let e = decode_request(Bytes::from(frame)).unwrap_err();
        assert_eq!(
            e,
            FrameError::UnsupportedVersion {
                api_key,
                version,
                correlation_id: 77
            }
        );
        assert_eq!(unsupported_version_reply(&e), None, "{api_key:?} closes");
    }
    // Apis we do not serve at all, known to Kafka or not.
    for key in [ApiKey::DescribeGroups as i16, 999, -5] {
        let mut frame = vec![0u8; 12];
        frame[..2].copy_from_slice(&key.to_be_bytes());
        frame[4..8].copy_from_slice(&1234i32.to_be_bytes());
        let e = decode_request(Bytes::from(frame)).unwrap_err();
        assert_eq!(
            e,
            FrameError::UnknownApi {
                api_key: key,
                correlation_id: 1234
            }
        );
        assert_eq!(unsupported_version_reply(&e), None);
    }
}

/// Splits a whole response frame into its correlation id (header v0) and
/// body bytes, checking the size prefix.
fn open_response(frame: &[u8], header_version: i16) -> (i32, Bytes) {
    let size = i32::from_be_bytes(frame[..4].try_into().unwrap());
    assert_eq!(size as usize, frame.len() - 4, "the size prefix");
    let mut rest = Bytes::copy_from_slice(&frame[4..]);
    let header = ResponseHeader::decode(&mut rest, header_version).expect("response header");
    (header.correlation_id, rest)
}

#[test]
fn an_unsupported_api_versions_request_gets_a_v0_answer_with_error_35() {
    for version in [4, 5, 100, -1] {
        let mut frame = vec![0, 18, 0, 0, 0, 0, 0, 42];
        frame[2..4].copy_from_slice(&i16::to_be_bytes(version));
        frame.extend_from_slice(&[0xff, 0xff, 0, 0]); // whatever follows is never read
        let e = decode_request(Bytes::from(frame)).unwrap_err();
        let reply = unsupported_version_reply(&e).expect("ApiVersions is answered");
        let (corr, mut body) = open_response(&reply, 0);
        assert_eq!(corr, 42);
        let response = km::ApiVersionsResponse::decode(&mut body, 0).expect("a v0 body");
        assert!(body.is_empty(), "nothing after the v0 body");
        assert_eq!(response.error_code, 35);
        // As Kafka's ApiVersionsRequest.getErrorResponse: only its own range.
        let keys: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        assert_eq!(keys, vec![(18, 0, 3)]);
    }
}

#[test]
fn api_versions_answers_list_the_table_under_a_v0_header_at_every_version() {
    for version in 0..=3 {
        let body = km::ResponseKind::ApiVersions(api_versions_response(0));
        let frame = encode_response(ApiKey::ApiVersions, version, 5, &body).unwrap();
        let (corr, mut rest) = open_response(&frame, 0);
        assert_eq!(corr, 5);
        let response = km::ApiVersionsResponse::decode(&mut rest, version).unwrap();
        assert!(rest.is_empty(), "v{version}: header v0, nothing left over");
        let keys: Vec<(i16, i16, i16)> = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        let table: Vec<(i16, i16, i16)> = SUPPORTED
            .iter()
            .map(|&(k, lo, hi)| (k as i16, lo, hi))
            .collect();
        assert_eq!(keys, table);
    }
}

#[test]
fn other_responses_use_the_flexible_header_at_flexible_versions() {
    let body = km::ResponseKind::Metadata(Default::default());
    for (version, header_version) in [(8, 0), (9, 1), (12, 1)] {
        let frame = encode_response(ApiKey::Metadata, version, 11, &body).unwrap();
        let (corr, mut rest) = open_response(&frame, header_version);
        assert_eq!(corr, 11);
        km::MetadataResponse::decode(&mut rest, version).unwrap();
        assert!(rest.is_empty(), "v{version}");
    }
    let e = encode_response(ApiKey::Fetch, 12, 1, &body).unwrap_err();
    assert!(e.contains("Fetch"), "{e}");
}

#[test]
fn a_frame_claiming_two_billion_topics_is_malformed_not_an_abort() {
    let header = |key: i16, version: i16, flexible: bool| {
        let mut f = Vec::new();
        f.extend_from_slice(&key.to_be_bytes());
        f.extend_from_slice(&version.to_be_bytes());
        f.extend_from_slice(&7i32.to_be_bytes());
        f.extend_from_slice(&(-1i16).to_be_bytes()); // client id: null
        if flexible {
            f.push(0); // no tagged fields
        }
        f
    };
    let mut frames = Vec::new();
    // Metadata v0: topics = INT32 count 0x7fffffff (~150 GB of topic structs).
    let mut f = header(3, 0, false);
    f.extend_from_slice(&0x7fff_ffffi32.to_be_bytes());
    frames.push(("Metadata v0", f));
    // Metadata v12: a compact array, unsigned varint 0xffffffff (n + 1).
    let mut f = header(3, 12, true);
    f.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    frames.push(("Metadata v12", f));
    // Produce v3: transactional id null, acks, timeout, then the topics.
    let mut f = header(0, 3, false);
    f.extend_from_slice(&(-1i16).to_be_bytes());
    f.extend_from_slice(&1i16.to_be_bytes());
    f.extend_from_slice(&1000i32.to_be_bytes());
    f.extend_from_slice(&0x7fff_ffffi32.to_be_bytes());
    frames.push(("Produce v3 topics", f));
    // Produce v3: one topic, whose partitions claim 2^31 - 1.
    let mut f = header(0, 3, false);
    f.extend_from_slice(&(-1i16).to_be_bytes());
    f.extend_from_slice(&1i16.to_be_bytes());
    f.extend_from_slice(&1000i32.to_be_bytes());
    f.extend_from_slice(&1i32.to_be_bytes());
    f.extend_from_slice(&1i16.to_be_bytes());
    f.push(b't');
    f.extend_from_slice(&0x7fff_ffffi32.to_be_bytes());
    frames.push(("Produce v3 partitions", f));
    // Fetch v12 (flexible): compact topics array at its largest.
    let mut f = header(1, 12, true);
    f.extend_from_slice(&(-1i32).to_be_bytes()); // replica id
    f.extend_from_slice(&[0; 4 + 4 + 4 + 1 + 4 + 4]); // waits, bytes, isolation, session
    f.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    frames.push(("Fetch v12", f));
    for (what, frame) in frames {
        match decode_request(Bytes::from(frame)) {
            Err(FrameError::Malformed(why)) => {
                assert!(!why.contains("panicked"), "{what}: {why}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_truncated_frame_is_malformed() {
    for (api_key, version, _, frame) in valid_frames() {
        for len in 0..frame.len() {
            match decode_request(frame.slice(..len)) {
                Err(FrameError::Malformed(_)) => {}
                other => panic!("{api_key:?} v{version} cut at {len}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn an_oversized_frame_is_refused_before_its_body_is_read() {
    // Only the size prefix is there: reading the body would fail with an
    // end of stream, so TooLarge proves the body was never read.
    for (prefix, size) in [
        (
            (MAX_FRAME_BYTES as u32 + 1).to_be_bytes(),
            MAX_FRAME_BYTES + 1,
        ),
        (u32::MAX.to_be_bytes(), u32::MAX as usize), // -1 as an i32
        (0x8000_0000u32.to_be_bytes(), 0x8000_0000),
    ] {
        let mut input: &[u8] = &prefix;
        match read_frame(&mut input, MAX_FRAME_BYTES).await {
            Err(ReadError::Frame(FrameError::TooLarge { size: got })) => assert_eq!(got, size),
            other => panic!("{prefix:?}: {other:?}"),
        }
    }
    // The limit itself is allowed; a clean end is None; a torn one is Io.
    let mut exact = 16u32.to_be_bytes().to_vec();
    exact.extend_from_slice(&[1; 16]);
    let mut input: &[u8] = &exact;
    assert_eq!(read_frame(&mut input, 16).await.unwrap().unwrap().len(), 16);
    assert!(read_frame(&mut input, 16).await.unwrap().is_none());
    let mut torn: &[u8] = &[0, 0];
    assert!(matches!(
        read_frame(&mut torn, 16).await,
        Err(ReadError::Io(_))
    ));
    let mut short_body: &[u8] = &[0, 0, 0, 9, 1, 2];
    assert!(matches!(
        read_frame(&mut short_body, 16).await,
        Err(ReadError::Io(_))
    ));
}

/// Mutates a valid frame: byte flips, boundary values, big lengths written
/// anywhere, truncation, insertion, duplication.
/// `KAFKASCOPE_FUZZ_CASES` (20,000 by default) and `KAFKASCOPE_FUZZ_SEED`.
fn fuzz_cases_and_seed(default_seed: u64) -> (u64, u64) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    (
        var("KAFKASCOPE_FUZZ_CASES").unwrap_or(20_000),
        var("KAFKASCOPE_FUZZ_SEED").unwrap_or(default_seed),
    )
}

fn mutate(rng: &mut Rng, frame: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4u64) {
        if frame.is_empty() {
            frame.push(rng.below(256u64) as u8);
        }
        let at = rng.below(frame.len());
        match rng.below(7u64) {
            0 => frame[at] ^= 1 << rng.below(8u64),
            1 => frame[at] = [0x00, 0xff, 0x7f, 0x80, 0x01][rng.below(5usize)],
            2 => {
                let big = [0x7fff_ffffu32, 0xffff_ffff, 0x8000_0000, 0x0100_0000];
                let v = big[rng.below(4usize)].to_be_bytes();
                for (i, b) in v.iter().enumerate() {
                    if let Some(slot) = frame.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            3 => frame.truncate(at),
            4 => {
                let n = 1 + rng.below(8usize);
                for _ in 0..n {
                    frame.insert(at, rng.below(256u64) as u8);
                }
            }
            5 => {
                let end = (at + 1 + rng.below(16usize)).min(frame.len());
                let piece = frame[at..end].to_vec();
                frame.splice(at..at, piece);
            }
            _ => {
                // A varint of the largest compact length.
                frame.splice(at..at, [0xff, 0xff, 0xff, 0xff, 0x0f]);
            }
        }
    }
}

#[test]
fn decoding_mutated_and_random_frames_never_panics() {
    let (cases, base) = fuzz_cases_and_seed(0x6b61_666b);
    let seeds = valid_frames();
    let (mut ok, mut malformed, mut caught) = (0u64, 0u64, 0u64);
    let started = std::time::Instant::now();
    for case in 0..cases {
        let seed = base.wrapping_add(case);
        let mut rng = Rng::new(seed);
        let frame: Vec<u8> = if rng.one_in(10) {
            // Random bytes behind a supported api key and version, so they
            // reach a body decoder.
            let &(api_key, lo, hi) = &SUPPORTED[rng.below(SUPPORTED.len())];
            let version = lo + rng.below((hi - lo + 1) as u64) as i16;
            let mut f = Vec::new();
            f.extend_from_slice(&(api_key as i16).to_be_bytes());
            f.extend_from_slice(&version.to_be_bytes());
            for _ in 0..rng.below(200u64) {
                f.push(rng.below(256u64) as u8);
            }
            f
        } else {
            let mut f = seeds[rng.below(seeds.len())].3.to_vec();
            mutate(&mut rng, &mut f);
            f
        };
        let input = Bytes::from(frame.clone());
        let result = std::panic::catch_unwind(|| decode_request(input));
        match result {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(FrameError::Malformed(why))) if why.contains("panicked") => {
                caught += 1;
                eprintln!("case {case} (KAFKASCOPE_FUZZ_SEED={seed} KAFKASCOPE_FUZZ_CASES=1): the decoder panicked, caught: {why}\nframe: {frame:02x?}");
            }
            Ok(Err(_)) => malformed += 1,
            Err(_) => panic!(
                "case {case} (KAFKASCOPE_FUZZ_SEED={seed} KAFKASCOPE_FUZZ_CASES=1): decode_request panicked on {frame:02x?}"
            ),
        }
    }
    eprintln!(
        "{cases} cases in {:?}: {ok} decoded, {malformed} refused, {caught} decoder panics caught",
        started.elapsed()
    );
    assert_eq!(ok + malformed + caught, cases);
}

// ---------------------------------------------------------------------------
// The transport.

/// A stand-in engine: answers ApiVersions, says nothing to a Produce with
/// acks=0, closes on anything else; reports each Closed.
async fn fake_engine(mut from: mpsc::Receiver<Inbound>, closed: mpsc::UnboundedSender<ConnId>) {
    while let Some(inbound) = from.recv().await {
        match inbound {
            Inbound::Request { request, reply, .. } => {
                let answer = match &request.body {
                    RequestKind::ApiVersions(_) => Reply::Frame(
                        encode_response(
                            ApiKey::ApiVersions,
                            request.api_version,
                            request.correlation_id(),
                            &km::ResponseKind::ApiVersions(api_versions_response(0)),
                        )
                        .unwrap(),
                    ),
                    RequestKind::Produce(p) if p.acks == 0 => Reply::None,
                    _ => Reply::Close,
                };
                let _ = reply.send(answer);
            }
            Inbound::Closed { conn, .. } => {
                let _ = closed.send(conn);
            }
        }
    }
}

async fn api_versions_round_trip(stream: &mut TcpStream, correlation_id: i32) {
    let body = RequestKind::ApiVersions(Default::default());
    let frame = request_frame(ApiKey::ApiVersions, 3, correlation_id, &body);
    stream.write_all(&sized(&frame)).await.unwrap();
    let answer = read_frame(stream, MAX_FRAME_BYTES)
        .await
        .unwrap()
        .expect("an answer");
    let mut rest = answer;
    let header = ResponseHeader::decode(&mut rest, 0).unwrap();
    assert_eq!(header.correlation_id, correlation_id);
    let response = km::ApiVersionsResponse::decode(&mut rest, 3).unwrap();
    assert_eq!(response.error_code, 0);
    assert_eq!(response.api_keys.len(), SUPPORTED.len());
}

/// True once the peer has closed: end of stream or a reset.
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) | Err(_) => false,
    }
}

#[tokio::test]
async fn the_transport_serves_isolates_bad_connections_and_enforces_its_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let (to_engine, from) = mpsc::channel(1024);
    let (closed_tx, mut closed) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve(vec![(0, listener)], limits, to_engine));
    let engine = tokio::spawn(fake_engine(from, closed_tx));

    // (a) A client gets its ApiVersions answer, twice on one connection.
    let mut good = TcpStream::connect(addr).await.unwrap();
    api_versions_round_trip(&mut good, 1).await;
    api_versions_round_trip(&mut good, 2).await;

    // An unsupported ApiVersions version is answered and the connection
    // lives on; a Produce with acks=0 gets no answer and it reads on.
    let mut v9 = vec![0, 18, 0, 9, 0, 0, 0, 3, 0xff, 0xff, 0];
    v9 = sized(&v9);
    good.write_all(&v9).await.unwrap();
    let mut rest = read_frame(&mut good, MAX_FRAME_BYTES)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ResponseHeader::decode(&mut rest, 0).unwrap().correlation_id,
        3
    );
    assert_eq!(
        km::ApiVersionsResponse::decode(&mut rest, 0)
            .unwrap()
            .error_code,
        35
    );
    let silent = RequestKind::Produce(km::ProduceRequest::default().with_acks(0));
    let produce = request_frame(ApiKey::Produce, 9, 4, &silent);
    good.write_all(&sized(&produce)).await.unwrap();
    api_versions_round_trip(&mut good, 5).await;

    // (b) Garbage closes that connection; the good one keeps working.
    let mut bad = TcpStream::connect(addr).await.unwrap();
    bad.write_all(&sized(&[0xee; 12])).await.unwrap();
    assert!(
        closed_by_peer(&mut bad).await,
        "garbage closes the connection"
    );
    let gone = closed.recv().await.unwrap();
    api_versions_round_trip(&mut good, 6).await;

    // (c) With `good` and `second` open (the limit), a third is closed at once.
    let mut second = TcpStream::connect(addr).await.unwrap();
    api_versions_round_trip(&mut second, 1).await;
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert!(closed_by_peer(&mut third).await, "over the limit: closed");
    api_versions_round_trip(&mut second, 2).await;
    api_versions_round_trip(&mut good, 7).await;

    // A clean close is reported too, once, and frees a slot.
    drop(second);
    let second_gone = closed.recv().await.unwrap();
    assert_ne!(second_gone, gone);
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    api_versions_round_trip(&mut fourth, 1).await;

    // The engine going away ends `serve`.
    engine.abort();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns when the engine is gone")
        .unwrap();
    assert!(closed_by_peer(&mut good).await, "and the connections close");
    assert!(closed_by_peer(&mut fourth).await);
}

/// A crashed broker's port refuses connections (so clients back off and
/// refresh metadata instead of reconnecting in a loop), its open
/// connections close, and the port opens again when it restarts.
#[tokio::test]
async fn a_down_broker_refuses_connections_and_listens_again_when_it_is_back() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (up_tx, up) = tokio::sync::watch::channel(true);
    let (to_engine, from) = mpsc::channel(1024);
    let (closed_tx, _closed) = mpsc::unbounded_channel();
    let server = tokio::spawn(serve_brokers(
        vec![(0, listener)],
        vec![up],
        Limits::default(),
        to_engine,
    ));
    let engine = tokio::spawn(fake_engine(from, closed_tx));

    let mut open = TcpStream::connect(addr).await.unwrap();
    api_versions_round_trip(&mut open, 1).await;

    up_tx.send(false).unwrap();
    assert!(
        closed_by_peer(&mut open).await,
        "an open connection closes when its broker goes down"
    );
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "a down broker's port refuses connections");

    up_tx.send(true).unwrap();
    let mut back = None;
    for _ in 0..50 {
        if let Ok(s) = TcpStream::connect(addr).await {
            back = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut back = back.expect("the port listens again after the restart");
    api_versions_round_trip(&mut back, 2).await;
    server.abort();
    engine.abort();
}

/// What a decoded request still carries as opaque bytes — a Produce's record
/// batches, a JoinGroup's subscription, a SyncGroup's assignments — is
/// decoded by live mode too (`src/live/translate.rs`). Those decoders must
/// not panic on mutated input either (the translate functions also catch a
/// panic, so this calls kafka-protocol's decoders directly, where a panic
/// shows). Runs `KAFKASCOPE_FUZZ_CASES` cases like the frame sweep.
#[test]
fn decoding_mutated_record_batches_and_consumer_protocol_bytes_never_panics() {
    use kafka_protocol::records::{
        Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
        TimestampType,
    };
    let (cases, base) = fuzz_cases_and_seed(0x7265_636f);
    // Seeds: a v2 batch of three records (an idempotent producer's), a
    // subscription and an assignment as kafkascope encodes them.
    let records: Vec<Record> = (0..3)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: 7,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset: i,
            sequence: i as i32,
            timestamp: 1_700_000_000_000 + i,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(format!("{{\"event_id\": {i}}}"))),
            headers: Default::default(),
        })
        .collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    let meta = kafkascope::engine::network::MemberMetadata {
        member_id: "m".into(),
        instance_id: None,
        consumer: kafkascope::engine::ids::ConsumerIdx(0),
        protocols: vec![kafkascope::engine::assignor::AssignorKind::Range],
        topics: vec!["events".into()],
        owned: vec![kafkascope::engine::assignor::TopicPartition::new(
            "events", 1,
        )],
        owned_generation: None,
    };
    let seeds = [
        batch.freeze(),
        kafkascope::live::translate::encode_subscription(&meta),
        kafkascope::live::translate::encode_assignment(&meta.owned),
    ];
    let (mut decoded, mut refused) = (0u64, 0u64);
    for case in 0..cases {
        let seed = base.wrapping_add(case);
        let mut rng = Rng::new(seed);
        let which = rng.below(seeds.len());
        let mut bytes = seeds[which].to_vec();
        mutate(&mut rng, &mut bytes);
        let input = Bytes::from(bytes.clone());
        let outcome = std::panic::catch_unwind(move || {
            let mut buf = input.clone();
            match which {
                0 => RecordBatchDecoder::decode_all(&mut buf).is_ok(),
                _ if buf.len() < 2 => false,
                1 => {
                    let version = i16::from_be_bytes([buf[0], buf[1]]).clamp(0, 3);
                    let mut body = buf.slice(2..);
                    km::ConsumerProtocolSubscription::decode(&mut body, version).is_ok()
                }
                _ => {
                    let version = i16::from_be_bytes([buf[0], buf[1]]).clamp(0, 3);
                    let mut body = buf.slice(2..);
                    km::ConsumerProtocolAssignment::decode(&mut body, version).is_ok()
                }
            }
        });
        match outcome {
            Ok(true) => decoded += 1,
            Ok(false) => refused += 1,
            Err(_) => panic!(
                "case {case} (KAFKASCOPE_FUZZ_SEED={seed} KAFKASCOPE_FUZZ_CASES=1): decoder {which} panicked on {bytes:02x?}"
            ),
        }
    }
    eprintln!("{cases} cases: {decoded} decoded, {refused} refused");
    assert!(
        decoded > 0 && refused > 0,
        "the mutations reach both outcomes"
    );
}
