//! Benchmark W1 (issue #3): 3 brokers, RF 3, acks=all, 12 partitions, one
//! keyed producer, 100k records, until every record is acknowledged. Prints
//! records/s (native release). The same workload is compiled to wasm by
//! `scripts/bench-wasm.sh` and run in Node for the wasm/native ratio.

use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::engine::{Engine, StepOutcome};
use std::time::Instant;

include!("common/workloads.rs");

fn run(cfg: ScenarioConfig) -> (f64, u64, u64) {
    let start = Instant::now();
    let mut e = Engine::new(cfg).expect("valid");
    let mut events = 0u64;
    while e.step() == StepOutcome::Advanced {
        events += e.take_events().len() as u64;
    }
    let secs = start.elapsed().as_secs_f64();
    (secs, e.producers()[0].acked_records, events)
}

fn main() {
    let _ = run(w1(2_000));
    let mut best = f64::MAX;
    let mut acked = 0;
    let mut events = 0;
    for _ in 0..5 {
        let (s, a, ev) = run(w1(100_000));
        best = best.min(s);
        acked = a;
        events = ev;
    }
    assert_eq!(acked, 100_000, "every record acknowledged");
    println!(
        "W1 native: 100k records acked in {:.3} s = {:.2} M records/s ({events} events)",
        best,
        100_000.0 / best / 1e6
    );
}
