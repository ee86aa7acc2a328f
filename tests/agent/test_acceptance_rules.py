"""The acceptance scenarios of ../shared/acceptance/rules.md, each with exactly its numbers."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from agent.event_parts import SaleLine
from agent.events import JournalEvent
from agent.model import PointLot
from agent.money import Points
from agent.pricing.inputs import Tender, Usage
from agent.receipt import build_receipt
from agent.records import sale_record
from agent.refunds import refund
from agent.tiers import tiered_quote
from tests.agent.rules_fixtures import PROGRAMME, at, basket, customer, price


def test_R1_bronze_coffee_and_milk() -> None:
    q = price(basket("COFFEE", "MILK"), customer())
    assert (q.total.minor, q.points_earned) == (4440, 44)


def test_R2_premium_line_earns_double() -> None:
    q = price(basket("JACKET", "SCARF"), customer())
    assert q.total.minor == 55800 and q.points_earned == 1057
    assert (q.points_by("PREMIUM2"), q.points_by("BASE")) == (998, 59)


def test_R3_gold_tier_discount() -> None:
    q = price(basket(("COFFEE", 2)), customer("Gold"))
    assert q.discount_by("TIER") == 798 and q.total.minor == 7182 and q.points_earned == 143


def test_R4_happy_hours_win_over_premium() -> None:
    q = price(basket("JACKET"), customer("Silver"), at("2026-11-26 17:10"))
    assert q.discount.minor == 2495 and q.total.minor == 47405 and q.points_earned == 2133
    assert q.points_by("HAPPY3") == 2133
    assert q.refusal("PREMIUM2") == "a larger multiplier applied (HAPPY3 x3)"


def test_R5_third_purchase_this_month_counting_unsynced_ones() -> None:
    c = customer(month=("2026-11", 1))
    q = price(basket("SCARF"), c, usage=Usage(unsynced_month_purchases=1))
    assert q.discount_by("THIRD15") == 885 and q.total.minor == 5015 and q.points_earned == 50


def test_R5b_fourth_purchase_gets_no_discount() -> None:
    q = price(basket("SCARF"), customer(month=("2026-11", 3)))
    assert q.discount.minor == 0 and q.points_earned == 59
    assert q.refusal("THIRD15") == "this is purchase 4 this month; it applies to one purchase in 3"


def test_R6_promo_code_excludes_the_tier_discount() -> None:
    q = price(
        basket("SCARF", "FOG"), customer("Gold"), tender=Tender(codes=frozenset({"AUTUMN15"}))
    )
    assert q.discount_by("AUTUMN15") == 2220
    assert [ql.discount_minor for ql in q.lines] == [885, 1335]
    assert q.total.minor == 12580 and q.points_earned == 251
    assert q.refusal("TIER") == "exclusive with AUTUMN15, which gives more"


def test_R7_pay_the_most_possible_with_points() -> None:
    c = customer(balance=3000)
    most = price(basket("COFFEE"), c).max_redeemable
    q = price(basket("COFFEE"), c, tender=Tender(redeem_points=most))
    assert (q.points_redeemed, q.points_value.minor, q.to_pay.minor) == (1995, 1995, 1995)
    assert q.points_earned == 19 and q.balance_after == 1024


def test_R8_fewer_than_500_points_is_refused() -> None:
    q = price(basket("COFFEE"), customer(balance=450), tender=Tender(redeem_points=450))
    assert q.points_redeemed == 0
    assert q.refusal("PAY-WITH-POINTS") == "fewer than 500 points"


def test_R9_oldest_points_are_used_first_and_expiry_is_known() -> None:
    def lot(points: int, earned: str) -> PointLot:
        e = at(earned)
        return PointLot(Points(points), e, e + timedelta(days=365))

    c = customer(balance=1100, lots=(lot(300, "2025-12-01 00:00"), lot(800, "2026-06-01 00:00")))
    when = at("2026-11-23 12:00")
    before = price(basket("JACKET"), c, when)
    assert [(p, e.date()) for p, e in before.expiring_soon] == [(300, date(2026, 12, 1))]
    q = price(basket("JACKET"), c, when, tender=Tender(redeem_points=500))
    assert [p for _, p in q.lots_used] == [300, 200]
    assert q.to_pay.minor == 49400 and q.points_earned == 988 and q.balance_after == 1588
    assert q.expiring_soon == ()


def test_R10_bonus_per_unit_is_capped() -> None:
    q = price(basket(("FOG", 15)), customer())
    assert q.total.minor == 133500
    assert (q.points_by("BASE"), q.points_by("FOG10"), q.points_earned) == (1335, 100, 1435)


def test_R11_welcome_bonus_within_the_terminal_quota() -> None:
    quota_left = 3
    earned = []
    for n in range(4):
        c = customer(purchases_total=0, cid=f"NEW{n}")
        q = price(basket("MILK"), c, usage=Usage(quota_left={"WELCOME50": quota_left}))
        quota_left -= dict(q.usage_deltas).get("quota:WELCOME50", 0)
        earned.append((q.points_by("BASE"), q.points_by("WELCOME50"), q.refusal("WELCOME50")))
    assert earned[:3] == [(4, 50, None)] * 3
    assert earned[3] == (4, 0, "quota at this terminal used up")


def test_R12_personal_coupon_once() -> None:
    c = customer(coupons={"SYRUP20": False})
    code = Tender(codes=frozenset({"SYRUP20"}))
    q = price(basket("COFFEE", "SYRUP"), c, tender=code)
    assert q.discount_by("SYRUP20") == 360 and q.total.minor == 5430 and q.points_earned == 54
    assert ("coupon:C1:SYRUP20", 1) in q.usage_deltas
    again = price(
        basket("COFFEE", "SYRUP"), c, tender=code, usage=Usage(used_codes=frozenset({"SYRUP20"}))
    )
    assert again.discount.minor == 0 and again.refusal("SYRUP20") == "coupon already used"


def test_R13_returning_a_line_reverses_its_points() -> None:
    q = price(basket("JACKET", "SCARF"), customer(balance=0))
    assert q.balance_after == 1057
    r = refund(sale_lines(q), {"SCARF": 1})
    assert (r.points_reversed, r.points_restored) == (59, 0)
    assert 1057 - r.points_reversed + r.points_restored == 998


def test_R13b_a_return_may_drive_the_balance_negative() -> None:
    q = price(basket("JACKET", "SCARF"), customer(balance=0))
    r = refund(sale_lines(q), {"JACKET": 1})
    assert r.points_reversed == 998
    balance = 20 - r.points_reversed + r.points_restored
    assert balance == -978 and r.flags(balance) == ["negative_balance"]


def test_R14_de_customers_earn_double_on_mondays() -> None:
    c = customer(country="DE")
    monday = price(basket(("MILK", 10)), c, at("2026-11-23 11:00"))
    assert monday.total.minor == 4500 and monday.points_earned == 90
    tuesday = price(basket(("MILK", 10)), c, at("2026-11-24 11:00"))
    assert tuesday.points_earned == 45


def test_R15_birthday_doubles_points() -> None:
    q = price(basket("COFFEE", "MILK"), customer(birthday=date(1990, 11, 24)))
    assert q.points_earned == 88


def test_R16_a_revoked_campaign_stops_applying() -> None:
    revoked = dataclasses.replace(PROGRAMME, revoked=frozenset({"HAPPY3"}))
    q = price(basket("JACKET"), customer("Silver"), at("2026-11-26 17:10"), ruleset=revoked)
    assert q.points_earned == 1422 and q.points_by("PREMIUM2") == 1422
    assert q.refusal("HAPPY3") == "revoked by HQ"


def test_R17_gift_card_is_money() -> None:
    q = price(basket("COFFEE", "MILK"), customer(), tender=Tender(gift_card_balance_minor=5000))
    assert q.gift_card.minor == 4440 and 5000 - q.gift_card.minor == 560
    assert q.to_pay.minor == 0 and q.points_earned == 44


def test_R18_every_third_milk_is_free() -> None:
    three = price(basket(("MILK", 3)), customer())
    assert (three.discount_by("MILK3FOR2"), three.total.minor, three.points_earned) == (450, 900, 9)
    seven = price(basket(("MILK", 7)), customer())
    assert (seven.discount_by("MILK3FOR2"), seven.total.minor, seven.points_earned) == (
        900,
        2250,
        22,
    )


def test_R19_coupon_first_then_the_combinable_tier_discount() -> None:
    assert PROGRAMME.tier_rule.combinable_with_coupons
    q = price(
        basket("COFFEE", "SYRUP"),
        customer("Gold", coupons={"SYRUP20": False}),
        tender=Tender(codes=frozenset({"SYRUP20"})),
    )
    assert [d.rule for d in q.discounts] == ["SYRUP20", "TIER"]
    assert (q.discount_by("SYRUP20"), q.discount_by("TIER")) == (360, 543)
    assert q.total.minor == 4887 and q.points_earned == 97


def sale_lines(q: object) -> tuple[SaleLine, ...]:
    """The sale's lines as the journal records them."""
    from agent.records import journal_lines

    return journal_lines(q)  # type: ignore[arg-type]


def test_R28_the_sale_that_reaches_silver_earns_at_bronze_the_next_is_priced_at_silver() -> None:
    hq = dataclasses.replace(customer(month=("2026-11", 2)), tier_spend_minor=80000)
    unsynced = 15000  # the sale here HQ has not applied: THIRD15 made it 150.00
    usage = Usage(unsynced_purchases=1, unsynced_month_purchases=1)
    jacket, st = tiered_quote(
        lambda c: price(basket("JACKET"), c, usage=usage), hq, PROGRAMME, unsynced
    )
    assert st is not None and st.tier == "Bronze"
    assert jacket.points_earned == 998 and jacket.discount.minor == 0
    sale = sale_record(jacket, "S2", PROGRAMME, hq, [], None, st)
    receipt = build_receipt(JournalEvent(2, "T1", sale), "Sklep").plain()
    assert "Silver from the next purchase (qualifying 1,449.00)" in receipt

    usage = Usage(unsynced_purchases=2, unsynced_month_purchases=2)
    coffee, st = tiered_quote(
        lambda c: price(basket("COFFEE"), c, usage=usage), hq, PROGRAMME, unsynced + 49900
    )
    assert st is not None and st.tier == "Silver"
    assert coffee.discount_by("TIER") == 200 and coffee.discount.minor == 200
    assert coffee.total.minor == 3790 and coffee.points_earned == 56
