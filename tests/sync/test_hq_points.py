"""HQ's side of issue 13: lots expire from the balance, the tier follows the spend, and a
return credits back the gift card that paid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.codes import make_card_number
from agent.documents import customer_from_doc
from agent.events import Return
from agent.notice import CommittedSale
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.expiry import run_expiry
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from tests.conftest import TUESDAY

AT = "2026-11-24T09:00:00+00:00"
EWA = make_card_number(50)


@pytest.fixture
def hq(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def customer(hq: HqStore, cid: str, now: datetime | None = None) -> dict[str, Any]:
    if now is not None:
        run_expiry(hq, now)  # HQ's schedule, not the snapshot, expires lots
    return next(c for c in snapshot(hq, "T1", 0, 0, now)["customers"] if c["customer_id"] == cid)


def ewa(hq: HqStore, lots: list[tuple[int, timedelta]]) -> None:
    """Ewa, whose balance is these lots (points, expiring that long after Tuesday)."""
    with hq.transaction():
        hq.upsert_customer(
            {
                "customer_id": "E1",
                "card": EWA,
                "name": "Ewa",
                "tier": "Bronze",
                "balance": sum(p for p, _ in lots),
                "lots": [
                    {
                        "points": p,
                        "earned_at": (TUESDAY - timedelta(days=300 - i)).isoformat(),
                        "expires_at": (TUESDAY + left).isoformat(),
                    }
                    for i, (p, left) in enumerate(lots)
                ],
            }
        )


@pytest.mark.parametrize(
    ("later", "balance", "lots"),
    [
        (timedelta(0), 2415 + 500, 2),  # Tuesday: nothing expired yet
        (timedelta(days=1), 500, 1),  # a day later: the first lot is gone
        (timedelta(days=40), 0, 0),  # both gone
    ],
)
def test_a_snapshot_drops_the_lots_expired_by_its_time(
    hq: HqStore, later: timedelta, balance: int, lots: int
) -> None:
    ewa(hq, [(2415, timedelta(hours=1)), (500, timedelta(days=30))])
    got = customer(hq, "E1", TUESDAY + later)
    assert got["balance"] == balance and len(got["lots"]) == lots
    again = customer(hq, "E1", TUESDAY + later)  # applied once: asking again changes nothing
    assert again["balance"] == balance


def test_an_event_spends_the_oldest_lots_and_drops_the_expired_ones(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    ewa(hq, [(600, timedelta(minutes=-1)), (1000, timedelta(days=10)), (900, timedelta(days=90))])
    # The terminal's snapshot still holds all three lots, but the first is expired.
    doc = dict(customer(hq, "E1"), applied_seq=0)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(doc)],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
    )
    session.enter(EWA)
    assert session.balance() == 1900
    session.enter("JACKET")
    assert not session.pay_with_points(1200).refused
    sale = session.commit()  # pays 1200 (1000 + 200 of the oldest live lots)
    assert sale.quote is not None
    earned = sale.quote.points_earned
    assert [lot.points for lot in sale.quote.lots_used] == [1000, 200]
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], AT)
    got = customer(hq, "E1")
    assert got["balance"] == 1900 - 1200 + earned
    assert [lot["points"] for lot in got["lots"]] == [700, earned]  # as the terminal spent


def test_the_tier_follows_the_qualifying_spend_at_hq(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    session.enter(make_card_number(1))  # Anna: Bronze, 820.00 so far; Silver from 1000.00
    session.enter("JACKET")
    session.commit()
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], AT)
    anna = customer(hq, "C1")
    assert (anna["tier"], anna["tier_spend_minor"]) == ("Silver", 82000 + 49900)


def test_a_return_credits_the_gift_card_at_hq(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    session.enter(make_card_number(1))
    session.enter("COFFEE")
    session.enter("GC0000000001")
    sale = session.commit()  # the card (50.00) pays 39.90
    back = session.desk.commit_return(sale.seq, {"COFFEE": 1})
    assert isinstance(back, CommittedSale)
    event = store.ledger.sale_event(back.seq)
    assert event is not None and isinstance(event.record, Return)
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], AT)
    (card,) = [c for c in snapshot(hq, "T1", 0, 0)["gift_cards"] if c["card"] == "GC0000000001"]
    assert card["balance_minor"] == 5000


def test_without_a_time_a_snapshot_expires_nothing(hq: HqStore) -> None:
    ewa(hq, [(2415, timedelta(days=-1))])
    assert customer(hq, "E1")["balance"] == 2415
    assert customer(hq, "E1", datetime(2026, 11, 24, 9, tzinfo=UTC))["balance"] == 0


def test_points_earned_on_one_day_are_one_lot_so_ingest_stays_linear() -> None:
    from datetime import UTC, datetime, timedelta

    from agent.point_lots import lot_expiry
    from sync.hq.lots import move

    doc: dict[str, object] = {}
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    for i in range(1000):  # a thousand sales over two days
        at = start + timedelta(minutes=2 * i)
        move(doc, 0, 5, at, lot_expiry(at, 365, UTC))
    lots = doc["lots"]
    assert isinstance(lots, list) and len(lots) == 2  # one lot a day, not one a sale
    assert sum(int(lot["points"]) for lot in lots) == 5000
