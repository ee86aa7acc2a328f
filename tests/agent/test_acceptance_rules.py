"""The acceptance scenarios of ../shared/acceptance/rules.md, each with exactly its numbers."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from agent.codes import Classified, CodeKind, classify, make_card_number
from agent.documents import customer_from_doc, product_from_doc
from agent.event_parts import SaleLine
from agent.events import JournalEvent, Return
from agent.model import Basket, Line, PointLot
from agent.money import Money, Points
from agent.notice import CommittedSale
from agent.pricing.inputs import Tender, Usage
from agent.receipt import build_receipt
from agent.records import sale_record
from agent.refunds import refund
from agent.scale import labelled_line
from agent.session import CheckoutSession
from agent.store import Store
from agent.tiers import tiered_quote
from tests.agent.rules_fixtures import CATALOGUE, PROGRAMME, at, basket, customer, price
from tests.conftest import TUESDAY


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
    assert [lot.points for lot in q.lots_used] == [300, 200]
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


# -- second programme additions (R20 and on): exclusions, rewards, caps, anonymous codes ----
def lot(points: int, earned: str) -> PointLot:
    e = at(earned)
    return PointLot(Points(points), e, e + timedelta(days=365))


def claim(*rewards: tuple[str, int]) -> Tender:
    return Tender(codes=frozenset(r for r, _ in rewards), claims=tuple(rewards))


def test_R20_tobacco_takes_no_tier_discount_and_earns_nothing() -> None:
    q = price(basket("COFFEE", "CIGS"), customer("Gold"))
    assert q.discount_by("TIER") == 399 and [ql.discount_minor for ql in q.lines] == [399, 0]
    assert q.total.minor == 5441 and q.points_earned == 71
    cigs = q.lines[1]
    assert cigs.points_earned == 0 and cigs.excluded is not None
    assert str(cigs.excluded) == (
        "earns no points; takes no discount; cannot be paid with points (excluded)"
    )
    assert q.lines[0].excluded is None


def test_R21_only_coffee_may_be_paid_with_points() -> None:
    c = customer(balance=3000)
    b = basket("COFFEE", "WINE", "CIGS")
    most = price(b, c).max_redeemable
    assert most == 1995
    q = price(b, c, tender=Tender(redeem_points=most))
    assert (q.points_redeemed, q.points_value.minor, q.to_pay.minor) == (1995, 1995, 8345)
    assert [ql.points_payment_minor for ql in q.lines] == [1995, 0, 0]
    assert q.lines[2].points_earned == 0  # 64: on COFFEE 19.95 + WINE 45.00, CIGS none
    assert q.points_earned == 64 and q.balance_after == 1069
    assert str(q.lines[1].excluded) == "takes no discount; cannot be paid with points (excluded)"


def test_R23_pct20_capped_at_30_points_from_the_oldest_lots() -> None:
    c = customer(balance=3000, lots=(lot(1000, "2025-12-15 10:00"), lot(2000, "2026-06-01 10:00")))
    q = price(basket("JACKET"), c, tender=claim(("PCT20", 1)))
    assert q.discount_by("PCT20") == 3000 and q.total.minor == 46900
    assert "capped at 30.00 PLN from 99.80 PLN" in next(d.why for d in q.discounts)
    assert q.reward_points == 2500 and q.points_redeemed == 0
    assert [(lot.earned_at, lot.points) for lot in q.lots_used] == [
        (at("2025-12-15 10:00"), 1000),
        (at("2026-06-01 10:00"), 1500),
    ]
    assert q.points_earned == 938 and q.balance_after == 1438


def test_R24_a_second_free_coffee_the_balance_cannot_cover_is_refused() -> None:
    q = price(basket(("COFFEE", 2)), customer(balance=2000), tender=claim(("FREECOFFEE", 2)))
    assert q.refusal("FREECOFFEE") == "claim 2 needs 1500 points, 500 points left"
    assert q.discount_by("FREECOFFEE") == 3990 and q.total.minor == 3990
    assert q.reward_points == 1500 and q.points_earned == 39 and q.balance_after == 539


def test_R24b_two_free_coffees() -> None:
    q = price(basket(("COFFEE", 2)), customer(balance=3000), tender=claim(("FREECOFFEE", 2)))
    assert q.discount_by("FREECOFFEE") == 7980 and q.total.minor == 0
    assert q.refusal("FREECOFFEE") is None
    assert q.reward_points == 3000 and q.points_earned == 0 and q.balance_after == 0


def test_R25_ten_off_for_1000_points() -> None:
    q = price(basket("SCARF"), customer(balance=1200), tender=claim(("TENOFF", 1)))
    assert q.discount_by("TENOFF") == 1000 and q.total.minor == 4900
    assert q.reward_points == 1000 and q.points_earned == 49 and q.balance_after == 249


def test_R25b_tobacco_does_not_count_toward_the_minimum_basket() -> None:
    c = customer(balance=1200, cid="C9")
    q = price(basket(("SYRUP", 2), "CIGS"), c, tender=claim(("TENOFF", 1)))
    assert q.refusal("TENOFF") == (
        "minimum basket 50.00 PLN not reached: the lines that may take a discount come to 36.00 PLN"
    )
    assert q.discount.minor == 0 and q.total.minor == 5450
    assert q.reward_points == 0 and q.points_earned == 36 and q.balance_after == 1236


def test_R26_autumn15_is_compared_after_its_own_cap() -> None:
    q = price(basket("JACKET"), customer("Gold"), tender=Tender(codes=frozenset({"AUTUMN15"})))
    assert q.discount_by("TIER") == 4990 and q.discount_by("AUTUMN15") == 0
    assert q.refusal("AUTUMN15") == (
        "exclusive with TIER, which gives more (capped at 40.00 PLN from 74.85 PLN)"
    )
    assert q.total.minor == 44910 and q.points_earned == 1796


def test_R27_expired_points_are_not_offered() -> None:
    lots = (lot(300, "2025-11-20 10:00"), lot(800, "2026-06-01 10:00"))
    c = customer(balance=800, lots=lots)  # the unexpired balance, as the store counts it
    most = price(basket("JACKET"), c).max_redeemable
    assert most == 800
    q = price(basket("JACKET"), c, tender=Tender(redeem_points=most))
    assert (q.points_redeemed, q.points_value.minor, q.to_pay.minor) == (800, 800, 49100)
    assert [(lot.earned_at, lot.points) for lot in q.lots_used] == [(at("2026-06-01 10:00"), 800)]
    assert q.points_earned == 982 and q.balance_after == 982


def test_R30_a_promo_code_without_a_customer_and_a_coupon_that_needs_one() -> None:
    q = price(basket("SCARF"), None, tender=Tender(codes=frozenset({"AUTUMN15"})))
    assert q.discount_by("AUTUMN15") == 885 and q.total.minor == 5015
    assert q.points_earned == 0 and q.balance_after is None
    both = Tender(codes=frozenset({"AUTUMN15", "SYRUP20"}))
    q = price(basket("SCARF"), None, tender=both)
    assert q.refusal("SYRUP20") == "a personal coupon needs the customer"
    assert q.discount_by("AUTUMN15") == 885 and q.total.minor == 5015


# -- scenarios through the checkout session and a real store (they need commits) ------------
def hq_customer(store: Store, serial: int, balance: int) -> str:
    """A Bronze customer HQ sent with ``balance`` points, who has bought before; their card."""
    card = make_card_number(serial)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[
            customer_from_doc(
                {
                    "customer_id": f"R{serial}",
                    "card": card,
                    "name": "Test",
                    "tier": "Bronze",
                    "balance": balance,
                    "applied_seq": 0,
                    "purchases_total": 10,
                }
            )
        ],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
    )
    return card


def test_R22_gift_card_sold_here_pays_here_before_any_sync(
    session: CheckoutSession, store: Store
) -> None:
    card = hq_customer(store, 22, 1000)
    assert store.ledger.gift_card_balance("GC0000000009") == Money(0, "PLN")
    session.enter(card)
    assert session.enter("GIFT50").text == "Gift card 50 x1; scan the gift card to load"
    bound = session.enter("GC0000000009")
    assert bound.text == "Gift card GC0000000009: 50.00 PLN is loaded onto it when the sale is paid"
    first = session.commit()
    assert first.quote is not None and first.quote.total.minor == 5000
    assert store.ledger.gift_card_balance("GC0000000009") == Money(5000, "PLN")
    assert store.ledger.outbox_stats().pending == 1  # HQ has heard of none of it
    session.enter(card)
    session.enter("COFFEE")
    assert session.enter("GC0000000009").text == "Gift card GC0000000009: 50.00 PLN available"
    second = session.commit()
    assert second.quote is not None and second.quote.gift_card.minor == 3990
    assert store.ledger.gift_card_balance("GC0000000009") == Money(1010, "PLN")
    assert second.quote.points_earned == 39


def test_R22_gift_card_line_earns_nothing_and_is_not_paid_with_points(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(hq_customer(store, 22, 1000))
    session.enter("GIFT50")
    session.enter("GC0000000009")
    paying = session.pay_with_points()  # giftcard lines cannot be paid with points
    assert paying.refused
    assert session.pay_with_points(500).refused
    first = session.commit()
    assert first.quote is not None and first.quote.points_earned == 0
    assert first.balance_after == 1000


def test_R31_a_return_paid_by_gift_card_goes_back_onto_the_card(
    session: CheckoutSession, store: Store
) -> None:
    card = hq_customer(store, 31, 0)
    session.enter(card)
    for code in ("COFFEE", "MILK", "GC0000000001"):
        assert not session.enter(code).refused
    sale = session.commit()
    assert sale.balance_after == 44
    assert store.ledger.gift_card_balance("GC0000000001") == Money(560, "PLN")
    back = session.desk.commit_return(sale.seq, {"MILK": 1})
    assert isinstance(back, CommittedSale) and back.balance_after == 39
    assert store.ledger.gift_card_balance("GC0000000001") == Money(1010, "PLN")
    event = store.ledger.sale_event(back.seq)
    assert event is not None and isinstance(event.record, Return)
    assert event.record.gift_card == ("GC0000000001", 450)  # onto the card, no cash
    assert event.record.total_minor == -450 and event.record.points_earned == -5


def test_R29_a_weighed_label_is_priced_by_the_kilogram() -> None:
    read = classify("2200042007502", PROGRAMME.barcodes)  # the till's own reading
    assert isinstance(read, Classified) and read.kind is CodeKind.LABEL and read.label
    assert read.label.item_code == "00042" and read.label.value == 750
    beans = product_from_doc(dict(CATALOGUE["BEANS"], currency="PLN"))
    assert beans.item_code == "00042"
    line = labelled_line(beans, read.value, read.label, 1)
    assert isinstance(line, Line) and line.labelled and line.labelled.weight_g == 750
    q = price(Basket("PLN", (line,)), customer("Bronze"))
    assert (line.sku, line.category, q.total.minor, q.points_earned) == (
        "BEANS",
        "coffee",
        6743,
        67,
    )


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
