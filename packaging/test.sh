#!/usr/bin/env bash
# Sets up kassa with its test tools and runs lint, types and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
.venv/bin/kassa bench --quick
