#!/usr/bin/env bash
# Sets up kassa with its test tools and runs lint, types and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh test
# A throwaway PostgreSQL cluster for HQ's tests on PostgreSQL (tests/pgdb.py), gone at exit.
if [ -z "${KASSA_TEST_PG:-}" ]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/kassa-pg.XXXXXX")
  trap 'bash packaging/pg-test-cluster.sh stop "$pg_dir"' EXIT
  KASSA_TEST_PG=$(bash packaging/pg-test-cluster.sh start "$pg_dir")
  export KASSA_TEST_PG
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
.venv/bin/kassa bench --quick --hq-pg "$KASSA_TEST_PG"  # HQ's ingest on both databases
