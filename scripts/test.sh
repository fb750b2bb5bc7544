#!/usr/bin/env bash
# Command two: runs every test. Installs what the tests need when it is missing (the wasm
# target and wasm-bindgen CLI, Debian's PostgreSQL and Chromium, the end2end node modules with
# Playwright and Azurite), builds, starts a throwaway PostgreSQL server and the Azurite queue
# emulator, runs the Rust tests with nextest (store and queue contracts, apply end to end on
# SQLite with the embedded queue and on PostgreSQL with Azurite, a worker killed mid-run), then
# starts the portal on a free port with a fresh data directory and drives it in Chromium: once
# on SQLite with the embedded queue, once on PostgreSQL with Azurite.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source scripts/postgres.sh
source scripts/azurite.sh
source scripts/oidc.sh
source scripts/smtp.sh
# Incremental caches of the workspace crates add gigabytes and buy nothing on a test run.
export CARGO_INCREMENTAL=0

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v node >/dev/null || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! python3 -c 'import requests' 2>/dev/null; then
  log "installing Python requests (for the seed's polling client)"
  python3 -m pip install --quiet requests
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  log "installing aiosmtpd (the SMTP server the notification tests send to)"
  python3 -m pip install --quiet aiosmtpd
fi
if ! command -v cargo-nextest >/dev/null; then
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi
if [[ ! -d end2end/node_modules/playwright-core || ! -d end2end/node_modules/azurite || ! -d end2end/node_modules/oidc-provider ]]; then
  log "installing the end2end node modules"
  (cd end2end && npm ci --no-audit --no-fund --silent)
fi

scripts/build.sh

log "formatting and lints (cargo fmt --check, cargo clippy -D warnings)"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

workdir=$(mktemp -d -t sharepack-test.XXXXXX)
portal=""
cleanup() {
  [[ -n "$portal" ]] && { kill "$portal" 2>/dev/null || true; wait "$portal" 2>/dev/null || true; }
  stop_postgres
  stop_azurite
  stop_oidc
  stop_smtp
  rm -rf "$workdir"
}
trap cleanup EXIT
start_postgres
start_azurite
start_oidc
start_smtp

log "Rust tests"
cargo nextest run --workspace --no-fail-fast

# The browser tests run twice: on the embedded default (SQLite) and on PostgreSQL.
for backend in sqlite postgres; do
  log "browser tests ($backend)"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  database_url=""
  queue=""
  if [[ $backend == postgres ]]; then
    database_url="postgres://postgres@127.0.0.1:$PGPORT/sharepack_e2e"
    queue="$SHAREPACK_TEST_AZURITE"
    "${PG_RUN[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres sharepack_e2e
  fi
  DATABASE_URL="$database_url" azure_queue_connection_string="$queue" azure_queue_name=sharepack-e2e \
    SHAREPACK_IDLE_POLL_MS=100 SHAREPACK_RETRY_DELAY_MS=1000 SHAREPACK_MAX_DELIVERIES=30 \
    SHAREPACK_SANDBOX_FAULTS="fail=PATCH /shares/e2e_broken, down=PATCH /shares/e2e_stuck" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$SITE_DIR" \
    SHAREPACK_DATA_DIR="$workdir/data-$backend" SHAREPACK_RATE_PER_MINUTE=120 RUST_LOG=warn \
    SHAREPACK_OIDC_ISSUER="$SHAREPACK_TEST_OIDC" SHAREPACK_OIDC_CLIENT_ID=sharepack SHAREPACK_OIDC_CLIENT_SECRET=sharepack-test-secret \
    SHAREPACK_OIDC_SCOPES="openid email profile groups" SHAREPACK_OIDC_ROLES='{"sp-legal-requesters": "requester:Legal"}' \
    SHAREPACK_APPROVALS='{"approvals": 0, "risky_needs_one": false, "overrides": [{"business_line": "Examples", "approvals": 1}]}' \
    "$CARGO_TARGET_DIR/debug/sharepack" >"$workdir/portal-$backend.log" 2>&1 &
  portal=$!
  portal_log="$workdir/portal-$backend.log"
  if ! SHAREPACK_URL="http://127.0.0.1:$port" SHAREPACK_BACKEND="$backend" SHAREPACK_LOG="$portal_log" node end2end/run.mjs; then
    echo "--- portal log ($backend) ---"; tail -50 "$portal_log"
    exit 1
  fi
  # The seed's client, unchanged but for a token: once with the one made on the Tokens page,
  # once with one from `sharepack tokens create` on the same database. Its pack's business line
  # asks for an approval: a second person approves it over REST while the client polls.
  cli() { DATABASE_URL="$database_url" SHAREPACK_DATA_DIR="$workdir/data-$backend" RUST_LOG=error "$CARGO_TARGET_DIR/debug/sharepack" "$@"; }
  cli_token=$(cli tokens create --user ann@example.com --name "seed client (CLI)" --scope read,submit --expires 1)
  cli users add seed-approver@example.com --role approver --business-line Examples >/dev/null
  approver_token=$(cli tokens create --user seed-approver@example.com --name "seed approver" --scope read,approve --expires 1)
  for token in "$(cat end2end/results/ui-token.txt)" "$cli_token"; do
    log "the seed's Python polling client ($backend, token ${token:0:8}…)"
    if ! SHAREPACK_URL="http://127.0.0.1:$port" SHAREPACK_TOKEN="$token" SHAREPACK_APPROVER_TOKEN="$approver_token" python3 end2end/seed_client.py; then
      echo "--- portal log ($backend) ---"; tail -50 "$portal_log"
      exit 1
    fi
  done
  kill "$portal"; wait "$portal" 2>/dev/null || true; portal=""
  log "secrets in logs and the database ($backend)"
  if [[ $backend == postgres ]]; then
    "${PG_RUN[@]}" "$PGBIN/pg_dump" -h 127.0.0.1 -p "$PGPORT" -U postgres --data-only sharepack_e2e >"$workdir/dump.sql"
    SHAREPACK_LOG="$portal_log" SHAREPACK_PG_DUMP="$workdir/dump.sql" python3 end2end/secrets_check.py "$cli_token"
  else
    SHAREPACK_LOG="$portal_log" SHAREPACK_SQLITE="$workdir/data-$backend/sharepack.db" python3 end2end/secrets_check.py "$cli_token"
  fi
done
