//! Command builders shared by the behaviour tests.

use kafkascope::engine::command::{Command, ScriptEntry, Trigger};
use kafkascope::engine::ids::ProducerIdx;

/// `producer.send(topic, key=key)` on producer 0's default topic.
pub fn send(key: &str) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: None,
        key: Some(key.into()),
        value: None,
        partition: None,
    }
}

/// A script entry that applies `command` at simulated time `ms`.
pub fn at(ms: u64, command: Command) -> ScriptEntry {
    ScriptEntry {
        trigger: Trigger::AtMs { ms },
        command,
    }
}
