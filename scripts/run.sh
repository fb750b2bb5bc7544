#!/usr/bin/env bash
# Command one: builds and runs the portal on the embedded default (files under ./data).
# Usage: scripts/run.sh [--release]. Settings come from the environment or .env (see README).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
profile=debug
[[ "${1:-}" == "--release" ]] && profile=release
scripts/build.sh "$@"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$SITE_DIR}"
log "starting Sharepack on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
exec "$CARGO_TARGET_DIR/$profile/sharepack"
