//! Test support shared by the integration tests, as a module (`mod
//! common;`) rather than pasted in with `include!`, so each piece names what
//! it uses and a change to it is type-checked once:
//! - [`sweep`]: the one seed-sweep driver (`SWEEP_SEEDS`, `SWEEP_SEED`);
//! - [`rng`]: the one PRNG of the tests, the engine's own PCG32;
//! - [`sim`]: an engine with its event log and invariant-checking steps;
//! - [`commands`]: command builders;
//! - [`assignor_data`]: the assignor tests' data files and Kafka-suite loop;
//! - [`trace`]: the digest of a run's event trace (native and in the browser);
//! - the random scenarios of the sweeps ([`sweep_scenario`],
//!   [`group_scenario`], [`semantics_scenario`]; the first two are shared
//!   with `examples/seed_story.rs`).
//!
//! Every test crate compiles all of it and uses a part, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub mod assignor_data;
pub mod commands;
pub mod group_scenario;
pub mod rng;
pub mod semantics_scenario;
pub mod sim;
pub mod sweep;
pub mod sweep_scenario;
pub mod trace;
