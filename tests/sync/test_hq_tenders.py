"""HQ takes a sale's tenders, checks they pay exactly what the sale asks, stores them,
and sums them per tender; a sale from a till before tenders stays valid."""

from __future__ import annotations

from typing import Any

import pytest

from agent.money import Money
from agent.session import CheckoutSession
from agent.store import Store
from agent.tendering import Handed, TenderStep
from sync.hq.ingest import ingest
from sync.hq.report import report
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from tests.sync.chain import altered, rechain

AT = "2026-11-24T09:00:00+00:00"
ANNA = "2900000000018"


@pytest.fixture
def hq_store(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def three_sales(session: CheckoutSession, store: Store) -> list[dict[str, Any]]:
    """Cash with change; points and card; one without tenders (a till before them)."""
    session.add("COFFEE")
    TenderStep(session).cash(Money(5000, "PLN"))
    session.enter(ANNA)
    session.add("COFFEE")
    step = TenderStep(session)
    step.points(600)
    step.card()
    session.add("MILK")
    session.commit()
    return [e.to_wire() for e in store.ledger.pending_events(100)]


def statuses(hq_store: HqStore, events: list[dict[str, Any]]) -> list[str]:
    results = ingest(hq_store, "T1", events, AT).results
    return [r.status for r in results]


def test_tenders_are_stored_and_reported_per_tender(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    assert statuses(hq_store, three_sales(session, store)) == ["stored"] * 3
    paid = report(hq_store)["tenders"]
    assert paid["total"] == {"cash": 3990, "card": 3390, "points": 600, "change": 1010}
    assert paid["terminals"]["T1"] == {"card": 3390, "cash": 3990, "points": 600}
    assert paid["sales_without_tenders"] == 1  # a sale of a till before tenders is valid


def _lie(doc: dict[str, Any]) -> None:
    doc["tenders"][0]["amount_minor"] += 100  # cash "paid" more than the sale asked


def _change(doc: dict[str, Any]) -> None:
    doc["change_minor"] = 0  # the cash handed over gives 10.10


def _points(doc: dict[str, Any]) -> None:
    doc["tenders"][0]["kind"] = "card"  # points claimed as money


def _tendered(doc: dict[str, Any]) -> None:
    doc["tenders"][1]["tendered_minor"] = 9000  # a card "handed over" beyond what it paid


def _kind(doc: dict[str, Any]) -> None:
    doc["tenders"][0]["kind"] = "iou"


@pytest.mark.parametrize(
    ("index", "change", "reason"),
    [
        (0, _lie, "body.tenders: add up to"),
        (0, _change, "body.change_minor"),
        (1, _points, "body.tenders: points pays 0"),
        (1, _tendered, "body.tenders[1].tendered_minor"),
        (0, _kind, "body.tenders[0].kind"),
    ],
)
def test_tenders_that_do_not_pay_the_sale_are_quarantined(
    hq_store: HqStore,
    session: CheckoutSession,
    store: Store,
    index: int,
    change: Any,
    reason: str,
) -> None:
    evs = three_sales(session, store)
    evs[index] = altered(evs[index], change)
    results = ingest(hq_store, "T1", rechain(evs), AT).results
    assert results[index].status == "quarantined"
    assert (results[index].reason or "").startswith(reason), results[index].reason
    assert [r.status for i, r in enumerate(results) if i != index] == ["stored", "stored"]
    assert report(hq_store)["quarantined"][0]["seq"] == index + 1


def test_a_pos_sale_with_its_own_kind_of_tender(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    from agent.paid import Paid, TenderKind

    session.add("COFFEE")
    session.commit(Handed(0, (Paid(TenderKind.OTHER, 3990, None, "voucher"),), exact=True))
    assert statuses(hq_store, [e.to_wire() for e in store.ledger.pending_events(9)]) == ["stored"]
    assert report(hq_store)["tenders"]["total"] == {"other": 3990}
