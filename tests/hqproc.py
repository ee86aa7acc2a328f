"""The reference HQ as a real process on loopback, for the tests of sync and ui."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui.hq_process import wait_for_hq


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class HqProcess:
    """The reference HQ as its own process on loopback; can be killed and restarted."""

    db: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    fixed_time: datetime | None = None  # HQ's clock, when a test pins the terminal's
    expire_every_s: float | None = None  # HQ's expiry schedule, when a test sets one
    args: tuple[str, ...] = ()  # more of `kassa hq`'s options

    @property
    def key(self) -> str:
        """HQ's public key file, written beside its database at start."""
        return f"{self.db}.pub"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui.cli",
                "hq",
                "--db",
                str(self.db),
                "--port",
                str(self.port),
                "--demo",
                *(["--fixed-time", self.fixed_time.isoformat()] if self.fixed_time else []),
                *(["--expire-every-s", str(self.expire_every_s)] if self.expire_every_s else []),
                *self.args,
            ],
            env=self.env,
            cwd=ROOT,
        )
        assert wait_for_hq(self.url, 30), "HQ did not come up"

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def report(self) -> dict[str, object]:
        out = subprocess.run(
            [sys.executable, "-m", "ui.cli", "hq", "report", "--db", str(self.db), "--json"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        import json

        doc: dict[str, object] = json.loads(out.stdout)
        return doc


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[HqProcess]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = HqProcess(tmp_path / "hq.db", free_port(), env)
    proc.start()
    yield proc
    proc.kill()
