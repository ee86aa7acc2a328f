"""The end-of-day loyalty report: sales and returns apart, on the store's day, not UTC's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from agent.clock import FixedClock
from agent.day_report import day_report
from agent.events import Audit
from agent.i18n import Texts
from agent.money import Money
from agent.notice import Notice
from agent.session import CheckoutSession
from agent.store import Store
from agent.tendering import TenderStep
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
    # Money: 33.91 after the discount, 6.00 of it in points; all the money came back in
    # cash (points come back as points). Takings gross, refunds apart: nothing netted twice.
    assert wednesday.takings == {"points": 600, "unsaid": 3391 - 600}  # no tender step
    assert wednesday.refunds == {"cash": 3391 - 600}
    assert (wednesday.points_issued, wednesday.points_taken_back) == (earned, earned)
    assert (wednesday.points_redeemed, wednesday.points_given_back) == (600, 600)
    assert wednesday.discounts_by_rule == {"AUTUMN15": 599}
    assert [(a.points, a.approved_by) for a in wednesday.adjustments] == [(100, "marek")]
    assert wednesday.voids == () and wednesday.lifted == ()
    tuesday = day_report(store, "2026-11-24", "PLN", clock.now(), WARSAW)
    assert (tuesday.sales, tuesday.returns, tuesday.adjustments) == (0, 0, ())  # UTC's day

    rows = dict(wednesday.lines(Texts("pl")))
    assert rows["Punkty cofnięte"] == str(earned)
    assert rows["Rabat AUTUMN15"] == "5,99\xa0zł"
    table = wednesday.tender_table(Texts("pl"))
    assert table[-1] == ("Razem", "33,91\xa0zł", "-27,91\xa0zł", "6,00\xa0zł")


def _tendered(session: CheckoutSession, cashier: str, sku: str, pay: str) -> int:
    """A sale of ``sku`` rung up by ``cashier`` and paid through the tender step."""
    session.cashier = cashier
    session.add(sku)
    step = TenderStep(session)
    if pay == "cash":
        step.cash(Money(10000, "PLN"))  # 100.00 handed over
    elif pay == "gift+cash":
        step.gift_card("GC0000000001", Money(2000, "PLN"))
        step.cash()
    else:
        step.card()
    assert step.committed is not None
    return step.committed.seq


def test_takings_and_refunds_per_tender_and_per_cashier(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    first = _tendered(session, "ola", "COFFEE", "cash")  # 39.90 cash, 60.10 change
    _tendered(session, "ola", "COFFEE", "gift+cash")  # 20.00 gift card, 19.90 cash
    _tendered(session, "iza", "COFFEE", "card")  # 39.90 card
    session.cashier = "iza"
    back = session.desk.commit_return(first, {"COFFEE": 1})  # 39.90 back, in cash
    assert not isinstance(back, Notice)
    r = day_report(store, "2026-11-24", "PLN", clock.now(), WARSAW)
    assert r.takings == {"cash": 3990 + 1990, "gift_card": 2000, "card": 3990}
    assert r.refunds == {"cash": 3990}
    assert r.change_minor == 10000 - 3990
    assert [r.net(k) for k in r.tenders] == [1990, 3990, 2000]  # cash, card, gift card
    rows = r.tender_table(Texts("en"))
    assert rows[0] == ("Tender", "Takings", "Refunds", "Net")
    assert rows[1] == ("Cash", "PLN59.80", "-PLN39.90", "PLN19.90")
    assert rows[-1] == ("Total", "PLN119.70", "-PLN39.90", "PLN79.80")
    by = {c.cashier: c for c in r.cashiers}
    assert (by["ola"].sales, by["ola"].takings_minor, by["ola"].refunds_minor) == (2, 7980, 0)
    assert (by["iza"].sales, by["iza"].returns, by["iza"].net_minor) == (1, 1, 0)
    text = r.text(Texts("pl"), WARSAW, {"ola": "Ola", "iza": "Iza"})
    assert "Gotówka" in text and "Ola" in text and "Iza" in text


def test_voids_and_adjustments_apart_with_amounts_and_approvers(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    session.enter(ANNA)
    assert not session.desk.adjust_points(-200, "double scan", "ola", "marek").refused
    store.ledger.commit_event(
        Audit(
            at=clock.now().isoformat(),
            action="void",
            cashier="ola",
            approved_by="ewa",
            voided_lines=(("COFFEE", 2, 7980), ("MILK", 1, 499)),
        ),
        "v1",
        "T1",
    )
    r = day_report(store, "2026-11-24", "PLN", clock.now(), WARSAW)
    assert [(v.amount_minor, v.cashier, v.approved_by) for v in r.voids] == [(8479, "ola", "ewa")]
    assert [(a.points, a.reason, a.approved_by) for a in r.adjustments] == [
        (-200, "double scan", "marek")
    ]
    lines = r.approvals(Texts("en"), WARSAW)
    assert any("Void PLN84.79 (ola), approved by ewa" in x for x in lines)
    assert any("Adjustment -200 points (ola), approved by marek" in x for x in lines)
    assert r.pin_lockouts == 0
