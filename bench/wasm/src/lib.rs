//! Benchmarks W1 (issue #3) and S100k (issue #6) for wasm: the workloads of
//! `benches/common/workloads.rs` (shared with the native benches), exported
//! to JS. No clock here: the caller times
//! `run_w1` with `performance.now()`, so the engine stays timing-free.

use kafkascope::engine::config::{Acks, KeyMode, ScenarioConfig};
use kafkascope::engine::{Engine, StepOutcome};
use wasm_bindgen::prelude::*;

/// The page's allocator (src/bin/kafkascope-web.rs): the figure measures
/// what the page runs.
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

include!("../../../benches/common/workloads.rs");

/// Runs W1 to quiescence (same loop as the native bench, events drained each
/// step) and returns the number of records acknowledged to the producer.
#[wasm_bindgen]
pub fn run_w1(records: u32) -> f64 {
    let mut e = Engine::new(w1(records)).expect("valid W1 config");
    let mut events = 0u64;
    let mut buf = Vec::new();
    while e.step() == StepOutcome::Advanced {
        e.swap_events(&mut buf);
        events += buf.len() as u64;
    }
    // Keep the drained-event count observable so the work is not elided.
    core::hint::black_box(events);
    e.producers()[0].acked_records as f64
}

/// Runs W1 in full (with its group of 4 committing consumers) to
/// quiescence and returns the number of records processed exactly once.
#[wasm_bindgen]
pub fn run_w1_full(records: u32) -> f64 {
    let mut e = Engine::new(w1_full(records)).expect("valid W1 full config");
    let mut events = 0u64;
    let mut buf = Vec::new();
    while e.step() == StepOutcome::Advanced {
        e.swap_events(&mut buf);
        events += buf.len() as u64;
    }
    core::hint::black_box(events);
    e.delivery_summary(kafkascope::engine::ids::GroupIdx(0))
        .processed_once as f64
}

// ---- S100k: time-travel seeks (issue #6) ------------------------------------

use kafkascope::model::{Model, Msg};
use std::cell::RefCell;


thread_local! {
    static MODEL: RefCell<Option<Model>> = const { RefCell::new(None) };
}

/// Plays S100k to its end through the UI's model and keeps it; returns the
/// number of steps in its history.
#[wasm_bindgen]
pub fn seek_prepare(records: u32) -> f64 {
    let mut m = Model::new(s100k(records)).expect("valid S100k config");
    m.update(Msg::Play);
    while m.playing {
        m.update(Msg::Tick);
    }
    let steps = m.last_step();
    MODEL.with(|c| *c.borrow_mut() = Some(m));
    steps as f64
}

/// Seeks the kept model to `step`; returns the step it is on.
#[wasm_bindgen]
pub fn seek_to(step: f64) -> f64 {
    MODEL.with(|c| {
        let mut c = c.borrow_mut();
        let m = c.as_mut().expect("seek_prepare first");
        m.update(Msg::Seek(step as u64));
        m.step as f64
    })
}
