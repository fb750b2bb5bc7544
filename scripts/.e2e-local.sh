#!/usr/bin/env bash
# Local: build, start a sqlite portal, run browser tests + seed clients + secrets check.
source scripts/common.sh
source scripts/oidc.sh
start_oidc
scripts/build.sh >/dev/null 2>&1 || { echo build failed; scripts/build.sh 2>&1 | tail -30; exit 1; }
workdir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SHAREPACK_IDLE_POLL_MS=100 SHAREPACK_RETRY_DELAY_MS=1000 SHAREPACK_MAX_DELIVERIES=30 \
  SHAREPACK_SANDBOX_FAULTS="fail=PATCH /shares/e2e_broken, down=PATCH /shares/e2e_stuck" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$SITE_DIR" \
  SHAREPACK_DATA_DIR="$workdir/data" SHAREPACK_RATE_PER_MINUTE=120 RUST_LOG=warn \
  SHAREPACK_OIDC_ISSUER="$SHAREPACK_TEST_OIDC" SHAREPACK_OIDC_CLIENT_ID=sharepack SHAREPACK_OIDC_CLIENT_SECRET=sharepack-test-secret \
  SHAREPACK_OIDC_SCOPES="openid email profile groups" SHAREPACK_OIDC_ROLES='{"sp-legal-requesters": "requester:Legal"}' \
  "$CARGO_TARGET_DIR/debug/sharepack" >"$workdir/portal.log" 2>&1 &
portal=$!
trap 'kill $portal 2>/dev/null; wait $portal 2>/dev/null; stop_oidc' EXIT
SHAREPACK_URL="http://127.0.0.1:$port" SHAREPACK_LOG="$workdir/portal.log" node end2end/run.mjs ${ONLY:+--only "$ONLY"}
rc=$?
echo "rc=$rc log=$workdir/portal.log"
if [[ $rc == 0 && -z "${NOSEED:-}" ]]; then
  cli_token=$(SHAREPACK_DATA_DIR="$workdir/data" RUST_LOG=error "$CARGO_TARGET_DIR/debug/sharepack" tokens create --user ann@example.com --name cli --scope read,submit --expires 1)
  for token in "$(cat end2end/results/ui-token.txt)" "$cli_token"; do
    SHAREPACK_URL="http://127.0.0.1:$port" SHAREPACK_TOKEN="$token" python3 end2end/seed_client.py | tail -2
  done
  kill $portal; wait $portal 2>/dev/null
  SHAREPACK_LOG="$workdir/portal.log" SHAREPACK_SQLITE="$workdir/data/sharepack.db" python3 end2end/secrets_check.py "$cli_token"
fi
tail -5 $workdir/portal.log
