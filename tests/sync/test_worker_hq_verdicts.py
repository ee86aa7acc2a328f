"""The terminal's worker and what HQ answers beyond "stored": a quarantined event is
recorded with HQ's reason and never sent again; a 503 is waited out as HQ asks, not
taken for a fault; every upload fits under HQ's cap on a request's size."""

from __future__ import annotations

import json
from typing import Any

import httpx

from agent.clock import FixedClock
from agent.events import Audit
from agent.session import CheckoutSession
from agent.store import Store
from sync.wire import CONFLICT, MAX_EVENT_BODY_CHARS, MAX_REQUEST_BYTES
from sync.worker import SyncPolicy, SyncState, fitting
from tests.sync.test_worker import empty_snapshot, sell, worker

HQ_TIME = "2026-11-24T09:00:00Z"


def ack(seqs: list[int], **statuses: Any) -> httpx.Response:
    results = [{"seq": s, "status": "stored"} for s in seqs]
    for r in results:
        r.update(statuses.get(f"s{r['seq']}", {}))
    return httpx.Response(
        200,
        json={
            "acked_through": seqs[-1],
            "expected_seq": seqs[-1] + 1,
            "results": results,
            "hq_time": HQ_TIME,
        },
    )


def test_a_quarantined_event_is_recorded_with_the_reason_and_not_sent_again(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 3)
    sent: list[list[int]] = []
    reason = "body.points_redeemed: must be from 0 to 1000000000000000"

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        sent.append(seqs)
        return ack(seqs, s2={"status": "quarantined", "reason": reason})

    w = worker(store, clock, hq)
    status = w.run_once(store)
    assert status.state is SyncState.ONLINE and status.pending == 0
    held = store.ledger.quarantined()
    assert [(q.seq, q.kind, q.reason) for q in held] == [(2, "sale", reason)]
    sell(session, 1)
    w.run_once(store)
    assert sent == [[1, 2, 3], [4]]  # seq 2 is acknowledged: it is never sent again
    assert [q.seq for q in store.ledger.quarantined()] == [2]


def test_an_event_hq_holds_another_body_for_is_listed_as_quarantined_not_silently_acked(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 2)

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        return ack(seqs, s2={"status": "conflict"})

    w = worker(store, clock, hq)
    assert w.run_once(store).state is SyncState.ONLINE
    assert [(q.seq, q.reason) for q in store.ledger.quarantined()] == [(2, CONFLICT)]


def test_hq_busy_is_waited_out_as_it_asks_and_is_no_fault(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 2)
    replies = [httpx.Response(503, headers={"Retry-After": "7"}, json={"error": "busy"})]

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        if replies:
            return replies.pop()
        return ack([e["seq"] for e in json.loads(req.content)["events"]])

    w = worker(store, clock, hq)
    busy = w.run_once(store)
    assert busy.state is SyncState.ONLINE and busy.notes == ()
    assert busy.pending == 2 and busy.last_sync_at is None
    assert w.backoff_s() == 7  # as HQ asked, not a failure's backoff ...
    assert w.backoff_s() == w.policy.interval_s  # ... and only once
    done = w.run_once(store)
    assert done.state is SyncState.ONLINE and done.pending == 0


def test_a_long_retry_after_is_capped_by_the_backoff_limit(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 1)
    w = worker(
        store,
        clock,
        lambda req: httpx.Response(503, headers={"Retry-After": "86400"}, json={"error": "x"}),
    )
    w.run_once(store)
    assert w.backoff_s() == w.policy.backoff_max_s


def test_every_upload_fits_under_hqs_cap(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    # Audit entries whose reasons are as long as a body may be, in the worst escaping
    # (each character sent as \\uXXXX): the worker packs them into several uploads.
    reason = "ł" * (MAX_EVENT_BODY_CHARS // 2)
    for i in range(30):
        store.ledger.commit_event(
            Audit(at=clock.now().isoformat(), action="pin_lockout", cashier=None,
                  approved_by="", reason=reason),
            f"e{i}",
            "T1",
        )  # fmt: skip
    sizes: list[int] = []
    seqs: list[int] = []

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        sizes.append(len(req.content))
        sent = [e["seq"] for e in json.loads(req.content)["events"]]
        seqs.extend(sent)
        return ack(sent)

    w = worker(store, clock, hq)
    assert w.policy == SyncPolicy() and w.policy.max_request_bytes == MAX_REQUEST_BYTES
    assert w.run_once(store).pending == 0
    assert seqs == list(range(1, 31)) and len(sizes) > 1
    assert max(sizes) <= MAX_REQUEST_BYTES


def test_a_batch_is_cut_where_the_next_event_would_not_fit() -> None:
    events: list[dict[str, object]] = [{"seq": i, "body": "x" * 100} for i in range(1, 11)]
    one = len(json.dumps(events[0])) + 2
    assert fitting(events, 3 * one + 20) == events[:3]
    assert fitting(events, 10) == events[:1]  # one always goes: HQ quarantines it if need be
    assert fitting(events, 10**6) == events
