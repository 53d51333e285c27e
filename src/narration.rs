//! Plain-language narration of engine events: what just happened, and why.
//!
//! Pure Rust (natively testable), shared by the web UI and the CLI. Each
//! narration is a title plus a sentence made of [`Span`]s, so the UI can set
//! Kafka terms in bold and numbers in a mono font *without* ever treating
//! user-provided text (keys, values, names) as HTML.
//!
//! Size: one `narrate` match over every event kind, which reads best whole;
//! a new protocol's narration goes to a submodule (`narration/`).

use crate::engine::config::{Acks, AutoOffsetReset, CommitMode};
use crate::engine::event::{
    ErrorCode, Event, EventKind, GroupState, LeaveReason, MsgKind, PartitionChoice, Stage,
};
use crate::engine::ids::*;
use crate::engine::network::CoordinatorKey;
use crate::engine::record::hex_bytes;
use crate::engine::sim::Engine;

#[cfg(consumer_protocol)]
mod consumer_protocol;

/// A piece of narration text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Text(String),
    /// A Kafka term, set in bold.
    Term(String),
    /// A number or identifier that matters, set in mono.
    Num(String),
}

/// What the narration panel shows for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Narration {
    pub stage: Option<Stage>,
    /// e.g. "Stage 3 of 9: Partition" or "Broker 1 crashed".
    pub title: String,
    pub body: Vec<Span>,
    /// Label/value rows for the details box (bytes, hashes, offsets).
    pub details: Vec<(String, String)>,
    /// Whether this is bad news (an error, a crash, a loss).
    pub alarm: bool,
}

impl Narration {
    /// The narration as plain text (for the CLI, tests and aria).
    pub fn plain(&self) -> String {
        let mut s = format!("{} — ", self.title);
        for sp in &self.body {
            match sp {
                Span::Text(x) | Span::Term(x) | Span::Num(x) => s.push_str(x),
            }
        }
        s
    }
}

// Builders of the body, one call per span (a `vec!` of spans costs the
// bundle several times more code).
impl Narration {
    /// Appends plain text.
    #[inline(never)]
    fn t(&mut self, s: impl Into<String>) -> &mut Self {
        self.span(Span::Text(s.into()))
    }
    /// Appends a Kafka term (bold).
    #[inline(never)]
    fn term(&mut self, s: impl Into<String>) -> &mut Self {
        self.span(Span::Term(s.into()))
    }
    /// Appends a number or identifier (mono).
    #[inline(never)]
    fn num(&mut self, s: impl ToString) -> &mut Self {
        self.span(Span::Num(s.to_string()))
    }
    #[inline(never)]
    fn span(&mut self, s: Span) -> &mut Self {
        self.body.push(s);
        self
    }
}

/// The label of a partition: `events-1`.
pub fn tp_label(e: &Engine, tp: Tp) -> String {
    format!("{}-{}", e.topic(tp.topic).name, tp.partition)
}

fn stage_title(s: Stage) -> String {
    format!("Stage {} of 9: {}", s.number(), s.name())
}

fn record_name(e: &Engine, r: RecordId) -> String {
    let rec = e.record(r);
    match rec.key_text() {
        Some(k) => format!("key {k:?}"),
        None => format!("event {}", rec.event_id.0),
    }
}

fn consumer_name(e: &Engine, c: ConsumerIdx) -> String {
    consumer_title(&e.consumers()[c.0 as usize].label, usize::MAX)
}

/// A consumer's name: `Consumer A` for a simulated one, its client.id
/// for a real one (live mode), cut to `max_chars` with "…".
pub fn consumer_title(label: &str, max_chars: usize) -> String {
    // (Only live mode has real clients: the course page's bundle keeps the
    // one line it needs.)
    #[cfg(live_engine)]
    if label.len() > 2 {
        return match label.char_indices().nth(max_chars.max(4) - 1) {
            Some((i, _)) if label.chars().count() > max_chars => format!("{}…", &label[..i]),
            _ => label.to_string(),
        };
    }
    let _ = max_chars;
    format!("Consumer {label}")
}

fn producer_name(e: &Engine, p: ProducerIdx) -> String {
    e.producers()[p.0 as usize].client_id.clone()
}

/// Explains one event. Every event gets a narration; background events get short ones.
pub fn narrate(e: &Engine, ev: &Event) -> Narration {
    let mut n = Narration {
        stage: ev.kind.stage(),
        title: String::new(),
        body: Vec::new(),
        details: Vec::new(),
        alarm: false,
    };
    match &ev.kind {
        EventKind::Created { producer, record } => {
            let rec = e.record(*record);
            let topic = &e.topic(rec.topic).name;
            n.title = stage_title(Stage::Create);
            let key = match rec.key_text() {
                Some(k) => format!("key={k:?}, "),
                None => String::new(),
            };
            n
                .t("The application calls ")
                .num(format!("producer.send({topic:?}, {key}value={})", rec.value_text()))
                .t(" on ")
                .term(producer_name(e, *producer))
                .t(". The record exists only inside the producer so far: nothing has touched the network.");
            // (No details: the Record in focus card under them showed the
            // same event_id, key and value twice.)
        }
        EventKind::Serialized { record, .. } => {
            let rec = e.record(*record);
            let value = rec.value_bytes();
            n.title = stage_title(Stage::Serialize);
            match rec.key_bytes() {
                Some(k) => {
                    n.t("The ")
                        .term("key serializer")
                        .t(" turns the key into ")
                        .num(format!("{} UTF-8 bytes", k.len()))
                        .t(" and the ")
                        .term("value serializer")
                        .t(" (")
                        .num("json.dumps(v).encode('utf-8')")
                        .t(") the value into ")
                        .num(format!("{} bytes", value.len()))
                        .t(". Brokers never see objects, only bytes.");
                    n.details.push(("key bytes".into(), hex_bytes(&k)));
                }
                None => {
                    n.t("The key is ")
                        .term("null")
                        .t(", so only the value is serialized: ")
                        .num(format!("{} bytes", value.len()))
                        .t(" of UTF-8 JSON. Brokers never see objects, only bytes.");
                }
            }
            let shown: Vec<u8> = value.iter().copied().take(48).collect();
            let mut hex = hex_bytes(&shown);
            if value.len() > 48 {
                hex.push_str(" …");
            }
            n.details.push(("value bytes".into(), hex));
        }
        EventKind::Partitioned {
            tp, choice, record, ..
        } => {
            n.title = stage_title(Stage::Partition);
            match choice {
                PartitionChoice::Keyed {
                    murmur2,
                    positive,
                    num_partitions,
                } => {
                    n
                        .t("The default partitioner hashes the key bytes: ")
                        .num(format!("murmur2 = {murmur2}"))
                        .t(", ")
                        .num(format!("toPositive = {positive}"))
                        .t(" (sign bit cleared, not abs), ")
                        .num(format!("{positive} % {num_partitions} = {}", tp.partition))
                        .t(" → ")
                        .term(format!("partition {}", tp.partition))
                        .t(". The same key always lands in the same partition, which keeps its records in order.");
                    n.details = vec![
                        ("murmur2(key bytes)".into(), murmur2.to_string()),
                        ("toPositive = h & 0x7fffffff".into(), positive.to_string()),
                        (
                            format!("% {num_partitions} partitions"),
                            tp.partition.to_string(),
                        ),
                    ];
                }
                PartitionChoice::Sticky {
                    switched,
                    available,
                } => {
                    n.t("No key: the Java client's built-in ")
                        .term("sticky partitioner")
                        .t(" (Kafka 3.3+, KIP-794) ")
                        .t(if *switched {
                            "picks a partition at random among the "
                        } else {
                            "keeps filling its current partition among the "
                        })
                        .num(format!("{available} available"))
                        .t(" until about ")
                        .num("batch.size")
                        .t(" bytes went there → ")
                        .term(format!("partition {}", tp.partition))
                        .t(". Null keys are spread by batch, not round-robin by record. This is the Java producer's behaviour, which kafkascope simulates; kafka-python's DefaultPartitioner (the client in the course's code) instead picks a random available partition for every null-key record.");
                }
                PartitionChoice::Explicit => {
                    n
                        .t("The record names its partition explicitly, so the partitioner is skipped → ")
                        .term(format!("partition {}", tp.partition))
                        .t(".");
                }
            }
            let _ = record;
        }
        EventKind::Sent {
            producer,
            broker,
            tp,
            records,
            attempt,
            arrive_ms,
            ..
        } => {
            let pc = &e.config().producers[producer.0 as usize];
            n.title = stage_title(Stage::Send);
            n.t("The sender thread drains the batch for ")
                .term(tp_label(e, *tp))
                .t(format!(
                    " ({} record{}) into a Produce request to ",
                    records.len(),
                    if records.len() == 1 { "" } else { "s" }
                ))
                .term(format!("broker {broker}"))
                .t(if e.leader_of(*tp) == Some(*broker) {
                    ", the partition's leader"
                } else {
                    ", the leader its metadata still names: leadership has moved, and it finds out when this fails"
                });
            if *attempt > 1 {
                n.t(". This is ");
                n.term(format!("retry attempt {attempt}"));
            } else {
                n.t(format!(
                    ", once the batch was full or linger.ms={} had passed",
                    pc.linger_ms
                ));
            }
            n.t(format!(
                ". It arrives in {} ms.",
                arrive_ms.saturating_sub(ev.time_ms)
            ));
            n.details = vec![
                ("acks".into(), pc.acks.label().into()),
                ("attempt".into(), attempt.to_string()),
            ];
        }
        EventKind::Appended {
            broker,
            tp,
            first,
            leo,
            records,
            ..
        } => {
            let last = Offset(first.0 + records.len() as i64 - 1);
            n.title = stage_title(Stage::Append);
            let offs = if records.len() == 1 {
                format!("offset {first}")
            } else {
                format!("offsets {first}–{last}")
            };
            n.term(format!("Broker {broker}"))
                .t(" appends the batch to its log of ")
                .term(tp_label(e, *tp))
                .t(" at ")
                .num(offs)
                .t(". The ")
                .term("log end offset")
                .t(" moves to ")
                .num(leo.0)
                .t(": the offset the next record will get. Offsets only ever grow.");
            // A retry the broker could not recognise (no idempotence): the
            // same message now sits twice in this replica's log. (A copy
            // left on a crashed former leader is not one: it is truncated
            // when that broker returns.)
            let log = e.brokers()[broker.0 as usize].replica(*tp).map(|r| &r.log);
            let earlier = |id| {
                log.into_iter()
                    .flat_map(|l| l.entries())
                    .filter(|x| x.offset < *first)
                    .any(|x| x.record.is_some_and(|r| e.record(r).event_id == id))
            };
            let dups = records
                .iter()
                .filter(|r| earlier(e.record(**r).event_id))
                .count();
            if dups > 0 {
                n.alarm = true;
                n.t(" ")
                    .term(if dups == 1 { "A duplicate:".to_string() } else { format!("{dups} duplicates:") })
                    .t(" the log already held a copy of this message from an attempt whose response was lost. Without the idempotent producer, the broker cannot tell a retry from a new send.");
            }
        }
        EventKind::DuplicateDropped {
            broker, tp, first, ..
        } => {
            n.title = stage_title(Stage::Append);
            n.term(format!("Broker {broker}"))
                .t(" recognises a retry of a batch it already has in ")
                .term(tp_label(e, *tp))
                .t(" (same producer id, epoch and sequence numbers) and does ")
                .term("not")
                .t(" append it again; it answers with the original offset ")
                .num(first.0)
                .t(". This is the idempotent producer at work.");
        }
        EventKind::Acked {
            producer,
            tp,
            first,
            acks_zero,
            records,
            ..
        } => {
            let pc = &e.config().producers[producer.0 as usize];
            n.title = stage_title(Stage::Acknowledge);
            if *acks_zero {
                n
                    .t("With ")
                    .term("acks=0")
                    .t(" the broker never answers: the producer counts the record as sent as soon as the request is written, and the offset it reports is ")
                    .num(-1)
                    .t(". Fastest, and blind to failures.");
            } else {
                let how = match pc.acks {
                    Acks::All => "once the high watermark passed the batch, i.e. every in-sync replica has it",
                    _ => "right after its own append, without waiting for any follower",
                };
                let latency = records
                    .first()
                    .map(|r| ev.time_ms.saturating_sub(e.record(*r).created_ms))
                    .unwrap_or(0);
                n.t("With ")
                    .term(format!("acks={}", pc.acks.label()))
                    .t(format!(
                        " the leader answered {how}. The producer's future completes: "
                    ))
                    .num(format!(
                        "RecordMetadata(partition={}, offset={})",
                        tp.partition,
                        first.map(|o| o.0).unwrap_or(-1)
                    ))
                    .t(format!(", {latency} ms after send() was called."));
            }
        }
        EventKind::Polled {
            consumer,
            tp,
            records,
            position,
            ..
        } => {
            n.title = stage_title(Stage::Poll);
            let offs: Vec<String> = records.iter().map(|r| r.1 .0.to_string()).collect();
            n
                .term(consumer_name(e, *consumer))
                .t("'s ")
                .num("poll()")
                .t(format!(
                    " returns {} record{} from ",
                    records.len(),
                    if records.len() == 1 { "" } else { "s" }
                ))
                .term(tp_label(e, *tp))
                .t(format!(" (offset {}). Its ", offs.join(", ")))
                .term("position")
                .t(" moves to ")
                .num(position.0)
                .t(": the next offset it will read. Consumers pull; only records below the high watermark are ever handed out.");
        }
        EventKind::Processed {
            consumer,
            record,
            offset,
            times,
            ..
        } => {
            let c = &e.consumers()[consumer.0 as usize];
            n.title = stage_title(Stage::Process);
            n.term(consumer_name(e, *consumer))
                .t(" deserializes the value with ")
                .num("json.loads(v.decode('utf-8'))")
                .t(" and runs ")
                .num("process_event()")
                .t(format!(" on {} at offset ", record_name(e, *record)))
                .num(offset.0)
                .t(format!(" ({} ms).", c.processing_time_ms));
            if let EventKind::Processed {
                transactional: true,
                ..
            } = &ev.kind
            {
                n.t(" Inside the transaction: its output goes to the output topic, and it only counts once the transaction commits.");
            }
            if *times > 1 {
                n.alarm = true;
                n.t(" This message has now been processed ");
                n.term(format!("{times} times"));
                n.t(": a duplicate.");
            }
            n.details = vec![("value".into(), e.record(*record).value_text())];
        }
        EventKind::ProcessingRaised {
            consumer,
            tp,
            record,
            offset,
            ..
        } => {
            let position = e.consumers()[consumer.0 as usize]
                .positions
                .get(tp)
                .copied();
            n.title = stage_title(Stage::Process);
            n.alarm = true;
            n.t("process_event() raises an exception on ")
                .t(format!("{} at offset ", record_name(e, *record)))
                .num(offset.0)
                .t(". ")
                .term(consumer_name(e, *consumer))
                .t("'s loop catches it, prints the error and skips consumer.commit() for this record.");
            if let Some(p) = position {
                n.t(" Its ")
                    .term("position")
                    .t(" is already ")
                    .num(p.0)
                    .t(": poll() never goes back, so nothing delivers this record again.");
            }
            n.details = vec![("value".into(), e.record(*record).value_text())];
        }
        EventKind::Committed {
            group,
            tp,
            offset,
            auto,
            consumer,
            ..
        } => {
            let g = &e.groups()[group.0 as usize];
            n.title = stage_title(Stage::Commit);
            let who = consumer
                .map(|c| consumer_name(e, c))
                .unwrap_or_else(|| "The group".into());
            let how = if *auto {
                "auto-commit (from inside a later poll)"
            } else {
                match e.config().groups[group.0 as usize].commit_mode {
                    CommitMode::BeforeProcessing => "consumer.commit() before processing",
                    // Exactly-once: the offsets went into the transaction and
                    // count only now that it committed.
                    CommitMode::Transactional => {
                        "sendOffsetsToTransaction(), made visible by commitTransaction(),"
                    }
                    _ => "consumer.commit()",
                }
            };
            let coord = g
                .coordinator(e)
                .map(|b| b.to_string())
                .unwrap_or_else(|| "?".into());
            n.term(who)
                .t(format!("'s {how} stores "))
                .term(format!("committed offset {}", offset.0))
                .t(format!(" for {} on ", g.group_id))
                .term(tp_label(e, *tp))
                .t(" as a record in ")
                .term(format!("__consumer_offsets-{}", g.offsets_tp.partition))
                .t(format!(
                    " (broker {coord}, the group coordinator). A committed offset is the "
                ))
                .term("next offset to read")
                .t(format!(
                    ", not the last one processed: after a restart the group resumes at {}.",
                    offset.0
                ));
        }
        EventKind::ProduceFailed {
            error,
            retry_in_ms,
            tp,
            attempt,
            ..
        } => {
            n.alarm = true;
            n.title = format!("Produce error: {}", error.name());
            n.t("The request for ")
                .term(tp_label(e, *tp))
                .t(format!(" (attempt {attempt}) failed with "))
                .term(error.name());
            match retry_in_ms {
                Some(ms) => {
                    n.t(". It is retriable: the batch goes back to the front of its queue and is sent again after ");
                    n.num(format!("{ms} ms"));
                    n.t(if *error == ErrorCode::NetworkException {
                        ", once the producer can connect to the partition's leader."
                    } else {
                        "."
                    });
                }
                None if *attempt == 0 => {
                    n.t(". The producer gives up: the send() future fails. The batch was never sent, so it is not in the log.");
                }
                None => {
                    n.t(". The producer gives up: the send() future fails. That does not prove the record is missing: if an attempt reached the broker and only its answer was lost or late, the record is in the log all the same.");
                }
            }
        }
        EventKind::BrokerCrashed { broker } => {
            n.alarm = true;
            n.title = format!("Broker {broker} crashed");
            n
                .term(format!("Broker {broker}"))
                .t(" stops. Its connections drop at once; the ")
                .term("controller")
                .t(format!(
                    " notices only when its heartbeats stop for broker.session.timeout.ms ({} ms), then moves leadership away.",
                    e.config().cluster.broker_session_timeout_ms
                ));
        }
        EventKind::BrokerRestarted { broker } => {
            n.title = format!("Broker {broker} restarted");
            n
                .term(format!("Broker {broker}"))
                .t(" is back with its logs on disk. It rejoins as a follower, truncates anything the new leaders do not have, and rejoins the ISR once caught up.");
        }
        EventKind::BrokerFenced { broker } => {
            n.title = format!("Controller fences broker {broker}");
            n.t("The controller stops trusting ")
                .term(format!("broker {broker}"))
                .t(": it leaves every ISR it shares with other replicas, and the partitions it led elect new leaders. Where it is the last in-sync replica, KRaft keeps it in the ISR")
                .t(if e.cfg.cluster.unclean_leader_election_enable {
                    " and, since unclean.leader.election.enable=true, a live out-of-sync replica may take over (unclean)."
                } else {
                    " and that partition has no leader until it returns (unclean.leader.election.enable=false)."
                });
        }
        EventKind::LeaderElected {
            tp,
            leader,
            epoch,
            unclean,
            preferred,
            previous,
            ..
        } => {
            n.title = format!("New leader for {}", tp_label(e, *tp));
            match leader {
                Some(l) if *preferred => {
                    n.title = format!("Preferred-leader election for {}", tp_label(e, *tp));
                    n.t("A ")
                        .term("preferred-leader election")
                        .t(": ")
                        .term(format!("broker {l}"))
                        .t(", the first replica in the assignment of ")
                        .term(tp_label(e, *tp))
                        .t(", is alive and back in the ISR, so the controller's periodic imbalance check (auto.leader.rebalance.enable=true, every leader.imbalance.check.interval.seconds = ")
                        .t(format!(
                            "{} s",
                            e.cfg.cluster.leader_imbalance_check_interval_seconds
                        ))
                        .t(match previous {
                            Some(p) => format!(") moves leadership back to it from broker {p}, with "),
                            None => ") makes it leader again, with ".to_string(),
                        })
                        .term(format!("leader epoch {}", epoch.0))
                        .t(". Clients learn of the move from NOT_LEADER_OR_FOLLOWER errors and refresh their metadata.");
                }
                Some(l) => {
                    n
                        .term(format!("Broker {l}"))
                        .t(" becomes leader of ")
                        .term(tp_label(e, *tp))
                        .t(" with ")
                        .term(format!("leader epoch {}", epoch.0))
                        .t(if *unclean {
                            ". It was NOT in the ISR: an unclean election, which can lose acknowledged records."
                        } else {
                            ": the first live in-sync replica in assignment order."
                        });
                    n.alarm = *unclean;
                }
                None => {
                    n.alarm = true;
                    if e.cfg.cluster.unclean_leader_election_enable {
                        n.term(tp_label(e, *tp))
                            .t(" has no live replica at all: it is ")
                            .term("offline")
                            .t(". unclean.leader.election.enable=true would let an out-of-sync replica lead, but none is alive either, so it stays offline until a replica returns.");
                    } else {
                        n.term(tp_label(e, *tp))
                            .t(" has no live in-sync replica: it is ")
                            .term("offline")
                            .t(" until one returns. unclean.leader.election.enable=false (the default) forbids electing a live replica that is out of sync, which could lose acknowledged records.");
                    }
                }
            }
        }
        EventKind::IsrChanged {
            tp,
            isr,
            removed,
            added,
            ..
        } => {
            let list: Vec<String> = isr.iter().map(|b| b.to_string()).collect();
            n.title = format!("ISR of {} is now [{}]", tp_label(e, *tp), list.join(", "));
            n.alarm = !removed.is_empty();
            if !removed.is_empty() {
                n.t("Replica on broker ")
                    .num(
                        removed
                            .iter()
                            .map(|b| b.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                    .t(" leaves the ")
                    .term("in-sync replica set")
                    .t(" (it fell behind for replica.lag.time.max.ms or its broker was fenced).");
            } else {
                n.t("Replica on broker ")
                    .num(
                        added
                            .iter()
                            .map(|b| b.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                    .t(" caught up to the high watermark and rejoins the ")
                    .term("ISR")
                    .t(".");
            }
        }
        EventKind::Replicated {
            broker,
            tp,
            first,
            count,
            leo,
            hw,
            ..
        } => {
            n.title = format!("Broker {broker} replicates {}", tp_label(e, *tp));
            n.t("The follower on ")
                .term(format!("broker {broker}"))
                .t(format!(
                    " fetched {count} record{} from offset ",
                    if *count == 1 { "" } else { "s" }
                ))
                .num(first.0)
                .t(". Its log end offset is now ")
                .num(leo.0)
                .t(" and it learned ")
                .term(format!("HW {}", hw.0))
                .t(" from the leader.");
        }
        EventKind::CoordinatorMoved { group, broker } => {
            let g = &e.groups()[group.0 as usize];
            n.alarm = broker.is_none();
            n.title = format!("Coordinator of {} moved", g.group_id);
            match broker {
                Some(b) => n
                    .term(format!("Broker {b}"))
                    .t(format!(
                        " now leads __consumer_offsets-{} and becomes the ",
                        g.offsets_tp.partition
                    ))
                    .term("group coordinator")
                    .t(" of ")
                    .term(g.group_id.clone())
                    .t(": it loads the committed offsets from its own copy of that partition."),
                None => n
                    .t(format!(
                        "__consumer_offsets-{} has no leader: ",
                        g.offsets_tp.partition
                    ))
                    .term(g.group_id.clone())
                    .t(" has no coordinator until a replica returns."),
            };
        }
        EventKind::Truncated {
            broker,
            tp,
            to,
            removed,
        } => {
            n.alarm = true;
            n.title = format!("Broker {broker} truncates {}", tp_label(e, *tp));
            n.term(format!("Broker {broker}"))
                .t(" finds its log diverged from the new leader's and ")
                .term("truncates")
                .t(format!(
                    " to offset {}: {} record{} vanish{}",
                    to.0,
                    removed.len(),
                    if removed.len() == 1 { "" } else { "s" },
                    if removed.len() == 1 { "es" } else { "" }
                ))
                .t(". Truncation removes only what the new leader does not have. With acks=all and only clean elections, an acknowledged record is on every in-sync replica, the new leader included, so only records that were never acknowledged can vanish (min.insync.replicas ≥ 2 makes sure an acknowledgement means at least two copies). With acks=1, or after an unclean election, acknowledged records can be among them.");
        }
        EventKind::GroupStateChanged {
            group,
            state,
            generation,
        } => {
            let g = &e.groups()[group.0 as usize];
            n.title = format!("{}: {}", g.group_id, state.name());
            let why = match state {
                GroupState::Empty => "no members.",
                GroupState::PreparingRebalance => "waiting for every member to (re)send JoinGroup.",
                GroupState::CompletingRebalance => {
                    "the leader member is computing the assignment; members wait in SyncGroup."
                }
                GroupState::Stable => {
                    "the leader's assignment is stored and sent to every member in its SyncGroup response; members heartbeat from now on."
                }
                GroupState::Dead => "the group is gone.",
            };
            n.t("Group ")
                .term(g.group_id.clone())
                .t(" is ")
                .term(state.name())
                .t(format!(" (generation {}): {why}", generation.0));
        }
        EventKind::RebalanceStarted { group, reason } => {
            let g = &e.groups()[group.0 as usize];
            n.title = format!("Rebalance of {}", g.group_id);
            n.term("Rebalance").t(format!(
                ": {reason}. Members learn it from their next heartbeat."
            ));
        }
        EventKind::MemberJoined { consumer, .. } => {
            n.title = format!("{} joins the group", consumer_name(e, *consumer));
            n.term(consumer_name(e, *consumer))
                .t(" is now a member and takes part in the next assignment.");
        }
        EventKind::MemberRemoved {
            consumer, reason, ..
        } => {
            n.alarm = *reason != LeaveReason::Clean;
            n.title = format!("{} leaves the group", consumer_name(e, *consumer));
            let why = match reason {
                LeaveReason::Clean => "sent LeaveGroup (a clean close)",
                LeaveReason::SessionTimeout => "sent no heartbeat within session.timeout.ms",
                LeaveReason::PollTimeout => "did not call poll() within max.poll.interval.ms",
                LeaveReason::RebalanceTimeout => "did not rejoin before the rebalance timeout",
            };
            n.term(consumer_name(e, *consumer))
                .t(format!(" {why}; its partitions will be reassigned."));
        }
        EventKind::AssignmentComputed {
            leader,
            strategy,
            generation,
            ..
        } => {
            n.title = format!("Leader runs the {} assignor", strategy.name());
            n.term(consumer_name(e, *leader))
                .t(" is the group leader: it received every member's subscription and runs ")
                .term(strategy.name())
                .t(format!(
                    " for generation {} on the client side, then sends the result in SyncGroup.",
                    generation.0
                ));
        }
        EventKind::Assigned {
            consumer,
            assigned,
            added,
            revoked,
            generation,
            ..
        } => {
            let list: Vec<String> = assigned
                .iter()
                .map(|tp| format!("{}-{}", tp.topic, tp.partition))
                .collect();
            n.title = format!(
                "{} owns {}",
                consumer_name(e, *consumer),
                if list.is_empty() {
                    "nothing".into()
                } else {
                    list.join(", ")
                }
            );
            n.term(consumer_name(e, *consumer))
                .t(format!(
                    " receives its assignment for {} {}: ",
                    if e.consumers()[consumer.0 as usize].on_consumer_protocol() {
                        "member epoch"
                    } else {
                        "generation"
                    },
                    generation.0
                ))
                .num(if list.is_empty() {
                    "no partitions (idle)".to_string()
                } else {
                    list.join(", ")
                })
                .t(format!(" ({} new", added.len()));
            let modern = e.consumers()[consumer.0 as usize].on_consumer_protocol();
            n.t(match (revoked.is_empty(), modern) {
                (true, false) => ").",
                (false, false) => ", some revoked: they move in a second rebalance).",
                (true, true) => "), from a heartbeat answer; it acknowledges in its next heartbeat.",
                (false, true) => ", the revoked ones acknowledged in its next heartbeat, after which the coordinator hands them on).",
            });
            narrate_offset_reset(&mut n, e, *consumer, added);
        }
        EventKind::Revoked {
            consumer,
            partitions,
            eager,
            ..
        } => {
            let list: Vec<String> = partitions
                .iter()
                .map(|tp| format!("{}-{}", tp.topic, tp.partition))
                .collect();
            n.title = format!(
                "{} revokes {}",
                consumer_name(e, *consumer),
                list.join(", ")
            );
            n
                .term(consumer_name(e, *consumer))
                .t(if e.consumers()[consumer.0 as usize].on_consumer_protocol() {
                    if *eager { " loses its partitions without committing (onPartitionsLost): it was fenced or left, and rejoins at member epoch 0." } else { " revokes only the partitions its new target takes away, on its own, without waiting for the rest of the group (consumer group protocol)." }
                } else if *eager {
                    " gives up ALL its partitions before rejoining: the eager protocol stops the world."
                } else {
                    " gives up only the partitions that move (cooperative rebalancing) and keeps consuming the rest."
                });
        }
        EventKind::CommitFailed {
            consumer, error, ..
        } => {
            n.alarm = true;
            n.title = format!("{}: commit failed", consumer_name(e, *consumer));
            if cfg!(consumer_protocol) && *error == ErrorCode::StaleMemberEpoch {
                n.term(consumer_name(e, *consumer))
                    .t("'s commit carries an old member epoch: the coordinator refuses it with ")
                    .term(error.name())
                    .t(" (under the consumer protocol a commit must carry the member's current epoch exactly). commitSync() throws CommitFailedException, but the member is not fenced: its next commit carries the new epoch.");
            } else if *error == ErrorCode::RebalanceInProgress {
                // ConsumerCoordinator: requestRejoin, RebalanceInProgressException,
                // and the generation is *not* reset.
                n.term(consumer_name(e, *consumer))
                    .t("'s commit is refused with ")
                    .term(error.name())
                    .t(": the group is rebalancing. The Java client throws ")
                    .term("RebalanceInProgressException")
                    .t(", which is retriable: unlike CommitFailedException, the consumer is still a member, keeps its member id, generation and partitions, rejoins on its next poll() and can commit again once the rebalance completes. Only records still uncommitted when a partition is revoked are read again, from the last committed offset, by whoever owns it next.");
            } else {
                n.term(consumer_name(e, *consumer))
                    .t("'s commit fails with ")
                    .term(error.name())
                    .t(": it is no longer the owner in the current generation (the Java client throws ")
                    .term("CommitFailedException")
                    .t("). Its partitions go to whoever owns them after the rebalance, which reads these records again from the last committed offset.");
            }
        }
        EventKind::ConsumerCrashed {
            consumer, owned, ..
        } => {
            n.alarm = true;
            n.title = format!("{} crashed", consumer_name(e, *consumer));
            narrate_consumer_crash(e, &mut n, *consumer, owned);
        }
        EventKind::ConsumerStarted { consumer, restart } => {
            n.title = format!(
                "{} {}",
                consumer_name(e, *consumer),
                if *restart { "restarts" } else { "starts" }
            );
            #[cfg(consumer_protocol)]
            let joins = consumer_protocol::joins_with(e, *consumer);
            #[cfg(not(consumer_protocol))]
            let joins = " subscribes and sends JoinGroup.";
            n.term(consumer_name(e, *consumer)).t(joins);
        }
        EventKind::ConsumerStopped { consumer } => {
            n.title = format!("{} closed", consumer_name(e, *consumer));
            n.term(consumer_name(e, *consumer))
                .t(" closed and left the group.");
        }
        EventKind::PollTimeoutExpired { consumer } => {
            n.alarm = true;
            n.title = format!(
                "{}: max.poll.interval.ms exceeded",
                consumer_name(e, *consumer)
            );
            n.term(consumer_name(e, *consumer))
                .t(" has not called poll() for longer than ")
                .term("max.poll.interval.ms")
                .t(": its heartbeat thread leaves the group so the others can take over.");
        }
        EventKind::Message {
            from,
            to,
            kind,
            error,
            ..
        } => {
            n.title = format!("{}", kind.name());
            n.alarm = error.is_some();
            n.term(kind.name()).t(format!(
                " from {} to {}",
                node_name(e, *from),
                node_name(e, *to)
            ));
            if let Some(err) = error {
                n.t(" with error ");
                n.term(err.name());
                n.t(explain_error(*err, *kind));
            } else {
                n.t(".");
            }
        }
        EventKind::MessageDropped { from, to, kind, .. } => {
            n.alarm = true;
            n.title = format!("{} lost", kind.name());
            n.t("The ").term(kind.name()).t(format!(
                " from {} to {} is lost in the network.",
                node_name(e, *from),
                node_name(e, *to)
            ));
            if *kind == MsgKind::ProduceResponse {
                n.t(" The records ARE in the log, but the producer does not know: it will time out and retry.");
            }
        }
        EventKind::TxnStateChanged {
            transactional_id,
            state,
            producer_id,
            epoch,
        } => {
            use crate::engine::event::TxnState;
            n.title = format!("Transaction {transactional_id}: {}", state.name());
            let why = match state {
                TxnState::Empty => "the producer is registered; no transaction is open.",
                TxnState::Ongoing => "a transaction is open: its records are in the logs but read_committed readers stop before them.",
                TxnState::PrepareCommit => "the decision to commit is written to __transaction_state: from now on it WILL commit, whatever crashes.",
                TxnState::PrepareAbort => "the decision to abort is written to __transaction_state.",
                TxnState::CompleteCommit => "every partition has its COMMIT marker: the records are visible to read_committed readers.",
                TxnState::CompleteAbort => "every partition has its ABORT marker: read_committed readers skip those records.",
                TxnState::PrepareEpochFence => "a new instance started: the epoch is bumped, fencing the old one, and its open transaction will be aborted.",
                TxnState::Dead => "expired.",
            };
            n.alarm = matches!(
                state,
                TxnState::PrepareAbort | TxnState::CompleteAbort | TxnState::PrepareEpochFence
            );
            n.t("The ")
                .term("transaction coordinator")
                .t(format!(
                    " (producer id {}, epoch {}): ",
                    producer_id.0, epoch.0
                ))
                .t(why);
        }
        EventKind::MarkerWritten {
            broker,
            tp,
            offset,
            control,
            ..
        } => {
            let what = match control {
                crate::engine::log::ControlType::Commit => "COMMIT",
                crate::engine::log::ControlType::Abort => "ABORT",
            };
            n.title = format!("{what} marker in {}", tp_label(e, *tp));
            n.alarm = *control == crate::engine::log::ControlType::Abort;
            n
                .term(format!("Broker {broker}"))
                .t(" writes a ")
                .term(format!("{what} marker"))
                .t(" into ")
                .term(tp_label(e, *tp))
                .t(" at ")
                .num(format!("offset {}", offset.0))
                .t(". A marker is a control record: it uses up an offset but never reaches an application; it tells read_committed consumers what to do with the transaction's records. They get them only once the high watermark passes the marker: until then the last stable offset stays at the transaction's first record.");
        }
        EventKind::ProducerFenced { producer, by_epoch } => {
            n.alarm = true;
            n.title = format!("{} is fenced", producer_name(e, *producer));
            n
                .term(producer_name(e, *producer))
                .t(" is refused with ")
                .term("PRODUCER_FENCED")
                .t(format!(
                    ": the producer epoch was bumped past {} (by a newer instance with the same transactional.id, or by the coordinator aborting a transaction open longer than transaction.timeout.ms). A fenced producer can never commit.",
                    by_epoch.0
                ));
        }
        EventKind::ProducerCrashed { producer } => {
            n.alarm = true;
            n.title = format!("{} crashed", producer_name(e, *producer));
            n
                .term(producer_name(e, *producer))
                .t(" dies; records still in its buffer are gone, and an open transaction stays open until transaction.timeout.ms or until a new instance fences it.");
        }
        EventKind::ProducerStarted {
            producer,
            zombie_of,
        } => {
            n.title = format!("{} starts", producer_name(e, *producer));
            match zombie_of {
                Some(old) => n
                    .t("A second instance, ")
                    .term(producer_name(e, *producer))
                    .t(", starts with the same transactional.id as ")
                    .term(producer_name(e, *old))
                    .t(". Its initTransactions() will bump the epoch: the first instance is now a zombie."),
                // A real client (live mode) first seen by the process.
                #[cfg(live_engine)]
                None if e.is_external(crate::engine::event::Node::Producer(*producer)) => n
                    .term(producer_name(e, *producer))
                    .t(" connects: a real Kafka producer. It runs its own accumulator, partitioner and retries; the stage shows its requests reaching the brokers and what the brokers do with them."),
                None => n
                    .term(producer_name(e, *producer))
                    .t(" starts again and calls initTransactions(): the epoch is bumped and anything its previous life left open is aborted."),
            };
        }
        EventKind::ConsumerError {
            consumer, error, ..
        } => {
            n.alarm = true;
            n.title = format!("{}: {}", consumer_name(e, *consumer), error.name());
            n.term(consumer_name(e, *consumer))
                .t(" stops with ")
                .term(error.name())
                .t(match error {
                    ErrorCode::NoOffsetForPartition => {
                        ": there is no committed offset and auto.offset.reset=none."
                    }
                    ErrorCode::InconsistentGroupProtocol => {
                        ": its assignors share no protocol with the group's."
                    }
                    _ => ".",
                });
        }
        EventKind::MetadataUpdated {
            client,
            from,
            moved,
        } => {
            let who = node_name(e, *client);
            n.title = format!("{who} refreshes its metadata");
            n.term(who)
                .t(" learns of a leader move only from a failed request or every metadata.max.age.ms. It asked ")
                .term(format!("broker {from}"))
                .t(" for ")
                .term("Metadata")
                .t(": ");
            for (i, (tp, old, new, epoch)) in moved.iter().enumerate() {
                if i > 0 {
                    n.t("; ");
                }
                n.term(tp_label(e, *tp)).t(match (old, new) {
                    (Some(o), Some(l)) => format!(" is led by broker {l}, not {o}"),
                    (None, Some(l)) => format!(" is led by broker {l}"),
                    (_, None) => " has no leader yet".into(),
                });
                n.t(" (leader epoch ").num(epoch.0).t(")");
            }
            n.t(".");
        }
        EventKind::CoordinatorFound {
            client,
            key,
            coordinator,
            after,
        } => {
            let who = node_name(e, *client);
            let (tp, what) = match key {
                CoordinatorKey::Group(g) => (
                    Some(e.groups()[g.0 as usize].offsets_tp),
                    "its group's offsets live",
                ),
                CoordinatorKey::Transaction(t) => {
                    (e.txn_partition(t), "its transaction state lives")
                }
            };
            n.title = format!("{who} finds its coordinator");
            n.term(who).t(match after {
                Some(_) => " forgot its coordinator when that broker answered ",
                None => " forgot its coordinator when the connection to it closed",
            });
            if let Some(err) = after {
                n.term(err.name());
            }
            n.t(", and asked a broker with ")
                .term("FindCoordinator")
                .t(": it is ")
                .term(format!("broker {coordinator}"));
            if let Some(tp) = tp {
                n.t(", the leader of ")
                    .term(tp_label(e, tp))
                    .t(format!(", where {what}"));
            }
            n.t(".");
            if !e.brokers()[coordinator.0 as usize].alive {
                n.t(" That broker is down, but until the controller fences it the brokers still name it: the client finds out when its next request fails.");
            }
        }
        #[cfg(consumer_protocol)]
        EventKind::GroupEpochBumped { .. }
        | EventKind::TargetAssignmentComputed { .. }
        | EventKind::MemberReconciled { .. }
        | EventKind::MemberLeft { .. }
        | EventKind::GroupConverted { .. } => consumer_protocol::narrate(e, &ev.kind, &mut n),
        EventKind::FaultArmed { text } | EventKind::Note { text } => {
            n.title = "Note".into();
            n.t(crate::presets::note_text(text));
        }
        _ => {
            n.title = "Background activity".into();
            n.t("Routine traffic: heartbeats, fetches and bookkeeping.");
        }
    }
    n
}

/// For newly owned partitions the group never committed: where
/// `auto.offset.reset` will start the consumer (`SubscriptionState.resetPolicy`;
/// `latest` is the end the consumer may read to, the LSO for read_committed).
fn narrate_offset_reset(
    n: &mut Narration,
    e: &Engine,
    c: ConsumerIdx,
    added: &[crate::engine::assignor::TopicPartition],
) {
    use crate::engine::config::IsolationLevel;
    let con = &e.consumers()[c.0 as usize];
    let gc = con.cfg(e);
    let group = &e.groups()[con.group.0 as usize];
    let tps = added.iter().filter_map(|t| {
        Some(Tp {
            topic: e.topic_id(&t.topic)?,
            partition: PartitionId(t.partition),
        })
    });
    // (partition, where the reset puts the consumer, records skipped?)
    let starts: Vec<(Tp, i64, bool)> = tps
        .filter(|tp| !group.committed.contains_key(tp))
        .filter_map(|tp| {
            let log = &e.brokers()[e.leader_of(tp)?.0 as usize].replica(tp)?.log;
            let end = match gc.isolation_level {
                IsolationLevel::ReadCommitted => log.lso().0,
                IsolationLevel::ReadUncommitted => log.hw().0,
            };
            let start = log.log_start().0;
            Some(match gc.auto_offset_reset {
                AutoOffsetReset::Latest => (tp, end, end > start),
                _ => (tp, start, false),
            })
        })
        .collect();
    if starts.is_empty() {
        return;
    }
    let one = starts.len() == 1;
    let names: Vec<String> = starts.iter().map(|(tp, _, _)| tp_label(e, *tp)).collect();
    let offsets: Vec<String> = starts.iter().map(|(_, o, _)| o.to_string()).collect();
    n.t(if one {
        " No committed offset for "
    } else {
        " No committed offsets for "
    })
    .term(names.join(", "))
    .t(" in this group, so ")
    .term(format!("auto.offset.reset={}", gc.auto_offset_reset.name()))
    .t(" decides: ");
    let whence = match gc.auto_offset_reset {
        AutoOffsetReset::None => {
            n.t("none: poll() raises NoOffsetForPartitionException.");
            return;
        }
        AutoOffsetReset::Latest => "the end",
        AutoOffsetReset::Earliest => "the log start",
    };
    let skipped = starts.iter().any(|s| s.2);
    n.t(format!(
        "start at {whence}{}",
        if one {
            ", offset "
        } else {
            " of each, offsets "
        }
    ))
    .num(offsets.join(", "))
    .t(if skipped {
        ": the records already in the log are skipped."
    } else {
        "."
    });
}

/// Where the next owner of a crashed consumer's partitions starts: the
/// committed offset if the group has one, else `auto.offset.reset`.
fn narrate_consumer_crash(
    e: &Engine,
    n: &mut Narration,
    consumer: ConsumerIdx,
    owned: &[(Tp, Option<Offset>)],
) {
    let name = consumer_name(e, consumer);
    n.term(name.clone()).t(" dies.");
    if owned.is_empty() {
        n.t(" It owned no partitions, so no records change hands.");
        return;
    }
    let committed: Vec<String> = owned
        .iter()
        .filter_map(|(tp, o)| o.map(|o| format!("{} at offset {}", tp_label(e, *tp), o.0)))
        .collect();
    let uncommitted: Vec<String> = owned
        .iter()
        .filter(|(_, o)| o.is_none())
        .map(|(tp, _)| tp_label(e, *tp))
        .collect();
    if !committed.is_empty() {
        n.t(" The next owner of its partitions starts at the group's ")
            .term("committed offset")
            .t(" (")
            .num(committed.join(", "))
            .t("), so whatever ")
            .t(name.clone())
            .t(" polled beyond it but did not commit is read again.");
    }
    if uncommitted.is_empty() {
        return;
    }
    let reset = e.cfg.groups[e.consumers()[consumer.0 as usize].group.0 as usize].auto_offset_reset;
    n.t(" The group has no committed offset for ")
        .num(uncommitted.join(", "))
        .t(", so the next owner falls back on ")
        .term(format!("auto.offset.reset={}", reset.name()));
    match reset {
        AutoOffsetReset::Latest => n
            .t(": it starts at the end of the log, so the records already there that ")
            .t(name)
            .t(" had not processed are skipped, never read by this group."),
        AutoOffsetReset::Earliest => n
            .t(": it starts at the beginning of the log and reads again everything ")
            .t(name)
            .t(" had read."),
        AutoOffsetReset::None => {
            n.t(": it stops with NoOffsetForPartitionException instead of picking a position.")
        }
    };
}

fn explain_error(err: ErrorCode, kind: MsgKind) -> &'static str {
    match (err, kind) {
        (ErrorCode::RebalanceInProgress, _) => ": a rebalance started, so this member must rejoin.",
        (ErrorCode::UnknownMemberId, _) => ": the coordinator no longer knows this member.",
        (ErrorCode::IllegalGeneration, _) => ": this member's generation is out of date.",
        (ErrorCode::NotCoordinator, _) => ": the coordinator moved to another broker.",
        (ErrorCode::UnstableOffsetCommit, _) => {
            ": a transaction that commits this group's offset for the partition has not finished, so there is no stable offset to start from yet. The consumer waits (retry.backoff.ms, growing) and asks again."
        }
        _ => ".",
    }
}

/// A human name for a node on the stage.
pub fn node_name(e: &Engine, n: crate::engine::event::Node) -> String {
    use crate::engine::event::Node;
    match n {
        Node::Broker(b) => format!("broker {b}"),
        Node::Producer(p) => producer_name(e, p),
        Node::Consumer(c) => consumer_name(e, c),
        Node::Controller => "the controller".into(),
    }
}

/// The headline event of a step (the first one), if any.
#[cfg(not(consumer_protocol))]
pub fn headline(events: &[Event]) -> Option<&Event> {
    events.iter().find(|ev| ev.kind.is_headline())
}

/// The headline event of a step: the first one the step did not overtake.
/// A side-by-side lane follows the main lane in steps that can hold a whole
/// reconciliation (a member's "unrevoked partitions", its revocation and
/// "stable" within 4 ms), and the stage draws where the step ended: a
/// member state that a later one of the same member replaced would tell an
/// earlier moment than the picture shows, so it is passed over.
#[cfg(consumer_protocol)]
pub fn headline(events: &[Event]) -> Option<&Event> {
    let member = |ev: &Event| match ev.kind {
        EventKind::MemberReconciled {
            group, consumer, ..
        } => Some((group, consumer)),
        _ => None,
    };
    events.iter().enumerate().find_map(|(i, ev)| {
        let overtaken =
            member(ev).is_some_and(|m| events[i + 1..].iter().any(|l| member(l) == Some(m)));
        (ev.kind.is_headline() && !overtaken).then_some(ev)
    })
}

/// The step's other headline events, in order, for the "also" list.
#[cfg(not(consumer_protocol))]
pub fn also<'a>(
    events: &'a [Event],
    _headline: Option<&'a Event>,
) -> impl Iterator<Item = &'a Event> {
    events.iter().filter(|ev| ev.kind.is_headline()).skip(1)
}

/// The step's other headline events, in order, for the "also" list.
#[cfg(consumer_protocol)]
pub fn also<'a>(
    events: &'a [Event],
    headline: Option<&'a Event>,
) -> impl Iterator<Item = &'a Event> {
    events
        .iter()
        .filter(move |ev| ev.kind.is_headline() && !headline.is_some_and(|h| std::ptr::eq(*ev, h)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::{KeyMode, ScenarioConfig};
    use crate::engine::event::CrashPoint;
    use crate::engine::{Command, StepOutcome};

    fn engine(cfg: ScenarioConfig) -> Engine {
        Engine::new(cfg).expect("valid config")
    }

    fn ev(kind: EventKind) -> Event {
        Event { time_ms: 0, kind }
    }

    fn tp0() -> Tp {
        Tp {
            topic: TopicId(0),
            partition: PartitionId(0),
        }
    }

    fn crash_text(reset: AutoOffsetReset, committed: Option<Offset>) -> String {
        let mut cfg = ScenarioConfig::default();
        cfg.groups[0].auto_offset_reset = reset;
        let e = engine(cfg);
        narrate(
            &e,
            &ev(EventKind::ConsumerCrashed {
                consumer: ConsumerIdx(0),
                point: CrashPoint::Now,
                owned: vec![(tp0(), committed)],
            }),
        )
        .plain()
    }

    /// Side by side, a lane's step can hold a member's whole reconciliation;
    /// the card tells the state the picture ends in, the list the rest.
    #[cfg(consumer_protocol)]
    #[test]
    fn a_member_state_overtaken_in_the_same_step_is_not_the_headline() {
        use crate::engine::consumer_group::MemberState;
        let reconciled = |c: u16, state| {
            ev(EventKind::MemberReconciled {
                group: GroupIdx(0),
                consumer: Some(ConsumerIdx(c)),
                epoch: GenerationId(2),
                state,
                assigned: vec![],
                revoking: vec![],
            })
        };
        let events = vec![
            reconciled(0, MemberState::UnrevokedPartitions),
            reconciled(1, MemberState::UnrevokedPartitions),
            reconciled(0, MemberState::Stable),
        ];
        let h = headline(&events).expect("a headline");
        assert!(
            std::ptr::eq(h, &events[1]),
            "B's state is the one still current: {h:?}"
        );
        let rest: Vec<_> = also(&events, Some(h)).collect();
        assert_eq!(rest.len(), 2, "A's two states are listed");
        assert!(std::ptr::eq(rest[0], &events[0]) && std::ptr::eq(rest[1], &events[2]));
        // With nothing overtaken the first headline event leads, as before.
        assert!(std::ptr::eq(headline(&events[..2]).unwrap(), &events[0]));
    }

    #[test]
    fn narration_of_a_crash_without_a_commit_under_latest_says_the_next_owner_starts_at_the_end() {
        let t = crash_text(AutoOffsetReset::Latest, None);
        assert!(t.contains("no committed offset for events-0"), "{t}");
        assert!(t.contains("auto.offset.reset=latest"), "{t}");
        assert!(t.contains("starts at the end of the log"), "{t}");
        assert!(t.contains("never read by this group"), "{t}");
        assert!(!t.contains("read again"), "{t}");
    }

    #[test]
    fn narration_of_a_crash_without_a_commit_under_earliest_says_the_next_owner_starts_at_the_beginning(
    ) {
        let t = crash_text(AutoOffsetReset::Earliest, None);
        assert!(t.contains("auto.offset.reset=earliest"), "{t}");
        assert!(t.contains("beginning of the log"), "{t}");
        let t = crash_text(AutoOffsetReset::None, None);
        assert!(t.contains("NoOffsetForPartitionException"), "{t}");
    }

    #[test]
    fn narration_of_a_crash_after_a_commit_says_the_next_owner_resumes_there() {
        let t = crash_text(AutoOffsetReset::Latest, Some(Offset(4)));
        assert!(t.contains("events-0 at offset 4"), "{t}");
        assert!(t.contains("read again"), "{t}");
        assert!(!t.contains("auto.offset.reset"), "{t}");
    }

    /// The engine's own crash event carries the partitions and their
    /// (missing) committed offsets, so the narration picks the right case.
    #[test]
    fn narration_of_an_engine_crash_before_any_commit_names_auto_offset_reset() {
        let mut cfg = ScenarioConfig::default();
        cfg.producers[0].workload.records = 0;
        let mut e = engine(cfg);
        for _ in 0..5_000 {
            if !e.consumers()[0].assignment.is_empty() && e.consumers()[0].is_fetching() {
                break;
            }
            if e.step() == StepOutcome::Idle {
                break;
            }
        }
        assert!(
            !e.consumers()[0].assignment.is_empty(),
            "A never got partitions"
        );
        e.take_events();
        e.apply(&Command::CrashConsumer {
            consumer: ConsumerIdx(0),
            point: CrashPoint::Now,
        })
        .unwrap();
        let events = e.take_events();
        let crash = events
            .iter()
            .find(|ev| matches!(ev.kind, EventKind::ConsumerCrashed { .. }))
            .expect("A crashed");
        match &crash.kind {
            EventKind::ConsumerCrashed { owned, .. } => {
                assert!(!owned.is_empty());
                assert!(owned.iter().all(|(_, o)| o.is_none()), "{owned:?}");
            }
            _ => unreachable!(),
        }
        let t = narrate(&e, crash).plain();
        assert!(t.contains("auto.offset.reset=latest"), "{t}");
    }

    fn leaderless_text(unclean: bool) -> String {
        let mut cfg = ScenarioConfig::default();
        cfg.cluster.unclean_leader_election_enable = unclean;
        let e = engine(cfg);
        narrate(
            &e,
            &ev(EventKind::LeaderElected {
                tp: tp0(),
                leader: None,
                epoch: LeaderEpoch(3),
                unclean: false,
                preferred: false,
                previous: Some(BrokerId(0)),
                internal: false,
            }),
        )
        .plain()
    }

    #[test]
    fn narration_of_a_preferred_leader_election_says_so() {
        let e = engine(ScenarioConfig::default());
        let t = narrate(
            &e,
            &ev(EventKind::LeaderElected {
                tp: tp0(),
                leader: Some(BrokerId(1)),
                epoch: LeaderEpoch(2),
                unclean: false,
                preferred: true,
                previous: Some(BrokerId(0)),
                internal: false,
            }),
        )
        .plain();
        assert!(t.contains("preferred-leader election"), "{t}");
        assert!(t.contains("auto.leader.rebalance.enable=true"), "{t}");
        assert!(
            t.contains("leader.imbalance.check.interval.seconds = 300 s"),
            "{t}"
        );
        assert!(t.contains("from broker 0"), "{t}");
        assert!(!t.contains("first live in-sync replica"), "{t}");
    }

    #[test]
    fn narration_of_a_leaderless_partition_follows_the_unclean_election_config() {
        let t = leaderless_text(true);
        assert!(t.contains("unclean.leader.election.enable=true"), "{t}");
        assert!(!t.contains("=false"), "{t}");
        assert!(t.contains("no live replica at all"), "{t}");
        let t = leaderless_text(false);
        assert!(t.contains("unclean.leader.election.enable=false"), "{t}");
        assert!(t.contains("no live in-sync replica"), "{t}");
    }

    #[test]
    fn narration_of_a_fenced_broker_says_the_last_isr_member_stays() {
        for unclean in [false, true] {
            let mut cfg = ScenarioConfig::default();
            cfg.cluster.unclean_leader_election_enable = unclean;
            let e = engine(cfg);
            let t = narrate(
                &e,
                &ev(EventKind::BrokerFenced {
                    broker: BrokerId(0),
                }),
            )
            .plain();
            assert!(!t.contains("leaves every ISR and"), "{t}");
            assert!(t.contains("last in-sync replica"), "{t}");
            assert!(t.contains("keeps it in the ISR"), "{t}");
            assert!(
                t.contains(&format!("unclean.leader.election.enable={unclean}")),
                "{t}"
            );
        }
    }

    #[test]
    fn narration_of_a_truncation_says_when_acknowledged_records_are_safe() {
        let e = engine(ScenarioConfig::default());
        let t = narrate(
            &e,
            &ev(EventKind::Truncated {
                broker: BrokerId(1),
                tp: tp0(),
                to: Offset(2),
                removed: vec![(Offset(2), None, LeaderEpoch(0))],
            }),
        )
        .plain();
        assert!(!t.contains("acknowledged or not"), "{t}");
        assert!(t.contains("With acks=all and only clean elections"), "{t}");
        assert!(t.contains("min.insync.replicas ≥ 2"), "{t}");
        assert!(
            t.contains("unclean election, acknowledged records can be"),
            "{t}"
        );
    }

    fn commit_failed_text(error: ErrorCode) -> String {
        let e = engine(ScenarioConfig::default());
        narrate(
            &e,
            &ev(EventKind::CommitFailed {
                group: GroupIdx(0),
                consumer: ConsumerIdx(0),
                error,
            }),
        )
        .plain()
    }

    #[test]
    fn narration_of_a_commit_refused_by_a_rebalance_says_the_consumer_keeps_its_partitions() {
        let t = commit_failed_text(ErrorCode::RebalanceInProgress);
        assert!(t.contains("RebalanceInProgressException"), "{t}");
        assert!(t.contains("retriable"), "{t}");
        assert!(
            t.contains("keeps its member id, generation and partitions"),
            "{t}"
        );
        assert!(!t.contains("no longer the owner"), "{t}");
        for err in [
            ErrorCode::IllegalGeneration,
            ErrorCode::UnknownMemberId,
            ErrorCode::CommitFailed,
        ] {
            let t = commit_failed_text(err);
            assert!(t.contains("no longer the owner"), "{t}");
            assert!(t.contains("CommitFailedException"), "{t}");
            assert!(!t.contains("RebalanceInProgressException"), "{t}");
        }
    }

    #[test]
    fn narration_of_null_key_partitioning_says_which_client_is_simulated() {
        let mut cfg = ScenarioConfig::default();
        cfg.producers[0].workload.keys = KeyMode::Null;
        cfg.producers[0].workload.records = 1;
        let mut e = engine(cfg);
        let mut found = None;
        for _ in 0..5_000 {
            if e.step() == StepOutcome::Idle {
                break;
            }
            if let Some(p) = e.take_events().into_iter().find(|ev| {
                matches!(
                    ev.kind,
                    EventKind::Partitioned {
                        choice: PartitionChoice::Sticky { .. },
                        ..
                    }
                )
            }) {
                found = Some(p);
                break;
            }
        }
        let t = narrate(&e, &found.expect("a null-key record was partitioned")).plain();
        assert!(
            t.contains("the Java client's built-in sticky partitioner"),
            "{t}"
        );
        assert!(t.contains("kafka-python's DefaultPartitioner"), "{t}");
        assert!(
            t.contains("random available partition for every null-key record"),
            "{t}"
        );
    }
}
