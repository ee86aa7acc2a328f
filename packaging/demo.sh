#!/usr/bin/env bash
# Sets up kassa and opens the cashier demo: the reference HQ on loopback + one terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
exec .venv/bin/kassa demo --data-dir demo-data "$@"
