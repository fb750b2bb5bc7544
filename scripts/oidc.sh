# Sourced by scripts/test.sh: starts a real OpenID Connect provider (node-oidc-provider, from
# end2end's node modules; see end2end/oidc-provider.mjs) on a free port and exports
# SHAREPACK_TEST_OIDC, its issuer URL; `stop_oidc` stops it.
start_oidc() {
  OIDC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  OIDC_LOG=$(mktemp -t sharepack-oidc.XXXXXX)
  node end2end/oidc-provider.mjs "$OIDC_PORT" >"$OIDC_LOG" 2>&1 &
  OIDC_PID=$!
  for _ in $(seq 100); do
    grep -q "oidc provider ready" "$OIDC_LOG" && break
    sleep 0.1
  done
  grep -q "oidc provider ready" "$OIDC_LOG" || { cat "$OIDC_LOG"; die "the OIDC provider did not start"; }
  export SHAREPACK_TEST_OIDC="http://127.0.0.1:$OIDC_PORT"
  log "oidc-provider $(node -p "require('./end2end/node_modules/oidc-provider/package.json').version") on port $OIDC_PORT"
}

stop_oidc() {
  [[ -n "${OIDC_PID:-}" ]] || return 0
  kill "$OIDC_PID" 2>/dev/null || true
  wait "$OIDC_PID" 2>/dev/null || true
  rm -f "$OIDC_LOG"
}
