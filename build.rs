//! Sets `cfg(live_engine)`: the engine's live-mode parts (real clients'
//! slots, their record bytes, the tape of a live run) are compiled natively
//! and into the live page's bundle (`--features live-page`), never into the
//! course page's bundle, whose first load is budgeted (see ARCHITECTURE.md).
//!
//! Sets `cfg(consumer_protocol)` likewise: Kafka 4's consumer group protocol
//! (KIP-848: the coordinator's consumer groups, the server-side assignors,
//! the consumer's reconciliation) is compiled natively and into the full
//! page's bundle (`--features full-page`, `static/full/index.html`) and the
//! live page's; the course page hands scenarios that use it to `full/`.
//!
//! Sets `cfg(engine_speed)`: the engine's speed-only variants (a timing
//! wheel for its queue, leaders' fetch sessions, follower fetch plans,
//! forced inlining, dense indexes; none changes a trace) are compiled
//! natively, and into wasm only with the `wasm-speed` feature, which the
//! wasm bench (`bench/wasm`) turns on. The pages' bundles are built
//! without it: those variants cost their budgeted first-load bytes.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(live_engine)");
    println!("cargo::rustc-check-cfg=cfg(consumer_protocol)");
    println!("cargo::rustc-check-cfg=cfg(engine_speed)");
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    let live = std::env::var_os("CARGO_FEATURE_LIVE_PAGE").is_some();
    let full = std::env::var_os("CARGO_FEATURE_FULL_PAGE").is_some();
    let speed = std::env::var_os("CARGO_FEATURE_WASM_SPEED").is_some();
    if !wasm || speed {
        println!("cargo::rustc-cfg=engine_speed");
    }
    if !wasm || live {
        println!("cargo::rustc-cfg=live_engine");
    }
    if !wasm || live || full {
        println!("cargo::rustc-cfg=consumer_protocol");
    }
}
