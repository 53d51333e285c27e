//! GENERATED from src/presets/build.rs by
//! `UPDATE_PRESET_TABLE=1 cargo test --test presets`: do not edit.
//! Each scenario is a v1 link fragment (a diff against the link format's
//! base configuration).

use super::{Entry, Expect};

pub(super) const TABLE: &[Entry] = &[
    Entry {
        id: "nine-stages",
        title: "The nine stages of a record",
        summary: "One broker, topic events with 3 partitions, one consumer: follow a record from send() to commit.",
        expect: Expect::AllProcessedOnce,
        config: "v1.AAAFAgAAAABGb96-",
        lanes: &[],
        notes: &[],
    },
    Entry {
        id: "acks1-failover-loss",
        title: "acks=1: a leader failover loses an acknowledged record",
        summary: "3 brokers, RF 3, acks=1; the followers stall, the leader acks order-1 and crashes; a follower takes over without it.",
        expect: Expect::AckedRecordLost,
        config: "v1.AABWAgIBAwADAQIBAwMABAECAQAHCAAAEgEwAAADBmV2ZW50cwDgXQAKIgAHb3JkZXItMQEAAQIGZXZlbnRzAADUYRIBMQDUYTAAAIB9EgEyAIB9BAAAAACU1Rm-",
        lanes: &[],
        notes: &[
            "acks=1: the leader answers as soon as the record is in ITS log. Watch what happens when it dies before a follower copies it.",
            "A follower was elected: it was in the ISR (stalled for less than replica.lag.time.max.ms) but never got order-1. The producer sends order-2, which takes order-1's offset.",
            "The old leader comes back and truncates its log to the new leader's: the acknowledged order-1 vanishes.",
        ],
    },
    Entry {
        id: "acks-all-survives-crash",
        title: "acks=all, min.insync.replicas=2: a broker crash loses nothing",
        summary: "3 brokers, RF 3; the leader crashes mid-stream; every acknowledged record survives on the new leader.",
        expect: Expect::AllProcessedOnce,
        config: "v1.AABUAgIBAwADAQIBAwMEAgAEAQ8CBgOWAQQCAwdvcmRlci0xB29yZGVyLTIHb3JkZXItMwAABwQAABIBMAEAAwIGZXZlbnRzAACwbRIBMQCwbQQAAAAAxWAagA",
        lanes: &[],
        notes: &[
            "acks=all with min.insync.replicas=2: the leader answers only once every in-sync replica has the record.",
            "The crashed broker returns and catches up. No acknowledged record was lost.",
        ],
    },
    Entry {
        id: "not-enough-replicas",
        title: "Two of three brokers down: NOT_ENOUGH_REPLICAS",
        summary: "RF 3, min.insync.replicas=2, acks=all: with one in-sync replica left the leader refuses writes until another returns.",
        expect: Expect::NotEnoughReplicasThenDelivered,
        config: "v1.AAA5AgIBAwADAQIBAwMEAgAHBgAAEgEwAAAFAQAABQIAkE4iAAdvcmRlci0xAIB9EgExAIB9BgEAAAAABrxw9g",
        lanes: &[],
        notes: &[
            "Two of the three brokers go down. Once the controller fences them the ISR has one member, below min.insync.replicas=2.",
            "One broker returns; once it is back in the ISR, the retried write succeeds.",
        ],
    },
    Entry {
        id: "retry-duplicates",
        title: "A retry without idempotence writes a duplicate",
        summary: "enable.idempotence=false: the response is lost, the producer times out and retries, the broker appends the record twice.",
        expect: Expect::DuplicateFromRetry,
        config: "v1.AAArAgQBCLgXCaCcAQsBAAcDAAASATAAAAgAAAoiAApwYXltZW50LTQyAAAAAJt5-zY",
        lanes: &[],
        notes: &[
            "The broker's answer to the next produce request will be lost in the network.",
        ],
    },
    Entry {
        id: "idempotent-dedup",
        title: "The idempotent producer's retry is dropped as a duplicate",
        summary: "enable.idempotence=true: same lost response, but the broker recognises the producer id and sequence and keeps one copy.",
        expect: Expect::DuplicateDropped,
        config: "v1.AAArAgQBCLgXCaCcAQsCAAcDAAASATAAAAgAAAoiAApwYXltZW50LTQyAAAAAFJm84k",
        lanes: &[],
        notes: &[
            "The broker's answer to the next produce request will be lost in the network.",
        ],
    },
    Entry {
        id: "acks-latency",
        title: "acks=0 vs acks=1 vs acks=all: what the wait costs",
        summary: "Three producers, same workload: acks=0 never waits, acks=1 waits for the leader, acks=all for every in-sync replica.",
        expect: Expect::LatencyOrderedByAcks,
        config: "v1.AABOAgIBAwIFAAMBAwMEAgAEAwEGYWNrcy0wAgAPAhQDKAAAAQZhY2tzLTECAQ8CFAMoAAABCGFja3MtYWxsDwIUAygAAAcBAAASATAAAAAAMqdIXQ",
        lanes: &[],
        notes: &[
            "Three producers send the same workload with acks=0, acks=1 and acks=all. Compare their average acknowledgement latency.",
        ],
    },
    Entry {
        id: "consumers-fewer-than-partitions",
        title: "Consumers < partitions: some consumers read several",
        summary: "6 partitions, a group of 2: every partition has exactly one owner, each consumer has three.",
        expect: Expect::ConsumersShareAllPartitions,
        config: "v1.AAAfAgMBAgYABAEPAgwDKAAABQEOAgAHAQAAEgEwAAAAAFH9SEc",
        lanes: &[],
        notes: &[
            "6 partitions, 2 consumers: each consumer owns several partitions (range gives A P0–P2 and B P3–P5).",
        ],
    },
    Entry {
        id: "consumers-more-than-partitions",
        title: "Consumers > partitions: one consumer sits idle",
        summary: "3 partitions, a group of 4: the fourth consumer gets nothing until someone leaves.",
        expect: Expect::SomeConsumerIdle,
        config: "v1.AAAaAgQBDwIJAygAAAUBDgQABwEAABIBMAAAAADLqJM1",
        lanes: &[],
        notes: &[
            "3 partitions, 4 consumers: a partition has one owner per group, so one consumer sits idle.",
        ],
    },
    Entry {
        id: "two-groups",
        title: "Two consumer groups read the topic independently",
        summary: "my-consumer-group (2 consumers) and analytics (1): both see all 8 records, each with its own offsets.",
        expect: Expect::GroupsIndependent,
        config: "v1.AAAmAgQBDwIIAygAAAUCDgIAAQlhbmFseXRpY3MABwEAABIBMAAAAAAg2Fxh",
        lanes: &[],
        notes: &[
            "Two groups read the same topic: each gets every record and keeps its own committed offsets, under its own coordinator partition of __consumer_offsets.",
        ],
    },
    Entry {
        id: "c-joins-eager-range",
        title: "C joins: eager rebalance with range",
        summary: "The default strategy list [range, cooperative-sticky] runs EAGER: every consumer stops and gives up all partitions while C joins.",
        expect: Expect::JoinRebalances,
        config: "v1.AAArAgMBAgQABAEPAhADlgEAAAUBDgIABwMAABIBMAC8BQkAAIgnEgExAAAAAMc8nss",
        lanes: &[],
        notes: &[
            "Before: 2 consumers, 4 partitions; range gave A P0 and P1, B P2 and P3. Consumer C is about to join.",
            "Eager range: everyone revoked everything first (stop the world), then range gave A P0+P1, B P2, C P3. The course text's picture (C gets P1 and P3) is not what any Kafka assignor does.",
        ],
    },
    Entry {
        id: "c-joins-cooperative-sticky",
        title: "C joins: cooperative-sticky rebalance",
        summary: "Only the partition that moves is revoked, and a second rebalance hands it to C; the others never stop.",
        expect: Expect::JoinRebalances,
        config: "v1.AAAuAgMBAgQABAEPAhADlgEAAAUBAwEDDgIABwMAABIBMAC8BQkAANg2EgExAAAAADqjzjw",
        lanes: &[],
        notes: &[
            "Before: 2 consumers, 4 partitions; cooperative-sticky dealt them round-robin (A P0 and P2, B P1 and P3). Consumer C is about to join.",
            "Cooperative-sticky: one partition moved, in two rebalances: its owner revoked only that one in the first, C received it in the second. Nobody stopped consuming the partitions they kept.",
        ],
    },
    Entry {
        id: "c-joins-side-by-side",
        title: "C joins: eager range vs cooperative-sticky, side by side",
        summary: "The same group, the same records, the same moment C joins: on the left every consumer stops; on the right only the moving partition pauses.",
        expect: Expect::JoinRebalances,
        config: "v1.AAAgAgMBAgQABAEPAhADlgEAAAUBDgIABwEAvAUJAAAAAAAP6Dt6",
        lanes: &[
            ("eager · range", "v1.AAAgAgMBAgQABAEPAhADlgEAAAUBDgIABwEAvAUJAAAAAAAP6Dt6"),
            ("cooperative-sticky", "v1.AAAjAgMBAgQABAEPAhADlgEAAAUBAwEDDgIABwEAvAUJAAAAAAAgXw2f"),
        ],
        notes: &[],
    },
    Entry {
        id: "session-timeout",
        title: "A crashed consumer is detected by session.timeout.ms",
        summary: "B dies silently; its partitions wait until the coordinator expires its session, then A takes them over from the committed offsets.",
        expect: Expect::SessionTimeoutMovesPartitions,
        config: "v1.AAArAgMBAgQABAEPAgwDkAMAAAUBBJBOCAAOAgAHAgAAEgEwAOgHCwEDAAAAABG3cXA",
        lanes: &[],
        notes: &[
            "session.timeout.ms is 10 s here (default 45 s), and auto.offset.reset=earliest so a partition without a commit is read from its start. Consumer B will crash: no LeaveGroup, its heartbeats just stop.",
        ],
    },
    Entry {
        id: "poll-timeout-commit-failed",
        title: "Slow processing: max.poll.interval.ms, CommitFailed, a duplicate",
        summary: "A takes too long between polls, leaves the group, B re-reads A's uncommitted record, and A's late commit fails.",
        expect: Expect::PollTimeoutDuplicates,
        config: "v1.AAAzAgMBAgIABAEPAgYDrAIAAAUBBJBOBognDgIABwMAABIBMAD0Aw0AwD4AqEYNAAoAAAAAQc2R_A",
        lanes: &[],
        notes: &[
            "max.poll.interval.ms is 5 s here. Consumer A's processing is about to take 8 s per record (a slow database call).",
        ],
    },
    Entry {
        id: "at-most-once-loses",
        title: "At-most-once: commit, then crash before processing = a lost record",
        summary: "Consumer A commits what it polled before processing it, then dies after its third record: the rest of the batch is never processed.",
        expect: Expect::Semantics { lost: true, duplicated: false },
        config: "v1.AABGAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAoBC2QR0A8ABwIAABIBMAICCwABAAAAALRXN6c",
        lanes: &[],
        notes: &[
            "At-most-once: the consumer commits the positions right after poll(), before processing. A will crash right after processing its third record.",
        ],
    },
    Entry {
        id: "at-least-once-duplicates",
        title: "At-least-once: process, then crash before the commit = a duplicate",
        summary: "Consumer A commits after each record; it dies after processing its third record but before committing it, so that record is processed again.",
        expect: Expect::Semantics { lost: false, duplicated: true },
        config: "v1.AABEAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAtkEdAPAAcCAAASATACAgsAAQAAAABJBEvP",
        lanes: &[],
        notes: &[
            "At-least-once: process first, commit after (the course text's code). A will crash right after processing its third record, before its commit.",
        ],
    },
    Entry {
        id: "exactly-once-survives",
        title: "Exactly-once: the same crash, 0 lost and 0 duplicates",
        summary: "Consume-transform-produce in a transaction: the output and the offsets commit together, so the crash aborts both and the retry counts once.",
        expect: Expect::Semantics { lost: false, duplicated: false },
        config: "v1.AABbAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAkBCgMLZBABEGV2ZW50cy1wcm9jZXNzZWQR0A8ABwIAABIBMAICCwABAAAAAMIUgxs",
        lanes: &[],
        notes: &[
            "Exactly-once: outputs go to events-processed and the offsets go into the same transaction. A will crash right after processing its third record.",
        ],
    },
    Entry {
        id: "semantics-side-by-side",
        title: "Delivery semantics side by side: the same crash, three outcomes",
        summary: "Same seed, same six records, same crash after the third record: at-most-once loses, at-least-once duplicates, exactly-once does neither.",
        expect: Expect::Semantics { lost: true, duplicated: false },
        config: "v1.AABBAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAoBC2QR0A8ABwECAgsAAQAAAAA4MP8q",
        lanes: &[
            ("at-most-once", "v1.AABBAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAoBC2QR0A8ABwECAgsAAQAAAAA4MP8q"),
            ("at-least-once", "v1.AAA_AgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAtkEdAPAAcBAgILAAEAAAAAJmVv8Q"),
            ("exactly-once", "v1.AABWAgMCAgEAARBldmVudHMtcHJvY2Vzc2VkAgEABAEPAgYDAAAABQEE8C4F0A8IAAkBCgMLZBABEGV2ZW50cy1wcm9jZXNzZWQR0A8ABwECAgsAAQAAAADjQDy-"),
        ],
        notes: &[],
    },
    Entry {
        id: "auto-commit-crash",
        title: "Auto-commit: a crash between two commits re-delivers records",
        summary: "Records processed after the last auto-commit are processed again after the restart: auto-commit is at-least-once, not at-most-once.",
        expect: Expect::Semantics { lost: false, duplicated: true },
        config: "v1.AAAtAgMBAgEABAEPAggDrAIAAAUBBPAuCAAKABHoBwAHAgAAEgEwAgYLAAMAAAAAJIxRQw",
        lanes: &[],
        notes: &[
            "enable.auto.commit=true, auto.commit.interval.ms=5000: offsets are committed from inside a later poll(), every 5 s. The course text's 'commits immediately' is not how it works.",
        ],
    },
    Entry {
        id: "aborted-invisible",
        title: "An aborted transaction: invisible to read_committed, visible to read_uncommitted",
        summary: "read_committed stops at the last stable offset and skips aborted records; read_uncommitted reads them all. Markers take offsets but never reach the application.",
        expect: Expect::AbortedInvisibleToReadCommitted,
        config: "v1.AACKAgMBAgEABAEBDHBheW1lbnRzLWFwcAwBCHBheW1lbnRzAAUCAQ5yZWFkLWNvbW1pdHRlZAgACQEAARByZWFkLXVuY29tbWl0dGVkCAAABwoAABIBMAAAEQAACiIABXBheS0xABQwAAAeMAAArAIQAAAAoAYRAACqBjAAALQGMAAAzAgQAAEAAAAAL5tTtw",
        lanes: &[],
        notes: &[
            "A transactional producer writes three payments and then aborts; then writes two more and commits. Two groups read the topic with different isolation.level settings.",
        ],
    },
    Entry {
        id: "zombie-fenced",
        title: "A zombie producer is fenced",
        summary: "initTransactions() on the new instance bumps the epoch and aborts the old instance's open transaction; the old instance's commit fails with PRODUCER_FENCED.",
        expect: Expect::ZombieFenced,
        config: "v1.AAB4AgMBAgEABAEBCm9yZGVycy1hcHAMAQZvcmRlcnMABQEIAAkBAAcMAAASATAAABEAAAoiAAdvcmRlci0xABQwAACQAw8AALgXEgExALgXEAABAKwbEgEyAKwbEQEAthsiAQdvcmRlci0xAMAbMAEA2B0QAQEAAAAAkgheEg",
        lanes: &[],
        notes: &[
            "orders-app opens a transaction and writes two orders, then stalls. A second instance with the same transactional.id starts.",
            "The old instance wakes up and tries to commit: its epoch is stale, so it is fenced.",
            "The new instance writes the orders again, in a transaction of its own, and commits.",
        ],
    },
    Entry {
        id: "two-topic-transaction",
        title: "The course text's transaction across topic1 and topic2",
        summary: "Both writes commit together (a COMMIT marker in each partition), or both abort; a read_committed consumer sees the first pair only.",
        expect: Expect::TwoTopicTransaction,
        config: "v1.AADRAgMCAQZ0b3BpYzECAQABBnRvcGljMgIBAAQBDAEZbXktdHJhbnNhY3Rpb25hbC1wcm9kdWNlcg8BBnRvcGljMQAABQECAgZ0b3BpYzEGdG9waWMyCAAJAQAHCgAAEgEwAAARAAAKIwAGdG9waWMxCG1lc3NhZ2UxABQjAAZ0b3BpYzIIbWVzc2FnZTIArAIQAAEA6AcSATEA6AcRAADyByMABnRvcGljMQhtZXNzYWdlMQD8ByMABnRvcGljMghtZXNzYWdlMgCUChAAAAAAAAC5Cb2y",
        lanes: &[],
        notes: &[
            "The course text's example: one transaction writes message1 to topic1 and message2 to topic2, and commits.",
            "The same again, but this time the application aborts: neither message is visible to a read_committed consumer.",
        ],
    },
];
