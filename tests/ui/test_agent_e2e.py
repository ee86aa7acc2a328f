"""A whole day of a fake POS through the agent API: a real `kassa agent` process beside a
real HQ process (tests/hqproc.py).

The POS identifies, calculates, commits, prints the loyalty block, returns, cancels,
retries a commit (after its own client timed out before the reply, and after the agent
restarted: one sale each), sells a line the till's catalogue lacks (unlisted), sells
on while HQ is down, and keeps its own record of the day; once HQ is back and the
agent has synced, HQ's report (`kassa hq report --json`) says what the POS's record says:
sales, returns, cancels, money, points earned and redeemed. kassa's own scanner (a
`socket://` port the test serves) streams its scans to the POS as server-sent events,
and its printer (a file) prints each sale's receipt.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.agentproc import POS_TOKEN, AgentProcess, agent_config
from tests.conftest import ROOT
from tests.hqproc import HqProcess, free_port
from ui.api.client import AgentClient, AgentUnreachable, Reply, new_key

pytestmark = pytest.mark.e2e

ANNA, IOANA = "2900000000018", "2900000000032"
MANAGER = ("marek", "9999")


def wait(until: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not until():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@dataclass
class PosRecord:
    """What the POS keeps of its day, from the agent's replies alone."""

    sales: int = 0
    returns: int = 0
    cancels: int = 0
    total_minor: int = 0
    points_earned: int = 0
    points_redeemed: int = 0
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def sold(self, r: Reply) -> None:
        assert r.status == 201, r.doc
        self.sales += 1
        self.total_minor += r.doc["total_minor"]
        self.points_earned += r.doc["points_earned"]
        self.points_redeemed += r.doc["points_redeemed"]
        self.receipts[r.doc["receipt_id"]] = r.doc

    def gave_back(self, r: Reply) -> None:
        assert r.status == 201, r.doc
        if r.doc["kind"] == "cancel":
            self.cancels += 1
        else:
            self.returns += 1
        self.total_minor -= r.doc["money_back_minor"]
        self.points_earned -= r.doc["points_taken_back"]
        self.points_redeemed -= r.doc["points_given_back"]


def basket(card: str | None, *lines: tuple[str, int, int], **more: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "lines": [{"sku": s, "qty": q, "unit_minor": p} for s, q, p in lines],
        **more,
    }
    if card:
        doc["customer"] = {"card": card}
    return doc


def test_a_pos_day_through_the_agent_agrees_with_hqs_report(hq: HqProcess, tmp_path: Path) -> None:
    scanner_port = socket.socket()
    scanner_port.bind(("127.0.0.1", 0))
    scanner_port.listen(1)
    port = free_port()
    extra = (
        "scanner = true\nprinter = true\n"
        f'[scanner]\nurl = "socket://127.0.0.1:{scanner_port.getsockname()[1]}"\n'
    )
    config = agent_config(tmp_path / "agent", hq, port, extra=extra)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "cashier",
            "add",
            "--data-dir",
            str(config.parent / "data"),
            "--id",
            MANAGER[0],
            "--name",
            "Marek",
            "--role",
            "manager",
            "--pin",
            MANAGER[1],
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    agent = AgentProcess(config, port, dict(os.environ, PYTHONPATH=str(ROOT)))
    agent.start()
    pos = AgentClient(POS_TOKEN, agent.url)
    over_socket = AgentClient(POS_TOKEN, socket=agent.socket)
    record = PosRecord()
    try:
        wait(lambda: pos.status().doc["ruleset_version"] is not None)
        assert over_socket.health().doc["status"] == "ok"

        # kassa's own scanner: a card read there reaches the POS as an event
        conn, _ = scanner_port.accept()
        got: list[dict[str, Any]] = []
        listening = threading.Thread(target=lambda: got.extend(pos.scans(1, 30)))
        listening.start()
        time.sleep(0.5)
        conn.sendall(ANNA.encode() + b"\r")
        listening.join(40)
        assert [s["text"] for s in got] == [ANNA]

        # identify and a dry run: nothing written
        who = pos.identify(card=ANNA, lang="pl")
        assert who.doc["identified"] and who.doc["customer"]["greeting"] == "Anna"
        anna = {"identification": who.doc["identification"]}
        first = basket(None, ("COFFEE", 2, 3990), ("MILK", 3, 429), customer=anna, points="max")
        calc = pos.calculate(first)
        assert calc.ok and calc.doc["points_redeemed"] > 0
        assert pos.status().doc["sync"]["pending"] == 0

        # commits, one retried with the same key: one sale
        key = new_key()
        sold = pos.commit(first, "R-1", key)
        record.sold(sold)
        assert sold.doc["to_pay_minor"] == calc.doc["to_pay_minor"]
        again = pos.commit(first, "R-1", key)
        assert again.status == 200 and again.doc == sold.doc | {"replayed": True}
        printed = config.parent / "data" / "receipts" / "last.bin"  # kassa's own printer
        wait(lambda: printed.exists() and b"BASE" in printed.read_bytes(), 30)
        block = pos.loyalty_block("R-1")
        assert block.doc["qr"] == sold.doc["sale"]["number"] and len(block.doc["lines"]) >= 4
        assert all(len(x) <= 32 for x in block.doc["lines"])  # the till's paper: 32 columns
        # a retry after the POS's own timeout: the first try's reply never read (the
        # agent committed it, or not yet); the retry with its key is that one sale
        impatient = AgentClient(POS_TOKEN, agent.url, timeout_s=httpx.Timeout(10.0, read=1e-6))
        fog, fog_key = basket(None, ("FOG", 2, 1290)), new_key()
        with pytest.raises(AgentUnreachable):
            impatient.commit(fog, "R-2", fog_key)
        impatient.close()
        retry = pos.commit(fog, "R-2", fog_key)
        assert retry.status in (200, 201), retry.doc  # 200: the first try committed it
        record.sold(Reply(201, retry.doc | {"replayed": False}))
        once_more = pos.commit(fog, "R-2", fog_key)
        assert once_more.status == 200 and once_more.doc == retry.doc | {"replayed": True}

        # a line the till's catalogue lacks: sold unlisted, earning nothing; HQ accepts it
        local = basket(ANNA, ("COFFEE", 1, 3990), ("LOCAL-BREAD", 2, 1500))
        unlisted = pos.calculate(local).doc["lines"][1]
        assert unlisted["unlisted"] and unlisted["points_earned"] == 0
        record.sold(pos.commit(local, "R-6", new_key()))
        ioana = basket(IOANA, ("COFFEE", 3, 3990), codes=["AUTUMN15"], points=1000)
        record.sold(pos.commit(ioana, "R-3", new_key()))
        assert record.receipts["R-3"]["points_redeemed"] == 1000

        # a return and a cancel (a manager approves: the till has staff)
        record.gave_back(pos.give_back("R-1", "RET-1", {"COFFEE": 1}, new_key()))
        assert pos.cancel("R-3", new_key()).status == 403
        record.gave_back(pos.cancel("R-3", new_key(), manager=MANAGER, reason="receipt voided"))

        # HQ down: the POS sells on; a commit retried after the agent restarted is one sale
        hq.kill()
        wait(lambda: not pos.status().doc["sync"]["hq_reachable"])
        record.sold(pos.commit(basket(ANNA, ("COFFEE", 1, 3990)), "R-4", new_key()))
        offline = basket(IOANA, ("COFFEE", 2, 3990), points=500)
        key5 = new_key()
        record.sold(pos.commit(offline, "R-5", key5))
        assert record.receipts["R-5"]["points_redeemed"] == 500  # within the offline cap
        agent.stop()
        agent.start()
        retried = pos.commit(offline, "R-5", key5)
        assert retried.status == 200 and retried.doc["sale"] == record.receipts["R-5"]["sale"]
        ret2 = pos.give_back("R-4", "RET-2", {"COFFEE": 1}, new_key())
        record.gave_back(ret2)
        assert pos.status().doc["sync"]["pending"] >= 3  # RET-2 (at least) wait

        # HQ back: everything syncs, and HQ's report is the POS's record
        hq.start()
        wait(lambda: (s := pos.status().doc["sync"])["pending"] == 0 and s["hq_reachable"], 120)
        report = hq.report()
        terminal = report["terminals"]["T1"]  # type: ignore[index]
        assert report["quarantined"] == [] and report["conflicts"] == 0, report
        assert (terminal["sales"], terminal["returns"], terminal["audit_events"]) == (
            record.sales,
            record.returns + record.cancels,
            record.cancels,
        )
        assert (
            terminal["total_minor"],
            terminal["points_issued"],
            terminal["points_redeemed"],
        ) == (record.total_minor, record.points_earned, record.points_redeemed)
        # Anna's balance at HQ (as the agent hears it back) is the one the POS was told last
        anna_now = ret2.doc["balance_after"]
        wait(lambda: pos.identify(card=ANNA).doc["customer"]["balance"] == anna_now, 60)
    finally:
        pos.close()
        over_socket.close()
        agent.stop()
        scanner_port.close()
    assert "Traceback" not in agent.logs(), agent.logs()
