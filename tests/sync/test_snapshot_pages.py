"""Snapshots in pages (issue 15): HQ sends what changed in signed pages of bounded size,
in (rev, key) order; a terminal applies each page in its own transaction with the key
of the next, resumes there after a crash, and moves its cursor only with the last page;
nothing changed while a pass runs is missed; a poll with nothing changed reads no row
of the customers; which customers a till holds is HQ's setting per store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from agent.clock import FixedClock
from agent.codes import make_card_number
from agent.demo import CUSTOMERS
from agent.signing import new_private_key, public_key_hex
from agent.store import Store
from sync import worker as worker_module
from sync.client import HqClient
from sync.hq import snapshot as pages
from sync.hq.holding import push, seen, set_holding
from sync.hq.seed import add_customers, seed_demo
from sync.hq.server import create_app
from sync.hq.snapshot import snapshot, snapshot_page
from sync.hq.store import HqStore
from sync.wire import PageKey, parse_page_key
from sync.worker import SyncWorker
from tests.conftest import TUESDAY
from tests.sync.test_openapi import check

N = 40  # customers besides the demo's
ROWS = 7  # rows a page, in these tests


def chain(n: int, first: int = 0) -> Iterator[dict[str, Any]]:
    for i in range(first, first + n):
        yield {
            "customer_id": f"P{i:04d}",
            "card": make_card_number(50_000 + i),
            "name": f"Paged {i}",
            "tier": "Bronze",
            "balance": i,
        }


@pytest.fixture
def hq(tmp_path: Path) -> HqStore:
    store = HqStore(tmp_path / "hq.db")
    seed_demo(store)
    add_customers(store, chain(N))
    return store


def every_page(hq: HqStore, cursor: int, rows: int = ROWS) -> list[dict[str, Any]]:
    out = [snapshot_page(hq, "T1", cursor, 0, None, TUESDAY, rows)]
    while out[-1]["next"] is not None:
        key = parse_page_key(out[-1]["next"])
        out.append(snapshot_page(hq, "T1", cursor, 0, key, TUESDAY, rows))
    return out


def set_balance(hq: HqStore, cid: str, balance: int) -> None:
    with hq.transaction() as c:
        c.execute(
            "UPDATE hq_customers SET balance=?, rev=? WHERE customer_id=?",
            (balance, hq.next_rev(), cid),
        )


# -- at HQ ---------------------------------------------------------------------------------
def test_a_pass_sends_every_row_once_in_bounded_pages_with_the_head_last(hq: HqStore) -> None:
    got = every_page(hq, 0)
    whole = snapshot(hq, "T1", 0, 0, TUESDAY)
    assert len(got) > 3
    for page in got:
        rows = sum(len(page[p]) for p in ("products", "customers", "gift_cards"))
        assert rows <= ROWS
        assert page["cursor"] == got[0]["cursor"]
    assert all("policy" not in p for p in got[:-1]) and got[-1]["policy"] is not None
    assert got[-1]["ruleset"] is not None and got[-1]["next"] is None
    ids = [c["customer_id"] for p in got for c in p["customers"]]
    assert len(ids) == len(set(ids)) == N + len(CUSTOMERS) == len(whole["customers"])
    assert [c["customer_id"] for c in whole["customers"]] == ids


def test_a_customer_changed_during_a_pass_arrives_whether_its_key_was_passed_or_not(
    hq: HqStore,
) -> None:
    first = snapshot_page(hq, "T1", 0, 0, None, TUESDAY, ROWS)
    second = snapshot_page(hq, "T1", 0, 0, parse_page_key(first["next"]), TUESDAY, ROWS)
    passed = second["customers"][0]["customer_id"]  # sent already in this pass
    ahead = "P0039"  # the last customer: not reached yet
    set_balance(hq, passed, 7777)
    set_balance(hq, ahead, 8888)
    rest = [second]
    while rest[-1]["next"] is not None:
        key = parse_page_key(rest[-1]["next"])
        rest.append(snapshot_page(hq, "T1", 0, 0, key, TUESDAY, ROWS))
    in_pass = {c["customer_id"]: c for p in rest[1:] for c in p["customers"]}
    assert passed not in in_pass  # the pass never goes back ...
    assert ahead not in in_pass  # ... and a row that left its range is not sent twice
    upto = first["cursor"]
    after = {c["customer_id"]: c["balance"] for p in every_page(hq, upto) for c in p["customers"]}
    assert after == {passed: 7777, ahead: 8888}  # ... the next poll sends both
    assert every_page(hq, upto + 2)[0]["customers"] == []


def test_a_poll_with_nothing_changed_reads_indexes_only_and_writes_nothing(hq: HqStore) -> None:
    cursor = every_page(hq, 0)[-1]["cursor"]
    changes = hq.conn.total_changes
    idle = snapshot_page(hq, "T1", cursor, 1, None, TUESDAY)
    assert idle["customers"] == idle["products"] == idle["gift_cards"] == []
    assert idle["next"] is None and idle["cursor"] == cursor
    assert hq.conn.total_changes == changes
    plans: list[str] = []
    for part in ("products", "customers", "gift_cards"):
        r = pages.reader(hq, "T1", cursor, TUESDAY, hq.phone_key())
        key = PageKey(cursor, part, cursor, "")
        table, name = pages._KEYS[part]
        plans += [
            str(row[-1])
            for row in hq.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT c.rev, c.{name} FROM {table} c WHERE c.rev >= ? "
                f"AND c.rev <= ? AND c.rev > ? AND (c.rev > ? OR c.{name} > ?) "
                f"ORDER BY c.rev, c.{name} LIMIT 5",
                (cursor, cursor, cursor, cursor, ""),
            )
        ]
        assert r.keys(part, key, 5) == ([], (-1, ""))
    assert plans and all("USING" in p and "INDEX" in p and "_rev" in p for p in plans), plans


def test_a_page_of_no_pass_of_hqs_is_refused_naming_the_parameter(hq: HqStore) -> None:
    app = TestClient(create_app(hq, new_private_key()))
    auth = {"Authorization": "Bearer T1:demo"}
    url = "/v1/terminals/T1/snapshot"
    page = {"upto": 10**9, "part": "customers", "after_rev": 0, "after": ""}
    for params, field in (
        (page, "query.upto"),
        ({"upto": 3, "part": "customers"}, "query.after_rev"),
        (dict(page, upto=3, part="orders"), "query.part"),
        (dict(page, upto=3, after_rev=5), "query.after_rev"),
        (dict(page, upto=3, after="x" * 300), "query.after"),
    ):
        reply = app.get(url, params={"cursor": 0, **params}, headers=auth)
        assert (reply.status_code, reply.json()["field"]) == (400, field), params


# -- at the terminal -------------------------------------------------------------------------
HQ_NOW = [TUESDAY]  # HQ's clock in the tests through its app


class Forward:
    """httpx's transport to the ASGI app through Starlette's test client, counting the
    page requests and failing (HQ unreachable) from the ``fail_at``-th."""

    def __init__(self, app: TestClient) -> None:
        self.app = app
        self.asked: list[dict[str, str]] = []
        self.fail_at: int | None = None
        self.garbage_at: int | None = None  # that request answered by a proxy's HTML page

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/snapshot"):
            self.asked.append(dict(request.url.params))
            if self.fail_at is not None and len(self.asked) >= self.fail_at:
                raise httpx.ConnectError("HQ went away", request=request)
            if len(self.asked) == self.garbage_at:
                return httpx.Response(200, content=b"<html>proxy says hello</html>")
        r = self.app.request(
            request.method,
            request.url.path,
            params=request.url.params,
            headers=dict(request.headers),
            content=request.content,
        )
        return httpx.Response(r.status_code, headers=r.headers, content=r.content)


@pytest.fixture
def till_of(
    hq: HqStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], tuple[SyncWorker, Forward]]:
    monkeypatch.setattr(pages, "PAGE_ROWS", ROWS)
    key = new_private_key()
    app = TestClient(create_app(hq, key, lambda: HQ_NOW[0]))
    HQ_NOW[0] = TUESDAY

    def make(terminal_id: str) -> tuple[SyncWorker, Forward]:
        forward = Forward(app)
        client = HqClient(
            "http://hq",
            terminal_id,
            "demo",
            public_key_hex(key),
            transport=httpx.MockTransport(forward),
        )
        return SyncWorker(tmp_path / f"{terminal_id}.db", client, FixedClock(TUESDAY)), forward

    return make


def held(store: Store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT customer_id, hq_balance FROM customers"))


def test_a_till_stopped_half_way_resumes_at_the_next_page_and_moves_its_cursor_last(
    hq: HqStore, tmp_path: Path, till_of: Callable[[str], tuple[SyncWorker, Forward]]
) -> None:
    worker, forward = till_of("T1")
    forward.fail_at = 4  # three pages applied, then HQ is gone
    store = Store.open(tmp_path / "T1.db")
    with pytest.raises(worker_module.HqUnreachable):
        worker.download(store)
    cursor, page, _ = store.catalogue.snapshot_position()
    assert cursor == 0 and page is not None  # the cursor waits for the last page
    assert 0 < len(held(store)) < N  # the pages applied are kept
    store.close()

    store = Store.open(tmp_path / "T1.db")  # the till restarted
    worker, forward = till_of("T1")
    assert worker.download(store)
    assert forward.asked[0] == dict(json.loads(page), cursor="0", ruleset_version="0") | {
        k: str(v) for k, v in json.loads(page).items()
    }
    cursor, page, _ = store.catalogue.snapshot_position()
    assert page is None and cursor == snapshot_page(hq, "T1", 0, 0, None, TUESDAY)["cursor"]
    assert held(store) == dict(hq.conn.execute("SELECT customer_id, balance FROM hq_customers"))
    store.close()


def test_a_garbled_reply_to_a_page_retries_that_page_and_a_refused_page_starts_again(
    hq: HqStore, tmp_path: Path, till_of: Callable[[str], tuple[SyncWorker, Forward]]
) -> None:
    worker, forward = till_of("T1")
    forward.garbage_at = 3
    store = Store.open(tmp_path / "T1.db")
    with pytest.raises(worker_module.HqProtocolError):
        worker.download(store)
    kept = store.catalogue.snapshot_position()[1]
    assert kept is not None  # a proxy's page is no reason to start a join again
    assert worker.download(store, max_pages=1) is False
    assert forward.asked[3] == forward.asked[2]  # the same page asked again

    # HQ no longer serves the page the till is at (restored from a backup): refused, and
    # the till forgets it and starts its pass again from the first page.
    ahead = dict(json.loads(store.catalogue.snapshot_position()[1] or "{}"), upto=10**9)
    with store.file.atomic():
        store.file.set_meta(worker_module.PAGE_KEY, json.dumps(ahead))
    with pytest.raises(worker_module.PageRefused):
        worker.download(store)
    assert store.catalogue.snapshot_position()[1] is None
    asked = len(forward.asked)
    assert worker.download(store)
    assert "upto" not in forward.asked[asked]  # a first page: no page key
    assert held(store) == dict(hq.conn.execute("SELECT customer_id, balance FROM hq_customers"))
    store.close()


def test_a_round_applies_some_pages_and_the_next_round_goes_on(
    hq: HqStore, tmp_path: Path, till_of: Callable[[str], tuple[SyncWorker, Forward]]
) -> None:
    worker, _ = till_of("T1")
    store = Store.open(tmp_path / "T1.db")
    assert not worker.download(store, max_pages=2)
    assert store.catalogue.snapshot_position()[1] is not None
    worker.run_once(store)  # a pass under way goes on at once
    assert store.catalogue.snapshot_position()[1] is None
    set_balance(hq, "P0003", 303)
    worker.run_once(store)  # a poll is not due yet (10 s)...
    assert held(store)["P0003"] == 3
    worker.policy = worker_module.SyncPolicy(download_every_s=0.0)  # ... now it is
    worker.run_once(store)
    assert held(store)["P0003"] == 303
    store.close()


def test_a_join_asks_each_page_once_the_next_asked_while_one_is_applied(
    hq: HqStore, tmp_path: Path, till_of: Callable[[str], tuple[SyncWorker, Forward]]
) -> None:
    worker, forward = till_of("T1")
    store = Store.open(tmp_path / "T1.db")
    applying: list[int] = []  # requests HQ had been sent while each page was applied
    apply = store.catalogue.apply_snapshot

    def counted(**kwargs: object) -> None:
        page = len(applying) + 1
        deadline = time.monotonic() + 10  # the next page is asked while this one waits
        while kwargs["next_page"] is not None and len(forward.asked) <= page:
            assert time.monotonic() < deadline, f"page {page + 1} not asked during page {page}"
            time.sleep(0.005)
        applying.append(len(forward.asked))
        apply(**kwargs)  # type: ignore[arg-type]

    store.catalogue.apply_snapshot = counted  # type: ignore[method-assign]
    assert worker.download(store)
    pages = len(applying)
    assert pages > 2 and len(forward.asked) == pages  # every page asked once, none again
    keys = [tuple(sorted(a.items())) for a in forward.asked]
    assert len(set(keys)) == pages
    assert applying[:-1] == list(range(2, pages + 1))  # the next one already asked
    assert held(store) == dict(hq.conn.execute("SELECT customer_id, balance FROM hq_customers"))
    store.close()


# -- which customers a till holds -----------------------------------------------------------
def test_a_store_holding_who_it_sees_sends_its_tills_those_and_the_pushed(hq: HqStore) -> None:
    hq.set_terminal_store("T2", "south")
    set_holding(hq, "south", "seen", 30)
    with hq.transaction():
        seen(hq, "south", "P0001", TUESDAY - timedelta(days=2))
        seen(hq, "south", "P0002", TUESDAY - timedelta(days=31))  # outside the window
        seen(hq, "main", "P0003", TUESDAY)  # another store
    push(hq, "south", "P0004", TUESDAY)
    south = snapshot(hq, "T2", 0, 0, TUESDAY)
    got = {c["customer_id"]: c.get("held_until") for c in south["customers"]}
    assert got == {"P0001": "2026-12-22T09:00:00.000000+00:00", "P0004": None}
    assert south["holding"] == {"mode": "seen", "window_days": 30, "epoch": 1}
    main = snapshot(hq, "T1", 0, 0, TUESDAY)
    assert len(main["customers"]) == N + len(CUSTOMERS) and main["holding"]["mode"] == "all"
    assert all("held_until" not in c for c in main["customers"])


def test_a_till_forgets_its_customers_when_its_store_holds_afresh_and_after_held_until(
    hq: HqStore, tmp_path: Path, till_of: Callable[[str], tuple[SyncWorker, Forward]]
) -> None:
    worker, _ = till_of("T1")
    store = Store.open(tmp_path / "T1.db")
    assert worker.download(store) and len(held(store)) == N + len(CUSTOMERS)
    set_holding(hq, "main", "seen", 1)
    with hq.transaction():
        seen(hq, "main", "P0007", TUESDAY)
    assert worker.download(store)
    assert held(store) == {"P0007": 7}
    (until,) = store.conn.execute("SELECT held_until FROM customers").fetchone()
    assert until == "2026-11-25T09:00:00.000000+00:00"
    worker._clock = FixedClock(TUESDAY + timedelta(days=2))
    HQ_NOW[0] = TUESDAY + timedelta(days=2)
    assert worker.download(store)  # a day past held_until: forgotten
    assert held(store) == {}
    store.close()


@pytest.mark.parametrize("scan_factor", [pages.SCAN_FACTOR, 1])
def test_every_page_of_a_pass_replies_as_the_openapi_document_says(
    hq: HqStore, monkeypatch: pytest.MonkeyPatch, scan_factor: int
) -> None:
    # A page of a store holding who it sees reads at most scan_factor times its rows of
    # the index, and may end with fewer rows: the pass goes on after the last key read.
    monkeypatch.setattr(pages, "PAGE_ROWS", ROWS)
    monkeypatch.setattr(pages, "SCAN_FACTOR", scan_factor)
    set_holding(hq, "main", "seen", 30)
    with hq.transaction():
        for i in range(0, N, 3):
            seen(hq, "main", f"P{i:04d}", TUESDAY)
    app = TestClient(create_app(hq, new_private_key(), lambda: TUESDAY))
    params: dict[str, object] = {"cursor": 0, "ruleset_version": 0}
    auth = {"Authorization": "Bearer T1:demo"}
    docs = []
    while True:
        reply = app.get("/v1/terminals/T1/snapshot", params=params, headers=auth)
        assert reply.status_code == 200
        check("SignedDocument", reply.json())
        docs.append(json.loads(reply.json()["document"]))
        check("Snapshot", docs[-1])
        if docs[-1]["next"] is None:
            break
        params = {"cursor": 0, "ruleset_version": 0, **docs[-1]["next"]}
    assert len(docs) > 2 and docs[-1]["holding"]["mode"] == "seen"
    assert sum(len(d["customers"]) for d in docs) == len(range(0, N, 3))
    assert all("held_until" in c for d in docs for c in d["customers"])
