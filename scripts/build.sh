#!/usr/bin/env bash
# Builds the portal without cargo-leptos (which takes 30-45 minutes to install here): the WASM
# front end with cargo + a version-matched wasm-bindgen CLI, the site folder, and the server.
# Usage: scripts/build.sh [--release]. Installs the wasm target and wasm-bindgen when missing.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

profile=debug
[[ "${1:-}" == "--release" ]] && profile=release

command -v cargo >/dev/null || die "cargo is not installed (https://rustup.rs)"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "installing the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have" != "$want" ]]; then
  log "installing wasm-bindgen-cli $want (about 5 minutes, once)"
  # No --locked: its lock file pins a webpki-roots the registry here does not offer.
  cargo install wasm-bindgen-cli --version "$want"
fi

log "building the browser bundle ($profile)"
front_profile=dev; front_dir=debug
if [[ $profile == release ]]; then front_profile=wasm-release; front_dir=wasm-release; fi
cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --profile "$front_profile"

rm -rf "$SITE_DIR.tmp" && mkdir -p "$SITE_DIR.tmp/pkg"
cp -r public/. "$SITE_DIR.tmp/"
wasm-bindgen --target web --out-name sharepack --out-dir "$SITE_DIR.tmp/pkg" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$front_dir/app.wasm"
# Leptos' hydration script asks for `<name>_bg.wasm` unless LEPTOS_OUTPUT_NAME was set at compile
# time (as cargo-leptos does); we leave it unset and keep wasm-bindgen's file name.
if [[ $profile == release ]] && command -v wasm-opt >/dev/null; then
  log "optimising the WASM with $(command -v wasm-opt)"
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$SITE_DIR.tmp/pkg/sharepack_bg.wasm" -o "$SITE_DIR.tmp/pkg/sharepack_bg.wasm"
fi
cp style/main.css "$SITE_DIR.tmp/pkg/sharepack.css"
rm -rf "$SITE_DIR" && mv "$SITE_DIR.tmp" "$SITE_DIR"

log "building the server ($profile)"
if [[ $profile == release ]]; then cargo build -p server --release; else cargo build -p server; fi
log "built: $CARGO_TARGET_DIR/$profile/sharepack with the site in $SITE_DIR"
