// Building Kafka request frames for the live-mode tests (tests/live_frame.rs,
// tests/live_gateway.rs), with kafka-protocol's encoders. Included with
// `#[path = "common/kafka_wire.rs"] mod kafka_wire;`.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, RequestKind};
use kafka_protocol::protocol::{Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

/// A request frame without its size prefix (what `decode_request` takes),
/// from the client `client_id`.
pub fn request_frame_from(
    client_id: &'static str,
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    body: &RequestKind,
) -> Bytes {
    let mut buf = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(api_key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str(client_id)))
        .encode(&mut buf, api_key.request_header_version(version))
        .expect("header encodes");
    body.encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("{api_key:?} v{version} encodes: {e:#}"));
    buf.freeze()
}

/// The frame with its 4-byte size prefix, as it goes on the wire.
pub fn sized(frame: &[u8]) -> Vec<u8> {
    let mut out = (frame.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(frame);
    out
}

/// A record as a producer without idempotence sends it.
#[allow(dead_code)] // (not every test that includes this file builds batches)
pub fn record(key: Option<&[u8]>, value: Option<&[u8]>, timestamp: i64) -> Record {
    Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp,
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
        headers: Default::default(),
    }
}

/// One uncompressed v2 batch of `records`, offsets from 0.
#[allow(dead_code)]
pub fn batch(records: &[Record]) -> Bytes {
    let mut records = records.to_vec();
    for (i, r) in records.iter_mut().enumerate() {
        r.offset = i as i64;
    }
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("the batch encodes");
    buf.freeze()
}
