//! Ready-made scenarios that reproduce the textbook cases, each with its own
//! narration (scripted notes) and the outcome it is meant to show — which the
//! tests check, so a preset can never silently stop demonstrating its point.

use crate::engine::command::{Command, ScriptEntry, Trigger};
use crate::engine::config::{Acks, KeyMode, ProducerConfig, ScenarioConfig};
use crate::engine::ids::*;

/// What a preset must demonstrate (checked by `tests/presets.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every message processed exactly once.
    AllProcessedOnce,
    /// At least one acknowledged message is lost (its copies vanish).
    AckedRecordLost,
    /// The producer sees NOT_ENOUGH_REPLICAS, then everything is delivered.
    NotEnoughReplicasThenDelivered,
    /// A producer retry writes a duplicate that is processed twice.
    DuplicateFromRetry,
    /// The broker drops the retried duplicate; processed once.
    DuplicateDropped,
    /// Per-producer latency differs by acks: acks=0 < acks=1 < acks=all.
    LatencyOrderedByAcks,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// One line, for menus and `kafkascope presets`.
    pub summary: &'static str,
    pub config: ScenarioConfig,
    pub expect: Expect,
}

fn at(ms: u64, command: Command) -> ScriptEntry {
    ScriptEntry {
        trigger: Trigger::AtMs { ms },
        command,
    }
}

fn note(ms: u64, text: &str) -> ScriptEntry {
    at(ms, Command::Note { text: text.into() })
}

fn send(key: &str) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: None,
        key: Some(key.into()),
        value: None,
        partition: None,
    }
}

fn cluster(brokers: u16, partitions: u32, rf: u16, min_isr: u16) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.cluster.brokers = brokers;
    c.topics[0].partitions = partitions;
    c.topics[0].replication_factor = rf;
    c.topics[0].min_insync_replicas = min_isr;
    c
}

/// The course text's pipeline: one broker, one record at a time.
pub fn walkthrough() -> Preset {
    Preset {
        id: "nine-stages",
        title: "The nine stages of a record",
        summary: "One broker, topic events with 3 partitions, one consumer: follow a record from send() to commit.",
        config: ScenarioConfig::default(),
        expect: Expect::AllProcessedOnce,
    }
}

pub fn acks1_failover_loss() -> Preset {
    let mut c = cluster(3, 1, 3, 1);
    c.producers[0].acks = Acks::One;
    c.script = vec![
        note(0, "acks=1: the leader answers as soon as the record is in ITS log. Watch what happens when it dies before a follower copies it."),
        at(0, Command::StallFollowers { topic: "events".into(), partition: 0, ms: 12_000 }),
        at(10, send("order-1")),
        ScriptEntry {
            trigger: Trigger::AfterAcks { producer: ProducerIdx(0), count: 1 },
            command: Command::CrashLeader { topic: "events".into(), partition: 0 },
        },
        note(12_500, "A follower was elected: it was in the ISR (stalled for less than replica.lag.time.max.ms) but never got order-1. The producer sends order-2, which takes order-1's offset."),
        at(12_500, send("order-2")),
        note(16_000, "The old leader comes back and truncates its log to the new leader's: the acknowledged order-1 vanishes."),
        at(16_000, Command::RestartCrashedBrokers),
    ];
    Preset {
        id: "acks1-failover-loss",
        title: "acks=1: a leader failover loses an acknowledged record",
        summary: "3 brokers, RF 3, acks=1; the followers stall, the leader acks order-1 and crashes; a follower takes over without it.",
        config: c,
        expect: Expect::AckedRecordLost,
    }
}

pub fn acks_all_survives() -> Preset {
    let mut c = cluster(3, 1, 3, 2);
    c.producers[0].acks = Acks::All;
    c.producers[0].workload.records = 6;
    c.producers[0].workload.interval_ms = 150;
    c.producers[0].workload.keys =
        KeyMode::Cycle(vec!["order-1".into(), "order-2".into(), "order-3".into()]);
    c.script = vec![
        note(0, "acks=all with min.insync.replicas=2: the leader answers only once every in-sync replica has the record."),
        ScriptEntry {
            trigger: Trigger::AfterAcks { producer: ProducerIdx(0), count: 3 },
            command: Command::CrashLeader { topic: "events".into(), partition: 0 },
        },
        note(14_000, "The crashed broker returns and catches up. No acknowledged record was lost."),
        at(14_000, Command::RestartCrashedBrokers),
    ];
    Preset {
        id: "acks-all-survives-crash",
        title: "acks=all, min.insync.replicas=2: a broker crash loses nothing",
        summary: "3 brokers, RF 3; the leader crashes mid-stream; every acknowledged record survives on the new leader.",
        config: c,
        expect: Expect::AllProcessedOnce,
    }
}

pub fn not_enough_replicas() -> Preset {
    let mut c = cluster(3, 1, 3, 2);
    c.producers[0].acks = Acks::All;
    c.script = vec![
        note(0, "Two of the three brokers go down. Once the controller fences them the ISR has one member, below min.insync.replicas=2."),
        at(0, Command::CrashBroker { broker: BrokerId(1) }),
        at(0, Command::CrashBroker { broker: BrokerId(2) }),
        at(10_000, send("order-1")),
        note(16_000, "One broker returns; once it is back in the ISR, the retried write succeeds."),
        at(16_000, Command::RestartBroker { broker: BrokerId(1) }),
    ];
    Preset {
        id: "not-enough-replicas",
        title: "Two of three brokers down: NOT_ENOUGH_REPLICAS",
        summary: "RF 3, min.insync.replicas=2, acks=all: with one in-sync replica left the leader refuses writes until another returns.",
        config: c,
        expect: Expect::NotEnoughReplicasThenDelivered,
    }
}

fn retry_case(idempotent: bool) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.enable_idempotence = Some(idempotent);
    p.request_timeout_ms = 3_000;
    p.delivery_timeout_ms = 20_000;
    c.script = vec![
        note(
            0,
            "The broker's answer to the next produce request will be lost in the network.",
        ),
        at(
            0,
            Command::DropNextProduceResponse {
                producer: ProducerIdx(0),
            },
        ),
        at(10, send("payment-42")),
    ];
    c
}

pub fn retry_duplicates() -> Preset {
    Preset {
        id: "retry-duplicates",
        title: "A retry without idempotence writes a duplicate",
        summary: "enable.idempotence=false: the response is lost, the producer times out and retries, the broker appends the record twice.",
        config: retry_case(false),
        expect: Expect::DuplicateFromRetry,
    }
}

pub fn idempotent_dedup() -> Preset {
    Preset {
        id: "idempotent-dedup",
        title: "The idempotent producer's retry is dropped as a duplicate",
        summary: "enable.idempotence=true: same lost response, but the broker recognises the producer id and sequence and keeps one copy.",
        config: retry_case(true),
        expect: Expect::DuplicateDropped,
    }
}

pub fn acks_latency() -> Preset {
    let mut c = cluster(3, 3, 3, 2);
    let mk = |id: &str, acks: Acks| {
        let mut p = ProducerConfig {
            client_id: id.into(),
            acks,
            ..ProducerConfig::default()
        };
        p.workload.records = 20;
        p.workload.interval_ms = 40;
        p
    };
    c.producers = vec![
        mk("acks-0", Acks::Zero),
        mk("acks-1", Acks::One),
        mk("acks-all", Acks::All),
    ];
    c.cluster.network_latency_ms = 5;
    c.script = vec![note(
        0,
        "Three producers send the same workload with acks=0, acks=1 and acks=all. Compare their average acknowledgement latency.",
    )];
    Preset {
        id: "acks-latency",
        title: "acks=0 vs acks=1 vs acks=all: what the wait costs",
        summary: "Three producers, same workload: acks=0 never waits, acks=1 waits for the leader, acks=all for every in-sync replica.",
        config: c,
        expect: Expect::LatencyOrderedByAcks,
    }
}

/// Every preset, in menu order.
pub fn all() -> Vec<Preset> {
    vec![
        walkthrough(),
        acks1_failover_loss(),
        acks_all_survives(),
        not_enough_replicas(),
        retry_duplicates(),
        idempotent_dedup(),
        acks_latency(),
    ]
}

pub fn by_id(id: &str) -> Option<Preset> {
    all().into_iter().find(|p| p.id == id)
}
