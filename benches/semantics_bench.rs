//! Exactly-once vs at-least-once throughput (issue #5's figure): 1 input
//! topic, 1 output topic, 12 partitions each, 100k records, one processor,
//! run until every record is processed. Prints records/s for both (native,
//! release). `cargo bench --bench semantics_bench`

use kafkascope::engine::config::Semantics;
use kafkascope::engine::ids::GroupIdx;
use kafkascope::engine::{Engine, StepOutcome};
use std::time::Instant;

fn workload(sem: Semantics, records: u32) -> kafkascope::engine::ScenarioConfig {
    let mut c = kafkascope::presets::semantics_config(sem);
    c.script.clear();
    c.topics[0].partitions = 12;
    c.topics[1].partitions = 12;
    c.producers[0].workload.records = records;
    c.producers[0].workload.interval_ms = 0;
    c.groups[0].processing_time_ms = 0;
    c.groups[0].max_poll_records = 500;
    c
}

fn run(sem: Semantics, records: u32) -> (f64, u64) {
    let start = Instant::now();
    let mut e = Engine::new(workload(sem, records)).expect("valid");
    while e.step() == StepOutcome::Advanced {
        e.clear_events();
    }
    let secs = start.elapsed().as_secs_f64();
    let s = e.delivery_summary(GroupIdx(0));
    assert_eq!(s.processed_once, records as u64, "{sem:?}: {s:?}");
    (secs, s.processed_once)
}

fn main() {
    for sem in [Semantics::AtLeastOnce, Semantics::ExactlyOnce] {
        let _ = run(sem, 2_000);
        let mut best = f64::MAX;
        for _ in 0..3 {
            best = best.min(run(sem, 100_000).0);
        }
        println!(
            "{:>13}: 100k records consumed, processed and committed in {:.3} s = {:.0} k records/s",
            sem.label(),
            best,
            100_000.0 / best / 1e3
        );
    }
}
