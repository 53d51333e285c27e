//! Behaviour tests for the walking skeleton: one record through the nine
//! stages, determinism, and Kafka's default partitioner as seen end to end.

mod common;
use common::sweep::sweep;
use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::engine::event::{EventKind, PartitionChoice, Stage};
use kafkascope::engine::ids::*;
use kafkascope::engine::murmur2::{murmur2, to_positive};
use kafkascope::engine::{Command, Engine, Event, StepOutcome};

fn produce(key: Option<&str>) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: None,
        key: key.map(str::to_string),
        value: None,
        partition: None,
    }
}

/// Steps until idle, returning every event.
fn drain(e: &mut Engine) -> Vec<Event> {
    let mut all = Vec::new();
    for _ in 0..100_000 {
        let out = e.step();
        all.extend(e.take_events());
        if out == StepOutcome::Idle {
            break;
        }
    }
    all
}

#[test]
fn one_record_passes_the_nine_stages_in_order() {
    let mut e = Engine::new(ScenarioConfig::default()).unwrap();
    e.apply(&produce(Some("user-42"))).unwrap();
    let mut stages = Vec::new();
    for _ in 0..9 {
        assert_eq!(e.step(), StepOutcome::Advanced);
        let evs = e.take_events();
        let headline: Vec<&Event> = evs.iter().filter(|ev| ev.kind.is_headline()).collect();
        assert_eq!(headline.len(), 1, "one headline per step: {headline:?}");
        stages.push(headline[0].kind.stage().expect("each step is a stage"));
    }
    assert_eq!(stages, Stage::ALL.to_vec());
    assert_eq!(
        e.step(),
        StepOutcome::Idle,
        "nothing left to do after the commit"
    );
}

#[test]
fn committed_offset_is_the_next_offset_to_read() {
    let mut e = Engine::new(ScenarioConfig::default()).unwrap();
    for k in ["a", "a", "a"] {
        e.apply(&produce(Some(k))).unwrap();
    }
    let events = drain(&mut e);
    let appended: Vec<Offset> = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Appended { first, records, .. } => {
                Some((0..records.len()).map(move |i| Offset(first.0 + i as i64)))
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        appended,
        vec![Offset(0), Offset(1), Offset(2)],
        "same key, same partition, dense offsets"
    );
    let last_commit = events
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Committed { offset, .. } => Some(*offset),
            _ => None,
        })
        .last();
    assert_eq!(
        last_commit,
        Some(Offset(3)),
        "after processing offset 2 the group commits 3"
    );
}

#[test]
fn same_seed_and_commands_give_the_identical_event_trace() {
    let run = |seed: u64| {
        let mut cfg = ScenarioConfig::default();
        cfg.seed = seed;
        cfg.producers[0].workload.records = 30;
        cfg.producers[0].workload.keys = KeyMode::Null;
        cfg.producers[0].workload.interval_ms = 3;
        let mut e = Engine::new(cfg).unwrap();
        let mut trace = Vec::new();
        for i in 0..400 {
            if i == 20 {
                e.apply(&produce(Some("late"))).unwrap();
            }
            if e.step() == StepOutcome::Idle {
                break;
            }
            trace.extend(e.take_events());
        }
        trace
    };
    let a = run(7);
    let b = run(7);
    assert!(a.len() > 100, "a real trace: {} events", a.len());
    assert_eq!(a, b);
    // Null keys use the seeded sticky partitioner: another seed picks other partitions.
    let c = run(8);
    let parts = |t: &[Event]| -> Vec<u32> {
        t.iter()
            .filter_map(|ev| match &ev.kind {
                EventKind::Partitioned { tp, .. } => Some(tp.partition.0),
                _ => None,
            })
            .collect()
    };
    assert_ne!(parts(&a), parts(&c), "the seed matters");
}

/// Kafka's own murmur2 test vectors, placed end to end by the engine.
#[test]
fn keyed_records_land_where_kafkas_default_partitioner_puts_them() {
    let keys = [
        "21",
        "foobar",
        "a-little-bit-long-string",
        "a-little-bit-longer-string",
        "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
        "abc",
    ];
    let expected_hash = [
        -973932308,
        -790332482,
        -985981536,
        -1486304829,
        -58897971,
        479470107,
    ];
    for partitions in 1..=12u32 {
        let mut cfg = ScenarioConfig::default();
        cfg.topics[0].partitions = partitions;
        let mut e = Engine::new(cfg).unwrap();
        for k in keys {
            e.apply(&produce(Some(k))).unwrap();
        }
        let events = drain(&mut e);
        let placed: Vec<(i32, u32)> = events
            .iter()
            .filter_map(|ev| match &ev.kind {
                EventKind::Partitioned {
                    tp,
                    choice: PartitionChoice::Keyed { murmur2, .. },
                    ..
                } => Some((*murmur2, tp.partition.0)),
                _ => None,
            })
            .collect();
        let want: Vec<(i32, u32)> = expected_hash
            .iter()
            .map(|h| (*h, (*h & 0x7fff_ffff) as u32 % partitions))
            .collect();
        assert_eq!(placed, want, "with {partitions} partitions");
        for (k, h) in keys.iter().zip(expected_hash) {
            assert_eq!(murmur2(k.as_bytes()), h);
            assert_eq!(to_positive(h), h & 0x7fffffff);
        }
    }
}

#[test]
fn consumer_never_sees_a_record_before_it_is_below_the_high_watermark() {
    let mut cfg = ScenarioConfig::default();
    cfg.producers[0].workload.records = 50;
    cfg.producers[0].workload.interval_ms = 1;
    let mut e = Engine::new(cfg).unwrap();
    let mut hw: std::collections::BTreeMap<Tp, Offset> = Default::default();
    for ev in drain(&mut e) {
        match ev.kind {
            EventKind::HighWatermark {
                tp,
                hw: h,
                leader: true,
                ..
            } => {
                hw.insert(tp, h);
            }
            EventKind::Polled { tp, records, .. } => {
                for (_, off) in records {
                    assert!(
                        off < hw.get(&tp).copied().unwrap_or(Offset(0)),
                        "offset {off} polled at HW {:?}",
                        hw.get(&tp)
                    );
                }
            }
            _ => {}
        }
    }
}

#[test]
fn acks_zero_completes_the_send_before_the_broker_appends() {
    let mut cfg = ScenarioConfig::default();
    cfg.producers[0].acks = Acks::Zero;
    let mut e = Engine::new(cfg).unwrap();
    e.apply(&produce(Some("k"))).unwrap();
    let order: Vec<Stage> = drain(&mut e)
        .iter()
        .filter_map(|ev| ev.kind.stage())
        .collect();
    let ack = order.iter().position(|s| *s == Stage::Acknowledge).unwrap();
    let append = order.iter().position(|s| *s == Stage::Append).unwrap();
    assert!(
        ack < append,
        "acks=0 does not wait for the append: {order:?}"
    );
    let acked_offset = |e: &mut Engine| e.producers()[0].acked_records;
    assert_eq!(acked_offset(&mut e), 1);
}

#[test]
fn null_keys_stick_to_one_partition_for_a_batch() {
    let mut cfg = ScenarioConfig::default();
    cfg.topics[0].partitions = 6;
    cfg.producers[0].batch_size = 600; // ~10 generated records per batch
    cfg.producers[0].linger_ms = 1000;
    cfg.producers[0].workload.records = 40;
    cfg.producers[0].workload.keys = KeyMode::Null;
    cfg.producers[0].workload.interval_ms = 0;
    let mut e = Engine::new(cfg).unwrap();
    let parts: Vec<u32> = drain(&mut e)
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Partitioned { tp, .. } => Some(tp.partition.0),
            _ => None,
        })
        .collect();
    assert_eq!(parts.len(), 40);
    let switches = parts.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches <= 6,
        "sticky: few switches, got {switches} in {parts:?}"
    );
    let runs_start = &parts[..8];
    assert!(
        runs_start.iter().all(|p| *p == parts[0]),
        "the first records share a partition: {parts:?}"
    );
}

#[test]
fn log_invariants_hold_across_many_seeds() {
    sweep(200, |seed| {
        let mut cfg = ScenarioConfig::default();
        cfg.seed = seed;
        cfg.topics[0].partitions = 1 + (seed % 12) as u32;
        cfg.producers[0].workload.records = 20;
        cfg.producers[0].workload.interval_ms = (seed % 7) as u32;
        cfg.producers[0].workload.keys = if seed % 2 == 0 {
            KeyMode::Null
        } else {
            KeyMode::EventId
        };
        let mut e = Engine::new(cfg).unwrap();
        for _ in 0..5_000 {
            if e.step() == StepOutcome::Idle {
                break;
            }
            e.clear_events();
            e.check_invariants()?;
        }
        let processed: u64 = e.consumers().iter().map(|c| c.records_processed).sum();
        if processed != 20 {
            return Err(format!(
                "{processed} of 20 records processed, not each once"
            ));
        }
        Ok(())
    });
}

/// A crashed member expires `session.timeout.ms` after the coordinator last
/// heard from it (its last heartbeat, or the join/sync completion, which
/// Kafka counts too: `completeAndScheduleNextHeartbeatExpiration`), exactly
/// then, not at the next unrelated check.
#[test]
fn a_crashed_member_expires_one_session_timeout_after_its_last_contact() {
    let p = kafkascope::presets::by_id("session-timeout").unwrap();
    let session_ms = p.config.groups[0].session_timeout_ms as u64;
    let heartbeat_ms = p.config.groups[0].heartbeat_interval_ms as u64;
    let mut e = Engine::new(p.config).unwrap();
    let events = drain(&mut e);
    let crashed = events
        .iter()
        .find(|ev| matches!(ev.kind, EventKind::ConsumerCrashed { .. }))
        .expect("B crashes")
        .time_ms;
    let expired = events
        .iter()
        .find(|ev| {
            matches!(
                ev.kind,
                EventKind::MemberRemoved {
                    reason: kafkascope::engine::event::LeaveReason::SessionTimeout,
                    ..
                }
            )
        })
        .expect("B's session expires")
        .time_ms;
    // B's last contact was within one heartbeat interval before its crash.
    assert!(
        expired <= crashed + session_ms && expired + heartbeat_ms >= crashed + session_ms,
        "crash at {crashed} ms, session {session_ms} ms, heartbeat {heartbeat_ms} ms: expired at {expired} ms"
    );
}
