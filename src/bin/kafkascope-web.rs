//! The web app's entry point, built for wasm32 by trunk.

/// Talc instead of dlmalloc: a smaller first load, faster allocation.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
fn main() {
    kafkascope::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kafkascope-web is the browser build: serve it with `scripts/serve.sh` (trunk).");
    std::process::exit(2);
}
