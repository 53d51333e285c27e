//! The page runs the same engine compiled for wasm32, but a few of its
//! lookups take a page-only path chosen for the bundle's size
//! (`cfg(target_arch = "wasm32")` in `engine::tp_map` and `engine::cow_vec`:
//! a binary search instead of a dense index, the compiler's own inlining).
//! They must find the same things: every preset the course page carries is
//! played to its end in the browser, and its trace digest must equal the
//! native one recorded in `tests/data/trace_digests.txt` (see
//! `tests/trace_digests.rs`).

#![cfg(target_arch = "wasm32")]

// Only the digest: the rest of `tests/common` builds native scenarios.
#[path = "common/trace.rs"]
mod trace;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RECORDED: &str = include_str!("data/trace_digests.txt");

/// The page's build leaves the presets' notes in `static/presets.txt`
/// (`¶id#N` in the script): put the fetched text back, as the page's
/// narration does, so the trace is the one the page tells.
fn with_notes(mut cfg: kafkascope::engine::ScenarioConfig) -> kafkascope::engine::ScenarioConfig {
    for e in cfg.script.iter_mut() {
        if let kafkascope::engine::command::Command::Note { text } = &mut e.command {
            let note = kafkascope::presets::note_text(text);
            assert!(!note.is_empty(), "note {text} is not in presets.txt");
            *text = note;
        }
    }
    cfg
}

#[wasm_bindgen_test]
fn every_course_preset_plays_in_the_browser_exactly_as_natively() {
    kafkascope::presets::set_text(include_str!("../static/presets.txt").into());
    let mut checked = 0;
    let mut changed = Vec::new();
    for p in kafkascope::presets::all() {
        let runs = if p.lanes.is_empty() {
            vec![(format!("preset {}", p.id), p.config)]
        } else {
            p.lanes
                .into_iter()
                .map(|(label, cfg)| (format!("preset {} lane {label}", p.id), cfg))
                .collect()
        };
        for (name, cfg) in runs {
            let now = trace::line(&name, with_notes(cfg));
            let recorded = RECORDED
                .lines()
                .find(|l| l.ends_with(&format!("  {name}")))
                .unwrap_or_else(|| panic!("no native digest recorded for {name}"));
            if recorded != now {
                changed.push(format!("  native {recorded}\n  wasm   {now}"));
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} preset runs in the course page's build"
    );
    assert!(
        changed.is_empty(),
        "{} trace(s) differ in wasm:\n{}",
        changed.len(),
        changed.join("\n")
    );
}
