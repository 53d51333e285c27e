//! The figure that makes "stop the world" visible, for a storm of joins and
//! leaves: `unowned_partition_ms` (partition-milliseconds without a live
//! owner) under eager, cooperative and the consumer group protocol.
//!
//! `cargo run --release --example rebalance_storm [JOINS_AND_LEAVES]`
//!
//! One topic of 12 partitions, a group starting with 4 consumers, a keyed
//! producer sending a record every 20 ms, and 100 (or the given number of)
//! membership changes, one every 1.5 s: a new consumer joins, then the
//! oldest running one leaves (close(): LeaveGroup, or a leave heartbeat),
//! alternately. Each consumer spends 10 ms per record.

use kafkascope::engine::assignor::AssignorKind;
use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::config::{GroupProtocol, KeyMode, ScenarioConfig};
use kafkascope::engine::ids::{ConsumerIdx, GroupIdx};
use kafkascope::engine::{Engine, StepOutcome};

fn storm(changes: u32, protocol: GroupProtocol, strategy: Vec<AssignorKind>) -> ScenarioConfig {
    let mut c = ScenarioConfig::default();
    c.topics[0].partitions = 12;
    let g = &mut c.groups[0];
    g.consumers = 4;
    g.group_protocol = protocol;
    g.partition_assignment_strategy = strategy;
    g.auto_offset_reset = kafkascope::engine::config::AutoOffsetReset::Earliest;
    let p = &mut c.producers[0];
    p.workload.keys = KeyMode::EventId;
    p.workload.interval_ms = 20;
    p.workload.records = (changes as u64 * 1_500 / 20 + 500) as u32;
    let (mut next_new, mut oldest) = (4u16, 0u16);
    for i in 0..changes {
        let command = if i % 2 == 0 {
            next_new += 1;
            Command::AddConsumer { group: GroupIdx(0) }
        } else {
            oldest += 1;
            Command::StopConsumer {
                consumer: ConsumerIdx(oldest - 1),
            }
        };
        c.script.push(ScriptEntry {
            trigger: Trigger::AtMs {
                ms: 1_000 + i as u64 * 1_500,
            },
            command,
        });
    }
    let _ = next_new;
    c
}

fn main() {
    let changes: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    println!("{changes} joins and leaves, 12 partitions, 4 consumers to start");
    for (label, protocol, strategy) in [
        (
            "eager (range)",
            GroupProtocol::Classic,
            vec![AssignorKind::Range],
        ),
        (
            "cooperative (cooperative-sticky)",
            GroupProtocol::Classic,
            vec![AssignorKind::CooperativeSticky],
        ),
        (
            "consumer protocol (uniform)",
            GroupProtocol::Consumer,
            vec![AssignorKind::CooperativeSticky],
        ),
    ] {
        let mut e = Engine::new(storm(changes, protocol, strategy)).expect("valid scenario");
        let mut steps = 0u64;
        while e.step() == StepOutcome::Advanced && steps < 5_000_000 {
            e.clear_events();
            steps += 1;
        }
        let s = e.delivery_summary(GroupIdx(0));
        println!(
            "{label:<34} unowned_partition_ms {:>9}  ({:.1} partition-s; processed once {}, twice or more {}, lost {}, in flight {}; ran {:.1} s simulated)",
            e.unowned_partition_ms(GroupIdx(0)),
            e.unowned_partition_ms(GroupIdx(0)) as f64 / 1000.0,
            s.processed_once,
            s.duplicated,
            s.lost,
            s.in_flight,
            e.now_ms() as f64 / 1000.0
        );
    }
}
