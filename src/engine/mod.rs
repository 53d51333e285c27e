//! The kafkascope engine: a deterministic, sans-IO model of a Kafka cluster.
//!
//! Pure Rust: no UI crate, no wall clock, no OS randomness, no iteration over
//! hash-map order. Time is logical and advanced by [`sim::Engine::step`];
//! user actions and faults come in as [`command::Command`]s; everything that
//! happens comes out as [`event::Event`]s. See ARCHITECTURE.md for the map
//! from each Kafka concept to its file.

pub mod accumulator;
pub mod assignor;
pub mod broker;
pub mod classic_group;
pub mod client_metadata;
pub mod command;
pub mod config;
pub mod consumer;
pub mod consumer_coordinator;
pub mod consumer_group;
pub mod consumer_membership;
pub mod controller;
pub mod cow_vec;
pub mod event;
pub mod external;
pub mod fetch_session;
pub mod group_coordinator;
#[cfg(consumer_protocol)]
pub mod group_migration;
pub mod idempotence;
pub mod ids;
pub mod java;
pub mod json;
pub mod kafka_consumer;
pub mod leader_fetch;
pub mod leader_produce;
pub mod ledger;
pub mod log;
pub mod murmur2;
pub mod network;
pub mod outbox;
pub mod ownership;
pub mod partition_leader;
pub mod partitioner;
pub mod processor;
pub mod producer;
pub mod producer_state;
pub mod purgatory;
pub mod record;
pub mod replay;
pub mod replica_fetcher;
pub mod rng;
pub mod sender;
pub mod sim;
#[cfg(engine_speed)]
mod timing_wheel;
pub mod transaction_manager;
pub mod txn_coordinator;
pub mod txn_markers;
pub mod txn_metadata;
pub mod vecmap;

pub use command::Command;
pub use config::ScenarioConfig;
pub use event::{Event, EventKind, Stage};
pub use sim::{Engine, StepOutcome};
