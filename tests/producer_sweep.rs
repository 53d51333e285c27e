//! Many-seed sweep of broker outages against an idempotent producer (KIP-360).
//! Checks, for every seed: an idempotent producer never stalls forever
//! after its brokers recover — every record sent once all brokers are back
//! is acknowledged, however long the outages were (some last longer than
//! `delivery.timeout.ms`, so batches expire and leave gaps in the
//! sequence). A failure prints the seed; `SWEEP_SEED=<n>` replays just that
//! seed and `SWEEP_SEEDS=<n>` sets how many seeds run (default 60).

use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{Acks, ScenarioConfig};
use kafkascope::engine::event::EventKind;
use kafkascope::engine::ids::*;
use kafkascope::engine::rng::Pcg32;
use kafkascope::engine::{Engine, StepOutcome};
mod common;
use common::sweep::sweep;

/// 3 brokers, partitions of RF 1 (an outage takes them offline), records
/// sent by the script before, during and after crash/restart cycles.
/// Returns the config and the time after which every record must get through.
fn scenario(seed: u64) -> (ScenarioConfig, u64) {
    let mut r = Pcg32::new(seed, 360);
    let mut c = ScenarioConfig::default();
    c.seed = seed;
    c.cluster.brokers = 3;
    c.cluster.network_latency_ms = 1 + r.below(5);
    c.topics[0].partitions = 1 + r.below(3);
    c.topics[0].replication_factor = 1;
    c.groups.clear();
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.enable_idempotence = Some(true);
    p.linger_ms = r.below(10);
    p.request_timeout_ms = 2_000 + r.below(3_000);
    p.delivery_timeout_ms = 10_000 + r.below(10_000);
    p.max_in_flight_requests_per_connection = 1 + r.below(5);
    p.workload.records = 0;
    let n = c.topics[0].partitions;
    let mut script = Vec::new();
    let produce = |ms: u64, part: u32, i: u32| ScriptEntry {
        trigger: Trigger::AtMs { ms },
        command: Command::Produce {
            producer: ProducerIdx(0),
            topic: None,
            key: Some(format!("k{i}")),
            value: None,
            partition: Some(part),
        },
    };
    let mut t = 0u64;
    let mut i = 0;
    for _ in 0..(1 + r.below(3)) {
        t += 200 + r.below(3_000) as u64;
        let b = BrokerId(r.below(3) as u16);
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: t },
            command: Command::CrashBroker { broker: b },
        });
        let down = 1_000 + r.below(40_000) as u64;
        // Records during the outage, some to the partitions it took down.
        for k in 0..(1 + r.below(6)) {
            script.push(produce(t + k as u64 * down / 6, r.below(n), i));
            i += 1;
        }
        t += down;
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: t },
            command: Command::RestartBroker { broker: b },
        });
    }
    // Once every broker is back (and leaders are elected again), records
    // to every partition must get through.
    let recovered = t + 1_000;
    for k in 0..(3 + r.below(6)) {
        script.push(produce(recovered + k as u64 * 300, k % n, i));
        i += 1;
    }
    c.script = script;
    (c, recovered)
}

fn check(seed: u64) -> Result<(), String> {
    let (cfg, recovered) = scenario(seed);
    let mut e = Engine::new(cfg).map_err(|e| format!("{e:?}"))?;
    let start = e.now_ms();
    let mut created = Vec::new();
    let mut acked = Vec::new();
    for _ in 0..200_000 {
        let out = e.step();
        for ev in e.take_events() {
            match ev.kind {
                EventKind::Created { record, .. } if ev.time_ms >= start + recovered => {
                    created.push(record)
                }
                EventKind::Acked { records, .. } => acked.extend(records),
                _ => {}
            }
        }
        e.check_invariants()?;
        if out == StepOutcome::Idle {
            break;
        }
    }
    let stuck: Vec<RecordId> = created
        .iter()
        .copied()
        .filter(|r| !acked.contains(r))
        .collect();
    if created.is_empty() {
        return Err("no record was sent after the recovery".into());
    }
    if !stuck.is_empty() {
        return Err(format!(
            "{} of {} records sent after the brokers recovered were never acknowledged: {stuck:?}",
            stuck.len(),
            created.len()
        ));
    }
    Ok(())
}

#[test]
fn an_idempotent_producer_never_stalls_forever_after_its_brokers_recover() {
    sweep(60, check);
}
