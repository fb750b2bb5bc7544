# Sourced by scripts/test.sh: starts a throwaway PostgreSQL server (Debian's, installed if
# missing) on a free port and exports SHAREPACK_TEST_PG_URL; `stop_postgres` removes it.
# Root may not run initdb or postgres, so they run as the `postgres` user.
start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  PGBASE=$(mktemp -d -t sharepack-pg.XXXXXX)
  local run=()
  if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$PGBASE"; run=(runuser -u postgres --); fi
  "${run[@]}" "$PGBIN/initdb" -D "$PGBASE/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  "${run[@]}" "$PGBIN/pg_ctl" -D "$PGBASE/data" -l "$PGBASE/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGBASE -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  PG_RUN=("${run[@]}")
  export SHAREPACK_TEST_PG_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
  export SHAREPACK_TEST_REQUIRE_PG=1
  log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT"
}

stop_postgres() {
  [[ -n "${PGBASE:-}" ]] || return 0
  "${PG_RUN[@]}" "$PGBIN/pg_ctl" -D "$PGBASE/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGBASE"
}
