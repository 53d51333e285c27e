//! libFuzzer target for `kafkascope::link::decode`.
//!
//! The first input byte chooses what the rest is:
//!
//! * even: the text of a link (lossy UTF-8), decoded as is. Reaches the
//!   version, envelope, base64 and checksum checks.
//! * odd: the *body* of a v1 link, sealed with a valid checksum (with the
//!   preset id chosen by the second byte written in clear, or none) and then
//!   decoded. Reaches the body parser and the semantic checks, which a
//!   checksum would otherwise keep the fuzzer away from.
//!
//! The oracle: `decode` never panics (debug assertions are on, so an
//! arithmetic overflow is a panic too); every error has a message; and a
//! link it accepts passes `check` and re-encodes to a text that decodes to
//! the same link.
//!
//! It depends on the link codec alone: the preset lookup the codec is handed
//! knows the ids below (all but the last) and gives each a fixed base
//! configuration, so a preset link's diff is decoded without the presets.
#![no_main]

use kafkascope::engine::config::ScenarioConfig;
use kafkascope::link::{self, v1};
use libfuzzer_sys::fuzz_target;

const IDS: [Option<&str>; 6] = [
    None,
    Some("nine-stages"),
    Some("acks1-failover-loss"),
    Some("acks-latency"),
    Some("not-enough-replicas"),
    Some("no-such-preset"),
];

/// The preset lookup handed to the codec (see the module docs).
fn presets(id: &str) -> Option<ScenarioConfig> {
    let known = IDS.iter().flatten().any(|k| *k == id) && id != "no-such-preset";
    known.then(ScenarioConfig::default)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let (pick, body) = rest.split_first().unwrap_or((&0, &[]));
        v1::seal(IDS[usize::from(*pick) % IDS.len()], body)
    };
    match link::decode(&text, &presets) {
        Ok(l) => {
            assert_eq!(l.check(&presets), Ok(()));
            let again = link::encode(&l, &presets);
            assert_eq!(link::decode(&again, &presets).as_ref(), Ok(&l), "re-encoded: {again}");
        }
        Err(e) => assert!(!e.message.is_empty()),
    }
});
