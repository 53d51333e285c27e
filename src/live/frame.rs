//! The Kafka wire codec of live mode: one frame in, one [`Request`] out; one
//! response body in, one frame out. The message bodies themselves are
//! encoded and decoded by the `kafka-protocol` crate (generated from Kafka's
//! own JSON schemas); this module owns the framing, the headers, the table of
//! what we serve, and what happens to bad input.
//!
//! # Framing
//!
//! Every Kafka request and response is a *frame*: a 4-byte big-endian signed
//! size, then that many bytes (the size does not count itself). A broker
//! refuses a negative size or one past `socket.request.max.bytes` before
//! reading the body, and closes the connection
//! (`clients/src/main/java/org/apache/kafka/common/network/NetworkReceive.java`,
//! `InvalidReceiveException`). [`read_frame`] does the same with
//! [`MAX_FRAME_BYTES`].
//!
//! # Request header
//!
//! A request frame starts with a header
//! (`clients/src/main/java/org/apache/kafka/common/requests/RequestHeader.java`,
//! schema `clients/src/main/resources/common/message/RequestHeader.json`):
//!
//! - v0: `api_key: i16, api_version: i16, correlation_id: i32` (only
//!   ControlledShutdown v0 used it; Kafka 4 and kafka-protocol 0.18 dropped it);
//! - v1: v0 + `client_id: nullable string` (i16 length, -1 = null);
//! - v2: v1 + tagged fields (an unsigned varint count, then tag/size/bytes),
//!   used by the *flexible versions* of an API (KIP-482), whose bodies also
//!   use compact strings and arrays (unsigned-varint length + 1).
//!
//! Which header a request uses depends on its api key *and* version, so a
//! broker reads the first four bytes (api key, version) before it can pick
//! the header version (`RequestHeader.parse`); so do we, and we also peek the
//! correlation id (bytes 4..8, the same place in every header version) so
//! that an error can name the request it answers.
//!
//! # Response header
//!
//! - v0: `correlation_id: i32`;
//! - v1: v0 + tagged fields (flexible versions).
//!
//! One exception (KIP-511): an ApiVersions response *always* uses header v0,
//! even at the flexible versions 3+, because a client that sent a version
//! the broker does not know must still be able to read the answer's
//! correlation id. kafka-protocol's `ApiKey::response_header_version` knows
//! this; [`encode_response`] relies on it and a test pins it.
//!
//! # Bad input
//!
//! - size negative or past the limit: [`FrameError::TooLarge`], the
//!   connection closes without reading the body;
//! - an api key not in [`SUPPORTED`]: [`FrameError::UnknownApi`], close
//!   (Kafka: `RequestHeader.parse` throws, `SocketServer` closes the channel);
//! - a version outside our range: [`FrameError::UnsupportedVersion`]; close,
//!   except for ApiVersions, which gets a v0 error answer so the client can
//!   retry lower ([`unsupported_version_reply`]);
//! - anything that fails to decode: [`FrameError::Malformed`], close.
//!
//! Trailing bytes after a well-formed body are *tolerated*, as Kafka does:
//! `AbstractRequest.parseRequest` reads the body from the buffer and never
//! checks what remains. Being stricter than Kafka could only break a real
//! client for no safety gain.
//!
//! Decoding never panics out of [`decode_request`]: it runs under
//! `catch_unwind` as a second line of defence (a panic becomes `Malformed`).
//! That net only holds with `panic = "unwind"`; the crate's release profile
//! sets `panic = "abort"`. The first line is kafka-protocol itself (it
//! returns errors on short input), and the allocation guard of
//! [`super::alloc_guard`] covers the one failure that is not a panic: an
//! array length read off the wire handed straight to `Vec::with_capacity`.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, RequestHeader, RequestKind, ResponseHeader, ResponseKind,
};
use kafka_protocol::protocol::{Decodable, Encodable};
use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest frame we read: 8 MiB. A producer's request is bounded by its
/// own `max.request.size` (kafka-python's `max_request_size` and the Java
/// client's default are 1 MiB), and a broker's `socket.request.max.bytes`
/// defaults to 100 MiB
/// (`server/src/main/java/org/apache/kafka/network/SocketServerConfigs.java`).
/// A simulator serving a classroom needs neither: 8 MiB leaves room for a
/// client configured well past its default, and bounds what one connection
/// can make us buffer.
pub const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

/// What live mode serves: (api, lowest version, highest version). Every range
/// lies within what kafka-protocol 0.18 encodes and decodes for that message
/// (`ApiKey::valid_versions`; a test checks it). ApiVersions answers with
/// exactly this table.
pub const SUPPORTED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::Produce, 3, 9),
    (ApiKey::Fetch, 4, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::Metadata, 0, 12),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetFetch, 1, 9),
    (ApiKey::FindCoordinator, 0, 2),
    (ApiKey::JoinGroup, 0, 5),
    (ApiKey::Heartbeat, 0, 3),
    (ApiKey::LeaveGroup, 0, 1),
    (ApiKey::SyncGroup, 0, 3),
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::InitProducerId, 0, 4),
    (ApiKey::OffsetForLeaderEpoch, 2, 4),
    (ApiKey::AddPartitionsToTxn, 0, 3),
    (ApiKey::AddOffsetsToTxn, 0, 3),
    (ApiKey::EndTxn, 0, 3),
    (ApiKey::TxnOffsetCommit, 0, 3),
    (ApiKey::ConsumerGroupHeartbeat, 0, 1),
    (ApiKey::ConsumerGroupDescribe, 0, 1),
];

/// The version range we serve for a raw api key, or `None` if we do not
/// serve that api (including keys Kafka knows and we do not).
pub fn supported_range(api_key: i16) -> Option<(i16, i16)> {
    SUPPORTED
        .iter()
        .find(|(k, _, _)| *k as i16 == api_key)
        .map(|&(_, lo, hi)| (lo, hi))
}

/// A decoded request: its header, its api and version (copied out of the
/// header, typed), and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub header: RequestHeader,
    pub api_key: ApiKey,
    pub api_version: i16,
    pub body: RequestKind,
}

impl Request {
    /// The id the response must carry back.
    pub fn correlation_id(&self) -> i32 {
        self.header.correlation_id
    }

    /// The client's `client.id`; a null one reads as empty, as in Kafka
    /// (`RequestHeader.parse`).
    pub fn client_id(&self) -> &str {
        self.header.client_id.as_ref().map_or("", |s| s.as_str())
    }
}

/// Why a frame was not turned into a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The size prefix is negative or past the limit (a negative `i32` is
    /// reported as its `u32` reading, which is past any limit).
    TooLarge { size: usize },
    /// The bytes do not decode (short, bad length, bad UTF-8, ...).
    Malformed(String),
    /// An api key we do not serve.
    UnknownApi { api_key: i16, correlation_id: i32 },
    /// An api we serve, at a version we do not.
    UnsupportedVersion {
        api_key: ApiKey,
        version: i16,
        correlation_id: i32,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { size } => {
                write!(f, "a frame of {size} bytes is past the limit")
            }
            FrameError::Malformed(why) => write!(f, "malformed request: {why}"),
            FrameError::UnknownApi {
                api_key,
                correlation_id,
            } => write!(
                f,
                "api key {api_key} is not served (correlation id {correlation_id})"
            ),
            FrameError::UnsupportedVersion {
                api_key,
                version,
                correlation_id,
            } => write!(
                f,
                "{api_key:?} v{version} is not served (correlation id {correlation_id})"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// Decodes one request frame (the bytes after the size prefix).
pub fn decode_request(frame: Bytes) -> Result<Request, FrameError> {
    if frame.len() < 8 {
        return Err(FrameError::Malformed(format!(
            "{} bytes cannot hold an api key, a version and a correlation id",
            frame.len()
        )));
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let Some((lo, hi)) = supported_range(key) else {
        return Err(FrameError::UnknownApi {
            api_key: key,
            correlation_id,
        });
    };
    let api_key = ApiKey::try_from(key).map_err(|()| FrameError::UnknownApi {
        api_key: key,
        correlation_id,
    })?;
    if version < lo || version > hi {
        return Err(FrameError::UnsupportedVersion {
            api_key,
            version,
            correlation_id,
        });
    }
    match catch_unwind(AssertUnwindSafe(move || {
        decode_body(api_key, version, frame)
    })) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(FrameError::Malformed(format!(
                "the decoder panicked on {api_key:?} v{version}: {what}"
            )))
        }
    }
}

/// The header at the version `api_key`/`version` call for, then the body.
fn decode_body(api_key: ApiKey, version: i16, mut frame: Bytes) -> Result<Request, FrameError> {
    let header_version = api_key.request_header_version(version);
    let header = RequestHeader::decode(&mut frame, header_version)
        .map_err(|e| FrameError::Malformed(format!("{api_key:?} v{version} header: {e:#}")))?;
    let body = RequestKind::decode(api_key, &mut frame, version)
        .map_err(|e| FrameError::Malformed(format!("{api_key:?} v{version} body: {e:#}")))?;
    // Any bytes left in `frame` are ignored, as Kafka ignores them.
    Ok(Request {
        header,
        api_key,
        api_version: version,
        body,
    })
}

/// The api a response body answers, for the ones we serve.
fn response_api(body: &ResponseKind) -> Option<ApiKey> {
    Some(match body {
        ResponseKind::Produce(_) => ApiKey::Produce,
        ResponseKind::Fetch(_) => ApiKey::Fetch,
        ResponseKind::ListOffsets(_) => ApiKey::ListOffsets,
        ResponseKind::Metadata(_) => ApiKey::Metadata,
        ResponseKind::OffsetCommit(_) => ApiKey::OffsetCommit,
        ResponseKind::OffsetFetch(_) => ApiKey::OffsetFetch,
        ResponseKind::FindCoordinator(_) => ApiKey::FindCoordinator,
        ResponseKind::JoinGroup(_) => ApiKey::JoinGroup,
        ResponseKind::Heartbeat(_) => ApiKey::Heartbeat,
        ResponseKind::LeaveGroup(_) => ApiKey::LeaveGroup,
        ResponseKind::SyncGroup(_) => ApiKey::SyncGroup,
        ResponseKind::ApiVersions(_) => ApiKey::ApiVersions,
        ResponseKind::InitProducerId(_) => ApiKey::InitProducerId,
        ResponseKind::AddPartitionsToTxn(_) => ApiKey::AddPartitionsToTxn,
        ResponseKind::AddOffsetsToTxn(_) => ApiKey::AddOffsetsToTxn,
        ResponseKind::EndTxn(_) => ApiKey::EndTxn,
        ResponseKind::TxnOffsetCommit(_) => ApiKey::TxnOffsetCommit,
        ResponseKind::OffsetForLeaderEpoch(_) => ApiKey::OffsetForLeaderEpoch,
        ResponseKind::ConsumerGroupHeartbeat(_) => ApiKey::ConsumerGroupHeartbeat,
        ResponseKind::ConsumerGroupDescribe(_) => ApiKey::ConsumerGroupDescribe,
        _ => return None,
    })
}

/// Encodes a whole response frame: size prefix, response header (at the
/// version the api and version call for; v0 for ApiVersions, always), body.
/// Fails if `body` answers another api than `api_key`, or if kafka-protocol
/// refuses the body at `api_version` (a field set that the version lacks).
pub fn encode_response(
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    body: &ResponseKind,
) -> Result<Bytes, String> {
    if response_api(body) != Some(api_key) {
        return Err(format!("a response body that does not answer {api_key:?}"));
    }
    let header_version = if api_key == ApiKey::ApiVersions {
        0 // KIP-511; kafka-protocol says the same, this says it here.
    } else {
        api_key.response_header_version(api_version)
    };
    let mut buf = BytesMut::with_capacity(64);
    buf.put_i32(0); // the size, filled in below
    ResponseHeader::default()
        .with_correlation_id(correlation_id)
        .encode(&mut buf, header_version)
        .map_err(|e| format!("{api_key:?} v{api_version} response header: {e:#}"))?;
    body.encode(&mut buf, api_version)
        .map_err(|e| format!("{api_key:?} v{api_version} response: {e:#}"))?;
    let size = i32::try_from(buf.len() - 4)
        .map_err(|_| format!("a {api_key:?} response of {} bytes", buf.len()))?;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// An ApiVersions response listing [`SUPPORTED`], throttle 0, no features.
pub fn api_versions_response(error_code: i16) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = error_code;
    response.throttle_time_ms = 0;
    response.api_keys = SUPPORTED
        .iter()
        .map(|&(key, lo, hi)| api_version(key, lo, hi))
        .collect();
    response
}

fn api_version(key: ApiKey, lo: i16, hi: i16) -> ApiVersion {
    ApiVersion::default()
        .with_api_key(key as i16)
        .with_min_version(lo)
        .with_max_version(hi)
}

/// Kafka's `UNSUPPORTED_VERSION` error code.
pub const UNSUPPORTED_VERSION: i16 = 35;

/// The answer to a request at a version we do not serve, if it gets one.
///
/// Kafka's rule (KIP-511): an ApiVersions request at an unknown version is
/// let through the socket server
/// (`ApiKeys.isVersionEnabled` returns true for API_VERSIONS,
/// `clients/src/main/java/org/apache/kafka/common/protocol/ApiKeys.java`), is
/// not parsed but treated as v0
/// (`RequestContext.parseRequest`/`apiVersion()`,
/// `clients/src/main/java/org/apache/kafka/common/requests/RequestContext.java`),
/// and is answered (`KafkaApis.handleApiVersionsRequest`,
/// `core/src/main/scala/kafka/server/KafkaApis.scala`) by
/// `ApiVersionsRequest.getErrorResponse`
/// (`clients/src/main/java/org/apache/kafka/common/requests/ApiVersionsRequest.java`):
/// a v0 response, error UNSUPPORTED_VERSION, whose api list holds *only* the
/// ApiVersions entry, so the client retries at the highest version both
/// sides know. We answer the same way, at response header v0.
///
/// Any other api at an unknown version fails `SocketServer.parseRequestHeader`
/// (`isApiEnabled` is false), which throws `InvalidRequestException`, and
/// `processChannelException` closes the connection
/// (`core/src/main/scala/kafka/network/SocketServer.scala`): `None`.
pub fn unsupported_version_reply(e: &FrameError) -> Option<Bytes> {
    let FrameError::UnsupportedVersion {
        api_key: ApiKey::ApiVersions,
        correlation_id,
        ..
    } = *e
    else {
        return None;
    };
    let (lo, hi) = supported_range(ApiKey::ApiVersions as i16)?;
    let mut body = ApiVersionsResponse::default();
    body.error_code = UNSUPPORTED_VERSION;
    body.api_keys = vec![api_version(ApiKey::ApiVersions, lo, hi)];
    encode_response(
        ApiKey::ApiVersions,
        0,
        correlation_id,
        &ResponseKind::ApiVersions(body),
    )
    .ok()
}

/// Why [`read_frame`] stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The socket failed, or closed inside a frame.
    Io(std::io::Error),
    /// The size prefix was refused ([`FrameError::TooLarge`]).
    Frame(FrameError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Frame(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads one frame: `Ok(None)` on a clean end of stream before a size
/// prefix, the body (without the prefix) otherwise. A size that is negative
/// or past `max` is refused before a byte of the body is read.
pub async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
    max: usize,
) -> Result<Option<Bytes>, ReadError> {
    let mut prefix = [0u8; 4];
    // The first byte apart, so that an end of stream there is a clean close.
    if r.read(&mut prefix[..1]).await.map_err(ReadError::Io)? == 0 {
        return Ok(None);
    }
    r.read_exact(&mut prefix[1..])
        .await
        .map_err(ReadError::Io)?;
    let raw = u32::from_be_bytes(prefix);
    let size = raw as usize;
    if raw > i32::MAX as u32 || size > max {
        return Err(ReadError::Frame(FrameError::TooLarge { size }));
    }
    // Grown as bytes arrive, not sized from the prefix: a client that
    // announces 8 MiB and sends nothing holds no 8 MiB buffer.
    let mut body = Vec::with_capacity(size.min(64 * 1024));
    (&mut *r)
        .take(size as u64)
        .read_to_end(&mut body)
        .await
        .map_err(ReadError::Io)?;
    if body.len() < size {
        return Err(ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "the stream ended {} bytes into a {size}-byte frame",
                body.len()
            ),
        )));
    }
    Ok(Some(Bytes::from(body)))
}
