# Sourced by scripts/test.sh: starts the Azurite queue emulator (from end2end's node modules)
# in memory on a free port and exports SHAREPACK_TEST_AZURITE, a connection string with the
# emulator's well-known development key; `stop_azurite` stops it.
start_azurite() {
  AZQ_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  AZQ_LOG=$(mktemp -t sharepack-azurite.XXXXXX)
  # --skipApiVersionCheck: azure_storage_queue 1.1 speaks a newer API version than Azurite 3.35 knows.
  end2end/node_modules/.bin/azurite-queue --queueHost 127.0.0.1 --queuePort "$AZQ_PORT" --inMemoryPersistence \
    --disableTelemetry --skipApiVersionCheck >"$AZQ_LOG" 2>&1 &
  AZQ_PID=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$AZQ_PORT") 2>/dev/null && break
    sleep 0.1
  done
  (exec 3<>/dev/tcp/127.0.0.1/"$AZQ_PORT") 2>/dev/null || { cat "$AZQ_LOG"; die "Azurite did not start"; }
  export SHAREPACK_TEST_AZURITE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:$AZQ_PORT/devstoreaccount1"
  log "Azurite $(node -p "require('./end2end/node_modules/azurite/package.json').version") (queue) on port $AZQ_PORT"
}

stop_azurite() {
  [[ -n "${AZQ_PID:-}" ]] || return 0
  kill "$AZQ_PID" 2>/dev/null || true
  wait "$AZQ_PID" 2>/dev/null || true
  rm -f "$AZQ_LOG"
}
