// The benchmark workloads, shared with `include!` by the native benches
// (benches/cluster_bench.rs, benches/seek_bench.rs) and the wasm bench crate
// (bench/wasm/src/lib.rs), so native and wasm always run the same scenario.
// Expects `Acks`, `KeyMode` and `ScenarioConfig` in scope.

/// W1 (issue #3): 3 brokers, RF 3 (min ISR 2), acks=all, 12 partitions, one
/// keyed producer sending `records` records back to back, no consumer groups.
#[allow(dead_code)]
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

/// S100k (issue #6): 3 brokers, 6 partitions RF 3 (min ISR 2), acks=all, one
/// producer sending `records` keyed records 1 ms apart, one group of 3
/// consumers.
#[allow(dead_code)]
pub fn s100k(records: u32) -> ScenarioConfig {
    let mut cfg = ScenarioConfig::default();
    cfg.cluster.brokers = 3;
    cfg.topics[0].partitions = 6;
    cfg.topics[0].replication_factor = 3;
    cfg.topics[0].min_insync_replicas = 2;
    cfg.producers[0].acks = Acks::All;
    cfg.producers[0].workload.records = records;
    cfg.producers[0].workload.interval_ms = 1;
    cfg.producers[0].workload.keys = KeyMode::EventId;
    cfg.groups[0].consumers = 3;
    cfg
}

/// W1 in full (issue #12): W1 plus its consumers — one group of 4 consumers
/// (`auto.offset.reset=earliest`) that process each record and then commit
/// it (at-least-once, the course text's consumer). Runs until every record
/// is processed and committed.
#[allow(dead_code)]
pub fn w1_full(records: u32) -> ScenarioConfig {
    let mut cfg = w1(records);
    let mut g = kafkascope::engine::config::GroupConfig::default();
    g.consumers = 4;
    g.auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    g.commit_mode = kafkascope::engine::config::CommitMode::AfterProcessing;
    cfg.groups.push(g);
    cfg
}
