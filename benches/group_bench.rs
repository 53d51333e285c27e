//! Rebalance storm (issue #4's figure): a group that sees 100 joins and
//! leaves in quick succession while records flow, run to the end. Prints the
//! wall time, the number of rebalances and generations, and the simulated
//! time the storm took to settle. (`cargo bench --bench group_bench`)

use kafkascope::engine::assignor::AssignorKind;
use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{KeyMode, ScenarioConfig};
use kafkascope::engine::ids::*;
use kafkascope::engine::{Engine, StepOutcome};
use std::time::Instant;

fn storm(strategy: Vec<AssignorKind>) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 12;
    c.groups[0].consumers = 4;
    c.groups[0].partition_assignment_strategy = strategy;
    c.groups[0].processing_time_ms = 1;
    c.producers[0].workload.records = 2_000;
    c.producers[0].workload.interval_ms = 10;
    c.producers[0].workload.keys = KeyMode::EventId;
    let mut script = Vec::new();
    // 100 membership changes: 50 joins and 50 clean leaves, interleaved,
    // every 150 ms (faster than a rebalance settles).
    let mut next_new = 4u16;
    let mut leaving = 0u16;
    for i in 0..100u64 {
        let at = Trigger::AtMs { ms: 500 + i * 150 };
        let command = if i % 2 == 0 {
            next_new += 1;
            Command::AddConsumer { group: GroupIdx(0) }
        } else {
            leaving += 1;
            Command::StopConsumer {
                consumer: ConsumerIdx(leaving - 1),
            }
        };
        script.push(ScriptEntry {
            trigger: at,
            command,
        });
    }
    let _ = next_new;
    c.script = script;
    c
}

fn main() {
    for (name, strategy) in [
        ("eager range", vec![AssignorKind::Range]),
        ("cooperative-sticky", vec![AssignorKind::CooperativeSticky]),
    ] {
        let mut cfg = storm(strategy);
        // AddConsumer is capped at 8 consumers per group; allow the storm to grow.
        cfg.groups[0].consumers = 4;
        let start = Instant::now();
        let mut e = Engine::new(cfg).expect("valid");
        let mut steps = 0u64;
        while e.step() == StepOutcome::Advanced {
            e.clear_events();
            steps += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        let g = &e.groups()[0];
        let s = e.delivery_summary(GroupIdx(0));
        println!(
            "rebalance storm ({name}): 100 joins/leaves in {:.3} s wall, {} rebalances, generation {}, {} steps, settled at t = {:.1} s simulated; {} of {} records processed once, {} duplicated",
            secs,
            g.rebalances,
            g.generation.0,
            steps,
            e.now_ms() as f64 / 1000.0,
            s.processed_once,
            s.produced,
            s.duplicated
        );
    }
}
