"""`kassa demo` in a real terminal (tmux, 80x24): keys in, the screen read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hqproc import free_port

pytestmark = pytest.mark.e2e


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check
        )
        return out.stdout

    def screen(self) -> str:
        return self("capture-pane", "-t", "kassa", "-p", check=False) or "(no session)"

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "kassa", *keys)

    def wait_for(self, check: Callable[[str], bool], what: str, timeout_s: float = 30) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.screen()
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is needed (packaging/setup.sh installs it)")
    t = Tmux(f"kassa-test-{os.getpid()}-{tmp_path.name}")
    yield t
    subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True)


def hq_sales(data: Path) -> int:
    """The sales the demo's HQ holds (its report, read beside the running HQ)."""
    report = subprocess.run(
        [sys.executable, "-m", "ui.cli", "hq", "report", "--db", str(data / "hq.db"), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return int(json.loads(report.stdout)["total"]["sales"])


def test_the_demo_in_a_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    port = free_port()
    cmd = f"cd {ROOT} && {sys.executable} -m ui.cli demo --data-dir {tmp_path} --port {port}"
    tmux("new-session", "-d", "-s", "kassa", "-x", "80", "-y", "24", cmd)
    tmux.wait_for(lambda s: "Locked: sign in with your PIN" in s, "the sign-in screen")
    tmux.keys("1111", "Enter")
    tmux.wait_for(lambda s: "Signed in: Ola (cashier)" in s, "signing in")
    tmux.wait_for(lambda s: "HQ online" in s, "the first sync")
    tmux.keys("2900000000018", "Enter")
    tmux.wait_for(lambda s: "Anna" in s and "Balance: 3000 points" in s, "Anna")
    tmux.keys("COFFEE", "Enter")
    tmux.wait_for(lambda s: "Total PLN39.90" in s, "the quote")
    tmux.keys("F10")  # the tender step: the total due, large
    screen = tmux.wait_for(lambda s: "To pay: PLN39.90" in s, "the tender step")
    assert "Enter cash" in screen and "F5 card" in screen
    tmux.keys("20", "Enter")  # 20.00 cash: 19.90 still to pay
    tmux.wait_for(lambda s: "To pay: PLN19.90" in s, "the rest due")
    tmux.keys("50", "Enter")  # 70.00 handed over in all: the sale is paid
    screen = tmux.wait_for(
        lambda s: "Sale 1 saved" in s and "Change: PLN30.10" in s, "the change, in view"
    )
    assert all(len(line) <= 80 for line in screen.splitlines())
    assert len(screen.splitlines()) <= 24
    receipt = tmp_path / "T1" / "receipts" / "last.bin"
    deadline = time.monotonic() + 30
    while not receipt.exists() and time.monotonic() < deadline:  # printed meanwhile
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while hq_sales(tmp_path) == 0 and time.monotonic() < deadline:  # the upload, seen at HQ
        time.sleep(0.2)
    assert hq_sales(tmp_path) == 1
    tmux.wait_for(lambda s: "waiting to sync: 0" in s, "the status line after the upload")
    tmux.keys("F9")  # the paid sale's screen closes, and F9 does what it does on the sale
    tmux.wait_for(lambda s: "Язык: Русский" in s and "F10 Оплата" in s and "F12" in s, "Russian")
    tmux.keys("C-q")
    deadline = time.monotonic() + 20
    while "kassa" in tmux("list-sessions", check=False) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "kassa" not in tmux("list-sessions", check=False)  # Ctrl+Q quits, HQ stops
    assert receipt.exists() and b"Balance" in receipt.read_bytes()
    assert hq_sales(tmp_path) == 1  # once, after HQ stopped too
