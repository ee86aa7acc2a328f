"""A committed sale costs exactly one sync of the disk: counted with strace, not timed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from tests.conftest import ROOT

SALES = 100


def syncs(sales: int) -> int:
    strace = shutil.which("strace")
    assert strace, "strace is installed by packaging/setup.sh"
    out = subprocess.run(
        [
            strace,
            "-f",
            "-c",
            "-e",
            "trace=fsync,fdatasync",
            sys.executable,
            "-m",
            "tests.agent.fsync_probe",
            str(sales),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    return sum(
        int(n)
        for n in re.findall(
            r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?f(?:data)?sync$",
            out.stderr,
            flags=re.M,
        )
    )


def test_one_sync_per_sale() -> None:
    setup = syncs(0)  # opening, migrating, loading the programme
    per_sale = (syncs(SALES) - setup) / SALES
    # WAL checkpoints add a sync every few hundred pages: allow them, nothing more.
    assert 1.0 <= per_sale <= 1.1, per_sale
