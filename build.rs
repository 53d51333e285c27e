//! Sets `cfg(live_engine)`: the engine's live-mode parts (real clients'
//! slots, their record bytes, the tape of a live run) are compiled natively
//! and into the live page's bundle (`--features live-page`), never into the
//! course page's bundle, whose first load is budgeted (see ARCHITECTURE.md).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(live_engine)");
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    if !wasm || std::env::var_os("CARGO_FEATURE_LIVE_PAGE").is_some() {
        println!("cargo::rustc-cfg=live_engine");
    }
}
