//! Benchmark W1 (issue #3) for wasm: the exact workload of
//! `benches/cluster_bench.rs`, exported to JS. No clock here: the caller times
//! `run_w1` with `performance.now()`, so the engine stays timing-free.

use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::engine::{Engine, StepOutcome};
use wasm_bindgen::prelude::*;

/// W1: 3 brokers, RF 3 (min ISR 2), acks=all, 12 partitions, one keyed
/// producer sending `records` records back to back, no consumer groups.
/// Copied from `benches/cluster_bench.rs`; keep the two in sync.
pub fn w1(records: u32) -> ScenarioConfig {
    let mut cfg = ScenarioConfig::default();
    cfg.cluster.brokers = 3;
    cfg.topics[0].partitions = 12;
    cfg.topics[0].replication_factor = 3;
    cfg.topics[0].min_insync_replicas = 2;
    cfg.producers[0].acks = Acks::All;
    cfg.producers[0].workload.records = records;
    cfg.producers[0].workload.interval_ms = 0;
    cfg.producers[0].workload.keys = KeyMode::EventId;
    cfg.groups.clear();
    cfg
}

/// Runs W1 to quiescence (same loop as the native bench, events drained each
/// step) and returns the number of records acknowledged to the producer.
#[wasm_bindgen]
pub fn run_w1(records: u32) -> f64 {
    let mut e = Engine::new(w1(records)).expect("valid W1 config");
    let mut events = 0u64;
    while e.step() == StepOutcome::Advanced {
        events += e.take_events().len() as u64;
    }
    // Keep the drained-event count observable so the work is not elided.
    core::hint::black_box(events);
    e.producers()[0].acked_records as f64
}
