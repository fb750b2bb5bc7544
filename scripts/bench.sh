#!/usr/bin/env bash
# Runs every benchmark and prints its figures: intake (YAML and Excel), the store on SQLite and
# on a throwaway PostgreSQL server, the Databricks client against the sandbox, planning, and
# applying 100 packs end to end. Record the
# figures in BENCHMARKS.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source scripts/postgres.sh
trap stop_postgres EXIT
start_postgres
cargo bench -p sharepack-engine --bench intake
cargo bench -p sharepack-engine --bench store
cargo bench -p server --bench client
cargo bench -p server --bench plan
cargo bench -p server --bench apply
# The same without recording metrics, for their overhead.
BENCH_METRICS=off cargo bench -p server --bench apply
