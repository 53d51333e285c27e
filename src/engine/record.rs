//! Records as the simulator keeps them: one arena entry per logical record.
//!
//! A Kafka record is a key, a value, a timestamp and headers; what lands in
//! the log is the *serialized* bytes. The producer serializes with its
//! configured serializers (the course text uses `StringSerializer`-like UTF-8
//! for keys and `json.dumps(v).encode('utf-8')` for values), and the
//! partitioner hashes the key *bytes*, not the string. Copies of a record in
//! several replicas, retried duplicates and re-deliveries all refer back to
//! the same [`RecordId`], so the UI can follow one token everywhere.

use crate::engine::ids::*;

/// What a record is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// An application record from a producer.
    Data,
    /// The output of an exactly-once processor: the transformed copy of
    /// `source`, produced by `group`'s consume-transform-produce loop.
    Output { source: EventId, group: GroupIdx },
    /// An `OffsetCommit` record in `__consumer_offsets`
    /// (key `{group, topic, partition}`, value `{offset, …}`).
    OffsetCommit {
        group: GroupIdx,
        tp: Tp,
        offset: Offset,
    },
    /// A transaction-log record in `__transaction_state`.
    TxnLog {
        transactional_id: String,
        state: crate::engine::event::TxnState,
    },
}

/// Where the value came from: generated values are rebuilt on demand so a
/// 100k-record benchmark does not allocate 100k strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSource {
    /// `{"event_id": n, "data": "Event n"}`, as `json.dumps` prints it.
    Generated,
    /// A value the user typed, serialized as a JSON string unless it already is JSON.
    Text(String),
    /// A transformed copy written by an exactly-once processor.
    Transformed { from: RecordId },
    /// Internal records (offset commits, transaction log).
    Internal,
    /// The exact bytes a real client sent (live mode): kept as they came,
    /// so a consumer reads back byte for byte what was produced. Native
    /// only until the page replays live sessions (its first load is full).
    #[cfg(live_engine)]
    Wire(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    Null,
    /// `str(event_id)`.
    EventId,
    Text(String),
    /// A key many records share, counted rather than copied: natively, an
    /// offset commit's `group/topic/partition`, made once per partition
    /// (a consumer that commits after every record writes it each time).
    #[cfg(engine_speed)]
    Shared(std::rc::Rc<str>),
    /// The exact key bytes a real client sent (live mode; native only).
    #[cfg(live_engine)]
    Wire(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordData {
    pub id: RecordId,
    pub event_id: EventId,
    pub producer: Option<ProducerIdx>,
    pub topic: TopicId,
    pub key: KeySource,
    pub value: ValueSource,
    pub kind: RecordKind,
    pub created_ms: u64,
    /// Set at stage 3.
    pub partition: Option<PartitionId>,
    /// An explicit `ProducerRecord` partition.
    pub explicit_partition: Option<u32>,
}

impl RecordData {
    /// The key as text (`None` for a null key).
    pub fn key_text(&self) -> Option<String> {
        match &self.key {
            KeySource::Null => None,
            KeySource::EventId => Some(self.event_id.0.to_string()),
            KeySource::Text(s) => Some(s.clone()),
            #[cfg(engine_speed)]
            KeySource::Shared(s) => Some(s.to_string()),
            #[cfg(live_engine)]
            KeySource::Wire(b) => Some(String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// Serialized key bytes (UTF-8, like `StringSerializer`).
    pub fn key_bytes(&self) -> Option<Vec<u8>> {
        #[cfg(live_engine)]
        if let KeySource::Wire(b) = &self.key {
            return Some(b.clone());
        }
        self.key_text().map(String::into_bytes)
    }

    /// [`RecordData::key_bytes`] handed to `f`, without allocating for a
    /// generated key (`str(event_id)`): the partitioner hashes every
    /// record's key, a hundred thousand of them in a benchmark run.
    /// (Native only: the page's partitioner calls `key_bytes`.)
    ///
    /// The digits are written two at a time from a table of the hundred
    /// digit pairs ([`write_decimal`], at the end of this file, `itoa`'s
    /// way): one division by 100 for two digits instead of a division by 10
    /// for each, which was most of the cost of hashing a generated key.
    /// (This doc comment is as long as the digit-a-step loop it replaced,
    /// so the lines below, and the page's panic locations in them, stay
    /// where they were.)
    #[cfg(engine_speed)]
    pub fn with_key_bytes<R>(&self, f: impl FnOnce(Option<&[u8]>) -> R) -> R {
        if let KeySource::EventId = self.key {
            let mut buf = [0u8; 10];
            let i = write_decimal(self.event_id.0, &mut buf);
            return f(Some(&buf[i..]));
        }
        f(self.key_bytes().as_deref())
    }

    /// The value as the application sees it (JSON text).
    pub fn value_text(&self) -> String {
        match &self.value {
            ValueSource::Generated => generated_value(self.event_id),
            ValueSource::Text(s) => json_value(s),
            #[cfg(live_engine)]
            ValueSource::Wire(b) => String::from_utf8_lossy(b).into_owned(),
            ValueSource::Transformed { .. } => {
                format!("{{\"event_id\": {}, \"processed\": true}}", self.event_id.0)
            }
            ValueSource::Internal => match &self.kind {
                RecordKind::OffsetCommit { offset, .. } => format!("{{\"offset\": {}}}", offset.0),
                RecordKind::TxnLog {
                    transactional_id,
                    state,
                } => {
                    format!(
                        "{{\"transactional_id\": {transactional_id:?}, \"state\": \"{}\"}}",
                        state.name()
                    )
                }
                RecordKind::Data | RecordKind::Output { .. } => String::new(),
            },
        }
    }

    /// Serialized value bytes (`json.dumps(v).encode('utf-8')`).
    pub fn value_bytes(&self) -> Vec<u8> {
        #[cfg(live_engine)]
        if let ValueSource::Wire(b) = &self.value {
            return b.clone();
        }
        self.value_text().into_bytes()
    }

    /// Approximate on-the-wire size, used for `batch.size` accounting: a
    /// record's key and value bytes plus Kafka's ~20 bytes of per-record
    /// overhead (varint lengths, attributes, deltas) in a v2 batch.
    #[cfg_attr(engine_speed, inline)]
    pub fn size_bytes(&self) -> u32 {
        let key = match &self.key {
            KeySource::Null => 0,
            KeySource::EventId => digits(self.event_id.0),
            KeySource::Text(s) => s.len() as u32,
            #[cfg(engine_speed)]
            KeySource::Shared(s) => s.len() as u32,
            #[cfg(live_engine)]
            KeySource::Wire(b) => b.len() as u32,
        };
        let value = match &self.value {
            ValueSource::Generated => 32 + 2 * digits(self.event_id.0),
            #[cfg(live_engine)]
            ValueSource::Wire(b) => b.len() as u32,
            _ => self.value_text().len() as u32,
        };
        key + value + 20
    }
}

fn digits(n: u32) -> u32 {
    n.checked_ilog10().unwrap_or(0) + 1
}

/// The course text's generated message, exactly as Python's `json.dumps` prints it.
pub fn generated_value(event_id: EventId) -> String {
    format!(
        "{{\"event_id\": {}, \"data\": \"Event {}\"}}",
        event_id.0, event_id.0
    )
}

/// What `json.dumps(v)` prints for a typed value: valid JSON is re-printed
/// the way Python prints it, anything else becomes a JSON string.
pub fn json_value(text: &str) -> String {
    match crate::engine::json::parse(text) {
        Some(v) => crate::engine::json::dumps(&v),
        None => crate::engine::json::dumps_str(text),
    }
}

/// Bytes as space-separated hex pairs, for the Serialize stage.
pub fn hex_bytes(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Natively (`cfg(engine_speed)`), a generated record's size computed once from
/// its digits.
///
/// Why: stage 3 sizes every produced record for `batch.size` (`producer.rs`,
/// `producer_append_to_open`). A generated record's key is `str(event_id)` (`d`
/// digits) and its value `{"event_id": n, "data": "Event n"}` (32 bytes and the
/// digits twice), so [`RecordData::size_bytes`] is `d + (32 + 2d) + 20 = 3d + 52`; the
/// page's rule gets there through two `match`es and counts the digits twice, and with
/// the open-batch hint inlined into stage 3 it is no longer inlined there (an
/// out-of-line call a record). Any other record takes the page's rule; debug builds
/// check that the two agree.
#[cfg(engine_speed)]
impl RecordData {
    #[inline(always)]
    pub(crate) fn size_bytes_fast(&self) -> u32 {
        let size = match (&self.key, &self.value) {
            (KeySource::EventId, ValueSource::Generated) => 3 * digits(self.event_id.0) + 52,
            _ => return self.size_bytes(),
        };
        debug_assert_eq!(size, self.size_bytes(), "a generated record's size");
        size
    }
}

/// The decimal digits of `n` written at the end of `buf`; returns where they start.
/// Two digits a step from a table of the hundred pairs (`itoa`'s way), for
/// [`RecordData::with_key_bytes`]. (Native only: the page formats the key with
/// `to_string`.)
#[cfg(engine_speed)]
#[inline(always)]
fn write_decimal(n0: u32, buf: &mut [u8; 10]) -> usize {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let (mut n, mut i) = (n0, buf.len());
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    debug_assert_eq!(&buf[i..], n0.to_string().as_bytes(), "the digits of {n0}");
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_value_matches_python_json_dumps() {
        assert_eq!(
            generated_value(EventId(0)),
            r#"{"event_id": 0, "data": "Event 0"}"#
        );
    }

    /// A producer's record with a generated key and value.
    fn generated(event_id: u32) -> RecordData {
        RecordData {
            id: RecordId(0),
            event_id: EventId(event_id),
            producer: None,
            topic: TopicId(0),
            key: KeySource::EventId,
            value: ValueSource::Generated,
            kind: RecordKind::Data,
            created_ms: 0,
            partition: None,
            explicit_partition: None,
        }
    }

    #[test]
    fn size_estimate_matches_the_generated_text() {
        let r = generated(123);
        assert_eq!(r.size_bytes(), 3 + r.value_text().len() as u32 + 20);
    }

    #[test]
    fn a_generated_key_is_hashed_from_the_same_bytes_as_its_text() {
        for id in [0, 7, 10, 123, 999_999, 4_000_000_123, u32::MAX] {
            let r = generated(id);
            let bytes = r.with_key_bytes(|k| k.map(<[u8]>::to_vec));
            assert_eq!(bytes, r.key_bytes(), "event id {id}");
        }
    }

    /// Natively, a generated record's size from its digits is the page's rule, at
    /// every digit count; any other record is sized by the page's rule itself.
    #[cfg(engine_speed)]
    #[test]
    fn a_generated_size_from_its_digits_is_the_page_rule() {
        for id in [0, 9, 10, 99, 100, 12_345, 1_000_000_000, u32::MAX] {
            let r = generated(id);
            assert_eq!(r.size_bytes_fast(), r.size_bytes(), "event id {id}");
        }
        let mut r = generated(42);
        r.key = KeySource::Text("order-7".into());
        r.value = ValueSource::Text("{\"a\":1}".into());
        assert_eq!(r.size_bytes_fast(), r.size_bytes());
    }

    #[test]
    fn typed_text_that_is_not_json_becomes_a_json_string() {
        assert_eq!(json_value("hello"), "\"hello\"");
        assert_eq!(json_value("{\"a\":1}"), "{\"a\": 1}");
        assert_eq!(json_value("<script>"), "\"<script>\"");
    }
}
