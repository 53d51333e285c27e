//! The web app's entry point, built for wasm32 by trunk.

#[cfg(target_arch = "wasm32")]
fn main() {
    kafkascope::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kafkascope-web is the browser build: serve it with `scripts/serve.sh` (trunk).");
    std::process::exit(2);
}
