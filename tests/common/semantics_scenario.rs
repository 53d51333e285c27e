//! The random delivery-semantics scenario of `semantics_sweep.rs`.

/// A random delivery-semantics scenario: bursts of records, one or more
/// consumers that crash at random points and come back. Shared by
/// `semantics_sweep.rs` and `examples/seed_story.rs`.
pub fn semantics_scenario(
    seed: u64,
    sem: kafkascope::engine::config::Semantics,
) -> kafkascope::engine::ScenarioConfig {
    use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
    use kafkascope::engine::event::CrashPoint;
    use kafkascope::engine::ids::*;
    use kafkascope::engine::rng::Pcg32;
    let mut r = Pcg32::new(seed, 5150);
    let mut c = kafkascope::presets::semantics_config(sem);
    c.seed = seed;
    let partitions = 1 + r.below(4);
    c.topics[0].partitions = partitions;
    c.topics[1].partitions = 1 + r.below(3);
    c.producers[0].workload.records = 5 + r.below(30);
    c.producers[0].workload.interval_ms = if r.chance(1, 2) { 0 } else { r.below(200) };
    let g = &mut c.groups[0];
    g.consumers = 1 + r.below(3) as u16;
    g.processing_time_ms = 1 + r.below(150);
    g.restart_after_ms = 500 + r.below(4_000);
    let consumers = g.consumers;
    let mut script = Vec::new();
    for _ in 0..(1 + r.below(3)) {
        let point = [
            CrashPoint::AfterPoll,
            CrashPoint::AfterProcess,
            CrashPoint::AfterCommit,
            CrashPoint::Now,
        ][r.below(4) as usize];
        script.push(ScriptEntry {
            trigger: Trigger::AfterProcessed {
                count: r.below(20) as u64,
            },
            command: Command::CrashConsumer {
                consumer: ConsumerIdx(r.below(consumers as u32) as u16),
                point,
            },
        });
    }
    c.script = script;
    c
}
