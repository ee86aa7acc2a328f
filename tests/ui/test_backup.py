"""`kassa backup` while a till sells, and `kassa restore`: the restored till goes on from
the backup's seq with an intact chain, and HQ takes its next sale; a restore that would
reuse seqs HQ holds, or that runs under a till, is refused."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.errors import StoreBusy
from agent.session import CheckoutSession
from agent.store.backup import take_backup
from agent.store.lock import DatabaseLock
from tests.conftest import ROOT
from tests.hqproc import HqProcess, free_port

pytestmark = pytest.mark.e2e


def kassa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def simulate(hq: HqProcess, data: Path, sales: int, timeout_s: float = 60) -> list[str]:
    hq_args = ["--hq", hq.url, "--hq-key", hq.key]
    return [
        "simulate",
        *hq_args,
        "--sales",
        str(sales),
        "--data-dir",
        str(data),
        "--timeout",
        str(timeout_s),
    ]


def read(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql).fetchone()[0] or 0)
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def last_seq(db: Path) -> int:
    return read(db, "SELECT MAX(seq) FROM journal")


def hq_totals(hq: HqProcess) -> tuple[int, int]:
    """Sales HQ holds and the conflicts it flagged."""
    report = hq.report()
    total = report["total"]
    assert isinstance(total, dict)
    return int(total["sales"]), int(str(report["conflicts"]))


def config(tmp_path: Path, url: str, key: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "kassa.toml"
    path.write_text(
        f'terminal_id = "T1"\ndata_dir = "T1"\n[hq]\nurl = "{url}"\nsecret = "demo"\n'
        f'public_key = "{key}"\n'
    )
    path.chmod(0o600)
    return path


def test_a_backup_taken_while_selling_restores_to_a_till_that_goes_on_and_syncs(
    hq: HqProcess, tmp_path: Path
) -> None:
    data, cfg = tmp_path / "T1", str(config(tmp_path, hq.url, hq.key))
    db = data / "terminal.db"
    assert kassa(*simulate(hq, data, 5)).returncode == 0
    hq.kill()  # the till sells on offline: HQ will hold only the first 5
    seller = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", *simulate(hq, data, 400, timeout_s=3)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while read(db, "SELECT COUNT(*) FROM sales") < 25:
            assert time.monotonic() < deadline and seller.poll() is None
            time.sleep(0.02)
        # `kassa backup`'s own code, in this process: a new one takes a second to start
        copy = take_backup(db, tmp_path / "b1.db")
        under_a_till = kassa("restore", "--config", cfg, "--from", str(tmp_path / "b1.db"))
        assert seller.poll() is None  # the till was selling, and is still running
    finally:
        seller.communicate(timeout=120)
    assert under_a_till.returncode == 2 and "a till or agent is running" in under_a_till.stderr
    at_backup = last_seq(tmp_path / "b1.db")
    assert 25 <= at_backup == copy.last_seq < last_seq(db) == 405  # sold on after the backup
    assert not (tmp_path / "b1.db-wal").exists()  # one self-contained file

    hq.start()
    restored = kassa("restore", "--config", cfg, "--from", str(tmp_path / "b1.db"))
    assert restored.returncode == 0, restored.stderr
    assert last_seq(db) == at_backup
    (aside,) = data.glob("terminal.db.replaced-*[0-9]")
    assert last_seq(aside) == 405  # what the restore replaced is kept
    assert not list(data.glob("*.restoring"))

    after = kassa(*simulate(hq, data, 1))
    assert after.returncode == 0 and "pending 0" in after.stdout, after.stdout + after.stderr
    assert last_seq(db) == at_backup + 1  # the seq goes on from the backup's
    assert kassa("verify", "--data-dir", str(data)).returncode == 0
    # HQ holds the first 5 once, every sale of the backup and the new one; no conflict.
    assert hq_totals(hq) == (at_backup + 1, 0)


def test_restore_refuses_a_backup_older_than_what_hq_holds(hq: HqProcess, tmp_path: Path) -> None:
    data, cfg = tmp_path / "T1", str(config(tmp_path, hq.url, hq.key))
    db = data / "terminal.db"
    assert kassa(*simulate(hq, data, 3)).returncode == 0
    taken = kassa("backup", "--config", cfg, "--to", str(tmp_path / "b.db"))
    assert taken.returncode == 0 and "journal up to seq 3" in taken.stdout
    assert kassa(*simulate(hq, data, 2)).returncode == 0  # synced after the backup
    for force in ([], ["--force"]):
        out = kassa("restore", "--config", cfg, "--from", str(tmp_path / "b.db"), *force)
        assert out.returncode == 2
        assert "HQ holds this terminal's sales up to seq 5, the backup ends at seq 3" in out.stderr
        assert "seqs 4-5" in out.stderr
    assert last_seq(db) == 5 and not list(data.glob("terminal.db.*[0-9]"))
    assert not list(data.glob("*.restoring"))

    newer = kassa("backup", "--config", cfg, "--to", str(tmp_path / "b5.db"))
    assert newer.returncode == 0
    hq.kill()
    unasked = kassa("restore", "--config", cfg, "--from", str(tmp_path / "b5.db"))
    assert unasked.returncode == 2 and "HQ cannot be asked" in unasked.stderr
    forced = kassa("restore", "--config", cfg, "--from", str(tmp_path / "b5.db"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert last_seq(db) == 5


def test_a_backup_of_another_terminal_is_refused(session: CheckoutSession) -> None:
    session.enter("2900000000018")
    session.add("MILK")
    session.commit()  # by T1
    db = Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2])
    t1 = config(db.parent, f"http://127.0.0.1:{free_port()}", "ab" * 32)
    t1.write_text(t1.read_text().replace('data_dir = "T1"', 'data_dir = "."'))
    assert kassa("backup", "--config", str(t1), "--to", str(db.parent / "t1.db")).returncode == 0
    t2 = config(db.parent / "T2", f"http://127.0.0.1:{free_port()}", "ab" * 32)
    t2.write_text(t2.read_text().replace('"T1"', '"T2"'))
    out = kassa("restore", "--config", str(t2), "--from", str(db.parent / "t1.db"))
    assert out.returncode == 2 and "the backup is of terminal T1, this till is T2" in out.stderr


def test_a_damaged_database_is_not_kept_as_a_backup(session: CheckoutSession) -> None:
    session.enter("2900000000018")
    session.add("MILK")
    session.commit()
    db = Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2])
    edit = sqlite3.connect(db)
    edit.execute("UPDATE journal SET body=replace(body, 'Milk', 'Mlik') WHERE seq=1")
    edit.commit()
    edit.close()
    cfg = config(db.parent, f"http://127.0.0.1:{free_port()}", "ab" * 32)
    cfg.write_text(cfg.read_text().replace('data_dir = "T1"', 'data_dir = "."'))
    out = kassa("backup", "--config", str(cfg), "--to", str(db.parent / "b.db"))
    assert out.returncode == 2 and "journal broken at seq 1" in out.stderr
    assert not list(db.parent.glob("b.db*"))


def test_the_lock_is_shared_by_tills_and_exclusive_for_a_restore(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    till, agent = (DatabaseLock.take(db, exclusive=False) for _ in range(2))
    with pytest.raises(StoreBusy, match="a till or agent is running"):
        DatabaseLock.take(db, exclusive=True)
    till.release()
    agent.release()
    restore = DatabaseLock.take(db, exclusive=True)
    with pytest.raises(StoreBusy, match="being restored"):
        DatabaseLock.take(db, exclusive=False)
    restore.release()


def test_a_restore_run_as_root_leaves_the_file_to_the_tills_own_user(
    session: CheckoutSession,
) -> None:
    session.enter("2900000000018")
    session.add("MILK")
    session.commit()
    db = Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2])
    cfg = config(db.parent, f"http://127.0.0.1:{free_port()}", "ab" * 32)
    cfg.write_text(cfg.read_text().replace('data_dir = "T1"', 'data_dir = "."'))
    backup = db.parent.parent / f"{db.parent.name}-backup.db"
    assert kassa("backup", "--config", str(cfg), "--to", str(backup)).returncode == 0
    session.store.close()
    till_user = 65534 if os.geteuid() == 0 else os.geteuid()  # nobody, where root may
    for path in (db.parent, db):
        os.chown(path, till_user, till_user if os.geteuid() == 0 else os.getegid())
    out = kassa("restore", "--config", str(cfg), "--from", str(backup), "--force")
    assert out.returncode == 0, out.stderr  # HQ is not there: --force restores anyway
    assert db.stat().st_uid == till_user and stat.S_IMODE(db.stat().st_mode) == 0o600
    lock = db.with_name("terminal.db.lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o644  # the till's user can take it too
