"""`kassa hq --workers N`: N processes on one socket; one that dies is restarted, SIGTERM
stops them all, a parent killed outright takes them with it, and the background jobs
(the expiry run) are worker 0's alone."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from sync.hq.store import HqStore
from sync.hq.workers import HqSettings
from tests.conftest import ROOT, TUESDAY
from tests.hqproc import HqProcess, alive, free_port
from tests.sync.hqmoves import balances_and_moves, moves
from tests.sync.test_hq_expiry import R27_LOTS, add_customer
from tests.sync.test_point_lots import make_card_number


def start(
    db: str,
    workers: int,
    fixed_time: datetime | None = None,
    expire_every_s: float | None = None,
    key_dir: Path | None = None,
) -> HqProcess:
    """`kassa hq --workers N` on ``db`` (a file, or a PostgreSQL URL: its public key is
    written to ``key_dir``), once all N workers run."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    where: Path | str = db if db.startswith("postgresql://") else Path(db)
    hq = HqProcess(where, free_port(), env, None, fixed_time, expire_every_s, key_dir=key_dir)
    hq.args = ("--workers", str(workers))
    hq.start()
    deadline = time.monotonic() + 30
    while len(hq.workers()) < workers:
        assert time.monotonic() < deadline, f"HQ started {hq.workers()} of {workers} workers"
        time.sleep(0.05)
    return hq


def answers(hq: HqProcess) -> bool:
    try:
        return httpx.get(f"{hq.url}/v1/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_the_background_jobs_are_worker_0s_alone() -> None:
    settings = HqSettings("hq.db", expire_every_s=60.0)
    assert settings.for_slot(0).expire_every_s == 60.0
    assert [settings.for_slot(i).expire_every_s for i in (1, 2, 3)] == [None, None, None]
    assert settings.for_slot(1).db == "hq.db"
    assert HqSettings.from_json(settings.to_json()) == settings


@pytest.mark.e2e
def test_a_worker_that_dies_is_restarted_and_sigterm_stops_them_all(hq_db_url: str) -> None:
    hq = start(hq_db_url, 3)
    try:
        first = hq.workers()
        assert sorted(first) == [0, 1, 2] and len(set(first.values())) == 3
        for pid in first.values():  # settings on stdin: a database URL's password stays
            assert hq_db_url.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()  # hidden
        assert all(answers(hq) for _ in range(20))
        os.kill(first[1], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while hq.workers().get(1) in (None, first[1]):
            assert time.monotonic() < deadline, "the dead worker was not restarted"
            assert answers(hq)  # the others serve meanwhile
            time.sleep(0.1)
        now = hq.workers()
        assert now[0] == first[0] and now[2] == first[2] and now[1] != first[1]
        assert hq.proc is not None
        hq.proc.send_signal(signal.SIGTERM)
        assert hq.proc.wait(30) == 0
        assert not any(alive(pid) for pid in now.values())
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", hq.port), 2):
            pass  # the port is closed: nothing left listening
    finally:
        hq.kill()


@pytest.mark.e2e
def test_a_parent_killed_outright_takes_its_workers_with_it(hq_db_url: str) -> None:
    hq = start(hq_db_url, 2)
    pids = list(hq.workers().values())
    hq.kill()  # SIGKILL: no chance to stop them itself
    assert not any(alive(pid) for pid in pids)
    again = HqProcess(hq.db, hq.port, hq.env)  # the port is free for HQ to start again
    again.args = ("--workers", "2")
    again.start()
    again.kill()


@pytest.mark.e2e
def test_the_expiry_run_of_several_workers_writes_each_move_once(hq_db_url: str) -> None:
    hq_store = HqStore(hq_db_url)
    add_customer(hq_store, "R27", make_card_number(227), copy.deepcopy(R27_LOTS))
    hq_store.close()
    hq = start(hq_db_url, 3, fixed_time=TUESDAY, expire_every_s=0.2)
    try:
        deadline = time.monotonic() + 30
        while not moves(hq.db):
            assert time.monotonic() < deadline, "HQ's workers did not run expiry"
            time.sleep(0.2)
        time.sleep(1.0)  # several runs more: nothing written again
        assert moves(hq.db) == [("R27", 300, "2026-11-20T09:00:00.000000+00:00")]
        assert balances_and_moves(hq.db)["R27"] == (800, -300)
    finally:
        hq.kill()


@pytest.mark.e2e
def test_a_port_taken_is_said_and_no_worker_starts(hq_db_url: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        kassa_hq = [sys.executable, "-m", "ui.cli", "hq", "--db", hq_db_url]
        out = subprocess.run(
            [*kassa_hq, "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert out.returncode != 0
    assert f"kassa hq: cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr
