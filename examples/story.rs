//! Prints a preset's narrated story: `cargo run --example story -- <preset-id>`.
use kafkascope::engine::{Engine, StepOutcome};
use kafkascope::narration::narrate;

fn main() {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "nine-stages".into());
    let Some(p) = kafkascope::presets::by_id(&id) else {
        eprintln!("unknown preset {id}");
        std::process::exit(2);
    };
    let mut e = Engine::new(p.config).unwrap();
    for i in 0..5000 {
        let out = e.step();
        for ev in e.take_events() {
            if ev.kind.is_headline() {
                println!("{i:>4} t={:>6} {}", ev.time_ms, narrate(&e, &ev).plain());
            }
        }
        if out == StepOutcome::Idle {
            break;
        }
    }
    println!(
        "{:?}",
        e.delivery_summary(kafkascope::engine::ids::GroupIdx(0))
    );
}
