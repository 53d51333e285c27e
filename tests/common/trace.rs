//! A digest of an engine's whole event trace, the same natively and in the
//! browser: `tests/trace_digests.rs` records one per preset and sweep sample,
//! `tests/web_trace_digests.rs` checks the page's build against them.

use kafkascope::engine::{Engine, ScenarioConfig, StepOutcome};

/// A run stops here if it never goes idle.
pub const MAX_STEPS: usize = 20_000;

/// FNV-1a, 64 bits: stable across Rust versions and platforms.
struct Fnv(u64);

impl std::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for b in s.bytes() {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(())
    }
}

/// (digest, events, steps) of playing `cfg` until the engine is idle: every
/// event's time and `Debug` text, in order.
pub fn digest(cfg: ScenarioConfig) -> (u64, usize, usize) {
    use std::fmt::Write;
    let mut e = Engine::new(cfg).expect("valid scenario");
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    let mut events = 0;
    let mut steps = 0;
    while steps < MAX_STEPS {
        steps += 1;
        let out = e.step();
        for ev in e.take_events() {
            events += 1;
            write!(h, "{} {:?}\n", ev.time_ms, ev.kind).expect("hashing");
        }
        if out == StepOutcome::Idle {
            break;
        }
    }
    (h.0, events, steps)
}

/// One line of `tests/data/trace_digests.txt`.
pub fn line(name: &str, cfg: ScenarioConfig) -> String {
    let (d, events, steps) = digest(cfg);
    format!("{d:016x} {events:>7} events {steps:>5} steps  {name}")
}
