//! The presets as Rust code: the source of truth for [`super::TABLE`].
//!
//! Compiled natively only. The web build carries each preset's scenario as a
//! compact v1 link string instead (see `table.rs`, generated from these
//! functions by `UPDATE_PRESET_TABLE=1 cargo test --test presets`): the code
//! that builds twenty-odd configurations cost the first load more than 7 KB
//! gzip, the strings a fraction of that. `tests/presets.rs` checks that the
//! table decodes to exactly what these functions build.

use super::{Expect, Preset};
use crate::engine::command::{Command, ScriptEntry, Trigger};
use crate::engine::config::{Acks, KeyMode, ProducerConfig, ScenarioConfig};
use crate::engine::ids::*;

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
        lanes: Vec::new(),
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
        note(12_500, "A follower was elected: it was in the ISR (stalled for less than replica.lag.time.max.ms) but never got order-1. Next the producer sends order-2, which will take order-1's offset."),
        at(12_500, send("order-2")),
        note(16_000, "Watch broker 2 come back: it truncates its log to the new leader's, and the acknowledged order-1 vanishes."),
        at(16_000, Command::RestartCrashedBrokers),
    ];
    Preset {
        id: "acks1-failover-loss",
        title: "acks=1: a leader failover loses an acknowledged record",
        summary: "3 brokers, RF 3, acks=1; the followers stall, the leader acks order-1 and crashes; a follower takes over without it.",
        config: c,
        expect: Expect::AckedRecordLost,
        lanes: Vec::new(),
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
        lanes: Vec::new(),
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
        lanes: Vec::new(),
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
        lanes: Vec::new(),
    }
}

pub fn idempotent_dedup() -> Preset {
    Preset {
        id: "idempotent-dedup",
        title: "The idempotent producer's retry is dropped as a duplicate",
        summary: "enable.idempotence=true: same lost response, but the broker recognises the producer id and sequence and keeps one copy.",
        config: retry_case(true),
        expect: Expect::DuplicateDropped,
        lanes: Vec::new(),
    }
}

/// KIP-360: an idempotent producer outlives an outage longer than its
/// delivery timeout.
pub fn outage_epoch_bump() -> Preset {
    let mut c = cluster(3, 1, 3, 2);
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.enable_idempotence = Some(true);
    p.request_timeout_ms = 5_000;
    p.delivery_timeout_ms = 20_000;
    c.script = vec![
        note(0, "An idempotent producer with delivery.timeout.ms = 20 s, acks=all, min.insync.replicas=2."),
        at(0, send("order-1")),
        note(1_000, "Two of the three brokers go down for 28 s: with one in-sync replica left, every write is refused (NOT_ENOUGH_REPLICAS) and retried."),
        at(1_000, Command::CrashBroker { broker: BrokerId(1) }),
        at(1_000, Command::CrashBroker { broker: BrokerId(2) }),
        at(2_000, send("order-2")),
        at(4_000, send("order-3")),
        at(29_000, Command::RestartCrashedBrokers),
        note(29_010, "The brokers are back. order-2 and order-3 expired 20 s after they were created (delivery.timeout.ms), leaving a gap in the partition's sequence numbers, so the producer has bumped its epoch (KIP-360): what it sends next starts again at sequence 0 and is accepted."),
        at(31_000, send("order-4")),
        at(32_000, send("order-5")),
    ];
    Preset {
        id: "outage-epoch-bump",
        title: "An outage longer than delivery.timeout.ms: the idempotent producer bumps its epoch",
        summary: "enable.idempotence=true, delivery.timeout.ms=20 s, two of three brokers down for 28 s: the records sent meanwhile expire, the producer bumps its epoch (KIP-360), and everything sent afterwards is delivered.",
        config: c,
        expect: Expect::OutageEpochBump,
        lanes: Vec::new(),
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
        lanes: Vec::new(),
    }
}

fn group_scenario(partitions: u32, consumers: u16, records: u32) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = partitions;
    c.groups[0].consumers = consumers;
    c.producers[0].workload.records = records;
    c.producers[0].workload.interval_ms = 40;
    c.producers[0].workload.keys = KeyMode::EventId;
    c
}

pub fn fewer_consumers() -> Preset {
    let mut c = group_scenario(6, 2, 12);
    c.script = vec![note(0, "6 partitions, 2 consumers: each consumer owns several partitions (range gives A P0–P2 and B P3–P5).")];
    Preset {
        id: "consumers-fewer-than-partitions",
        title: "Consumers < partitions: some consumers read several",
        summary: "6 partitions, a group of 2: every partition has exactly one owner, each consumer has three.",
        config: c,
        expect: Expect::ConsumersShareAllPartitions,
        lanes: Vec::new(),
    }
}

pub fn more_consumers() -> Preset {
    let mut c = group_scenario(3, 4, 9);
    c.script = vec![note(0, "3 partitions, 4 consumers: a partition has one owner per group, so one consumer sits idle.")];
    Preset {
        id: "consumers-more-than-partitions",
        title: "Consumers > partitions: one consumer sits idle",
        summary:
            "3 partitions, a group of 4: the fourth consumer gets nothing until someone leaves.",
        config: c,
        expect: Expect::SomeConsumerIdle,
        lanes: Vec::new(),
    }
}

pub fn two_groups() -> Preset {
    let mut c = group_scenario(3, 2, 8);
    let mut analytics = c.groups[0].clone();
    analytics.group_id = "analytics".into();
    analytics.consumers = 1;
    c.groups.push(analytics);
    c.script = vec![note(
        0,
        "Two groups read the same topic: each gets every record and keeps its own committed offsets, under its own coordinator partition of __consumer_offsets.",
    )];
    Preset {
        id: "two-groups",
        title: "Two consumer groups read the topic independently",
        summary: "my-consumer-group (2 consumers) and analytics (1): both see all 8 records, each with its own offsets.",
        config: c,
        expect: Expect::GroupsIndependent,
        lanes: Vec::new(),
    }
}

fn c_joins(strategy: Vec<crate::engine::assignor::AssignorKind>) -> ScenarioConfig {
    let mut c = group_scenario(4, 2, 16);
    c.producers[0].workload.interval_ms = 150;
    c.groups[0].partition_assignment_strategy = strategy;
    c.script = vec![at(700, Command::AddConsumer { group: GroupIdx(0) })];
    c
}

pub fn c_joins_eager() -> Preset {
    use crate::engine::assignor::AssignorKind;
    let mut c = c_joins(vec![AssignorKind::Range, AssignorKind::CooperativeSticky]);
    c.script.insert(0, note(0, "Before: 2 consumers, 4 partitions; range gave A P0 and P1, B P2 and P3. Consumer C is about to join."));
    c.script.push(note(
        5_000,
        "Eager range: everyone revoked everything first (stop the world), then range gave A P0+P1, B P2, C P3. The course text's picture (C gets P1 and P3) is not what any Kafka assignor does.",
    ));
    Preset {
        id: "c-joins-eager-range",
        title: "C joins: eager rebalance with range",
        summary: "The default strategy list [range, cooperative-sticky] runs EAGER: every consumer stops and gives up all partitions while C joins.",
        config: c,
        expect: Expect::JoinRebalances,
        lanes: Vec::new(),
    }
}

pub fn c_joins_cooperative() -> Preset {
    use crate::engine::assignor::AssignorKind;
    let mut c = c_joins(vec![AssignorKind::CooperativeSticky]);
    c.script.insert(0, note(0, "Before: 2 consumers, 4 partitions; cooperative-sticky dealt them round-robin (A P0 and P2, B P1 and P3). Consumer C is about to join."));
    c.script.push(note(
        7_000,
        "Cooperative-sticky: one partition moved, in two rebalances: its owner revoked only that one in the first, C received it in the second. Nobody stopped consuming the partitions they kept.",
    ));
    Preset {
        id: "c-joins-cooperative-sticky",
        title: "C joins: cooperative-sticky rebalance",
        summary: "Only the partition that moves is revoked, and a second rebalance hands it to C; the others never stop.",
        config: c,
        expect: Expect::JoinRebalances,
        lanes: Vec::new(),
    }
}

pub fn c_joins_consumer_protocol() -> Preset {
    use crate::engine::assignor::AssignorKind;
    use crate::engine::config::GroupProtocol;
    let mut c = c_joins(vec![AssignorKind::CooperativeSticky]);
    c.groups[0].group_protocol = GroupProtocol::Consumer;
    c.script.insert(0, note(0, "group.protocol=consumer (KIP-848, Kafka 4.0): the broker's uniform assignor gave A events-0 and events-1, B events-2 and events-3. Consumer C is about to join: watch who stops."));
    c.script.push(note(
        12_000,
        "Consumer protocol: C's join bumped the group epoch and the coordinator computed the new target at once (uniform: 2+1+1, and in Kafka's member order C is the one with two). A and B each gave up one partition at their next heartbeat and acknowledged; C got both at its own next heartbeat. Nobody rejoined, and A and B never stopped reading the partition they kept.",
    ));
    Preset {
        id: "c-joins-consumer-protocol",
        title: "C joins: the consumer group protocol (KIP-848)",
        summary: "Kafka 4's protocol: the broker assigns, each member reconciles on its own heartbeat, only the moving partition pauses.",
        config: c,
        expect: Expect::JoinRebalances,
        lanes: Vec::new(),
    }
}

pub fn rolling_upgrade() -> Preset {
    use crate::engine::assignor::AssignorKind;
    use crate::engine::config::GroupProtocol;
    let mut c = group_scenario(6, 3, 60);
    c.producers[0].workload.interval_ms = 250;
    c.groups[0].partition_assignment_strategy = vec![AssignorKind::CooperativeSticky];
    let bounce = |ms: u64, k: u16| {
        at(
            ms,
            Command::RestartConsumerWith {
                consumer: ConsumerIdx(k),
                group_protocol: GroupProtocol::Consumer,
            },
        )
    };
    c.script = vec![
        note(0, "A classic group: 3 consumers on cooperative-sticky, 6 partitions. Kafka 4 moves a live group to the consumer protocol with a rolling bounce: restart one consumer at a time with group.protocol=consumer. Nothing else changes, and the group never stops."),
        bounce(2_000, 0),
        note(3_000, "A came back on the consumer protocol, so the coordinator converted the group into a consumer group (group.consumer.migration.policy=bidirectional, the default). B and C are classic members inside it: the coordinator answers their JoinGroup and Heartbeat itself."),
        bounce(8_000, 1),
        bounce(14_000, 2),
        note(20_000, "All three on the consumer protocol: the group is an ordinary consumer group now, with the broker's uniform assignor. No rebalance stopped the group on the way; a consumer that restarted simply rejoined."),
    ];
    Preset {
        id: "rolling-upgrade-to-consumer-protocol",
        title: "Rolling upgrade: a live group moves to the consumer protocol",
        summary: "Kafka 4's online migration: each restart with group.protocol=consumer, and the classic group becomes a consumer group with classic members inside it until the last one moves.",
        config: c,
        expect: Expect::RollingUpgrade,
        lanes: Vec::new(),
    }
}

pub fn c_joins_three_ways() -> Preset {
    let strip = |p: Preset| {
        let mut c = p.config;
        c.script
            .retain(|e| !matches!(e.command, Command::Note { .. }));
        c
    };
    // Busy members: records arrive every 60 ms and each takes A and B a
    // second to process, so when C joins each is deep in the batch of its
    // last poll(). A classic member rejoins only from its next poll.
    let busy = |mut c: ScenarioConfig| {
        c.producers[0].workload.interval_ms = 60;
        c.groups[0].processing_time_ms = 1_000;
        c
    };
    let eager = busy(strip(c_joins_eager()));
    let coop = busy(strip(c_joins_cooperative()));
    let modern = busy(strip(c_joins_consumer_protocol()));
    Preset {
        id: "c-joins-three-protocols",
        title: "C joins: eager vs cooperative vs consumer protocol",
        summary: "The same records, the same moment C joins, three rebalance protocols, with busy members (a second a record): eager stops everyone until the slowest member has finished its batch, cooperative pauses one partition for two rebalances, KIP-848 pauses only the partitions that move and nobody rejoins. The cards' partition-seconds unowned end about 16 for eager, 3 for cooperative and 4.3 for the consumer protocol, whose moved partitions wait for C's next heartbeat.",
        config: eager.clone(),
        expect: Expect::JoinRebalances,
        lanes: vec![
            ("eager · range", eager),
            ("cooperative-sticky", coop),
            ("consumer protocol · uniform", modern),
        ],
    }
}

pub fn session_timeout() -> Preset {
    let mut c = group_scenario(4, 2, 12);
    c.producers[0].workload.interval_ms = 400;
    c.groups[0].session_timeout_ms = 10_000;
    c.groups[0].auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    c.script = vec![
        note(0, "session.timeout.ms is 10 s here (default 45 s), and auto.offset.reset=earliest so a partition without a commit is read from its start. Consumer B will crash: no LeaveGroup, its heartbeats just stop."),
        at(1_000, Command::CrashConsumer { consumer: ConsumerIdx(1), point: crate::engine::event::CrashPoint::Now }),
    ];
    Preset {
        id: "session-timeout",
        title: "A crashed consumer is detected by session.timeout.ms",
        summary: "B dies silently; its partitions wait until the coordinator expires its session, then A takes them over from the committed offsets.",
        config: c,
        expect: Expect::SessionTimeoutMovesPartitions,
        lanes: Vec::new(),
    }
}

pub fn poll_timeout() -> Preset {
    let mut c = group_scenario(2, 2, 6);
    c.producers[0].workload.interval_ms = 300;
    c.groups[0].max_poll_interval_ms = 5_000;
    c.groups[0].session_timeout_ms = 10_000;
    c.script = vec![
        note(0, "max.poll.interval.ms is 5 s here. Consumer A's processing is about to take 8 s per record (a slow database call)."),
        at(500, Command::SetProcessingTime { consumer: ConsumerIdx(0), processing_time_ms: 8_000 }),
        at(9_000, Command::SetProcessingTime { consumer: ConsumerIdx(0), processing_time_ms: 10 }),
    ];
    Preset {
        id: "poll-timeout-commit-failed",
        title: "Slow processing: max.poll.interval.ms, CommitFailed, a duplicate",
        summary: "A takes too long between polls, leaves the group, B re-reads A's uncommitted record, and A's late commit fails.",
        config: c,
        expect: Expect::PollTimeoutDuplicates,
        lanes: Vec::new(),
    }
}

pub fn c_joins_side_by_side() -> Preset {
    let eager = c_joins_eager();
    let coop = c_joins_cooperative();
    let mut cfg = eager.config.clone();
    cfg.script
        .retain(|e| !matches!(e.command, Command::Note { .. }));
    let mut coop_cfg = coop.config.clone();
    coop_cfg
        .script
        .retain(|e| !matches!(e.command, Command::Note { .. }));
    Preset {
        id: "c-joins-side-by-side",
        title: "C joins: eager range vs cooperative-sticky, side by side",
        summary: "The same group, the same records, the same moment C joins: on the left every consumer stops; on the right only the moving partition pauses.",
        config: cfg.clone(),
        expect: Expect::JoinRebalances,
        lanes: vec![("eager · range", cfg), ("cooperative-sticky", coop_cfg)],
    }
}

/// The scenario the three delivery-semantics lanes share: a burst of six
/// records (so one poll returns several), and Consumer A crashing right after
/// it processes its third record, restarting 2 s later.
pub fn semantics_config(sem: crate::engine::config::Semantics) -> ScenarioConfig {
    use crate::engine::config::{CommitMode, IsolationLevel, Semantics, TopicConfig};
    let mut c = ScenarioConfig::default();
    c.topics = vec![
        TopicConfig {
            name: "events".into(),
            partitions: 1,
            ..TopicConfig::default()
        },
        TopicConfig {
            name: "events-processed".into(),
            partitions: 1,
            ..TopicConfig::default()
        },
    ];
    c.producers[0].workload.records = 6;
    c.producers[0].workload.interval_ms = 0;
    c.producers[0].workload.keys = KeyMode::EventId;
    let g = &mut c.groups[0];
    g.processing_time_ms = 100;
    g.session_timeout_ms = 6_000;
    g.heartbeat_interval_ms = 2_000;
    g.restart_after_ms = 2_000;
    g.auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    match sem {
        Semantics::AtMostOnce => g.commit_mode = CommitMode::BeforeProcessing,
        Semantics::AtLeastOnce => g.commit_mode = CommitMode::AfterProcessing,
        Semantics::ExactlyOnce => {
            g.commit_mode = CommitMode::Transactional;
            g.isolation_level = IsolationLevel::ReadCommitted;
            g.output_topic = Some("events-processed".into());
        }
    }
    c.script = vec![ScriptEntry {
        trigger: Trigger::AfterProcessed { count: 2 },
        command: Command::CrashConsumer {
            consumer: ConsumerIdx(0),
            point: crate::engine::event::CrashPoint::AfterProcess,
        },
    }];
    c
}

fn semantics_preset(
    sem: crate::engine::config::Semantics,
    id: &'static str,
    title: &'static str,
    summary: &'static str,
    expect: Expect,
) -> Preset {
    Preset {
        id,
        title,
        summary,
        config: semantics_config(sem),
        expect,
        lanes: Vec::new(),
    }
}

pub fn at_most_once() -> Preset {
    let mut p = semantics_preset(
        crate::engine::config::Semantics::AtMostOnce,
        "at-most-once-loses",
        "At-most-once: commit, then crash before processing = a lost record",
        "Consumer A commits what it polled before processing it, then dies after its third record: the rest of the batch is never processed.",
        Expect::Semantics { lost: true, duplicated: false },
    );
    p.config.script.insert(0, note(0, "At-most-once: the consumer commits the positions right after poll(), before processing. A will crash right after processing its third record."));
    p
}

pub fn at_least_once() -> Preset {
    let mut p = semantics_preset(
        crate::engine::config::Semantics::AtLeastOnce,
        "at-least-once-duplicates",
        "At-least-once: process, then crash before the commit = a duplicate",
        "Consumer A commits after each record; it dies after processing its third record but before committing it, so that record is processed again.",
        Expect::Semantics { lost: false, duplicated: true },
    );
    p.config.script.insert(0, note(0, "At-least-once: process first, commit after (the course text's code). A will crash right after processing its third record, before its commit."));
    p
}

pub fn exactly_once() -> Preset {
    let mut p = semantics_preset(
        crate::engine::config::Semantics::ExactlyOnce,
        "exactly-once-survives",
        "Exactly-once: the same crash, 0 lost and 0 duplicates",
        "Consume-transform-produce in a transaction: the output and the offsets commit together, so the crash aborts both and the retry counts once.",
        Expect::Semantics { lost: false, duplicated: false },
    );
    p.config.script.insert(0, note(0, "Exactly-once: outputs go to events-processed and the offsets go into the same transaction. A will crash right after processing its third record."));
    p
}

pub fn semantics_side_by_side() -> Preset {
    use crate::engine::config::Semantics;
    let lanes = vec![
        ("at-most-once", semantics_config(Semantics::AtMostOnce)),
        ("at-least-once", semantics_config(Semantics::AtLeastOnce)),
        ("exactly-once", semantics_config(Semantics::ExactlyOnce)),
    ];
    Preset {
        id: "semantics-side-by-side",
        title: "Delivery semantics side by side: the same crash, three outcomes",
        summary: "Same seed, same six records, same crash after the third record: at-most-once loses, at-least-once duplicates, exactly-once does neither.",
        config: lanes[0].1.clone(),
        expect: Expect::Semantics { lost: true, duplicated: false },
        lanes,
    }
}

pub fn auto_commit_crash() -> Preset {
    use crate::engine::config::CommitMode;
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 1;
    c.producers[0].workload.records = 8;
    c.producers[0].workload.interval_ms = 300;
    let g = &mut c.groups[0];
    g.commit_mode = CommitMode::Auto;
    g.auto_commit_interval_ms = 5_000;
    g.session_timeout_ms = 6_000;
    g.restart_after_ms = 1_000;
    g.auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    c.script = vec![
        note(0, "enable.auto.commit=true, auto.commit.interval.ms=5000: offsets are committed from inside a later poll(), every 5 s. The course text's 'commits immediately' is not how it works."),
        ScriptEntry {
            trigger: Trigger::AfterProcessed { count: 6 },
            command: Command::CrashConsumer { consumer: ConsumerIdx(0), point: crate::engine::event::CrashPoint::Now },
        },
    ];
    Preset {
        id: "auto-commit-crash",
        title: "Auto-commit: a crash between two commits re-delivers records",
        summary: "Records processed after the last auto-commit are processed again after the restart: auto-commit is at-least-once, not at-most-once.",
        config: c,
        expect: Expect::Semantics { lost: false, duplicated: true },
        lanes: Vec::new(),
    }
}

/// The course text's consumer loop, whose `except` swallows an exception
/// from `process_event()` on the third record (offset 2).
pub fn caught_exception() -> Preset {
    let mut c = semantics_config(crate::engine::config::Semantics::AtLeastOnce);
    c.topics.truncate(1);
    c.script = vec![
        note(0, "The course text's consumer: process_event(), then consumer.commit(), inside try/except. The except branch prints the error and goes on."),
        ScriptEntry {
            trigger: Trigger::AfterProcessed { count: 2 },
            command: Command::ProcessingRaises { consumer: ConsumerIdx(0) },
        },
    ];
    Preset {
        id: "caught-exception-skips",
        title: "A caught exception is not a retry",
        summary: "process_event() raises on offset 2; the course's loop catches it, as its comment says the record will be re-delivered. Watch the next poll and the next commit.",
        config: c,
        expect: Expect::Semantics { lost: true, duplicated: false },
        lanes: Vec::new(),
    }
}

/// A group `id` that reads from the start of the log when it has no
/// committed offset (the new presets compare groups on the same records).
fn reading_group(id: &str) -> crate::engine::config::GroupConfig {
    crate::engine::config::GroupConfig {
        group_id: id.into(),
        auto_offset_reset: crate::engine::config::AutoOffsetReset::Earliest,
        ..Default::default()
    }
}

/// Delivery semantics are end to end: a consumer's discipline is not enough
/// when its producer can lose (acks=1 and a failover) or duplicate (a retry
/// without idempotence). Two stories on one cluster, one after the other.
pub fn end_to_end_semantics() -> Preset {
    use crate::engine::config::{CommitMode, GroupConfig, TopicConfig};
    let mut c = cluster(3, 1, 3, 1);
    c.topics = ["orders", "payments"]
        .map(|name| TopicConfig {
            name: name.into(),
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 1,
        })
        .to_vec();
    let producer = |id: &str, acks, idempotent| {
        let mut p = ProducerConfig {
            client_id: id.into(),
            acks,
            enable_idempotence: Some(idempotent),
            request_timeout_ms: 3_000,
            ..ProducerConfig::default()
        };
        p.workload.topic = "orders".into();
        p
    };
    c.producers = vec![
        producer("orders-app", Acks::One, false),
        producer("payments-app", Acks::All, false),
        producer("payments-app-2", Acks::All, true),
    ];
    let group = |id: &str, topic: &str, commit_mode| GroupConfig {
        topics: vec![topic.into()],
        commit_mode,
        ..reading_group(id)
    };
    c.groups = vec![
        group("orders-readers", "orders", CommitMode::AfterProcessing),
        group("payments-readers", "payments", CommitMode::BeforeProcessing),
    ];
    let produce = |p: u16, topic: &str, key: &str| Command::Produce {
        producer: ProducerIdx(p),
        topic: Some(topic.into()),
        key: Some(key.into()),
        value: None,
        partition: None,
    };
    c.script = vec![
        note(0, "First story: orders-app sends with acks=1 to orders, read by orders-readers, an at-least-once group (process, then commit). The followers of orders-0 are about to stall."),
        at(0, Command::StallFollowers { topic: "orders".into(), partition: 0, ms: 12_000 }),
        at(10, produce(0, "orders", "order-1")),
        ScriptEntry {
            trigger: Trigger::AfterAcks { producer: ProducerIdx(0), count: 1 },
            command: Command::CrashLeader { topic: "orders".into(), partition: 0 },
        },
        at(12_500, produce(0, "orders", "order-2")),
        at(16_000, Command::RestartCrashedBrokers),
        note(20_000, "Second story: payments-app sends with acks=all but without idempotence to payments, read by payments-readers, an at-most-once group (commit, then process). The broker's first answer will be lost."),
        at(20_000, Command::DropNextProduceResponse { producer: ProducerIdx(1) }),
        at(20_010, produce(1, "payments", "payment-42")),
        note(30_000, "Third story: payments-app-2 is the same producer with enable_idempotence=True, and its first answer is lost too."),
        at(30_000, Command::DropNextProduceResponse { producer: ProducerIdx(2) }),
        at(30_010, produce(2, "payments", "payment-43")),
    ];
    Preset {
        id: "end-to-end-semantics",
        title: "Delivery semantics are end to end: the producer counts too",
        summary: "An at-least-once group behind an acks=1 producer and a leader failover; an at-most-once group behind a producer without idempotence whose response is lost; then the same with idempotence.",
        config: c,
        expect: Expect::ProducerBreaksConsumerPromise,
        lanes: Vec::new(),
    }
}

/// A transaction that hangs: the last stable offset holds read_committed
/// readers back until `transaction.timeout.ms`, and the late commit of the
/// stalled instance is fenced.
pub fn zombie_lso() -> Preset {
    use crate::engine::config::{GroupConfig, IsolationLevel};
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 1;
    let mut app = txn_producer("orders-app", "orders");
    app.transaction_timeout_ms = 6_000;
    let mut clicks = ProducerConfig {
        client_id: "clicks".into(),
        ..ProducerConfig::default()
    };
    clicks.workload.records = 15;
    clicks.workload.keys = KeyMode::Cycle(vec!["u1".into(), "u2".into(), "u3".into()]);
    clicks.workload.interval_ms = 1_000;
    clicks.workload.start_ms = 1_000;
    c.producers = vec![app, clicks];
    let reader = |id: &str, isolation| GroupConfig {
        isolation_level: isolation,
        ..reading_group(id)
    };
    c.groups = vec![
        reader("committed-readers", IsolationLevel::ReadCommitted),
        reader("uncommitted-readers", IsolationLevel::ReadUncommitted),
    ];
    let p = ProducerIdx(0);
    c.script = vec![
        note(0, "orders-app (transaction.timeout.ms=6000) opens a transaction, writes two orders and then hangs. clicks, a plain producer, writes to the same partition every second."),
        at(0, Command::BeginTransaction { producer: p }),
        at(10, send("order-1")),
        at(20, send("order-2")),
        note(16_000, "orders-app wakes up from its pause and calls commit_transaction()."),
        at(16_000, Command::EndTransaction { producer: p, commit: true }),
    ];
    Preset {
        id: "zombie-lso",
        title: "A hanging transaction: the LSO, read_committed lag, and a fenced zombie",
        summary: "orders-app opens a transaction and hangs while clicks keeps writing to the same partition. Two groups read it, one read_committed, one read_uncommitted.",
        config: c,
        expect: Expect::HangingTransactionHoldsLso,
        lanes: Vec::new(),
    }
}

/// A consumer with a new group id and the default auto.offset.reset=latest
/// starts at the end of the log: the records already there are skipped.
pub fn new_group_latest() -> Preset {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 1;
    c.producers[0].workload.records = 8;
    c.producers[0].workload.interval_ms = 100;
    c.groups[0].group_id = "my-new-group".into();
    c.groups[0].consumers = 0;
    c.script = vec![
        note(0, "events already receives records. The course text's consumer will start with a group id that has never committed anything."),
        note(2_000, "The consumer starts: group my-new-group, auto_offset_reset left at its default."),
        at(2_000, Command::AddConsumer { group: GroupIdx(0) }),
        at(8_000, send("late-1")),
        at(8_200, send("late-2")),
    ];
    Preset {
        id: "new-group-latest",
        title: "A new group starts at the end of the log",
        summary: "Eight records are already in events when a consumer with a brand-new group id starts, with auto_offset_reset at its default. Then two more arrive.",
        config: c,
        expect: Expect::Semantics { lost: true, duplicated: false },
        lanes: Vec::new(),
    }
}

fn txn_producer(id: &str, tid: &str) -> ProducerConfig {
    ProducerConfig {
        client_id: id.into(),
        transactional_id: Some(tid.into()),
        ..ProducerConfig::default()
    }
}

fn send_to(topic: &str, key: &str) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: Some(topic.into()),
        key: Some(key.into()),
        value: None,
        partition: None,
    }
}

pub fn aborted_invisible() -> Preset {
    use crate::engine::config::IsolationLevel;
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 1;
    c.producers = vec![txn_producer("payments-app", "payments")];
    let mut committed = c.groups[0].clone();
    committed.group_id = "read-committed".into();
    committed.isolation_level = IsolationLevel::ReadCommitted;
    committed.auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    let mut uncommitted = committed.clone();
    uncommitted.group_id = "read-uncommitted".into();
    uncommitted.isolation_level = IsolationLevel::ReadUncommitted;
    c.groups = vec![committed, uncommitted];
    let p = ProducerIdx(0);
    c.script = vec![
        note(0, "A transactional producer writes three payments and then aborts; then writes two more and commits. Two groups read the topic with different isolation.level settings."),
        at(0, Command::BeginTransaction { producer: p }),
        at(10, send("pay-1")),
        at(20, send("pay-2")),
        at(30, send("pay-3")),
        at(300, Command::EndTransaction { producer: p, commit: false }),
        at(800, Command::BeginTransaction { producer: p }),
        at(810, send("pay-4")),
        at(820, send("pay-5")),
        at(1_100, Command::EndTransaction { producer: p, commit: true }),
    ];
    Preset {
        id: "aborted-invisible",
        title: "An aborted transaction: invisible to read_committed, visible to read_uncommitted",
        summary: "read_committed stops at the last stable offset and skips aborted records; read_uncommitted reads them all. Markers take offsets but never reach the application.",
        config: c,
        expect: Expect::AbortedInvisibleToReadCommitted,
        lanes: Vec::new(),
    }
}

pub fn zombie_fenced() -> Preset {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 1;
    c.producers = vec![txn_producer("orders-app", "orders")];
    let p = ProducerIdx(0);
    c.script = vec![
        note(0, "orders-app opens a transaction and writes two orders, then stalls. A second instance with the same transactional.id starts."),
        at(0, Command::BeginTransaction { producer: p }),
        at(10, send("order-1")),
        at(20, send("order-2")),
        at(400, Command::StartProducerInstance { producer: p }),
        note(3_000, "The old instance wakes up and tries to commit: its epoch is stale, so it is fenced."),
        at(3_000, Command::EndTransaction { producer: p, commit: true }),
        note(3_500, "The new instance writes the orders again, in a transaction of its own, and commits."),
        at(3_500, Command::BeginTransaction { producer: ProducerIdx(1) }),
        at(3_510, Command::Produce { producer: ProducerIdx(1), topic: None, key: Some("order-1".into()), value: None, partition: None }),
        at(3_520, Command::Produce { producer: ProducerIdx(1), topic: None, key: Some("order-2".into()), value: None, partition: None }),
        at(3_800, Command::EndTransaction { producer: ProducerIdx(1), commit: true }),
    ];
    c.groups[0].isolation_level = crate::engine::config::IsolationLevel::ReadCommitted;
    c.groups[0].auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    Preset {
        id: "zombie-fenced",
        title: "A zombie producer is fenced",
        summary: "initTransactions() on the new instance bumps the epoch and aborts the old instance's open transaction; the old instance's commit fails with PRODUCER_FENCED.",
        config: c,
        expect: Expect::ZombieFenced,
        lanes: Vec::new(),
    }
}

pub fn two_topic_transaction() -> Preset {
    use crate::engine::config::{IsolationLevel, TopicConfig};
    let mut c = ScenarioConfig::default();
    c.topics = vec![
        TopicConfig {
            name: "topic1".into(),
            partitions: 1,
            ..TopicConfig::default()
        },
        TopicConfig {
            name: "topic2".into(),
            partitions: 1,
            ..TopicConfig::default()
        },
    ];
    let mut pc = txn_producer("producer-1", "my-transactional-producer");
    pc.workload.topic = "topic1".into();
    c.producers = vec![pc];
    c.groups[0].topics = vec!["topic1".into(), "topic2".into()];
    c.groups[0].isolation_level = IsolationLevel::ReadCommitted;
    c.groups[0].auto_offset_reset = crate::engine::config::AutoOffsetReset::Earliest;
    let p = ProducerIdx(0);
    c.script = vec![
        note(0, "The course text's example: one transaction writes message1 to topic1 and message2 to topic2, and commits."),
        at(0, Command::BeginTransaction { producer: p }),
        at(10, send_to("topic1", "message1")),
        at(20, send_to("topic2", "message2")),
        at(300, Command::EndTransaction { producer: p, commit: true }),
        note(1_000, "The same again, but this time the application aborts: neither message is visible to a read_committed consumer."),
        at(1_000, Command::BeginTransaction { producer: p }),
        at(1_010, send_to("topic1", "message1")),
        at(1_020, send_to("topic2", "message2")),
        at(1_300, Command::EndTransaction { producer: p, commit: false }),
    ];
    Preset {
        id: "two-topic-transaction",
        title: "The course text's transaction across topic1 and topic2",
        summary: "Both writes commit together (a COMMIT marker in each partition), or both abort; a read_committed consumer sees the first pair only.",
        config: c,
        expect: Expect::TwoTopicTransaction,
        lanes: Vec::new(),
    }
}

pub fn preferred_leader_election() -> Preset {
    let mut c = cluster(3, 1, 3, 2);
    c.producers[0].acks = Acks::All;
    c.producers[0].workload.records = 30;
    c.producers[0].workload.interval_ms = 2_000;
    // Kafka checks every 300 s; a shorter interval keeps the wait watchable.
    c.cluster.leader_imbalance_check_interval_seconds = 30;
    c.script = vec![
        note(0, "events-0 is led by its preferred replica, the first broker in its assignment. With auto.leader.rebalance.enable on (Kafka's default) the controller hands leadership back to it; this preset checks every 30 s instead of 300 (both are in Settings)."),
        at(3_000, Command::CrashLeader { topic: "events".into(), partition: 0 }),
        note(14_000, "The controller fenced the crashed broker and elected the next in-sync replica. The crashed broker comes back, catches up and rejoins the ISR, as a follower: nothing moves leadership back yet."),
        at(14_000, Command::RestartCrashedBrokers),
        note(38_000, "The controller scheduled its imbalance check when events-0 lost its preferred leader, for 30 s later. When it runs with auto.leader.rebalance.enable on, the preferred replica is alive and in the ISR: leadership goes back to it. With the setting off, nothing moves."),
    ];
    Preset {
        id: "preferred-leader-election",
        title: "Preferred-leader election: leadership returns after a broker comes back",
        summary: "3 brokers, RF 3; the leader crashes, a follower takes over; the old leader returns, rejoins the ISR and, at the controller's imbalance check, leads again.",
        config: c,
        expect: Expect::PreferredLeaderReturns,
        lanes: Vec::new(),
    }
}

pub fn failover_metadata_refresh() -> Preset {
    let mut c = cluster(3, 1, 3, 2);
    c.producers[0].acks = Acks::All;
    c.producers[0].workload.records = 24;
    c.producers[0].workload.interval_ms = 1_500;
    c.cluster.leader_imbalance_check_interval_seconds = 20;
    c.script = vec![
        note(0, "The producer and the consumer each cache who leads events-0 (and its leader epoch), and send there. They never ask the controller."),
        at(4_000, Command::CrashLeader { topic: "events".into(), partition: 0 }),
        note(4_100, "The clients see their connection to the leader close and ask another broker for Metadata. Until the controller fences the dead broker, the answer still names it: they retry, backing off."),
        note(14_500, "A Metadata response named the new leader; the clients resent there. The old leader returns as a follower."),
        at(14_500, Command::RestartCrashedBrokers),
        note(33_000, "The imbalance check moves leadership back to the preferred replica. The old leader answers NOT_LEADER_OR_FOLLOWER: the clients refresh their metadata and resend."),
    ];
    Preset {
        id: "failover-metadata-refresh",
        title: "Failover with metadata refresh: how clients find the new leader",
        summary: "3 brokers, RF 3; the leader crashes, then returns. Clients learn each move only from a failed request and a Metadata refresh.",
        config: c,
        expect: Expect::MetadataRefreshFailover,
        lanes: Vec::new(),
    }
}

/// Every preset, in menu order.
/// Every preset, in menu order, built from code.
pub fn built() -> Vec<Preset> {
    vec![
        walkthrough(),
        acks1_failover_loss(),
        acks_all_survives(),
        not_enough_replicas(),
        retry_duplicates(),
        idempotent_dedup(),
        outage_epoch_bump(),
        acks_latency(),
        fewer_consumers(),
        more_consumers(),
        two_groups(),
        c_joins_eager(),
        c_joins_cooperative(),
        c_joins_side_by_side(),
        c_joins_consumer_protocol(),
        c_joins_three_ways(),
        rolling_upgrade(),
        session_timeout(),
        poll_timeout(),
        at_most_once(),
        at_least_once(),
        exactly_once(),
        semantics_side_by_side(),
        auto_commit_crash(),
        aborted_invisible(),
        zombie_fenced(),
        two_topic_transaction(),
        preferred_leader_election(),
        failover_metadata_refresh(),
        caught_exception(),
        end_to_end_semantics(),
        zombie_lso(),
        new_group_latest(),
    ]
}

/// A preset's distinct notes in the order they are numbered: the table's
/// `notes` and presets.txt's `id#N` lines (the scenario first, then each
/// lane's script).
pub fn notes_of(p: &Preset) -> Vec<&str> {
    let mut notes: Vec<&str> = Vec::new();
    for c in std::iter::once(&p.config).chain(p.lanes.iter().map(|l| &l.1)) {
        for e in &c.script {
            if let Command::Note { text } = &e.command {
                if !notes.contains(&text.as_str()) {
                    notes.push(text);
                }
            }
        }
    }
    notes
}

/// Scenario `c` of a preset whose notes are `notes`, as a v1 link
/// fragment. Narration notes are left out as plain text (the link format
/// would base64 them, which compresses poorly); the scenario keeps each
/// note's index in its place.
fn fragment_of(c: &ScenarioConfig, notes: &[&str]) -> String {
    use crate::link::{encode, Link, LinkScenario, LinkView};
    let mut c = c.clone();
    for entry in c.script.iter_mut() {
        if let Command::Note { text } = &mut entry.command {
            let i = notes
                .iter()
                .position(|n| n == text)
                .expect("notes_of lists it");
            *text = i.to_string();
        }
    }
    encode(
        &Link {
            scenario: LinkScenario::Custom(c),
            commands: Vec::new(),
            at_calls: 0,
            view: LinkView::default(),
            live_tape: None,
        },
        crate::link::NO_PRESETS,
    )
}

/// The Rust source of `src/presets/table.rs` for [`built`].
pub fn table_source() -> String {
    let mut out = String::from(
        "//! GENERATED from src/presets/build.rs by\n//! `UPDATE_PRESET_TABLE=1 cargo test --test presets`: do not edit.\n//! Each scenario is a v1 link fragment (a diff against the link format's\n//! base configuration); the page's build reads them from presets.txt.\n\nuse super::{Entry, Expect};\n\n#[rustfmt::skip]\npub(super) const TABLE: &[Entry] = &[\n",
    );
    for p in built() {
        // A preset of Kafka 4's consumer protocol runs on the full page
        // only: the course page's bundle keeps just its menu entry.
        let full = std::iter::once(&p.config)
            .chain(p.lanes.iter().map(|l| &l.1))
            .any(|c| {
                c.groups
                    .iter()
                    .any(|g| g.group_protocol == crate::engine::config::GroupProtocol::Consumer)
                    || c.script.iter().any(|e| {
                        matches!(
                            e.command,
                            Command::RestartConsumerWith {
                                group_protocol: crate::engine::config::GroupProtocol::Consumer,
                                ..
                            }
                        )
                    })
            });
        let (gate, end) = if full {
            ("if cfg!(consumer_protocol) { ", " } else { &[] }")
        } else {
            ("", "")
        };
        let notes = notes_of(&p);
        // The scenarios, like the notes, wait in presets.txt for the page.
        let native = |fragment: String| {
            format!("if cfg!(target_arch = \"wasm32\") {{ \"\" }} else {{ {fragment:?} }}")
        };
        let config = native(fragment_of(&p.config, &notes));
        let lanes: Vec<String> = p
            .lanes
            .iter()
            .map(|(label, c)| {
                format!(
                    "\n            ({:?}, {}),",
                    label,
                    native(fragment_of(c, &notes))
                )
            })
            .collect();
        // The notes, like the summaries, wait in presets.txt for the page.
        let (note_gate, note_end) = if notes.is_empty() {
            (gate, end)
        } else {
            ("if cfg!(target_arch = \"wasm32\") { &[] } else { ", " }")
        };
        out.push_str(&format!(
            "    Entry {{\n        id: {:?},\n        title: if cfg!(target_arch = \"wasm32\") {{ \"\" }} else {{ {:?} }},\n        summary: if cfg!(target_arch = \"wasm32\") {{ \"\" }} else {{ {:?} }},\n        expect: Expect::{:?},\n        full_page: {full},\n        config: {},\n        lanes: {gate}&[{}{}]{end},\n        notes: {note_gate}&[",
            p.id,
            p.title,
            p.summary,
            p.expect,
            config,
            lanes.concat(),
            if lanes.is_empty() { "" } else { "\n        " }
        ));
        for n in &notes {
            out.push_str(&format!("\n            {n:?},"));
        }
        if !notes.is_empty() {
            out.push_str("\n        ");
        }
        out.push_str(&format!("]{note_end},\n    }},\n"));
    }
    out.push_str("];\n");
    out
}

/// `static/presets.txt`, which the page fetches as it starts: one line per
/// preset, its id, a tab and its summary; then `id#t` and its title; then
/// `id#c` and its scenario (`id#lN`, lane N's); then `id#N` and each note. The table leaves these texts out of the wasm build,
/// so they stay out of the page's first load.
pub fn summaries_source() -> String {
    let mut out = String::new();
    let presets = built();
    // Every summary, then every title as `id#t` (the page's menu reads
    // them from here).
    for (key, text) in presets
        .iter()
        .map(|p| (p.id.to_string(), p.summary))
        .chain(presets.iter().map(|p| (format!("{}#t", p.id), p.title)))
    {
        assert!(
            !text.contains(['\t', '\n']),
            "preset {key}: its summary and title are one line without tabs"
        );
        out.push_str(&format!("{key}\t{text}\n"));
    }
    // Then every scenario, as `id#c` and each lane's as `id#lN`: the
    // page's table leaves them out of its first load too.
    for p in &presets {
        let notes = notes_of(p);
        out.push_str(&format!("{}#c\t{}\n", p.id, fragment_of(&p.config, &notes)));
        for (i, (_, c)) in p.lanes.iter().enumerate() {
            out.push_str(&format!("{}#l{i}\t{}\n", p.id, fragment_of(c, &notes)));
        }
    }
    // Then every note, as `id#N`, numbered as the table numbers them.
    for p in &presets {
        for (i, n) in notes_of(p).iter().enumerate() {
            assert!(
                !n.contains(['\t', '\n']),
                "preset {}: a note is one line without tabs",
                p.id
            );
            out.push_str(&format!("{}#{i}\t{n}\n", p.id));
        }
    }
    out
}
