#!/usr/bin/env bash
# Installs what kassa needs on a fresh Debian 12 machine (Python 3.11) into ./.venv.
# Usage: bash packaging/setup.sh [test]   ("test" adds the test and lint tools)
# packaging/check-fresh-debian.sh runs this in a Debian 12 minbase chroot.
set -euo pipefail
cd "$(dirname "$0")/.."

# libzbar0 for pyzbar; libgl1/libglib2.0-0 for OpenCV; python3-venv for the venv; tmux for
# running the terminal UI in a real terminal; strace for the one-fsync-per-sale test;
# evdev (keyboard-wedge scanners) has no wheel on PyPI and is built from source, which
# needs gcc, libc6-dev, linux-libc-dev and python3-dev (Python.h); libusb-1.0-0 for USB
# receipt printers (pyusb).
PKGS="libzbar0 libgl1 libglib2.0-0 python3-venv python3-dev tmux strace gcc libc6-dev"
PKGS="$PKGS linux-libc-dev libusb-1.0-0"
# postgresql for the tests: HQ's suite runs on SQLite and on a throwaway PostgreSQL
# cluster (packaging/pg-test-cluster.sh). HQ itself needs no Debian package for it:
# psycopg[binary] carries its own libpq.
[ "${1:-}" = "test" ] && PKGS="$PKGS postgresql"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "setup.sh: these Debian packages are missing:$missing" >&2
      echo "setup.sh: there is no sudo here; as root, run:" >&2
      echo "  apt-get update && apt-get install -y$missing" >&2
      echo "setup.sh: then run this command again." >&2
      exit 1
    fi
  fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
