"""The terminal's sync against HQ handlers behind httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from agent.clock import FixedClock
from agent.errors import HqProtocolError, HqUnreachable
from agent.session import CheckoutSession
from agent.store import Store
from sync.client import HqClient
from sync.demo import RULESET
from sync.worker import SyncState, SyncWorker

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> HqClient:
    return HqClient("http://hq.test", "T1", "s", transport=httpx.MockTransport(handler))


def worker(store: Store, clock: FixedClock, handler: Handler) -> SyncWorker:
    return SyncWorker(":unused:", client(handler), clock)


def empty_snapshot(**extra: Any) -> dict[str, Any]:
    return dict(
        {
            "cursor": 1,
            "products": [],
            "customers": [],
            "ruleset": None,
            "hq_time": "2026-11-24T09:00:00+00:00",
        },
        **extra,
    )


def sell(session: CheckoutSession, n: int) -> None:
    for _ in range(n):
        session.enter("2900000000018")
        session.add("MILK")
        session.commit()


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(500, text="boom"), HqUnreachable),
        (httpx.Response(200, text="<html>proxy login</html>"), HqProtocolError),
        (httpx.Response(200, json={"acked_through": "all"}), HqProtocolError),
        (httpx.Response(401, json={"error": "unknown terminal"}), HqProtocolError),
    ],
)
def test_bad_replies_become_kassa_errors(response: httpx.Response, error: type) -> None:
    with pytest.raises(error):
        client(lambda req: response).upload([])


def test_a_connection_failure_is_hq_unreachable() -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    with pytest.raises(HqUnreachable):
        client(refuse).snapshot(0, 0)


def test_offline_sales_wait_and_are_sent_in_order_when_hq_answers(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 5)
    online = {"up": False}
    seen: list[list[int]] = []

    def hq(req: httpx.Request) -> httpx.Response:
        if not online["up"]:
            raise httpx.ConnectTimeout("timed out", request=req)
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        seen.append(seqs)
        return httpx.Response(
            200,
            json={
                "acked_through": seqs[-1],
                "expected_seq": seqs[-1] + 1,
                "results": [],
                "hq_time": "2026-11-24T09:00:00Z",
            },
        )

    w = worker(store, clock, hq)
    w.policy = type(w.policy)(batch_size=2)
    assert w.run_once(store).state is SyncState.OFFLINE
    assert store.outbox_stats().pending == 5
    online["up"] = True
    status = w.run_once(store)
    assert status.state is SyncState.ONLINE and status.pending == 0
    assert seen == [[1, 2], [3, 4], [5]]


def test_an_ack_for_more_than_was_sent_acknowledges_only_what_was_sent(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 3)
    sent: list[int] = []

    def liar(req: httpx.Request) -> httpx.Response:
        sent.extend(e["seq"] for e in json.loads(req.content)["events"])
        return httpx.Response(
            200,
            json={
                "acked_through": 999,
                "expected_seq": 1000,
                "results": [],
                "hq_time": "2026-11-24T09:00:00Z",
            },
        )

    w = worker(store, clock, liar)
    w.policy = type(w.policy)(batch_size=2)
    w.upload_all(store)
    assert sent == [1, 2, 3]  # seq 3 was not taken as acknowledged before it was sent
    assert store.outbox_stats().pending == 0


def test_a_malformed_ruleset_from_hq_is_refused_and_the_old_one_kept(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    bad = dict(RULESET, version=2, currency="XXX")
    w = worker(store, clock, lambda req: httpx.Response(200, json=empty_snapshot(ruleset=bad)))
    status = w.run_once(store)
    assert status.state is SyncState.REFUSED
    assert "currency" in status.message and "old one kept" in status.message
    held = store.ruleset()
    assert held is not None and held.version == 1
    assert store.get_meta("snapshot_cursor") == "1"  # the cursor did not move either


def test_a_truncated_snapshot_changes_nothing(store: Store, clock: FixedClock) -> None:
    def truncated(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=json.dumps(empty_snapshot())[:40])

    w = worker(store, clock, truncated)
    assert w.run_once(store).state is SyncState.REFUSED
    assert store.get_meta("snapshot_cursor") == "1"


def test_backoff_grows_with_failures_and_is_jittered(store: Store, clock: FixedClock) -> None:
    def down(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=req)

    w = worker(store, clock, down)
    waits = []
    for _ in range(8):
        w.run_once(store)
        waits.append(w.backoff_s())
    assert all(w.policy.backoff_base_s <= x <= w.policy.backoff_max_s for x in waits)
    assert len(set(waits)) > 1
