//! Behaviour tests for the producer's recovery and fencing rules ("Fidelity,
//! second pass"), one test per rule, each named after the behaviour and
//! asserting Kafka's exact outcome:
//!
//! - KIP-360: an idempotent producer whose batch expired after it was sent
//!   bumps its epoch and restarts that partition's sequence at 0: only the
//!   expired records are lost, and records sent after the outage get
//!   through (`TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded`);
//! - a batch in flight expires at `delivery.timeout.ms`, not at its request
//!   timeout (`Sender.getExpiredInflightBatches`);
//! - a transactional producer that loses a batch enters an abortable error:
//!   the transaction is aborted, never committed without the record, and
//!   InitProducerId bumps the epoch afterwards;
//! - fencing: a produce with a stale epoch gets `INVALID_PRODUCER_EPOCH`
//!   (`ProducerAppendInfo.checkProducerEpoch`, since Kafka 2.7);
//!   `PrepareEpochFence` is an in-memory pending state, never written to
//!   `__transaction_state`; a transaction-timeout abort bumps the epoch and
//!   fences the producer that left it open;
//! - the sticky partitioner (KIP-794) counts a record's bytes after its
//!   append and switches once `batch.size` went to the partition and all
//!   its batches are full (`BuiltInPartitioner.updatePartitionInfo`,
//!   `RecordAccumulator.partitionChanged`);
//! - the drain takes the next batch of every partition of a ready leader,
//!   lingering ones too (`RecordAccumulator.drain`).

use kafkascope::engine::config::{Acks, ScenarioConfig};
use kafkascope::engine::event::{ErrorCode, EventKind, MsgKind, Node, PartitionChoice, TxnState};
use kafkascope::engine::ids::*;
use kafkascope::engine::network::CoordinatorKey;
use kafkascope::engine::record::RecordKind;
use kafkascope::engine::Command;

mod common;
use common::commands::*;
use common::sim::Sim;

const P0: ProducerIdx = ProducerIdx(0);

impl Sim {
    fn tp(&self, partition: u32) -> Tp {
        Tp::new(self.e.topic_id("events").unwrap(), partition)
    }

    fn leader(&self, tp: Tp) -> Option<BrokerId> {
        self.e.partition_meta(tp).leader
    }

    /// Runs until simulated time `ms` (not to the next headline, which may
    /// be much later).
    fn run_to(&mut self, ms: u64) {
        self.e.run_to_ms(ms);
        self.log.extend(self.e.take_events());
        self.e.check_invariants().unwrap();
    }

    fn send_to(&mut self, partition: u32, key: &str) {
        self.apply(Command::Produce {
            producer: P0,
            topic: None,
            key: Some(key.into()),
            value: None,
            partition: Some(partition),
        });
    }

    /// The keys of the records acknowledged and of those that failed for good.
    fn outcomes(&self) -> (Vec<String>, Vec<(String, ErrorCode)>) {
        let key = |r: &RecordId| match self.e.record(*r).key_bytes() {
            Some(k) => String::from_utf8(k).unwrap(),
            None => String::new(),
        };
        let mut acked = Vec::new();
        let mut failed = Vec::new();
        for e in &self.log {
            match &e.kind {
                EventKind::Acked { records, .. } => acked.extend(records.iter().map(key)),
                EventKind::ProduceFailed {
                    records,
                    error,
                    retry_in_ms: None,
                    ..
                } => failed.extend(records.iter().map(|r| (key(r), *error))),
                _ => {}
            }
        }
        (acked, failed)
    }

    fn epoch(&self) -> Option<ProducerEpoch> {
        self.e.producers()[0].producer_id.map(|x| x.1)
    }
}

/// 3 brokers, "events" with 3 partitions of RF 1 (a crashed leader takes
/// its partition offline), one idempotent producer sending by hand.
fn outage_cluster() -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.cluster.brokers = 3;
    c.topics[0].partitions = 3;
    c.topics[0].replication_factor = 1;
    c.groups.clear();
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.linger_ms = 0;
    p.enable_idempotence = Some(true);
    p.request_timeout_ms = 5_000;
    p.delivery_timeout_ms = 20_000;
    p.workload.records = 0;
    c
}

// ---- KIP-360 ------------------------------------------------------------------

#[test]
fn an_idempotent_producer_bumps_its_epoch_after_an_outage_longer_than_delivery_timeout_and_loses_only_the_expired_records(
) {
    let mut s = Sim::new(outage_cluster());
    s.until("producer id", |s| s.epoch().is_some());
    let tp = s.tp(0);
    let leader = s.leader(tp).unwrap();
    let t0 = s.e.now_ms();
    s.send_to(0, "before");
    s.until("acked", |s| s.outcomes().0.len() == 1);
    s.apply(Command::CrashBroker { broker: leader });
    // Sent while the broker is down: both expire (20 s) before it returns (28 s).
    s.send_to(0, "during-1");
    s.run_to(t0 + 3_000);
    s.send_to(0, "during-2");
    s.run_to(t0 + 28_000);
    s.apply(Command::RestartBroker { broker: leader });
    s.until("leader back", |s| s.leader(tp) == Some(leader));
    for k in ["after-1", "after-2", "after-3"] {
        s.send_to(0, k);
        s.run_to(s.e.now_ms() + 500);
    }
    s.drain();
    let (acked, failed) = s.outcomes();
    assert_eq!(acked, vec!["before", "after-1", "after-2", "after-3"]);
    assert_eq!(
        failed,
        vec![
            ("during-1".to_string(), ErrorCode::DeliveryTimeout),
            ("during-2".to_string(), ErrorCode::DeliveryTimeout),
        ],
        "only the expired records are lost"
    );
    assert!(
        !s.has(|k| matches!(
            k,
            EventKind::ProduceFailed {
                error: ErrorCode::OutOfOrderSequenceNumber,
                ..
            }
        )),
        "no batch runs into the gap"
    );
    assert_eq!(s.epoch(), Some(ProducerEpoch(1)), "one local epoch bump");
    // The first batch after the outage is sequence 0 of epoch 1 in the log.
    let log = &s.e.brokers()[leader.0 as usize].replica(tp).unwrap().log;
    let pid = s.e.producers()[0].producer_id.unwrap().0;
    let entry = log.producer_state().entry(pid).expect("producer state");
    assert_eq!(entry.epoch, Some(ProducerEpoch(1)));
    assert_eq!(entry.last_seq(), Some(2), "after-1..3 are sequences 0..2");
}

/// `Sender.getExpiredInflightBatches`: a retry sent late in its batch's
/// life does not get a whole request.timeout.ms more; the batch fails at
/// exactly `delivery.timeout.ms` after its creation while still in flight.
/// Its first attempt was written (only the responses were lost), so the
/// sequence is unresolved and the producer bumps its epoch (KIP-360) before
/// the next record.
#[test]
fn an_in_flight_batch_expires_at_delivery_timeout_ms_not_at_its_request_timeout() {
    let mut s = Sim::new(outage_cluster());
    s.until("producer id", |s| s.epoch().is_some());
    s.send_to(0, "before");
    s.until("acked", |s| s.outcomes().0.len() == 1);
    let timeouts = |s: &Sim| {
        s.events(|k| {
            matches!(
                k,
                EventKind::ProduceFailed {
                    error: ErrorCode::RequestTimedOut,
                    ..
                }
            )
        })
        .len()
    };
    s.send_to(0, "late");
    // request.timeout.ms 5 s, delivery.timeout.ms 20 s: attempts leave at
    // about 0, 5.1, 10.2 and 15.3 s, every response lost. The fourth
    // attempt's request would time out at about 20.3 s.
    for n in 0..4 {
        s.apply(Command::DropNextProduceResponse { producer: P0 });
        if n < 3 {
            s.until("request timed out", |s| timeouts(s) == n + 1);
        }
    }
    s.until("failed for good", |s| s.outcomes().1.len() == 1);
    let created = s
        .events(|k| matches!(k, EventKind::Created { .. }))
        .last()
        .unwrap()
        .time_ms;
    let failed = s
        .events(|k| {
            matches!(
                k,
                EventKind::ProduceFailed {
                    retry_in_ms: None,
                    ..
                }
            )
        })
        .last()
        .unwrap()
        .time_ms;
    assert_eq!(s.outcomes().1[0].1, ErrorCode::DeliveryTimeout);
    assert_eq!(
        failed,
        created + 20_000,
        "expires in flight at delivery.timeout.ms after creation"
    );
    assert_eq!(timeouts(&s), 3, "the fourth request never timed out first");
    s.send_to(0, "after");
    s.drain();
    assert_eq!(s.outcomes().0, vec!["before", "after"]);
    assert_eq!(
        s.epoch(),
        Some(ProducerEpoch(1)),
        "the unresolved sequence bumps the epoch"
    );
}

/// 3 brokers, "events" RF 1 and a transactional producer driven by hand.
fn txn_cluster() -> ScenarioConfig {
    let mut c = outage_cluster();
    c.producers[0].transactional_id = Some("tx-1".into());
    c
}

fn txn_counts(s: &Sim) -> (u32, u32) {
    let m = s.e.txn_coordinator().get("tx-1").expect("txn");
    (m.committed, m.aborted)
}

/// A partition of "events" led by a broker that is not the transaction
/// coordinator of "tx-1".
fn partition_away_from_coordinator(s: &Sim) -> u32 {
    let coord = s.leader(s.e.txn_partition("tx-1").unwrap()).unwrap();
    (0..3).find(|p| s.leader(s.tp(*p)) != Some(coord)).unwrap()
}

fn transaction(s: &mut Sim, partition: u32, key: &str) {
    s.apply(Command::BeginTransaction { producer: P0 });
    s.send_to(partition, key);
    s.apply(Command::EndTransaction {
        producer: P0,
        commit: true,
    });
}

#[test]
fn a_transactional_producer_that_loses_a_batch_aborts_the_transaction_and_bumps_its_epoch() {
    let mut s = Sim::new(txn_cluster());
    s.until("initTransactions", |s| s.epoch().is_some());
    let part = partition_away_from_coordinator(&s);
    let tp = s.tp(part);
    let leader = s.leader(tp).unwrap();
    transaction(&mut s, part, "first");
    s.until("first commit", |s| txn_counts(s) == (1, 0));
    let epoch_before = s.epoch().unwrap();
    s.apply(Command::CrashBroker { broker: leader });
    // commitTransaction() flushes: the batch can only expire.
    transaction(&mut s, part, "lost");
    let t = s.e.now_ms();
    s.run_to(t + 28_000);
    s.apply(Command::RestartBroker { broker: leader });
    s.until("the transaction ends", |s| txn_counts(s) != (1, 0));
    assert_eq!(
        txn_counts(&s),
        (1, 1),
        "a transaction missing a record is aborted, never committed"
    );
    s.until("InitProducerId bumps the epoch", |s| {
        s.epoch().is_some_and(|e| e > epoch_before) && !s.e.producers()[0].txn.open
    });
    assert_eq!(s.epoch(), Some(ProducerEpoch(epoch_before.0 + 1)));
    transaction(&mut s, part, "next");
    s.until("the next transaction commits", |s| txn_counts(s) == (2, 1));
    let (acked, failed) = s.outcomes();
    assert_eq!(acked, vec!["first", "next"]);
    assert_eq!(
        failed,
        vec![("lost".to_string(), ErrorCode::DeliveryTimeout)]
    );
    assert!(!s.e.producers()[0].txn.fenced);
}

/// `TransactionManager.lookupCoordinator`: the producer keeps the
/// transaction coordinator it found; after that broker crashes it learns so
/// only from a closed connection, asks a broker with FindCoordinator, and
/// sends the transaction's requests to the new leader of its
/// `__transaction_state` partition.
#[test]
fn a_transactional_producer_whose_coordinator_crashes_finds_the_new_one_with_find_coordinator() {
    let mut cfg = txn_cluster();
    cfg.cluster.offsets_topic_replication_factor = 3;
    let mut s = Sim::new(cfg);
    s.until("initTransactions", |s| s.epoch().is_some());
    let ttp = s.e.txn_partition("tx-1").unwrap();
    let old = s.leader(ttp).unwrap();
    let part = partition_away_from_coordinator(&s);
    transaction(&mut s, part, "first");
    s.until("first commit", |s| txn_counts(s) == (1, 0));
    let crashed_at = s.log.len();
    s.apply(Command::CrashBroker { broker: old });
    transaction(&mut s, part, "second");
    s.until("second commit", |s| txn_counts(s) == (2, 0));
    let new = s.leader(ttp).unwrap();
    assert_ne!(new, old);
    let after = &s.log[crashed_at..];
    let first_txn_request = after
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::Message {
                    from: Node::Producer(_),
                    kind: MsgKind::AddPartitionsToTxn,
                    ..
                }
            )
        })
        .unwrap();
    assert!(
        matches!(first_txn_request.kind, EventKind::Message { to: Node::Broker(b), .. } if b == old),
        "it does not know its coordinator died"
    );
    let found = after.iter().find_map(|e| match &e.kind {
        EventKind::CoordinatorFound {
            client: Node::Producer(_),
            key: CoordinatorKey::Transaction(t),
            coordinator,
            ..
        } if t == "tx-1" && *coordinator == new => Some(e.time_ms),
        _ => None,
    });
    let found = found.expect("found the new coordinator");
    let end = after
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::Message {
                    kind: MsgKind::EndTxn,
                    ..
                }
            )
        })
        .unwrap();
    assert!(end.time_ms >= found);
    assert!(matches!(end.kind, EventKind::Message { to: Node::Broker(b), .. } if b == new));
    assert_eq!(s.outcomes().0, vec!["first", "second"]);
}

// ---- fencing ------------------------------------------------------------------

/// Producer 0 opens a transaction with one acknowledged record in a
/// partition away from the coordinator; then a second instance with the
/// same transactional.id starts, and the coordinator fences the first and
/// aborts its transaction. Returns the partition.
fn zombie(s: &mut Sim) -> u32 {
    s.until("initTransactions", |s| s.epoch().is_some());
    let part = partition_away_from_coordinator(s);
    s.apply(Command::BeginTransaction { producer: P0 });
    s.send_to(part, "z1");
    s.until("z1 acked", |s| s.outcomes().0.len() == 1);
    s.apply(Command::StartProducerInstance { producer: P0 });
    s.until("the zombie's transaction is aborted", |s| {
        txn_counts(s) == (0, 1)
    });
    part
}

#[test]
fn a_produce_with_a_stale_epoch_gets_invalid_producer_epoch_and_the_zombie_is_fenced_when_it_ends_the_transaction(
) {
    let mut s = Sim::new(txn_cluster());
    let part = zombie(&mut s);
    assert!(!s.e.producers()[0].txn.fenced, "not told yet");
    s.send_to(part, "z2");
    s.until("the zombie is fenced", |s| s.e.producers()[0].txn.fenced);
    let (_, failed) = s.outcomes();
    assert_eq!(
        failed,
        vec![("z2".to_string(), ErrorCode::InvalidProducerEpoch)],
        "ProducerAppendInfo.checkProducerEpoch answers INVALID_PRODUCER_EPOCH"
    );
    // The abortable error makes the zombie abort; its EndTxn, with the old
    // epoch, is what gets PRODUCER_FENCED.
    assert!(s.has(|k| matches!(
        k,
        EventKind::Message {
            kind: kafkascope::engine::event::MsgKind::EndTxnResponse,
            error: Some(ErrorCode::ProducerFenced),
            ..
        }
    )));
    assert!(s.has(|k| matches!(k, EventKind::ProducerFenced { producer, .. } if *producer == P0)));
}

#[test]
fn prepare_epoch_fence_is_a_pending_state_never_written_to_the_transaction_log() {
    let mut s = Sim::new(txn_cluster());
    zombie(&mut s);
    let fenced_epoch = s
        .log
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TxnStateChanged {
                state: TxnState::PrepareEpochFence,
                epoch,
                ..
            } => Some(*epoch),
            _ => None,
        })
        .expect("the coordinator fences the old epoch");
    let txn_tp = s.e.txn_partition("tx-1").unwrap();
    let coord = s.leader(txn_tp).unwrap();
    let states: Vec<(TxnState, Offset)> = s.e.brokers()[coord.0 as usize]
        .replica(txn_tp)
        .unwrap()
        .log
        .entries()
        .filter_map(|x| {
            let r = x.record?;
            match &s.e.record(r).kind {
                RecordKind::TxnLog { state, .. } => Some((*state, x.offset)),
                _ => None,
            }
        })
        .collect();
    assert!(
        !states
            .iter()
            .any(|(st, _)| *st == TxnState::PrepareEpochFence),
        "{states:?}"
    );
    assert!(states.iter().any(|(st, _)| *st == TxnState::PrepareAbort));
    // The abort carries the bumped epoch.
    let abort_epoch = s
        .log
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TxnStateChanged {
                state: TxnState::PrepareAbort,
                epoch,
                ..
            } => Some(*epoch),
            _ => None,
        })
        .unwrap();
    assert_eq!(abort_epoch, fenced_epoch);
}

#[test]
fn a_transaction_open_longer_than_transaction_timeout_ms_is_aborted_with_a_bumped_epoch_and_fences_its_producer(
) {
    let mut cfg = txn_cluster();
    cfg.producers[0].transaction_timeout_ms = 15_000;
    let part = partition_away_from_coordinator(&Sim::new(cfg.clone()));
    let produce = |key: &str| Command::Produce {
        producer: P0,
        topic: None,
        key: Some(key.into()),
        value: None,
        partition: Some(part),
    };
    cfg.script = vec![
        // A first transaction commits before the coordinator's first
        // timeout check, which then finds nothing open.
        at(1_000, Command::BeginTransaction { producer: P0 }),
        at(1_000, produce("t1")),
        at(
            1_000,
            Command::EndTransaction {
                producer: P0,
                commit: true,
            },
        ),
        // The second stays open.
        at(12_000, Command::BeginTransaction { producer: P0 }),
        at(12_000, produce("t2")),
        // Keeps the simulation running while it sits open.
        at(
            70_000,
            Command::Note {
                text: "later".into(),
            },
        ),
    ];
    let mut s = Sim::new(cfg);
    s.until("initTransactions", |s| s.epoch().is_some());
    s.until("t1 commits", |s| txn_counts(s) == (1, 0));
    let epoch = s.epoch().unwrap();
    s.until("t2 is acknowledged", |s| s.outcomes().0.len() == 2);
    let opened = s
        .log
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::TxnStateChanged {
                    state: TxnState::Ongoing,
                    ..
                }
            )
        })
        .last()
        .unwrap()
        .time_ms;
    s.until("the coordinator aborts t2", |s| txn_counts(s) == (1, 1));
    let abort = s
        .log
        .iter()
        .find(|e| {
            matches!(
                e.kind,
                EventKind::TxnStateChanged {
                    state: TxnState::PrepareAbort,
                    ..
                }
            )
        })
        .unwrap()
        .clone();
    assert!(
        abort.time_ms >= opened + 15_000 && abort.time_ms <= opened + 15_000 + 10_000,
        "opened at {opened}, aborted at {} (checked every 10 s)",
        abort.time_ms
    );
    match abort.kind {
        EventKind::TxnStateChanged { epoch: e, .. } => {
            assert_eq!(e, ProducerEpoch(epoch.0 + 1), "the abort bumps the epoch")
        }
        _ => unreachable!(),
    }
    // The producer is fenced: its commit is refused.
    s.apply(Command::EndTransaction {
        producer: P0,
        commit: true,
    });
    s.until("fenced", |s| s.e.producers()[0].txn.fenced);
    let (acked, _) = s.outcomes();
    assert_eq!(acked, vec!["t1", "t2"]);
}

// ---- the sticky partitioner (KIP-794) -------------------------------------------

/// 4 partitions, one producer sending null-key records of 100 bytes by hand;
/// `batch.size` holds the batch header (61) and `fits` records.
fn sticky_cluster(linger_ms: u32, fits: u32) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 4;
    c.groups.clear();
    let p = &mut c.producers[0];
    p.batch_size = 61 + fits * 100;
    p.linger_ms = linger_ms;
    p.delivery_timeout_ms = 120_000;
    p.workload.records = 0;
    c
}

impl Sim {
    /// Sends a null-key record of 100 bytes and returns where it went and
    /// whether it started a new sticky partition.
    fn send_null_key(&mut self) -> (u32, bool) {
        let before = self.log.len();
        self.apply(Command::Produce {
            producer: P0,
            topic: None,
            key: None,
            value: Some("x".repeat(78)), // 80 bytes as JSON
            partition: None,
        });
        let partitioned = |s: &Sim| {
            s.log[before..]
                .iter()
                .any(|e| matches!(e.kind, EventKind::Partitioned { .. }))
        };
        self.until("partitioned", partitioned);
        self.log[before..]
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Partitioned {
                    tp,
                    choice: PartitionChoice::Sticky { switched, .. },
                    ..
                } => Some((tp.partition.0, *switched)),
                _ => None,
            })
            .expect("a sticky choice")
    }
}

#[test]
fn the_sticky_partitioner_switches_after_the_append_that_fills_the_batch() {
    // `updatePartitionInfo` runs after `tryAppend`: the third record fills
    // the batch (header included in the produced bytes), so the fourth
    // record already goes to a newly drawn partition.
    let mut s = Sim::new(sticky_cluster(60_000, 3));
    let sends: Vec<(u32, bool)> = (0..4).map(|_| s.send_null_key()).collect();
    assert!(sends[0].1, "the first record draws a partition");
    assert!(
        sends[1..3].iter().all(|x| *x == (sends[0].0, false)),
        "{sends:?}"
    );
    assert!(
        sends[3].1,
        "the fourth record starts a new sticky partition: {sends:?}"
    );
}

#[test]
fn the_sticky_partitioner_completes_a_held_back_switch_once_the_partitions_batches_are_sent() {
    // The third record opens a second batch: batch.size bytes went to the
    // partition, but its last batch is incomplete, so the switch waits.
    // Once both batches are sent, the next record's `partitionChanged`
    // finds all batches full and switches before appending.
    // A batch holds two records and a half: the third opens a new batch.
    let mut c = sticky_cluster(50, 2);
    c.producers[0].batch_size += 50;
    let mut s = Sim::new(c);
    let first: Vec<(u32, bool)> = (0..3).map(|_| s.send_null_key()).collect();
    let part = first[0].0;
    assert!(first[1..].iter().all(|x| *x == (part, false)), "{first:?}");
    s.drain();
    assert_eq!(s.e.producers()[0].unacked_records(), 0, "all sent");
    let next = s.send_null_key();
    assert!(
        next.1,
        "the next record starts a new sticky partition: {first:?} {next:?}"
    );
}

// ---- the drain ------------------------------------------------------------------

#[test]
fn a_lingering_batch_piggy_backs_on_a_ready_partition_of_the_same_leader() {
    // One broker leads both partitions. Partition 0's batch is still
    // lingering (linger.ms = 1 s) when partition 1's batch fills up: the
    // leader is a ready node, and `RecordAccumulator.drain` takes the next
    // batch of every partition it leads, so both go in one request.
    let mut c = sticky_cluster(1_000, 1);
    c.producers[0].batch_size += 50; // a record alone does not fill it
    c.topics[0].partitions = 2;
    c.producers[0].enable_idempotence = Some(false);
    c.producers[0].acks = Acks::One;
    let mut s = Sim::new(c);
    let send = |s: &mut Sim, partition: u32| {
        s.apply(Command::Produce {
            producer: P0,
            topic: None,
            key: None,
            value: Some("x".repeat(78)),
            partition: Some(partition),
        })
    };
    let t0 = s.e.now_ms();
    send(&mut s, 0);
    s.run_to(t0 + 500);
    let t1 = s.e.now_ms();
    assert!(!s.has(|k| matches!(k, EventKind::Sent { .. })), "lingering");
    send(&mut s, 1);
    send(&mut s, 1); // does not fit: partition 1's first batch is full
    s.until("both sent", |s| {
        s.events(|k| matches!(k, EventKind::Sent { .. })).len() >= 2
    });
    let sent: Vec<(u64, u32)> = s
        .events(|k| matches!(k, EventKind::Sent { .. }))
        .iter()
        .map(|e| match &e.kind {
            EventKind::Sent { tp, .. } => (e.time_ms, tp.partition.0),
            _ => unreachable!(),
        })
        .take(2)
        .collect();
    assert!(t1 < t0 + 1_000);
    assert_eq!(sent, vec![(t1, 0), (t1, 1)]);
}
