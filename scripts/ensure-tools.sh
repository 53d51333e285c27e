#!/usr/bin/env bash
# Installs whatever is missing to build, serve and test kafkascope on a fresh
# machine of this kind (Debian, rustup, node/npm; only package registries reachable).
# Idempotent: each tool is checked first and installed only when missing or at the
# wrong version. Source it (`. scripts/ensure-tools.sh`) so PATH changes stick.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
TRUNK_VERSION=0.21.14
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"

log() { printf '[ensure-tools] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~3 min)"
  # Not --locked: one locked dependency is missing from the registry mirror.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (~10 min)"
  cargo install trunk --version "$TRUNK_VERSION" --locked --force
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  log "installing Debian chromium + chromium-driver"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! command -v brotli >/dev/null 2>&1; then
  log "installing Debian brotli (the first-load budget is measured as brotli -q 11)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq brotli >/dev/null
fi

if [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/node_modules/playwright-core" ] \
   || [ ! -d "$ROOT/node_modules/terser" ] || [ ! -f "$ROOT/node_modules/axe-core/axe.min.js" ]; then
  log "installing npm dev tools (playwright-core, binaryen, terser, axe-core)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi

log "tools ready: $(wasm-bindgen --version), $(trunk --version), $(wasm-opt --version | head -1), $(chromium --version 2>/dev/null), $(brotli --version)"
