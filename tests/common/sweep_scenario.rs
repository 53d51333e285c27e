//! The random cluster scenario of `cluster_sweep.rs`.

use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::engine::ids::*;
use kafkascope::engine::rng::Pcg32;

/// The random cluster scenario of `cluster_sweep.rs` (shared with `examples/seed_story.rs`).
pub fn scenario(seed: u64) -> ScenarioConfig {
    let mut r = Pcg32::new(seed, 99);
    let mut c = ScenarioConfig::default();
    c.seed = seed;
    c.cluster.brokers = 3;
    c.cluster.network_latency_ms = 1 + r.below(5);
    c.topics[0].partitions = 1 + r.below(6);
    c.topics[0].replication_factor = 3;
    c.topics[0].min_insync_replicas = 2;
    let p = &mut c.producers[0];
    p.acks = Acks::All;
    p.enable_idempotence = Some(true);
    p.request_timeout_ms = 2_000 + r.below(3_000);
    p.delivery_timeout_ms = 600_000;
    p.linger_ms = r.below(20);
    p.workload.records = 20 + r.below(40);
    p.workload.interval_ms = r.below(120);
    p.workload.keys = if r.chance(1, 2) {
        KeyMode::Null
    } else {
        KeyMode::EventId
    };
    // Faults: crash/restart cycles with at most one broker down at a time.
    let mut t = 0u64;
    let mut script = Vec::new();
    for _ in 0..(1 + r.below(3)) {
        t += 200 + r.below(4_000) as u64;
        let b = BrokerId(r.below(3) as u16);
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: t },
            command: Command::CrashBroker { broker: b },
        });
        t += 500 + r.below(15_000) as u64;
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: t },
            command: Command::RestartBroker { broker: b },
        });
    }
    if r.chance(1, 2) {
        let at = r.below(3_000) as u64;
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: at },
            command: Command::DropNextProduceResponse {
                producer: ProducerIdx(0),
            },
        });
    }
    if r.chance(1, 3) {
        let at = r.below(3_000) as u64;
        let ms = 500 + r.below(40_000);
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: at },
            command: Command::StallFollowers {
                topic: "events".into(),
                partition: 0,
                ms,
            },
        });
    }
    c.script = script;
    c
}
