"""Commands that open a database refuse a path holding none (or another kind), exit 2, and
create nothing: a wrong path never reads as an empty till or an empty HQ."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.store import Store
from sync.hq.store import HqStore
from tests.ui.test_cli import kassa

HQ_ADMIN = [
    ("report",),
    ("add-terminal", "--id", "T9", "--secret", "s"),
    ("publish", "ruleset.json"),
    ("revoke", "HAPPY3"),
    ("grant-quota", "--terminal", "T1", "--rule", "WELCOME50", "--count", "3"),
    ("grant-allowance", "--terminal", "T1", "--customer", "C1", "--points", "10"),
    ("set-policy", "--daily-points", "100"),
]


def refused(out: object, *words: str) -> None:
    assert getattr(out, "returncode", None) == 2, out
    err = str(getattr(out, "stderr", ""))
    assert "No kassa database there" in err and "Traceback" not in err
    assert all(w in err for w in words), err


def test_verify_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such"
    refused(kassa("verify", "--data-dir", str(missing)), str(missing), "no such folder")
    assert not missing.exists() and not (tmp_path / "no").exists()


def test_verify_refuses_a_folder_without_a_terminal_database(tmp_path: Path) -> None:
    refused(kassa("verify", "--data-dir", str(tmp_path)), "terminal.db", "no such file")
    assert not (tmp_path / "terminal.db").exists()  # nothing created to look intact


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: p.write_text("journal intact\n"), "not an SQLite database"),
        (lambda p: p.write_bytes(b""), "not an SQLite database"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t(x)").connection.commit(), "not a"),
        (lambda p: HqStore(p).conn.close(), "not a kassa-terminal"),  # HQ's, not a till's
    ],
)
def test_verify_refuses_a_file_that_is_not_a_terminal_database(
    tmp_path: Path, make: object, why: str
) -> None:
    db = tmp_path / "terminal.db"
    make(db)  # type: ignore[operator]
    before = db.read_bytes()
    refused(kassa("verify", "--data-dir", str(tmp_path)), why)
    assert db.read_bytes() == before  # left as it was found


def test_verify_still_reads_a_real_terminal_database(tmp_path: Path) -> None:
    Store.open(tmp_path / "terminal.db").close()
    out = kassa("verify", "--data-dir", str(tmp_path))
    assert out.returncode == 0 and "journal intact" in out.stdout


@pytest.mark.parametrize("args", HQ_ADMIN, ids=[a[0] for a in HQ_ADMIN])
def test_hq_admin_commands_refuse_a_database_that_does_not_exist(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    db = tmp_path / "hq.db"
    refused(kassa("hq", args[0], "--db", str(db), *args[1:]), str(db), "no such file")
    assert not db.exists()


def test_hq_report_refuses_a_missing_folder_and_a_terminal_database(tmp_path: Path) -> None:
    refused(kassa("hq", "report", "--db", str(tmp_path / "gone" / "hq.db")), "no such folder")
    Store.open(tmp_path / "terminal.db").close()
    refused(kassa("hq", "report", "--db", str(tmp_path / "terminal.db")), "not a kassa-hq")


def test_hq_report_reads_a_real_hq_database(tmp_path: Path) -> None:
    HqStore(tmp_path / "hq.db").conn.close()
    out = kassa("hq", "report", "--db", str(tmp_path / "hq.db"))
    assert out.returncode == 0 and "sales 0" in out.stdout
