//! Live mode (native only): real Kafka clients served by the simulated engine.
//!
//! `kafkascope live` opens one TCP listener per engine broker. A real
//! client (kafka-python, librdkafka, the Java client) bootstraps from any
//! of them and talks Kafka's protocol to what it believes is a cluster;
//! behind the sockets is the same deterministic engine the page animates.
//!
//! The layers, bottom to top:
//! - [`frame`]: Kafka's framing and the request/response codecs (the
//!   `kafka-protocol` crate), the table of APIs and versions served, and
//!   what a malformed frame gets;
//! - [`alloc_guard`]: keeps a malformed frame's absurd array length from
//!   aborting the process;
//! - [`transport`]: the listeners and one task per connection (tokio),
//!   with their limits;
//! - [`translate`]: Kafka's messages ↔ the engine's messages;
//! - [`gateway`]: the one task that owns the engine, runs it on the wall
//!   clock and matches answers to requests;
//! - [`page_server`]: beside the Kafka ports, a small HTTP server for the
//!   page that watches the run: its static bundle, the run's tape (the
//!   inputs that replay it) and the operator's commands.
//!
//! None of it is compiled for the page (`cfg(not(target_arch = "wasm32"))`
//! in `lib.rs`), so tokio and kafka-protocol cost the bundle nothing.

pub mod alloc_guard;
pub mod frame;
pub mod gateway;
pub mod page_server;
pub mod translate;
pub mod transport;
