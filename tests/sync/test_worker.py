"""The terminal's sync against HQ handlers behind httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from agent.clock import FixedClock
from agent.demo import RULESET
from agent.errors import HqProtocolError, HqUnreachable
from agent.i18n import Texts
from agent.model import OfflinePolicy
from agent.session import CheckoutSession
from agent.signing import new_private_key, public_key_hex, sign
from agent.store import Store
from sync.client import HqClient
from sync.worker import SyncState, SyncWorker

Handler = Callable[[httpx.Request], httpx.Response]


HQ_KEY = new_private_key()
OTHER_KEY = new_private_key()


def client(handler: Handler) -> HqClient:
    return HqClient(
        "http://hq.test", "T1", "s", public_key_hex(HQ_KEY), transport=httpx.MockTransport(handler)
    )


def worker(store: Store, clock: FixedClock, handler: Handler) -> SyncWorker:
    return SyncWorker(":unused:", client(handler), clock)


def unsigned_snapshot(**extra: Any) -> dict[str, Any]:
    base = {
        "cursor": 1,
        "products": [],
        "customers": [],
        "ruleset": None,
        "hq_time": "2026-11-24T09:00:00+00:00",
        "terminal_id": "T1",
        "issued_at": "2026-11-24T09:00:00+00:00",
        "expires_at": "2026-11-25T09:00:00+00:00",
    }
    return dict(base, **extra)


def empty_snapshot(key: bytes = HQ_KEY, **extra: Any) -> dict[str, str]:
    """A snapshot as HQ sends it: signed."""
    return sign(unsigned_snapshot(**extra), key).to_wire()


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
    assert store.ledger.outbox_stats().pending == 5
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
    assert store.ledger.outbox_stats().pending == 0


def test_a_malformed_ruleset_from_hq_is_refused_and_the_old_one_kept(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    bad = dict(RULESET, version=2, currency="XXX")
    w = worker(store, clock, lambda req: httpx.Response(200, json=empty_snapshot(ruleset=bad)))
    status = w.run_once(store)
    assert status.state is SyncState.REFUSED
    assert "currency" in status.message and "old one kept" in status.message
    held = store.catalogue.ruleset()
    assert held is not None and held.version == 1
    assert store.file.get_meta("snapshot_cursor") == "1"  # the cursor did not move either


def test_a_truncated_snapshot_changes_nothing(store: Store, clock: FixedClock) -> None:
    def truncated(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=json.dumps(empty_snapshot())[:-40])

    w = worker(store, clock, truncated)
    assert w.run_once(store).state is SyncState.REFUSED
    assert store.file.get_meta("snapshot_cursor") == "1"


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


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (lambda: unsigned_snapshot(cursor=5), "unsigned"),
        (lambda: empty_snapshot(OTHER_KEY, cursor=5), "does not verify"),
        (
            lambda: dict(
                empty_snapshot(cursor=5), document=json.dumps(unsigned_snapshot(cursor=6))
            ),
            "does not verify",
        ),
        (lambda: empty_snapshot(cursor=0), "older than the held 1 (rollback)"),
        (lambda: empty_snapshot(cursor=5, expires_at="2026-11-24T08:00:00+00:00"), "expired"),
        (lambda: empty_snapshot(cursor=5, terminal_id="T2"), "addressed to 'T2'"),
        (lambda: empty_snapshot(cursor=5, ruleset=RULESET), "not newer than the held 1"),
    ],
)
def test_snapshots_that_are_not_genuine_current_and_ours_are_refused(
    store: Store, clock: FixedClock, reply: Callable[[], Any], reason: str
) -> None:
    w = worker(store, clock, lambda req: httpx.Response(200, json=reply()))
    status = w.run_once(store)
    assert status.state is SyncState.REFUSED
    assert reason in status.message
    assert store.file.get_meta("snapshot_cursor") == "1"  # nothing of it was applied
    held = store.catalogue.ruleset()
    assert held is not None and held.version == 1


def test_a_genuine_snapshot_is_applied(store: Store, clock: FixedClock) -> None:
    w = worker(
        store,
        clock,
        lambda req: httpx.Response(200, json=empty_snapshot(cursor=7, revoked=["HAPPY3"])),
    )
    assert w.run_once(store).state is SyncState.ONLINE
    held = store.catalogue.ruleset()
    assert store.file.get_meta("snapshot_cursor") == "7"
    assert held is not None and held.revoked == frozenset({"HAPPY3"})


def acking_hq(hq_time: str, snapshot: Callable[[], Any]) -> Handler:
    """HQ that acknowledges every batch and answers snapshots with ``snapshot()``."""

    def hq(req: httpx.Request) -> httpx.Response:
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=snapshot())
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        return httpx.Response(
            200,
            json={
                "acked_through": seqs[-1],
                "expected_seq": seqs[-1] + 1,
                "results": [{"seq": s, "status": "stored"} for s in seqs],
                "hq_time": hq_time,
            },
        )

    return hq


def test_a_refused_snapshot_does_not_stop_the_upload(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 2)
    rolled_back = lambda: empty_snapshot(cursor=0)  # noqa: E731 - older than the held 1
    status = worker(store, clock, acking_hq("2026-11-24T09:00:00Z", rolled_back)).run_once(store)
    assert status.state is SyncState.REFUSED and "rollback" in status.message
    assert status.pending == 0 and store.ledger.outbox_stats().pending == 0


def test_a_clock_off_hqs_is_reported_and_both_times_recorded(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    sell(session, 1)
    hq_time = "2026-11-24T08:50:00Z"  # HQ says ten minutes earlier than this till
    w = worker(store, clock, acking_hq(hq_time, lambda: empty_snapshot(hq_time=hq_time)))
    status = w.run_once(store)
    assert status.state is SyncState.ONLINE  # a warning, not a stop
    assert status.skew_s == 600 and "600 s off HQ's" in status.message
    # The status bar says it in the cashier's language.
    assert Texts("pl").say(status.notes[-1]) == "zegar różni się od centrali o +600 s: sprawdź czas"
    rows = store.conn.execute("SELECT local_time, hq_time, skew_s FROM clock_skew").fetchall()
    assert rows == [("2026-11-24T09:00:00+00:00", "2026-11-24T08:50:00+00:00", 600.0)]
    w.run_once(store)  # the same episode is recorded once
    assert store.conn.execute("SELECT COUNT(*) FROM clock_skew").fetchone() == (1,)
    ok = worker(store, clock, acking_hq("2026-11-24T09:00:30Z", lambda: empty_snapshot(cursor=2)))
    assert ok.run_once(store).skew_s is None  # within the tolerance


def test_a_terminal_without_a_fresh_snapshot_says_it_is_stale(
    store: Store, clock: FixedClock
) -> None:
    def down(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=req)

    w = worker(store, clock, down)
    assert not w.run_once(store).stale  # the snapshot is from 09:00, now is 09:00
    clock.advance(hours=25)  # the default policy: stale after 24 h
    status = w.run_once(store)
    assert status.stale and "points spending is limited" in status.message


def test_hqs_time_and_this_clock_are_kept_so_a_clock_set_back_gains_nothing(
    store: Store, clock: FixedClock
) -> None:
    def down(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=req)

    policy = OfflinePolicy(1000, stale_after_s=3600).to_doc()
    hq_time = "2026-11-24T09:00:00Z"
    w = worker(store, clock, acking_hq(hq_time, lambda: empty_snapshot(policy=policy)))
    clock.advance(hours=-5)  # this clock runs five hours behind HQ's
    assert w.run_once(store).state is SyncState.ONLINE
    assert store.file.get_meta("snapshot_hq_time") == "2026-11-24T09:00:00+00:00"
    assert store.file.get_meta("latest_hq_time") == "2026-11-24T09:00:00+00:00"
    offline = worker(store, clock, down)
    clock.advance(hours=6)  # an hour past HQ's time, not by this clock's receipt
    assert not offline.run_once(store).stale
    clock.advance(hours=1, minutes=1)
    assert offline.run_once(store).stale
    clock.advance(hours=-7)  # set back: the round before was written down
    status = offline.run_once(store)
    assert status.stale and "points spending is limited" in status.message


@pytest.mark.parametrize(
    ("status", "refresh", "polls"),
    [("stored", False, 0), ("quarantined", False, 1), ("stored", True, 1), ("stored", None, 1)],
)
def test_a_poll_follows_an_upload_only_when_it_changed_what_hq_sends_back(
    session: CheckoutSession,
    store: Store,
    clock: FixedClock,
    status: str,
    refresh: bool | None,
    polls: int,
) -> None:
    # Issue 15: the till's own sales, stored by HQ as sent, are in its balances already;
    # an event HQ did not take as sent, or HQ saying it changed more (a tier), changes
    # what HQ sends back: it is asked at once (and by an HQ that does not say: None).
    asked: list[str] = []

    def hq(req: httpx.Request) -> httpx.Response:
        asked.append(req.url.path.rsplit("/", 1)[-1])
        if req.url.path.endswith("/snapshot"):
            return httpx.Response(200, json=empty_snapshot())
        seqs = [e["seq"] for e in json.loads(req.content)["events"]]
        results = [{"seq": s, "status": status, "reason": "x"} for s in seqs]
        ack = {
            "acked_through": seqs[-1],
            "expected_seq": seqs[-1] + 1,
            "results": results,
            "hq_time": "2026-11-24T09:00:00Z",
        }
        return httpx.Response(200, json=ack if refresh is None else dict(ack, refresh=refresh))

    w = worker(store, clock, hq)
    w.run_once(store)  # the first round polls
    assert asked == ["snapshot"]
    sell(session, 1)
    w.run_once(store)  # within poll_every_s of the last poll
    assert asked[1:] == ["events"] + ["snapshot"] * polls
