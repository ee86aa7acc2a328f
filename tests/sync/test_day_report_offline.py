"""The day report's offline sales, with the real sync worker: a sale counts as made
offline when HQ was unreachable as the sale was made, however soon HQ acknowledged it."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import httpx

from agent.clock import FixedClock
from agent.day_report import day_report
from agent.session import CheckoutSession
from agent.signing import new_private_key, public_key_hex
from agent.store import Store
from sync.client import HqClient
from sync.worker import SyncWorker

WARSAW = ZoneInfo("Europe/Warsaw")


def test_six_sales_made_with_hq_down_count_as_six_offline(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    """The sync worker says HQ is down; six sales are made; HQ comes back and takes
    them within seconds: they were made offline all the same (by the ack's delay, all
    six looked online)."""
    up = {"now": False}

    def hq(req: httpx.Request) -> httpx.Response:
        if not up["now"]:
            raise httpx.ConnectError("down", request=req)
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(503, headers={"Retry-After": "1"})
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        ack = {"acked_through": seqs[-1], "expected_seq": seqs[-1] + 1, "results": []}
        return httpx.Response(200, json=ack | {"hq_time": clock.now().isoformat()})

    client = HqClient(
        "http://hq.test",
        "T1",
        "s",
        public_key_hex(new_private_key()),
        transport=httpx.MockTransport(hq),
    )
    worker = SyncWorker(":unused:", client, clock)
    session.add("MILK")
    session.commit()  # before the worker ever tried: not known, and acked at once
    assert worker.run_once(store).state.value == "offline"
    for _ in range(6):
        session.add("MILK")
        session.commit()
        clock.advance(seconds=5)
    up["now"] = True
    worker.run_once(store)
    assert store.ledger.outbox_stats().pending == 0  # acknowledged 5 to 30 s after each
    session.add("MILK")
    session.commit()  # HQ reachable again
    r = day_report(store, "2026-11-24", "PLN", clock.now(), WARSAW)
    assert (r.sales, r.made_offline) == (8, 6)
