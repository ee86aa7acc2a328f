"""The reference HQ as a real process on loopback, for the tests of sync and ui."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui.hq_process import free_port, wait_for_hq


def alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class HqProcess:
    """The reference HQ as its own process on loopback; can be killed and restarted."""

    db: Path | str  # HQ's database: a file, or a PostgreSQL URL
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    fixed_time: datetime | None = None  # HQ's clock, when a test pins the terminal's
    expire_every_s: float | None = None  # HQ's expiry schedule, when a test sets one
    args: tuple[str, ...] = ()  # more of `kassa hq`'s options

    key_dir: Path | None = None  # where a PostgreSQL HQ's public key is written for tests

    @property
    def postgres(self) -> bool:
        return str(self.db).startswith("postgresql://")

    @property
    def key(self) -> str:
        """HQ's public key file: written beside an SQLite database at start; a PostgreSQL
        HQ keeps its keys in the database, and its public half is written out here."""
        if not self.postgres:
            return f"{self.db}.pub"
        assert self.key_dir is not None, "a PostgreSQL HQ's tests give it a key_dir"
        path = self.key_dir / "hq.pub"
        if not path.exists():
            from agent.signing import public_key_hex
            from sync.hq.store import HqStore

            store = HqStore(self.db, create=False)
            path.write_text(public_key_hex(store.signing_key()) + "\n", encoding="ascii")
            store.close()
        return str(path)

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
        """SIGKILL HQ (its workers, if it runs several, see their parent go and stop)."""
        workers = list(self.workers().values())
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "HQ's workers outlived it"
            time.sleep(0.05)

    def workers(self) -> dict[int, int]:
        """slot -> pid of each worker process of `kassa hq --workers N` (none for one)."""
        if self.proc is None:
            return {}
        found = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rpartition(")")[2].split()[1])
                args = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if ppid == self.proc.pid and b"sync.hq.workers" in args:
                found[int(args[args.index(b"--slot") + 1])] = int(stat.parent.name)
        return found

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
def hq(tmp_path: Path, hq_db_url: str) -> Iterator[HqProcess]:
    """HQ as a real process on a new database: SQLite, or PostgreSQL for the tests
    marked ``both_backends`` (tests/pgdb.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    db = hq_db_url if hq_db_url.startswith("postgresql://") else tmp_path / "hq.db"
    proc = HqProcess(db, free_port(), env, key_dir=tmp_path)
    proc.start()
    yield proc
    proc.kill()
