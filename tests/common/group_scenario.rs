//! The random consumer-group scenario of `group_sweep.rs`.

use kafkascope::engine::assignor::AssignorKind;
use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{AutoOffsetReset, KeyMode, ScenarioConfig};
use kafkascope::engine::event::CrashPoint;
use kafkascope::engine::ids::*;
use kafkascope::engine::rng::Pcg32;

/// The random consumer-group scenario of `group_sweep.rs` (shared with `examples/seed_story.rs`).
pub fn group_scenario(seed: u64) -> ScenarioConfig {
    let mut r = Pcg32::new(seed, 4242);
    let mut c = ScenarioConfig::default();
    c.seed = seed;
    c.topics[0].partitions = 1 + r.below(8);
    let strategies = [
        vec![AssignorKind::Range, AssignorKind::CooperativeSticky],
        vec![AssignorKind::Roundrobin],
        vec![AssignorKind::Sticky],
        vec![AssignorKind::CooperativeSticky],
        vec![AssignorKind::Range],
    ];
    let g = &mut c.groups[0];
    g.partition_assignment_strategy = strategies[r.below(5) as usize].clone();
    g.consumers = 1 + r.below(4) as u16;
    g.session_timeout_ms = 6_000 + r.below(10_000);
    g.heartbeat_interval_ms = 1_000 + r.below(1_000);
    g.max_poll_interval_ms = 4_000 + r.below(20_000);
    g.processing_time_ms = r.below(50);
    g.auto_offset_reset = AutoOffsetReset::Earliest;
    g.static_membership = r.chance(1, 4);
    g.restart_after_ms = if r.chance(1, 2) {
        1_000 + r.below(8_000)
    } else {
        0
    };
    let p = &mut c.producers[0];
    p.workload.records = 20 + r.below(40);
    p.workload.interval_ms = 20 + r.below(300);
    p.workload.keys = KeyMode::EventId;
    let mut script = Vec::new();
    let mut consumers = c.groups[0].consumers;
    for _ in 0..(1 + r.below(5)) {
        let at = r.below(15_000) as u64;
        let command = match r.below(5) {
            0 if consumers < 8 => {
                consumers += 1;
                Command::AddConsumer { group: GroupIdx(0) }
            }
            1 => Command::StopConsumer {
                consumer: ConsumerIdx(r.below(consumers as u32) as u16),
            },
            2 => Command::CrashConsumer {
                consumer: ConsumerIdx(r.below(consumers as u32) as u16),
                point: [
                    CrashPoint::Now,
                    CrashPoint::AfterPoll,
                    CrashPoint::AfterProcess,
                    CrashPoint::AfterCommit,
                ][r.below(4) as usize],
            },
            3 => Command::SetProcessingTime {
                consumer: ConsumerIdx(r.below(consumers as u32) as u16),
                processing_time_ms: r.below(30_000),
            },
            _ => Command::RestartConsumer {
                consumer: ConsumerIdx(r.below(consumers as u32) as u16),
            },
        };
        script.push(ScriptEntry {
            trigger: Trigger::AtMs { ms: at },
            command,
        });
    }
    // Give every consumer its normal speed back and bring everyone back at
    // the end, so that at-least-once can finish.
    // (Several rounds: a crash armed earlier can still fire after a restart.)
    for round in 1..=4u64 {
        for k in 0..consumers {
            let ms = 40_000 * round;
            script.push(ScriptEntry {
                trigger: Trigger::AtMs { ms },
                command: Command::SetProcessingTime {
                    consumer: ConsumerIdx(k),
                    processing_time_ms: 5,
                },
            });
            script.push(ScriptEntry {
                trigger: Trigger::AtMs { ms },
                command: Command::RestartConsumer {
                    consumer: ConsumerIdx(k),
                },
            });
        }
    }
    c.script = script;
    c
}
