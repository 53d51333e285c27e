//! kafkascope: a deterministic Kafka engine that runs in the browser and
//! animates every stage of a record's life.
//!
//! The modules are layers; each uses only the layers below it
//! (`tests/architecture.rs` enforces it), bottom to top:
//!
//! 1. [`engine`]: the pure, sans-IO simulation of a Kafka cluster, with
//!    [`engine::replay`], which plays a tape (configuration + command log)
//!    back into an engine.
//! 2. [`link`]: the scenario-link codec (envelope and v1 body). It is handed
//!    a preset lookup instead of importing the presets.
//! 3. [`presets`] (stored as links) and [`scenario`] (the JSON scenario file,
//!    which may name a preset).
//! 4. [`lesson`]: the lesson format and the built-in lessons.
//! 5. The presentation model, pure and tested natively: [`model`] (the run,
//!    the view and the reducer) with [`model::timeline`] (time travel),
//!    [`model::tour`] (the lesson player) and [`model::share`] (model ↔
//!    link) under it, and what the views draw from it: [`narration`],
//!    [`metrics`] and [`stage_layout`].
//! 6. The front ends: `ui` (wasm32 only, the Yew components), [`cli`]
//!    (native only, the command-line tool) and `live` (native only: real
//!    Kafka clients over TCP, served by the engine; `kafkascope live`).

pub mod cli;
pub mod engine;
pub mod lesson;
pub mod link;
#[cfg(not(target_arch = "wasm32"))]
pub mod live;
pub mod metrics;
pub mod model;
pub mod narration;
pub mod presets;
pub mod scenario;
pub mod stage_layout;

#[cfg(target_arch = "wasm32")]
pub mod ui;
