"""What kassa writes that holds customers, balances or secrets is its owner's alone (0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.store import Store
from sync.hq.store import HqStore
from tests.ui.test_cli import kassa


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # what a default system gives: files 0644 unless asked
    yield
    os.umask(old)


def test_the_terminal_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    store = Store.open(db)
    try:
        store.file.set_meta("probe", "1")  # a write: the -wal and -shm exist now
        files = [db, tmp_path / "terminal.db-wal", tmp_path / "terminal.db-shm"]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        store.close()


def test_hqs_database_is_private(tmp_path: Path) -> None:
    hq = HqStore(tmp_path / "hq.db")
    hq.conn.close()
    assert mode(tmp_path / "hq.db") == 0o600


def test_a_database_made_world_readable_before_is_closed_to_the_world(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    Store.open(db).close()
    os.chmod(db, 0o644)
    Store.open(db).close()
    assert mode(db) == 0o640  # a group (kassa's, for backups) keeps reading


def test_the_kassa_command_creates_the_tills_database_private(tmp_path: Path) -> None:
    out = kassa(
        "cashier",
        "add",
        "--data-dir",
        str(tmp_path),
        "--id",
        "ola",
        "--name",
        "Ola",
        "--pin",
        "1111",
    )
    assert out.returncode == 0, out.stderr
    assert mode(tmp_path / "terminal.db") == 0o600


def test_an_app_key_is_private_from_its_first_byte_and_never_written_over(
    tmp_path: Path,
) -> None:
    key = tmp_path / "app.key"
    assert kassa("token", "--new-key", str(key)).returncode == 0
    assert mode(key) == 0o600
    first = key.read_text()
    again = kassa("token", "--new-key", str(key))
    assert again.returncode == 2 and "never written over" in again.stderr
    assert key.read_text() == first
