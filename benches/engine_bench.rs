//! Engine throughput: 100k records through the whole pipeline on one broker
//! (issue #2's figure), reported as events/s and records/s. A plain timing
//! harness (`cargo bench --bench engine_bench`): figures are measured and
//! reported, never asserted.

use kafkascope::engine::config::{KeyMode, ScenarioConfig};
use kafkascope::engine::{Engine, StepOutcome};
use std::time::Instant;

fn run(records: u32, partitions: u32) -> (u64, u64, f64) {
    let mut cfg = ScenarioConfig::default();
    cfg.topics[0].partitions = partitions;
    cfg.producers[0].workload.records = records;
    cfg.producers[0].workload.interval_ms = 0;
    cfg.producers[0].workload.keys = KeyMode::EventId;
    cfg.groups[0].processing_time_ms = 0;
    let start = Instant::now();
    let mut e = Engine::new(cfg).expect("valid");
    let mut events = 0u64;
    let mut steps = 0u64;
    loop {
        let out = e.step();
        events += e.take_events().len() as u64;
        if out == StepOutcome::Idle {
            break;
        }
        steps += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let processed: u64 = e.consumers().iter().map(|c| c.records_processed).sum();
    assert_eq!(processed, records as u64, "every record is processed");
    let _ = steps;
    (events, processed, secs)
}

fn main() {
    let _ = run(1_000, 3); // warm-up
    for partitions in [1, 3, 12] {
        let mut best = f64::MAX;
        let mut events = 0;
        for _ in 0..3 {
            let (ev, _, secs) = run(100_000, partitions);
            events = ev;
            best = best.min(secs);
        }
        println!(
            "engine, 1 broker, {partitions:>2} partitions, 100k records end to end: {:.3} s, {} events, {:.2} M events/s, {:.0} k records/s",
            best,
            events,
            events as f64 / best / 1e6,
            100_000.0 / best / 1e3
        );
    }
}
