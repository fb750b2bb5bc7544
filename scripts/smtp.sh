# Sourced by scripts/test.sh: starts a real SMTP server (aiosmtpd from PyPI, its Mailbox
# handler writing every message it accepts into a maildir) on a free port and exports
# SHAREPACK_TEST_SMTP (`host:port`) and SHAREPACK_TEST_MAILDIR; `stop_smtp` stops it.
start_smtp() {
  SMTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  SMTP_ROOT=$(mktemp -d -t sharepack-smtp.XXXXXX)
  SMTP_LOG="$SMTP_ROOT/log"
  # The maildir must not exist yet: the handler makes it.
  python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$SMTP_ROOT/maildir" >"$SMTP_LOG" 2>&1 &
  SMTP_PID=$!
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 0.2)" 2>/dev/null || { cat "$SMTP_LOG"; die "the SMTP server did not start"; }
  export SHAREPACK_TEST_SMTP="127.0.0.1:$SMTP_PORT"
  export SHAREPACK_TEST_MAILDIR="$SMTP_ROOT/maildir"
  log "aiosmtpd $(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)') on port $SMTP_PORT"
}

stop_smtp() {
  [[ -n "${SMTP_PID:-}" ]] || return 0
  kill "$SMTP_PID" 2>/dev/null || true
  wait "$SMTP_PID" 2>/dev/null || true
  rm -rf "$SMTP_ROOT"
}
