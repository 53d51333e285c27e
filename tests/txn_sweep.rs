//! Many-seed sweep of transactions under replication lag and broker
//! crashes, checking the read_committed promise at the moment it is kept or
//! broken: a read_committed consumer never gets a record of a transaction
//! whose marker is not yet below the high watermark (`ProducerStateManager`
//! keeps the LSO at the first unreplicated transaction until the HW passes
//! its marker). Checked after every step: for each record a read_committed
//! `poll()` returned, the leader's log holds its transaction's COMMIT
//! marker, and the marker's offset is below the leader's HW.
//! A failure prints the seed; `SWEEP_SEED=<n>` replays just that seed and
//! `SWEEP_SEEDS=<n>` sets how many seeds run (default 40).

use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{Acks, IsolationLevel, ScenarioConfig};
use kafkascope::engine::event::EventKind;
use kafkascope::engine::ids::*;
use kafkascope::engine::log::ControlType;
use kafkascope::engine::rng::Pcg32;
use kafkascope::engine::{Engine, StepOutcome};
mod common;
use common::sweep::sweep;

/// 3 brokers, RF 3, a transactional producer and a read_committed group;
/// followers stall at random (the HW lags the log end) and a broker may
/// crash and come back.
fn scenario(seed: u64) -> ScenarioConfig {
    let mut r = Pcg32::new(seed, 848);
    let mut c = ScenarioConfig::default();
    c.seed = seed;
    c.cluster.brokers = 3;
    c.cluster.network_latency_ms = 1 + r.below(5);
    c.topics[0].partitions = 1 + r.below(3);
    c.topics[0].replication_factor = 3;
    c.topics[0].min_insync_replicas = 1 + r.below(2) as u16;
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.transactional_id = Some("tx".into());
    p.records_per_transaction = 1 + r.below(4);
    p.workload.records = 6 + r.below(20);
    p.workload.interval_ms = r.below(300);
    let g = &mut c.groups[0];
    g.isolation_level = IsolationLevel::ReadCommitted;
    g.auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    g.consumers = 1 + r.below(2) as u16;
    let mut script = Vec::new();
    for _ in 0..(1 + r.below(4)) {
        script.push(ScriptEntry {
            trigger: Trigger::AtMs {
                ms: r.below(8_000) as u64,
            },
            command: Command::StallFollowers {
                topic: "events".into(),
                partition: r.below(c.topics[0].partitions),
                ms: 200 + r.below(3_000),
            },
        });
    }
    if r.chance(1, 2) {
        let at = r.below(6_000) as u64;
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: at },
            command: Command::CrashBroker {
                broker: BrokerId(r.below(3) as u16),
            },
        });
        script.push(ScriptEntry {
            trigger: Trigger::AtMs {
                ms: at + 2_000 + r.below(12_000) as u64,
            },
            command: Command::RestartCrashedBrokers,
        });
    }
    c.script = script;
    c
}

/// Every record a read_committed poll returned in these events has its
/// COMMIT marker in the leader's log, below the leader's HW.
fn check_polled(e: &Engine, events: &[kafkascope::engine::Event]) -> Result<(), String> {
    for ev in events {
        let EventKind::Polled { tp, records, .. } = &ev.kind else {
            continue;
        };
        let Some(leader) = e.leader_of(*tp) else {
            continue;
        };
        let Some(rep) = e.brokers()[leader.0 as usize].replica(*tp) else {
            continue;
        };
        let log = &rep.log;
        for (_, offset) in records {
            let Some(entry) = log.entry(*offset) else {
                continue; // truncated since (a crash): nothing to compare
            };
            if !entry.transactional {
                continue;
            }
            let pid = entry.producer.map(|s| s.producer_id);
            let marker = log
                .entries()
                .filter(|x| x.offset > *offset && x.control.is_some())
                .find(|x| x.producer.map(|s| s.producer_id) == pid);
            match marker {
                Some(m) if m.control == Some(ControlType::Commit) && m.offset < log.hw() => {}
                Some(m) => {
                    return Err(format!(
                        "at {} ms a read_committed poll returned {}-{} offset {}, whose transaction's marker ({:?} at offset {}) is not below the HW {}",
                        ev.time_ms, tp.topic.0, tp.partition.0, offset.0, m.control, m.offset.0, log.hw().0
                    ))
                }
                None => {
                    return Err(format!(
                        "at {} ms a read_committed poll returned offset {} of an unfinished transaction (no marker yet)",
                        ev.time_ms, offset.0
                    ))
                }
            }
        }
    }
    Ok(())
}

fn check(seed: u64) -> Result<(), String> {
    let mut e = Engine::new(scenario(seed)).map_err(|e| format!("{e:?}"))?;
    for _ in 0..200_000u32 {
        let out = e.step();
        let events = e.take_events();
        check_polled(&e, &events)?;
        e.check_invariants()?;
        if out == StepOutcome::Idle {
            return Ok(());
        }
    }
    Err("did not finish".into())
}

#[test]
fn read_committed_never_returns_a_record_whose_transaction_marker_is_above_the_hw() {
    sweep(40, |seed| check(seed));
}
