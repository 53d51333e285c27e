//! kafkascope: a deterministic Kafka engine that runs in the browser and
//! animates every stage of a record's life.
//!
//! - [`engine`]: the pure, sans-IO simulation of a Kafka cluster.
//! - [`narration`] and [`model`]: pure presentation logic (tested natively).
//! - `ui` (wasm32 only): the Yew components.

pub mod cli;
pub mod engine;
pub mod lesson;
pub mod link;
pub mod metrics;
pub mod model;
pub mod narration;
pub mod presets;
pub mod scenario;
pub mod share;
pub mod stage_layout;
pub mod timeline;
pub mod tour;

#[cfg(target_arch = "wasm32")]
pub mod ui;
