//! The tape: a configuration plus a command log keyed by step calls, played
//! back into an engine.
//!
//! Everything the page can do is a function of `(configuration, command log,
//! step)`. A scenario link *is* that tape, encoded; time travel restores a
//! snapshot and plays the tape forward; a lesson is a tape with narrated
//! stops. They all stand on this one function, and on the engine being
//! deterministic: the same configuration (with its seed) and the same
//! commands applied at the same `step_calls` give the identical engine,
//! event for event. It lives in the engine, below the link codec, so that
//! decoding a link needs nothing from the presentation layers.

use crate::engine::command::Command;
use crate::engine::config::ScenarioConfig;
use crate::engine::sim::Engine;

/// Rebuilds an engine from a configuration and a command log (keyed by
/// `step_calls`), stepping until `calls` calls have been made. The same
/// inputs always give the same engine: this is what links and time travel
/// stand on.
pub fn replay(
    config: &ScenarioConfig,
    commands: &[(u64, Command)],
    calls: u64,
) -> Result<Engine, String> {
    let mut engine =
        Engine::new(config.clone()).map_err(|errs| crate::engine::config::one_line(&errs))?;
    let mut next = 0;
    loop {
        while next < commands.len() && commands[next].0 == engine.step_calls() {
            engine.apply(&commands[next].1).map_err(|e| {
                format!(
                    "command {} ({}) cannot be applied: {e}",
                    next + 1,
                    commands[next].1.label()
                )
            })?;
            next += 1;
        }
        if engine.step_calls() >= calls {
            break;
        }
        engine.step();
        engine.clear_events();
    }
    Ok(engine)
}
