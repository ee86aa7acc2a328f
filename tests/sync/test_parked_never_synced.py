"""A parked sale is no sale (issue 18): the sync worker never sends it, HQ never holds it.

Once recalled and completed it is one sale like any other, sent once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from agent.clock import FixedClock
from agent.parking import park, parked_sales, recall
from agent.session import CheckoutSession
from agent.store import Store
from sync.worker import SyncState
from tests.hqproc import HqProcess
from tests.sync.test_any_till import online, start_at_tuesday
from tests.sync.test_partition import till
from tests.sync.test_worker import empty_snapshot, worker

ANNA = "2900000000018"


def test_the_worker_never_sends_a_parked_sale(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    session.enter(ANNA)
    session.add("COFFEE", 2)
    session.apply_code("AUTUMN15")
    assert not park(session).refused
    session.add("JACKET")
    session.commit()  # the next customer's sale
    sent: list[dict[str, object]] = []

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        events = json.loads(req.content)["events"]
        sent.extend(events)
        last = events[-1]["seq"]
        return httpx.Response(
            200,
            json={
                "acked_through": last,
                "expected_seq": last + 1,
                "results": [],
                "hq_time": "2026-11-24T09:00:00Z",
            },
        )

    w = worker(store, clock, hq)
    assert w.run_once(store).state is SyncState.ONLINE
    assert [e["seq"] for e in sent] == [1]
    assert "COFFEE" not in json.dumps(sent) and "JACKET" in json.dumps(sent)
    assert len(parked_sales(session).all()) == 1  # still parked, still not sent
    assert w.run_once(store).state is SyncState.ONLINE and len(sent) == 1


@pytest.mark.e2e
def test_hq_never_sees_a_parked_sale_only_the_recalled_one_once_completed(
    hq: HqProcess, tmp_path: Path
) -> None:
    start_at_tuesday(hq)
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        t1.session.enter(ANNA)
        t1.session.add("COFFEE")
        assert not park(t1.session).refused
        t1.session.add("SCARF")
        t1.session.commit()
        online(t1)
        assert hq_skus(hq) == [["SCARF"]]  # the parked coffee is nowhere at HQ
        (parked,) = parked_sales(t1.session).all()
        assert not recall(t1.session, parked.parked_id).refused
        t1.session.commit()
        online(t1)
        assert hq_skus(hq) == [["SCARF"], ["COFFEE"]]
    finally:
        t1.close()


def hq_skus(hq: HqProcess) -> list[list[str]]:
    """The SKUs of each event HQ holds, in the order it received them."""
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT body FROM hq_events ORDER BY rowid").fetchall()
    finally:
        conn.close()
    out = []
    for (body,) in rows:
        doc = json.loads(body)
        record = doc.get("record", doc)
        out.append([ln["sku"] for ln in record.get("lines", [])])
    return out
