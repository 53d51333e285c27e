// Command builders shared by the behaviour tests (included with `include!`,
// like the other files here, so each test crate stays self-contained).

/// `producer.send(topic, key=key)` on producer 0's default topic.
#[allow(dead_code)]
fn send(key: &str) -> Command {
    Command::Produce {
        producer: ProducerIdx(0),
        topic: None,
        key: Some(key.into()),
        value: None,
        partition: None,
    }
}

/// A script entry that applies `command` at simulated time `ms`.
#[allow(dead_code)]
fn at(ms: u64, command: Command) -> ScriptEntry {
    ScriptEntry {
        trigger: Trigger::AtMs { ms },
        command,
    }
}
