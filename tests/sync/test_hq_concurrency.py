"""Sixteen terminals uploading at once to the real HQ process, while another writer
holds its database for a while: no 5xx but a 503 that says when to come back, and
every event applied exactly once."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from agent.demo import DEMO_SECRET, DEMO_TERMINALS
from agent.events import Audit, to_body
from agent.journal import GENESIS, canonical, row_hash
from sync.hq.store import HqStore
from tests.hqproc import HqProcess, free_port

pytestmark = pytest.mark.e2e

AT = "2026-11-24T09:00:00+00:00"
EVENTS = 300  # per terminal
BATCH = 100
HELD_S = 7.0  # longer than SQLite's 5 s a write used to wait before 'database is locked'


def hold_the_database(db: str, seconds: float, holding: threading.Event) -> threading.Thread:
    """Another writer (an admin command, a second HQ worker) holding HQ's database."""

    def hold() -> None:
        with HqStore(db, create=False).transaction():
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    return thread


def adjustments(terminal_id: str, n: int) -> list[dict[str, Any]]:
    """``n`` manager adjustments of +1 point to Anna (C1), chained as ``terminal_id``
    journals them."""
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        record = Audit(AT, "adjust_points", "ola", "marek", "goodwill", 1, "C1")
        body = canonical(to_body(record, seq, terminal_id))
        h = row_hash(prev, body)
        out.append(
            {
                "seq": seq,
                "kind": "audit",
                "event_id": f"{terminal_id}-{seq}",
                "at": AT,
                "body": body,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    return out


@pytest.mark.both_backends
def test_sixteen_terminals_uploading_at_once_get_no_5xx_but_503_and_each_event_counts_once(
    hq: HqProcess,
) -> None:
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(DEMO_TERMINALS))

    def terminal(tid: str) -> None:
        events = adjustments(tid, EVENTS)
        with httpx.Client(
            base_url=hq.url, headers={"Authorization": f"Bearer {tid}:{DEMO_SECRET}"}, timeout=60
        ) as http:
            start.wait()
            i = 0
            while i < len(events):
                reply = http.post(
                    f"/v1/terminals/{tid}/events", json={"events": events[i : i + BATCH]}
                )
                with lock:
                    statuses.append(reply.status_code)
                if reply.status_code == 503:  # as the terminal's worker does
                    time.sleep(float(reply.headers["Retry-After"]))
                    continue
                assert reply.status_code == 200, reply.text
                i = int(reply.json()["expected_seq"]) - 1

    threads = [threading.Thread(target=terminal, args=(t,)) for t in DEMO_TERMINALS]
    holder = hold_the_database(str(hq.db), HELD_S, threading.Event())
    for t in threads:
        t.start()
    for t in [holder, *threads]:
        t.join(300)
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) == len(DEMO_TERMINALS) * (EVENTS // BATCH)
    store = HqStore(hq.db, create=False)
    acked = dict(store.conn.execute("SELECT terminal_id, acked_seq FROM terminals"))
    assert all(acked[t] == EVENTS for t in DEMO_TERMINALS)
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_events").fetchone()
    assert held == len(DEMO_TERMINALS) * EVENTS
    (balance,) = store.conn.execute("SELECT balance FROM hq_customers WHERE customer_id='C1'")
    assert balance == (3000 + len(DEMO_TERMINALS) * EVENTS,)
    assert json.loads(json.dumps(hq.report()))["conflicts"] == 0


def test_a_write_kept_waiting_past_hqs_patience_is_503_with_retry_after(
    hq: HqProcess,
) -> None:
    impatient = HqProcess(hq.db.with_name("impatient.db"), free_port(), hq.env)
    impatient.args = ("--write-wait-s", "0.5")
    impatient.start()
    try:
        events = adjustments("T1", 2)
        auth = {"Authorization": f"Bearer T1:{DEMO_SECRET}"}
        url = f"{impatient.url}/v1/terminals/T1/events"
        release = threading.Event()

        def hold() -> None:
            with HqStore(impatient.db, create=False).transaction():
                holding.set()
                release.wait(30)

        holding = threading.Event()
        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(10)
        busy = httpx.post(url, json={"events": events}, headers=auth, timeout=30)
        release.set()
        holder.join(30)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert "busy" in busy.json()["error"]
        done = httpx.post(url, json={"events": events}, headers=auth, timeout=30)
        assert done.status_code == 200 and done.json()["acked_through"] == 2
    finally:
        impatient.kill()
