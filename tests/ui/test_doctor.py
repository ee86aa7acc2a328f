"""`kassa doctor`: each check of the machine made to fail, and the exit status it gives.

HQ is at a closed port here (tests/ui/test_doctor_hq.py runs the checks against a real
HQ): its findings are errors in every case, so these tests look at one check each.
"""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from agent.session import CheckoutSession
from tests.conftest import ROOT, TUESDAY
from tests.hqproc import free_port
from ui.commands.doctor import examine
from ui.commands.doctor_local import MB
from ui.commands.findings import Finding, Level, exit_status

PLENTY = 10_000 * MB


def kassa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def write_config(folder: Path, extra: str = "", mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hq.pub").write_text("ab" * 32 + "\n")
    path = folder / "kassa.toml"
    path.write_text(
        'terminal_id = "T1"\ndata_dir = "."\n'
        f'[hq]\nurl = "http://127.0.0.1:{free_port()}"\nsecret = "s3cret-of-this-terminal"\n'
        f'public_key = "hq.pub"\n{extra}'
    )
    path.chmod(mode)
    return path


def found(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


def only(findings: list[Finding], check: str) -> Finding:
    (one,) = found(findings, check)
    return one


def run(path: Path, **kwargs: object) -> list[Finding]:
    kw: dict[str, object] = {"now": lambda: TUESDAY, "free_bytes": lambda p: PLENTY} | kwargs
    return examine(path, **kw)  # type: ignore[arg-type]


def sell(session: CheckoutSession, n: int) -> Path:
    for _ in range(n):
        session.enter("2900000000018")
        session.add("MILK")
        session.commit()
    return Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2]).parent


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('terminal_id = "T1"\nlanguage = "xx"\n', "language: one of"),
        ('terminal_id = "T1"\n[hq\n', "kassa.toml"),
        ('data_dir = "x"\n', "missing terminal_id"),
    ],
)
def test_a_config_that_does_not_load_is_an_error_finding_not_a_traceback(
    tmp_path: Path, toml: str, says: str
) -> None:
    path = tmp_path / "kassa.toml"
    path.write_text(toml)
    path.chmod(0o600)
    out = kassa("doctor", "--config", str(path))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "ERROR" in out.stdout and says in out.stdout


def test_settings_that_load_but_cannot_work_are_named(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('secret = "s3cret-of-this-terminal"', 'secret = ""'))
    f = found(run(path), "config")
    assert [x.level for x in f] == [Level.ERROR] and "hq.secret is empty" in f[0].says


def test_a_config_every_user_can_read_is_an_error_with_the_chmod_to_run(tmp_path: Path) -> None:
    path = write_config(tmp_path, mode=0o644)
    f = only(run(path), "permissions")
    assert f.level is Level.ERROR and "0644" in f.says and f"chmod 600 {path}" in f.todo
    path.chmod(0o640)
    assert only(run(path), "permissions").level is Level.OK


def test_a_data_dir_that_is_no_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("")
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('data_dir = "."', 'data_dir = "data"'))
    f = only(run(path), "data dir")
    assert f.level is Level.ERROR and "is not a folder" in f.says


def test_little_free_disk_is_a_warning_and_almost_none_an_error(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    assert only(run(path), "disk").level is Level.OK
    low = only(run(path, free_bytes=lambda p: 200 * MB), "disk")
    assert low.level is Level.WARNING and "200 MB free" in low.says and str(tmp_path) in low.says
    gone = only(run(path, free_bytes=lambda p: 10 * MB), "disk")
    assert gone.level is Level.ERROR and gone.todo


def test_a_tampered_journal_is_an_error_naming_the_row(session: CheckoutSession) -> None:
    folder = sell(session, 3)
    path = write_config(folder)
    assert only(run(path), "journal") == Finding("journal", Level.OK, "hash chain intact (3 rows)")
    edit = sqlite3.connect(folder / "terminal.db")
    edit.execute("UPDATE journal SET body=replace(body, 'Milk', 'Mlik') WHERE seq=2")
    edit.commit()
    edit.close()
    f = only(run(path), "journal")
    assert f.level is Level.ERROR and "seq 2" in f.says and "kassa restore" in f.todo


def test_doctor_changes_nothing_in_the_database(session: CheckoutSession) -> None:
    folder = sell(session, 1)
    path = write_config(folder)
    before = session.store.file.data_version(), (folder / "terminal.db").stat().st_mtime_ns
    run(path)
    after = session.store.file.data_version(), (folder / "terminal.db").stat().st_mtime_ns
    assert before == after


def test_old_unsent_sales_are_a_warning_after_an_hour_and_an_error_after_a_day(
    session: CheckoutSession,
) -> None:
    path = write_config(sell(session, 2))
    fresh = only(run(path, now=lambda: TUESDAY + timedelta(minutes=5)), "backlog")
    assert fresh.level is Level.OK and "2 events wait" in fresh.says
    hours = only(run(path, now=lambda: TUESDAY + timedelta(hours=3)), "backlog")
    assert hours.level is Level.WARNING and "the oldest for 3 h" in hours.says
    days = only(run(path, now=lambda: TUESDAY + timedelta(days=2)), "backlog")
    assert days.level is Level.ERROR and "48 h" in days.says and "limit 24 h" in days.says


def test_what_hq_quarantined_is_a_warning_with_its_seqs(session: CheckoutSession) -> None:
    path = write_config(sell(session, 2))
    with session.store.file.atomic():
        session.store.ledger.mark_acked(2, TUESDAY)
        session.store.ledger.note_quarantined({2: "priced with a revoked rule"}, TUESDAY)
    findings = run(path)
    assert only(findings, "backlog").level is Level.OK
    q = only(findings, "quarantine")
    assert q.level is Level.WARNING and "seq 2" in q.says and "kassa hq quarantine" in q.todo


def test_a_missing_scanner_device_is_an_error_naming_its_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[scanner]\nurl = "/dev/ttyKASSA-none"\n')
    f = only(run(path), "scanner")
    assert f.level is Level.ERROR and "/dev/ttyKASSA-none does not exist" in f.says


def test_a_scanner_on_a_pty_or_loop_url_opens(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    try:
        path = write_config(tmp_path, f'[scanner]\nurl = "{os.ttyname(slave)}"\n')
        assert only(run(path), "scanner").level is Level.OK
    finally:
        os.close(master)
        os.close(slave)
    path = write_config(tmp_path, '[scanner]\nurl = "loop://"\n')
    assert only(run(path), "scanner").level is Level.OK
    path = write_config(tmp_path, '[scanner]\nurl = "nope://x"\n')
    assert only(run(path), "scanner").level is Level.ERROR


def test_a_missing_evdev_scanner_or_camera_is_an_error(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, '[scanner]\nevdev = "/dev/kassa-none"\n[camera]\nsource = "/dev/video-none"\n'
    )
    findings = run(path)
    assert "/dev/kassa-none does not exist" in only(findings, "scanner").says
    assert only(findings, "camera").level is Level.ERROR


def test_a_printer_that_is_missing_or_does_not_answer_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[printer]\nkind = "serial"\ntarget = "/dev/ttyKASSA-lp"\n')
    f = only(run(path), "printer")
    assert f.level is Level.ERROR and "/dev/ttyKASSA-lp does not exist" in f.says
    closed = f"127.0.0.1:{free_port()}"
    path = write_config(tmp_path, f'[printer]\nkind = "network"\ntarget = "{closed}"\n')
    f = only(run(path), "printer")
    assert f.level is Level.ERROR and "cannot reach" in f.says
    master, slave = pty.openpty()  # a port that never answers DLE EOT
    try:
        tty = os.ttyname(slave)
        path = write_config(tmp_path, f'[printer]\nkind = "serial"\ntarget = "{tty}"\n')
        f = only(run(path), "printer")
        assert f.level is Level.WARNING and "does not answer" in f.says
    finally:
        os.close(master)
        os.close(slave)
    path = write_config(tmp_path)
    assert only(run(path), "printer").level is Level.OK  # a file in the data dir


def test_hq_at_a_closed_port_is_an_error_saying_what_to_check(tmp_path: Path) -> None:
    f = only(run(write_config(tmp_path)), "hq")
    assert f.level is Level.ERROR and "cannot be reached" in f.says and "[hq] url" in f.todo


def test_exit_status_is_0_ok_1_warnings_2_errors() -> None:
    ok, warn, err = (Finding("x", level, "") for level in Level)
    assert [exit_status([ok]), exit_status([ok, warn]), exit_status([warn, err, ok])] == [0, 1, 2]


def test_json_output_lists_every_finding_with_the_exit_status(tmp_path: Path) -> None:
    path = write_config(tmp_path, mode=0o644)
    out = kassa("doctor", "--config", str(path), "--json")
    assert out.returncode == 2
    doc = json.loads(out.stdout)
    assert doc["status"] == "error" and doc["exit_status"] == 2
    checks = {f["check"]: f for f in doc["findings"]}
    assert {"config", "permissions", "data dir", "disk", "journal", "scanner", "printer", "hq"} <= (
        checks.keys()
    )
    assert checks["permissions"]["level"] == "error" and checks["permissions"]["todo"]
