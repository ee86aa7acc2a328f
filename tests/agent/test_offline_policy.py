"""HQ's offline policy: points a customer may spend before HQ has confirmed them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.events import Sale
from agent.model import OfflinePolicy, Points
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

IOANA = "2900000000032"  # Gold, 12,000 points
DAY_S = 24 * 3600
LIMIT = "may be spent here until HQ confirms"


def hq_sends(
    store: Store, at: datetime, policy: OfflinePolicy | None = None, **customer: object
) -> None:
    """A snapshot from HQ carrying a policy and/or Ioana's record changed."""
    customers = []
    if customer:
        held = store.catalogue.customer_by_card(IOANA)
        assert held is not None
        from dataclasses import replace

        customers.append(replace(held, **customer))  # type: ignore[arg-type]
    cursor = str(int(store.file.get_meta("snapshot_cursor", "0") or 0) + 1)
    store.catalogue.apply_snapshot(
        products=[],
        customers=customers,
        ruleset=None,
        cursor=cursor,
        received_at=at,
        policy=policy,
    )


@pytest.fixture
def till(tmp_path: Path) -> tuple[Store, FixedClock, CheckoutSession]:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    hq_sends(store, TUESDAY, OfflinePolicy(daily_points=1000, stale_after_s=7 * DAY_S))
    return store, clock, CheckoutSession(store, clock, SequentialIds(), "T1", "S")


def sell_with_points(session: CheckoutSession, points: int | None = None, coffees: int = 3) -> int:
    """One sale to Ioana paying as much as allowed with points; return the points spent."""
    session.enter(IOANA)
    session.add("COFFEE", coffees)
    session.pay_with_points(points)
    return int(session.commit().quote.points_redeemed)  # type: ignore[union-attr]


def test_unconfirmed_spending_is_capped_per_store_day(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    assert sell_with_points(session) == 1000  # the balance would allow 5,386
    ioana = store.catalogue.customer_by_card(IOANA)
    assert ioana is not None
    after_first = store.catalogue.balance(ioana, clock.now())
    session.enter(IOANA)
    session.add("COFFEE")
    notice = session.pay_with_points(None)
    assert notice.refused and LIMIT in notice.text
    notice = session.pay_with_points(600)
    assert notice.refused and "only 0 points may be spent here" in notice.text
    assert session.quote().balance_before == after_first  # the balance itself is not cut
    assert after_first > 12000 - 1000 - 1
    session.reset()
    clock.advance(days=1)  # a new store day: the cap is there again
    assert sell_with_points(session) == 1000


def test_points_hq_has_confirmed_no_longer_count(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    assert sell_with_points(session) == 1000
    # HQ applied that sale (applied_seq 1) and sends Ioana's new balance.
    hq_sends(store, clock.now(), hq_balance=Points(11000 + 359), applied_seq=1)
    session.reset()
    assert sell_with_points(session) == 1000


def test_an_allowance_raises_the_cap_and_absorbs_earlier_days_first(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    hq_sends(store, clock.now(), allowance=Points(1500))
    session.reset()
    assert sell_with_points(session) == 2500  # allowance 1,500 + today's 1,000
    clock.advance(days=1)
    assert sell_with_points(session) == 1000  # the allowance is used up: the cap alone


def test_a_stale_terminal_applies_the_stricter_cap(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    hq_sends(store, TUESDAY, OfflinePolicy(1000, stale_after_s=3600, stale_daily_points=300))
    session = CheckoutSession(store, clock, SequentialIds(), "T1", "S")
    assert not session.stale(clock.now())
    clock.advance(hours=2)  # no snapshot for two hours: past the staleness limit
    assert session.stale(clock.now())
    session.enter(IOANA)
    session.add("COFFEE")
    notice = session.pay_with_points(None)
    assert notice.refused and LIMIT in notice.text  # 300 is below the 500-point minimum
    assert "only 300 points" in str(session.quote().spend_limit)


def test_without_a_cap_only_the_balance_limits(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    hq_sends(store, TUESDAY, OfflinePolicy(daily_points=None, stale_after_s=DAY_S))
    session = CheckoutSession(store, FixedClock(TUESDAY), SequentialIds(), "T1", "S")
    assert sell_with_points(session) == 5386  # half the sale after Ioana's Gold discount
    assert session.quote().spend_limit is None


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"daily_points": -1, "stale_after_s": 60}, "daily_points"),
        ({"daily_points": 10, "stale_after_s": 0}, "stale_after_s"),
        ({"daily_points": True, "stale_after_s": 60}, "daily_points"),
        ({"daily_points": 1, "stale_after_s": 60, "stale_daily_points": "x"}, "stale_daily_points"),
    ],
)
def test_a_malformed_policy_is_refused_by_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        OfflinePolicy.from_doc(doc)


def test_a_manager_lifts_the_cap_for_one_sale_only_where_hq_allows_it(tmp_path: Path) -> None:

    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    hq_sends(store, TUESDAY, OfflinePolicy(1000, 7 * DAY_S))  # no manager lift
    session = CheckoutSession(store, clock, SequentialIds(), "T1", "S")
    session.enter(IOANA)
    notice = session.lift_limit("marek")
    assert notice.refused and "does not let a manager" in notice.text
    session.reset()
    hq_sends(store, TUESDAY, OfflinePolicy(1000, 7 * DAY_S, manager_lift=True))
    session.enter(IOANA)
    session.add("COFFEE", 3)
    assert not session.lift_limit("marek").refused
    session.pay_with_points(None)
    sale = session.commit()
    assert sale.quote is not None and sale.quote.points_redeemed == 5386  # the balance's limit
    event = store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    assert event.record.limit_lifted_by == "marek"
    assert sell_with_points(session) == 0  # the next sale: the cap is back (and used up)
