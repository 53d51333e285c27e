//! Replays one cluster-sweep seed and prints its story (a debugging aid):
//! `cargo run --example seed_story -- <seed>`.
use kafkascope::engine::event::EventKind;
use kafkascope::engine::ids::*;
use kafkascope::engine::{Engine, StepOutcome};
use kafkascope::narration::narrate;

#[path = "../tests/common/group_scenario.rs"]
mod group_scenario;
#[path = "../tests/common/sweep_scenario.rs"]
mod sweep_scenario;
use group_scenario::group_scenario;
use sweep_scenario::scenario;

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let which = std::env::args().nth(2).unwrap_or_else(|| "cluster".into());
    let cfg = if which == "group" {
        group_scenario(seed)
    } else {
        scenario(seed)
    };
    let mut e = Engine::new(cfg).unwrap();
    for _ in 0..200_000 {
        let out = e.step();
        for ev in e.take_events() {
            let show = ev.kind.is_headline()
                && !matches!(
                    ev.kind,
                    EventKind::Created { .. }
                        | EventKind::Serialized { .. }
                        | EventKind::Partitioned { .. }
                        | EventKind::Polled { .. }
                        | EventKind::Processed { .. }
                        | EventKind::Committed { .. }
                        | EventKind::Sent { .. }
                        | EventKind::Acked { .. }
                );
            if show || matches!(ev.kind, EventKind::Truncated { .. }) {
                println!("t={:>6} {}", ev.time_ms, narrate(&e, &ev).plain());
            }
            if let EventKind::Truncated { removed, .. } = &ev.kind {
                println!("        removed {removed:?}");
            }
        }
        if out == StepOutcome::Idle {
            break;
        }
    }
    println!("{:?}", e.delivery_summary(GroupIdx(0)));
    for le in e.ledger().entries() {
        if le.acked && le.live_copies().count() == 0 {
            println!("lost: {:?}", le);
        }
    }
}
