"""`kassa doctor` against the reference HQ as its own process on loopback: reachable, its
key, this till's credential, and the clock."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hqproc import HqProcess
from ui.commands.doctor import examine
from ui.commands.doctor_local import MB
from ui.commands.findings import Finding, Level, exit_status

pytestmark = pytest.mark.e2e


SALE = ("--sales", "1", "--data-dir")


def key_of(hq: HqProcess) -> tuple[str, str]:
    return ("--hq-key", hq.key)


def till(hq: HqProcess, tmp_path: Path, secret: str = "demo", key: str = "") -> Path:
    """A terminal T1 that synced one sale with ``hq``, and its config."""
    data = tmp_path / "T1"
    out = subprocess.run(
        [sys.executable, "-m", "ui.cli", "simulate", "--hq", hq.url, *key_of(hq), *SALE, str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    path = tmp_path / "kassa.toml"
    path.write_text(
        f'terminal_id = "T1"\ndata_dir = "T1"\n[hq]\nurl = "{hq.url}"\nsecret = "{secret}"\n'
        f'public_key = "{key or hq.key}"\n'
    )
    path.chmod(0o600)
    return path


def doctor(path: Path, skew_s: float = 0.0) -> list[Finding]:
    return examine(
        path,
        now=lambda: datetime.now(UTC) + timedelta(seconds=skew_s),
        free_bytes=lambda p: 10_000 * MB,
    )


def level(findings: list[Finding], check: str) -> tuple[Level, str]:
    (f,) = [f for f in findings if f.check == check]
    return f.level, f.says


def test_a_till_that_syncs_with_its_hq_is_all_ok_until_its_clock_drifts(
    hq: HqProcess, tmp_path: Path
) -> None:
    path = till(hq, tmp_path)
    findings = doctor(path)
    assert exit_status(findings) == 0, [f for f in findings if f.level is not Level.OK]
    assert {"hq", "hq key", "clock", "journal", "backlog"} <= {f.check for f in findings}
    for skew_s, expected in ((-60, Level.WARNING), (600, Level.ERROR)):
        lvl, says = level(doctor(path, skew_s), "clock")
        assert lvl is expected and f"{skew_s:+d} s off HQ's" in says, says


def test_a_key_hq_does_not_sign_with_or_a_credential_it_refuses_is_an_error(
    hq: HqProcess, tmp_path: Path
) -> None:
    path = till(hq, tmp_path, key="ab" * 32)
    findings = doctor(path)
    assert level(findings, "hq")[0] is Level.OK
    lvl, says = level(findings, "hq key")
    assert lvl is Level.ERROR and "does not verify with the key in [hq] public_key" in says
    path.write_text(path.read_text().replace('secret = "demo"', 'secret = "not-the-secret"'))
    lvl, says = level(doctor(path), "hq login")
    assert lvl is Level.ERROR and "refuses terminal T1's credential" in says
