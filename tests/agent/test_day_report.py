"""The end-of-day loyalty report: sales and returns apart, on the store's day, not UTC's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from agent.clock import FixedClock
from agent.day_report import day_report
from agent.i18n import Texts
from agent.notice import Notice
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

ANNA = "2900000000018"
WARSAW = ZoneInfo("Europe/Warsaw")


def test_sales_returns_points_and_overrides_of_one_store_day(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    clock.at = TUESDAY.replace(hour=23, minute=30)  # 00:30 on Wednesday in Warsaw
    session.enter(ANNA)
    session.add("COFFEE")
    session.enter("AUTUMN15")
    session.pay_with_points(600)
    sale = session.commit()  # 39.90 - 5.99 = 33.91; 6.00 of it paid with points
    assert sale.quote is not None
    earned = sale.quote.points_earned
    session.enter(ANNA)
    assert not session.desk.adjust_points(100, "goodwill", "ola", "marek").refused
    clock.advance(minutes=10)
    ret = session.desk.commit_return(sale.seq, {"COFFEE": 1})
    assert not isinstance(ret, Notice)  # a committed return, not a refusal

    wednesday = day_report(store, "2026-11-25", "PLN", clock.now(), WARSAW)
    assert (wednesday.sales, wednesday.returns) == (1, 1)
    # Money: 33.91 after the discount, 6.00 of it in points; all of it came back.
    assert wednesday.total_minor == 0 and wednesday.refunded_minor == 3391 - 600
    assert (wednesday.points_issued, wednesday.points_taken_back) == (earned, earned)
    assert (wednesday.points_redeemed, wednesday.points_given_back) == (600, 600)
    assert wednesday.discounts_by_rule == {"AUTUMN15": 599}
    assert wednesday.overrides == 1  # the adjustment at 00:30 Warsaw time
    tuesday = day_report(store, "2026-11-24", "PLN", clock.now(), WARSAW)
    assert (tuesday.sales, tuesday.returns, tuesday.overrides) == (0, 0, 0)  # UTC's day

    rows = dict(wednesday.lines(Texts("pl")))
    assert rows["Zwrot pieniędzy"] == "27,91\xa0zł" and rows["Punkty cofnięte"] == str(earned)
    assert rows["Rabat AUTUMN15"] == "5,99\xa0zł" and rows["Decyzje kierownika"] == "1"
