//! The harness of the behaviour tests (cluster, group and producer rules):
//! an engine, every event it emitted, and stepping helpers that check the
//! engine's invariants after every step. The `impl Sim` continues in each
//! test file with its own helpers.

use kafkascope::engine::event::EventKind;
use kafkascope::engine::{Command, Engine, Event, ScenarioConfig, StepOutcome};

/// An engine plus the log of every event it emitted.
pub struct Sim {
    pub e: Engine,
    pub log: Vec<Event>,
}

impl Sim {
    pub fn new(cfg: ScenarioConfig) -> Sim {
        Sim {
            e: Engine::new(cfg).expect("valid config"),
            log: Vec::new(),
        }
    }

    pub fn apply(&mut self, cmd: Command) {
        self.e
            .apply(&cmd)
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        self.log.extend(self.e.take_events());
    }

    pub fn step(&mut self) -> StepOutcome {
        let out = self.e.step();
        self.log.extend(self.e.take_events());
        self.e.check_invariants().unwrap();
        out
    }

    /// Steps until `cond` holds; panics when it never does (20,000 steps or idle).
    pub fn until(&mut self, what: &str, cond: impl Fn(&Sim) -> bool) {
        for _ in 0..20_000 {
            if cond(self) {
                return;
            }
            if self.step() == StepOutcome::Idle {
                break;
            }
        }
        assert!(cond(self), "never happened: {what} (t={})", self.e.now_ms());
    }

    pub fn drain(&mut self) {
        for _ in 0..20_000 {
            if self.step() == StepOutcome::Idle {
                return;
            }
        }
    }

    pub fn events(&self, f: impl Fn(&EventKind) -> bool) -> Vec<&Event> {
        self.log.iter().filter(|e| f(&e.kind)).collect()
    }

    pub fn has(&self, f: impl Fn(&EventKind) -> bool) -> bool {
        self.log.iter().any(|e| f(&e.kind))
    }
}
