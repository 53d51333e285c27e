//! Refactors and speed-ups must not change what the engine does: every
//! preset (each lane of a side-by-side one) and a sample of the sweeps'
//! seeded scenarios is played to the end, and a digest of its whole event
//! trace (every event's time and `Debug` text, in order) is compared with the
//! one recorded in `tests/data/trace_digests.txt`.
//!
//! A change that is meant to alter behaviour re-records the file with
//! `UPDATE_TRACE_DIGESTS=1 cargo test --test trace_digests`, and its commit
//! says which traces changed and why.

mod common;

use common::trace::line;
use kafkascope::engine::ScenarioConfig;

const DIGESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/trace_digests.txt");
/// Seeds of each sweep's scenario generator played here.
const SWEEP_SAMPLE: u64 = 12;

fn scenarios() -> Vec<(String, ScenarioConfig)> {
    let mut out = Vec::new();
    for p in kafkascope::presets::all() {
        if p.lanes.is_empty() {
            out.push((format!("preset {}", p.id), p.config));
        } else {
            for (label, cfg) in p.lanes {
                out.push((format!("preset {} lane {label}", p.id), cfg));
            }
        }
    }
    for seed in 0..SWEEP_SAMPLE {
        out.push((
            format!("cluster sweep seed {seed}"),
            common::sweep_scenario::scenario(seed),
        ));
        out.push((
            format!("group sweep seed {seed}"),
            common::group_scenario::group_scenario(seed),
        ));
    }
    out
}

#[test]
fn every_recorded_trace_plays_out_exactly_as_recorded() {
    let lines: Vec<String> = scenarios()
        .into_iter()
        .map(|(name, cfg)| line(&name, cfg))
        .collect();
    let text = format!(
        "# Event-trace digests: see tests/trace_digests.rs. Re-record with\n\
         # UPDATE_TRACE_DIGESTS=1 cargo test --test trace_digests\n{}\n",
        lines.join("\n")
    );
    if std::env::var_os("UPDATE_TRACE_DIGESTS").is_some() {
        std::fs::write(DIGESTS, &text).expect("writing the digests");
        return;
    }
    let recorded = std::fs::read_to_string(DIGESTS).expect("tests/data/trace_digests.txt");
    let changed: Vec<String> = recorded
        .lines()
        .filter(|l| !l.starts_with('#'))
        .zip(text.lines().filter(|l| !l.starts_with('#')))
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  recorded {a}\n  now      {b}"))
        .collect();
    assert!(
        changed.is_empty() && recorded == text,
        "{} trace(s) changed (or the list of scenarios did):\n{}",
        changed.len(),
        changed.join("\n")
    );
}
