"""The reference HQ started as its own process on loopback (the demo, the benchmarks, the
tests), and waiting until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on loopback free now (the OS's choice): for an HQ or agent started on
    loopback by the tests and benchmarks."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_hq(url: str, timeout_s: float) -> bool:
    """Return True once HQ answers its health check, False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass  # not up yet
        time.sleep(0.1)
    return False


def start_hq(db: Path, port: int, demo: bool) -> subprocess.Popen[bytes]:
    """Start the reference HQ as its own process on loopback."""
    cmd = [sys.executable, "-m", "ui.cli", "hq", "--db", str(db), "--port", str(port)]
    return subprocess.Popen(cmd + (["--demo"] if demo else []))
