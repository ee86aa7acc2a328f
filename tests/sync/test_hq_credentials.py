"""Terminal credentials at HQ: made random, kept salted, failures slowed down."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlite_utils import Database

from agent import demo
from sync.hq.auth import Throttle, secret_bits
from sync.hq.schema import migrations
from sync.hq.store import HqStore
from tests.conftest import ROOT
from tests.hqproc import HqProcess


def kassa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_add_terminal_makes_a_secret_prints_it_once_and_keeps_only_a_salted_hash(
    tmp_path: Path,
) -> None:
    db = tmp_path / "hq.db"
    HqStore(db).conn.close()
    out = kassa("hq", "add-terminal", "--db", str(db), "--id", "T7")
    assert out.returncode == 0, out.stderr
    secret = next(ln for ln in out.stdout.splitlines() if ln.startswith("secret: ")).split()[1]
    assert secret_bits(secret) >= 256
    again = kassa("hq", "add-terminal", "--db", str(db), "--id", "T8")
    assert secret not in again.stdout  # a new one each time
    store = HqStore(db, create=False)
    assert store.authenticate("T7", secret) and not store.authenticate("T7", secret[:-1])
    (kept,) = store.conn.execute("SELECT secret_hash FROM terminals WHERE terminal_id='T7'")
    assert kept[0].startswith("scrypt$") and secret not in kept[0]
    assert secret.encode() not in db.read_bytes()


def test_add_terminal_refuses_a_secret_shorter_than_128_bits(tmp_path: Path) -> None:
    db = tmp_path / "hq.db"
    HqStore(db).conn.close()
    for weak in ("demo", "a" * 40, "0123456789abcdef0123456789abcde", "Ab1-" * 5):
        out = kassa("hq", "add-terminal", "--db", str(db), "--id", "T7", "--secret", weak)
        assert out.returncode == 2 and "128 bits" in out.stderr, (weak, out)
    assert HqStore(db, create=False).conn.execute("SELECT COUNT(*) FROM terminals").fetchone() == (
        0,
    )
    strong = "0123456789abcdef0123456789abcdef"  # 32 hex digits: 128 bits
    assert (
        kassa("hq", "add-terminal", "--db", str(db), "--id", "T7", "--secret", strong).returncode
        == 0
    )
    assert HqStore(db, create=False).authenticate("T7", strong)


def test_the_same_secret_is_salted_differently_for_each_terminal(tmp_path: Path) -> None:
    store = HqStore(tmp_path / "hq.db")
    store.add_terminal("T1", demo.DEMO_SECRET)
    store.add_terminal("T2", demo.DEMO_SECRET)
    a, b = (r[0] for r in store.conn.execute("SELECT secret_hash FROM terminals ORDER BY 1"))
    assert a != b
    assert store.authenticate("T1", "demo") and store.authenticate("T2", "demo")
    assert not store.authenticate("T1", "demo2") and not store.authenticate("T9", "demo")


def test_the_migration_salts_the_sha256_digests_kept_before(tmp_path: Path) -> None:
    path = tmp_path / "hq.db"
    db = Database(path)
    migrations.apply(db, stop_before="m007_salted_secrets")
    db.execute(
        "INSERT INTO terminals(terminal_id, secret_sha256, last_hash) VALUES("
        "'T1', '2a97516c354b68848cdbd8f54a226a0a55b21ed138e207ad6c5cbb9c00aa5aea', 'g')"
    )  # sha256("demo"), as HQ kept it
    db.conn.commit()
    db.conn.close()
    store = HqStore(path)
    assert store.authenticate("T1", "demo") and not store.authenticate("T1", "dem0")
    cols = [r[1] for r in store.conn.execute("PRAGMA table_info(terminals)")]
    assert "secret_sha256" not in cols
    assert (
        b"2a97516c354b6884"
        not in sqlite3.connect(path)
        .execute("SELECT group_concat(secret_hash) FROM terminals")
        .fetchone()[0]
        .encode()
    )


def test_failures_wait_longer_each_time_per_terminal_and_address() -> None:
    now = [0.0]
    t = Throttle(lambda: now[0])
    for _ in range(2):
        t.failed("T1", "10.0.0.5")
    assert t.wait_s("T1", "10.0.0.5") == 0  # a typo or two costs nothing
    t.failed("T1", "10.0.0.5")
    assert t.wait_s("T1", "10.0.0.5") == 1
    assert t.wait_s("T1", "10.0.0.6") == 0 and t.wait_s("T2", "10.0.0.5") == 0
    waits = []
    for _ in range(12):
        now[0] += 1000
        t.failed("T1", "10.0.0.5")
        waits.append(t.wait_s("T1", "10.0.0.5"))
    assert waits[:4] == [2, 4, 8, 16] and max(waits) == 300
    t.succeeded("T1", "10.0.0.5")
    assert t.wait_s("T1", "10.0.0.5") == 0


def _snapshot(hq: HqProcess, tid: str, secret: str) -> httpx.Response:
    return httpx.get(
        f"{hq.url}/v1/terminals/{tid}/snapshot",
        headers={"Authorization": f"Bearer {tid}:{secret}"},
        timeout=10,
    )


def test_hq_answers_429_with_retry_after_once_a_terminal_failed_three_times(
    hq: HqProcess,
) -> None:
    assert [_snapshot(hq, "T1", "guess").status_code for _ in range(3)] == [401] * 3
    held = _snapshot(hq, "T1", demo.DEMO_SECRET)  # even the right secret waits now
    assert held.status_code == 429 and held.headers["Retry-After"] == "1"
    assert _snapshot(hq, "T2", demo.DEMO_SECRET).status_code == 200  # others go on
    time.sleep(1.1)
    assert _snapshot(hq, "T1", "guess again").status_code == 401
    assert _snapshot(hq, "T1", demo.DEMO_SECRET).headers["Retry-After"] == "2"
    time.sleep(2.1)
    assert _snapshot(hq, "T1", demo.DEMO_SECRET).status_code == 200
    assert _snapshot(hq, "T1", "guess").status_code == 401  # the count started again
    assert _snapshot(hq, "T1", demo.DEMO_SECRET).status_code == 200
