"""End to end: the reference HQ as its own process on loopback, `kassa simulate` as another.

Faults are real: SIGKILL of either process, and an HQ that commits a batch and
dies before replying.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hqproc import HqProcess
from tests.sync.faultproxy import FaultProxy

pytestmark = [pytest.mark.e2e, pytest.mark.both_backends]  # HQ on SQLite and PostgreSQL


def kassa(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def local_sales(data_dir: Path) -> int:
    path = data_dir / "terminal.db"
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # read only: never create it
    try:
        return int(conn.execute("SELECT COUNT(*) FROM sales").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def totals(hq: HqProcess) -> dict[str, int]:
    report = hq.report()
    total = report["total"]
    assert isinstance(total, dict)
    return {k: int(v) for k, v in total.items()} | {"conflicts": int(str(report["conflicts"]))}


def test_simulated_sales_reach_hq_exactly_once(hq: HqProcess, tmp_path: Path) -> None:
    out = kassa(
        "simulate",
        "--hq",
        hq.url,
        "--hq-key",
        hq.key,
        "--sales",
        "25",
        "--data-dir",
        str(tmp_path / "T1"),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "pending 0" in out.stdout
    assert totals(hq)["sales"] == 25
    again = kassa(
        "simulate",
        "--hq",
        hq.url,
        "--hq-key",
        hq.key,
        "--sales",
        "0",
        "--data-dir",
        str(tmp_path / "T1"),
    )
    assert again.returncode == 0
    assert totals(hq)["sales"] == 25
    assert kassa("verify", "--data-dir", str(tmp_path / "T1")).returncode == 0


def test_hq_dying_after_commit_before_reply_counts_the_batch_once(
    hq: HqProcess, tmp_path: Path
) -> None:
    # The proxy lets the first upload through, and SIGKILLs HQ the moment HQ answers
    # it: HQ holds the batch, the terminal never hears.
    proxy = FaultProxy(
        hq.port, {"pass": 1.0}, seed=0, first_uploads=("kill-after",), on_kill=hq.kill
    )
    try:
        sim = spawn(
            "simulate",
            "--hq",
            proxy.url,
            "--hq-key",
            hq.key,
            "--sales",
            "12",
            "--data-dir",
            str(tmp_path / "T1"),
            "--timeout",
            "90",
            "--batch-size",
            "5",
        )
        deadline = time.monotonic() + 60
        while (proxy.fates["kill-after"] == 0 or hq.proc is not None) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert proxy.fates["kill-after"] == 1 and hq.proc is None, proxy.fates
        assert totals(hq)["sales"] >= 1  # the batch HQ committed before it died
        hq.start()  # restarted, healthy, on the port the proxy relays to
        out, err = sim.communicate(timeout=120)
    finally:
        proxy.close()
    assert sim.returncode == 0, out + err
    t = totals(hq)
    assert t["sales"] == 12 and t["conflicts"] == 0
    assert t["sales"] == local_sales(tmp_path / "T1")


def test_hq_killed_and_restarted_while_sales_are_in_flight(hq: HqProcess, tmp_path: Path) -> None:
    data = tmp_path / "T1"
    sim = spawn(
        "simulate",
        "--hq",
        hq.url,
        "--hq-key",
        hq.key,
        "--sales",
        "150",
        "--data-dir",
        str(data),
        "--timeout",
        "120",
        "--batch-size",
        "3",
    )
    deadline = time.monotonic() + 60
    while local_sales(data) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    hq.kill()
    time.sleep(1.0)  # the terminal keeps selling while HQ is gone
    hq.start()
    out, err = sim.communicate(timeout=150)
    assert sim.returncode == 0, out + err
    t = totals(hq)
    assert t["sales"] == 150 == local_sales(data) and t["conflicts"] == 0


def test_terminal_killed_after_commit_uploads_everything_on_restart(
    hq: HqProcess, tmp_path: Path
) -> None:
    data = tmp_path / "T1"
    assert (
        kassa(
            "simulate", "--hq", hq.url, "--hq-key", hq.key, "--sales", "0", "--data-dir", str(data)
        ).returncode
        == 0
    )
    hq.kill()  # offline: sales commit locally and wait
    sim = spawn(
        "simulate",
        "--hq",
        hq.url,
        "--hq-key",
        hq.key,
        "--sales",
        "40",
        "--data-dir",
        str(data),
        "--timeout",
        "60",
    )
    deadline = time.monotonic() + 60
    while local_sales(data) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    sim.send_signal(signal.SIGKILL)
    sim.wait(10)
    committed = local_sales(data)
    assert committed >= 10
    hq.start()
    out = kassa(
        "simulate", "--hq", hq.url, "--hq-key", hq.key, "--sales", "0", "--data-dir", str(data)
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert totals(hq)["sales"] == committed
    assert kassa("verify", "--data-dir", str(data)).returncode == 0


def test_simulate_reports_what_is_pending_when_hq_stays_down(hq: HqProcess, tmp_path: Path) -> None:
    data = tmp_path / "T1"
    assert (
        kassa(
            "simulate", "--hq", hq.url, "--hq-key", hq.key, "--sales", "0", "--data-dir", str(data)
        ).returncode
        == 0
    )
    hq.kill()
    out = kassa(
        "simulate",
        "--hq",
        hq.url,
        "--hq-key",
        hq.key,
        "--sales",
        "3",
        "--data-dir",
        str(data),
        "--timeout",
        "3",
    )
    assert out.returncode == 1
    assert "3 sales still pending" in out.stdout and "offline" in out.stdout
