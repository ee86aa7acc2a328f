#!/usr/bin/env bash
# Installs what kassa needs on a fresh Debian 12 machine (Python 3.11) into ./.venv.
# Usage: bash packaging/setup.sh [test]   ("test" adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# libzbar0 for pyzbar; libgl1/libglib2.0-0 for OpenCV; python3-venv for the venv; tmux for
# running the terminal UI in a real terminal; strace for the one-fsync-per-sale test;
# gcc and linux-libc-dev to build evdev (keyboard-wedge scanners); libusb-1.0-0 for
# USB receipt printers (pyusb).
PKGS="libzbar0 libgl1 libglib2.0-0 python3-venv tmux strace gcc linux-libc-dev libusb-1.0-0"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
