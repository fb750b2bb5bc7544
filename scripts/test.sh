#!/usr/bin/env bash
# Command two: runs every test. Installs what the tests need when it is missing (the wasm
# target and wasm-bindgen CLI, Debian's Chromium, the end2end node modules), builds, runs the
# Rust tests with nextest, then starts the portal on a free port with a fresh data directory and
# drives it in Chromium.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! command -v cargo-nextest >/dev/null; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
if [[ ! -d end2end/node_modules/playwright-core ]]; then
  log "installing the end2end node modules"
  (cd end2end && npm ci --no-audit --no-fund --silent)
fi

scripts/build.sh

log "Rust tests"
cargo nextest run --workspace --no-fail-fast

log "browser tests"
workdir=$(mktemp -d -t sharepack-e2e.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$SITE_DIR" SHAREPACK_DATA_DIR="$workdir/data" RUST_LOG=warn \
  "$CARGO_TARGET_DIR/debug/sharepack" >"$workdir/portal.log" 2>&1 &
portal=$!
cleanup() { kill "$portal" 2>/dev/null || true; wait "$portal" 2>/dev/null || true; rm -rf "$workdir"; }
trap cleanup EXIT
if ! SHAREPACK_URL="http://127.0.0.1:$port" node end2end/run.mjs; then
  echo "--- portal log ---"; tail -50 "$workdir/portal.log"
  exit 1
fi
