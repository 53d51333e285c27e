//! What the world tells the engine: user actions and faults, as data.
//!
//! Every change a user makes while a scenario runs (send a record, crash a
//! broker, add a consumer) is a [`Command`]. Commands are logged with the
//! step at which they were applied, so a link can carry the log and replay
//! the exact same run, and a sweep can inject faults at chosen points.

use crate::engine::event::CrashPoint;
use crate::engine::ids::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// `producer.send(topic, key=…, value=…)`. `value = None` generates the
    /// course text's `{"event_id": n, "data": "Event n"}`; `partition` is an
    /// explicit `ProducerRecord` partition.
    Produce {
        producer: ProducerIdx,
        #[serde(default)]
        topic: Option<String>,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        value: Option<String>,
        #[serde(default)]
        partition: Option<u32>,
    },
    /// Crash whichever broker currently leads `topic`-`partition`.
    CrashLeader {
        topic: String,
        partition: u32,
    },
    /// Stall the replica fetchers of every follower of `topic`-`partition`
    /// for `ms` (a long GC pause or a stuck disk): they fetch nothing, yet
    /// stay in the ISR until `replica.lag.time.max.ms` passes.
    StallFollowers {
        topic: String,
        partition: u32,
        ms: u32,
    },
    /// Restart every crashed broker.
    RestartCrashedBrokers,
    CrashBroker {
        broker: BrokerId,
    },
    RestartBroker {
        broker: BrokerId,
    },
    /// Add `extra_ms` of latency to every link of this broker, both ways (a
    /// slow follower); `extra_ms: 0` restores it.
    SlowBroker {
        broker: BrokerId,
        extra_ms: u32,
    },
    /// Lose the next response the brokers send to this producer.
    DropNextProduceResponse {
        producer: ProducerIdx,
    },
    AddConsumer {
        group: GroupIdx,
    },
    /// `consumer.close()`: a clean LeaveGroup.
    StopConsumer {
        consumer: ConsumerIdx,
    },
    /// Kill the consumer process at the given point (now, or when it next reaches it).
    CrashConsumer {
        consumer: ConsumerIdx,
        point: CrashPoint,
    },
    RestartConsumer {
        consumer: ConsumerIdx,
    },
    /// A rolling bounce's step: close the consumer (if it runs) and start it
    /// again with another `group.protocol`, as Kafka's upgrade guide does to
    /// move a group to the consumer protocol one member at a time. Full page
    /// only, like the consumer protocol (see build.rs).
    #[cfg(consumer_protocol)]
    RestartConsumerWith {
        consumer: ConsumerIdx,
        group_protocol: crate::engine::config::GroupProtocol,
    },
    /// Change how long the consumer's application spends per record.
    SetProcessingTime {
        consumer: ConsumerIdx,
        processing_time_ms: u32,
    },
    /// The application's `process_event()` raises on the next record this
    /// consumer processes. The course text's loop catches the exception,
    /// skips that record's commit and goes on with the next record.
    ProcessingRaises {
        consumer: ConsumerIdx,
    },
    /// Kill a producer process (e.g. mid-transaction).
    CrashProducer {
        producer: ProducerIdx,
    },
    /// Start a second instance with the same `transactional.id` (the old one becomes a zombie).
    StartProducerInstance {
        producer: ProducerIdx,
    },
    /// Commit (true) or abort (false) the producer's open transaction now.
    EndTransaction {
        producer: ProducerIdx,
        commit: bool,
    },
    /// Open a transaction on a transactional producer (`beginTransaction`).
    BeginTransaction {
        producer: ProducerIdx,
    },
    /// A narrated note, shown as its own step.
    Note {
        text: String,
    },
}

impl Command {
    /// A short label for history markers ("crash broker 1").
    pub fn label(&self) -> String {
        match self {
            Command::Produce { key, .. } => match key {
                Some(k) => format!("send key {k:?}"),
                None => "send a record".into(),
            },
            Command::CrashLeader { topic, partition } => {
                format!("crash the leader of {topic}-{partition}")
            }
            Command::StallFollowers {
                topic,
                partition,
                ms,
            } => {
                format!("stall the followers of {topic}-{partition} for {ms} ms")
            }
            Command::RestartCrashedBrokers => "restart crashed brokers".into(),
            Command::CrashBroker { broker } => format!("crash broker {broker}"),
            Command::RestartBroker { broker } => format!("restart broker {broker}"),
            Command::SlowBroker { broker, extra_ms } => {
                format!("slow broker {broker} by {extra_ms} ms")
            }
            Command::DropNextProduceResponse { .. } => "drop next produce response".into(),
            Command::AddConsumer { .. } => "add a consumer".into(),
            Command::StopConsumer { .. } => "consumer leaves".into(),
            Command::CrashConsumer { point, .. } => format!("crash consumer ({point:?})"),
            Command::RestartConsumer { .. } => "restart consumer".into(),
            #[cfg(consumer_protocol)]
            Command::RestartConsumerWith { group_protocol, .. } => format!(
                "restart consumer with group.protocol={}",
                group_protocol.name()
            ),
            Command::SetProcessingTime {
                processing_time_ms, ..
            } => {
                format!("processing takes {processing_time_ms} ms")
            }
            Command::ProcessingRaises { .. } => "processing raises".into(),
            Command::CrashProducer { .. } => "crash producer".into(),
            Command::StartProducerInstance { .. } => "start a second producer instance".into(),
            Command::EndTransaction { commit, .. } => {
                if *commit {
                    "commit transaction".into()
                } else {
                    "abort transaction".into()
                }
            }
            Command::BeginTransaction { .. } => "begin transaction".into(),
            Command::Note { .. } => "note".into(),
        }
    }

    /// Faults are drawn as red markers on the history scrubber.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Command::CrashBroker { .. }
                | Command::CrashLeader { .. }
                | Command::StallFollowers { .. }
                | Command::SlowBroker { .. }
                | Command::DropNextProduceResponse { .. }
                | Command::CrashConsumer { .. }
                | Command::ProcessingRaises { .. }
                | Command::CrashProducer { .. }
                | Command::StartProducerInstance { .. }
        )
    }
}

/// When a scripted command fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum Trigger {
    /// `ms` of logical time after the scenario starts (after the warm-up).
    AtMs { ms: u64 },
    /// Right after `producer` has had `count` records acknowledged.
    AfterAcks { producer: ProducerIdx, count: u64 },
    /// Right after the `count`-th record was processed (by any consumer).
    AfterProcessed { count: u64 },
}

/// A command a scenario applies by itself, with an optional narration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptEntry {
    #[serde(flatten)]
    pub trigger: Trigger,
    pub command: Command,
}
