#!/usr/bin/env bash
# Runs every benchmark and prints its figures: intake (YAML and Excel), the store on SQLite and
# on a throwaway PostgreSQL server, the Databricks client against the sandbox, planning, the
# validate endpoint beside openpyxl and PyYAML, serving the status endpoint under load (both
# databases), applying 100 packs end to end, and reconciling a large workspace. Record the
# figures in BENCHMARKS.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source scripts/postgres.sh
trap stop_postgres EXIT
start_postgres
cargo bench -p sharepack-engine --bench intake
cargo bench -p sharepack-engine --bench store
cargo bench -p server --bench client
cargo bench -p server --bench plan
# Side by side with the seed's parsers (openpyxl and PyYAML, from PyPI).
python3 -c 'import openpyxl, yaml' 2>/dev/null || python3 -m pip install --quiet openpyxl pyyaml
cargo bench -p server --bench validate
cargo bench -p server --bench apply
# The same without recording metrics, for their overhead.
BENCH_METRICS=off cargo bench -p server --bench apply
# And exporting every span, for the overhead of tracing.
BENCH_TRACES=on cargo bench -p server --bench apply
# Serving under load: oha, a packaged load generator (crates.io), at 1,000 requests per second.
[ -x "$HOME/.cache/sharepack/tools/bin/oha" ] || command -v oha >/dev/null || cargo install oha --locked --root "$HOME/.cache/sharepack/tools"
cargo bench -p server --bench load
BENCH_DATABASE=postgres cargo bench -p server --bench load
# 50 browsers following runs while 4 workers apply, on both databases.
BENCH_WORKERS=4 BENCH_FOLLOWERS=50 cargo bench -p server --bench apply
BENCH_DATABASE=postgres BENCH_WORKERS=4 BENCH_FOLLOWERS=50 cargo bench -p server --bench apply
# A drift check of 5,000 recipients and 1,000 shares of 20,000 objects, on both databases.
cargo bench -p server --bench reconcile
BENCH_DATABASE=postgres cargo bench -p server --bench reconcile
