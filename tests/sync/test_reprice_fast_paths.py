"""HQ's re-pricing shortcuts hide nothing: a record equal to HQ's has no problem, one
figure changed anywhere is still named; what HQ reads once (a product's document, the
offline policy) is read again when it changes; what an ingest batch keeps (products, the
policy, a customer's document the re-pricing parsed) leaves HQ's books as they would be
without it, and lives only as long as the batch."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from agent import demo
from agent.codes import make_card_number
from agent.events import Sale
from agent.model import OfflinePolicy
from agent.pricing.asked import PricedWith
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq import batch
from sync.hq.checks import CHECKS
from sync.hq.ingest import ingest
from sync.hq.reprice import _again, _compare, reprice
from sync.hq.reprice_view import view_of
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore

IVAN = make_card_number(2)


@pytest.fixture
def hq(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def a_sale(session: CheckoutSession, store: Store) -> Sale:
    for e in (IVAN, "JACKET", "MILK", "MILK", "COFFEE", "AUTUMN15"):
        assert not session.enter(e).refused, e
    event = store.ledger.sale_event(session.commit().seq)
    assert event is not None and isinstance(event.record, Sale)
    return event.record


def changed(value: Any) -> Any:
    """Another value of the same kind."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return (*value, value[0]) if value else (("X", 1),)
    return None if value is not None else "x"


def test_a_record_equal_to_hqs_has_no_problem_and_any_figure_changed_is_named(
    session: CheckoutSession, store: Store
) -> None:
    sale = a_sale(session, store)
    assert _compare(sale, sale) == []
    for f in fields(sale):
        if f.name in ("lines", "discounts", "awards"):
            continue
        other = replace(sale, **{f.name: changed(getattr(sale, f.name))})
        assert [p.figure for p in _compare(other, sale)] == [f.name]
    for name, per in (("discount", "discounts"), ("points", "awards")):
        rule, amount = (getattr(sale, per) or (("NOSUCHRULE", 0),))[0]  # a rule's, or one more
        more: dict[str, Any] = {per: ((rule, amount + 1), *getattr(sale, per)[1:])}
        other = replace(sale, **more)
        assert [p.figure for p in _compare(other, sale)] == [f"{name} {rule}"]
    for f in fields(sale.lines[0]):
        line = replace(sale.lines[0], **{f.name: changed(getattr(sale.lines[0], f.name))})
        other = replace(sale, lines=(line, *sale.lines[1:]))
        assert [p.figure for p in _compare(other, sale)] == [f"line {line.key} {f.name}"]


def test_a_changed_price_and_a_changed_policy_are_read_again(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sale = a_sale(session, store)
    before = view_of(hq, "T1", sale)
    milk = next(p for p in demo.PRODUCTS if p["sku"] == "MILK")
    hq.upsert_product(dict(milk, price_minor=int(milk["price_minor"]) + 100))
    hq.set_policy(OfflinePolicy(123, 3600, 45))
    after = view_of(hq, "T1", sale)
    assert after.products["MILK"].price_minor == before.products["MILK"].price_minor + 100
    assert after.products["MILK"].previous_price_minor == before.products["MILK"].price_minor
    assert after.policy == OfflinePolicy(123, 3600, 45) != before.policy
    assert after.ruleset is before.ruleset  # a published version never changes


def _books(hq: HqStore) -> list[tuple[Any, ...]]:
    return list(hq.conn.execute("SELECT customer_id, doc, balance FROM hq_customers ORDER BY 1"))


def test_a_batch_priced_again_leaves_the_books_as_one_taken_in_unchecked(
    tmp_path: Path, session: CheckoutSession, store: Store
) -> None:
    """The customer documents the re-pricing parsed and handed to the ingest give the
    balances, lots and documents the ingest reaches parsing them itself."""
    cards = [make_card_number(n) for n in (1, 2, 3, 1, 1, 2)]
    for i, card in enumerate(cards):
        for entry in (card, "MILK", "COFFEE" if i % 2 else "JACKET"):
            assert not session.enter(entry).refused, entry
        session.commit()
    events = [e.to_wire() for e in store.ledger.pending_events(100)]
    books = []
    for name, checks in (("checked", CHECKS), ("unchecked", ())):
        hq = HqStore(tmp_path / f"{name}.db")
        seed_demo(hq)
        result = ingest(hq, "T1", events, "2026-11-24T10:00:00+00:00", checks)
        assert [r.status for r in result.results] == ["stored"] * len(events)
        assert batch.of(hq) is None  # the batch ended with its transaction
        books.append(_books(hq))
    assert books[0] == books[1]


def test_a_kept_row_serves_once(hq: HqStore) -> None:
    """The row a check read is handed to the ingest applying the event once: the ingest
    takes it before it writes the customer, so a row kept is the row as it is, and
    after the write the next event reads the customer afresh."""
    with batch.during(hq) as now:
        assert batch.of(hq) is now
        now.keep_row("C1", {"tier": "Silver"}, 10)
        now.keep_row("C1", {"tier": "Gold"}, 20)  # read again later: the later row
        assert now.take_row("C1") == ({"tier": "Gold"}, 20)
        assert now.take_row("C1") is None  # once
        assert now.take_row("C2") is None  # none kept: the ingest reads it
    assert batch.of(hq) is None


def test_a_batch_reads_products_and_the_policy_once_and_the_next_batch_afresh(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    """Inside one ingest's transaction nothing changes a product or the policy, so a batch
    reads them once; a change made between batches is read by the next one."""
    sale = a_sale(session, store)
    milk = next(p for p in demo.PRODUCTS if p["sku"] == "MILK")
    with batch.during(hq):
        before = view_of(hq, "T1", sale)
        assert view_of(hq, "T1", sale).products == before.products
    hq.upsert_product(dict(milk, price_minor=int(milk["price_minor"]) + 100))
    hq.set_policy(OfflinePolicy(123, 3600, 45))
    with batch.during(hq):
        after = view_of(hq, "T1", sale)
    assert after.products["MILK"].price_minor == before.products["MILK"].price_minor + 100
    assert after.policy == OfflinePolicy(123, 3600, 45) != before.policy


def test_hqs_record_names_the_sales_own_inputs_which_are_the_engines_as_recorded(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    """HQ's record carries the sale's priced_with itself: what the engine was asked (the
    quote's inputs, PricedWith(customer, balance, usage, tender, revoked)), as recorded
    with the sale's standing, is equal to it."""
    sale = a_sale(session, store)
    asked = sale.priced_with
    assert asked is not None and asked.customer is not None
    view = view_of(hq, "T1", sale)
    assert view.ruleset is not None
    engines = PricedWith(asked.customer, asked.balance, asked.usage, asked.tender, asked.revoked)
    assert engines.as_recorded(asked.standing) == asked
    assert _again(sale, asked, view.ruleset).priced_with is asked
    assert reprice(sale, view) == []


def test_batches_of_two_threads_on_one_store_are_each_their_own(hq: HqStore) -> None:
    """On PostgreSQL the threads of one HQ worker take in batches at once on one store:
    each sees its own batch, and they may end in either order."""
    import threading

    first_in, second_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def first() -> None:
        with batch.during(hq) as mine:
            first_in.set()
            second_done.wait(10)
            seen["first"] = batch.of(hq) is mine  # still its own, after the other ended

    t = threading.Thread(target=first)
    t.start()
    assert first_in.wait(10)
    with batch.during(hq) as mine:
        seen["second"] = batch.of(hq) is mine
    second_done.set()
    t.join(10)
    assert seen == {"first": True, "second": True}
    assert batch.of(hq) is None  # no batch left open
