"""Exclusions, per-rule caps, codes without a customer and rewards bought with points:
the mechanics one by one on small programmes, then over random baskets of the demo
programme (R20 and on in ../shared/acceptance/rules.md hold the scenarios)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.records import journal_lines
from agent.refunds import refund
from tests.agent.rules_fixtures import PROGRAMME, TUE_10, basket, customer, price
from tests.agent.test_points_accounting import price as small_price
from tests.agent.test_points_accounting import programme

TOBACCO = {
    "match": {"categories": ["tobacco"]},
    "earn": False,
    "discount": False,
    "pay_with_points": False,
}
CIGS, BREAD = ("CIGS", 1, 2000, "tobacco"), ("BREAD", 2, 1000, "bakery")


def test_a_line_rule_naming_an_excluded_line_gives_it_nothing() -> None:
    rules = [
        {"id": "CIGS10", "kind": "percent_off", "percent": "10", "match": {"skus": ["CIGS"]}},
        {"id": "CIGS5", "kind": "bonus_per_unit", "points": 5, "match": {"skus": ["CIGS"]}},
        {"id": "CIGS2", "kind": "multiplier", "factor": "2", "match": {"skus": ["CIGS"]}},
    ]
    q = small_price(programme(rules, exclusions=[TOBACCO]), [CIGS, BREAD])
    assert q.discount.minor == 0 and q.points_earned == 20  # BREAD's 20.00 only
    assert q.points_by("CIGS5") == 0 and q.points_by("CIGS2") == 0


def test_a_sale_bonus_is_shared_only_over_earning_lines() -> None:
    rules = [{"id": "HELLO", "kind": "bonus_per_sale", "points": 30}]
    q = small_price(programme(rules, exclusions=[TOBACCO]), [CIGS, BREAD])
    assert q.points_by("HELLO") == 30 and [ql.points_earned for ql in q.lines] == [0, 50]
    only = small_price(programme(rules, exclusions=[TOBACCO]), [CIGS])
    assert only.points_earned == 0
    assert only.refusal("HELLO") == "no line of this sale earns points"


def test_an_excluded_line_counts_toward_no_minimum_basket() -> None:
    rules = [{"id": "BIG", "kind": "fixed_off", "amount_minor": 500, "min_basket_minor": 3000}]
    q = small_price(programme(rules, exclusions=[TOBACCO]), [CIGS, BREAD])
    assert q.discount.minor == 0
    assert q.refusal("BIG") == (
        "minimum basket 30.00 PLN not reached: the lines that may take a discount come to 20.00 PLN"
    )


def test_points_pay_only_payable_lines_up_to_their_share() -> None:
    rs = programme([], exclusions=[TOBACCO])
    q = small_price(rs, [CIGS, BREAD], 5000, redeem=1000)
    assert q.max_redeemable == 1000  # 50 % of BREAD's 20.00, not of 40.00
    assert [ql.points_payment_minor for ql in q.lines] == [0, 1000]
    refused = small_price(rs, [CIGS, BREAD], 5000, redeem=1500)
    assert refused.points_redeemed == 0
    assert refused.refusal("PAY-WITH-POINTS") == "at most 1000 points can pay for this sale"


def test_a_rule_capped_says_so_when_it_applies() -> None:
    rules = [{"id": "P15", "kind": "percent_off", "percent": "15", "max_discount_minor": 1000}]
    q = small_price(programme(rules), [("A", 1, 10000, "x")])
    assert q.discount_by("P15") == 1000
    assert q.discounts[0].why == "15% off on the sale (capped at 10.00 PLN from 15.00 PLN)"


def test_a_coupon_the_cap_cut_to_nothing_records_no_use() -> None:
    rules = [
        {"id": "A50", "kind": "percent_off", "percent": "20", "match": {"skus": ["A"]}},
        {"id": "GIFT", "kind": "fixed_off", "amount_minor": 500, "coupon": True},
    ]
    rs = programme(rules, stacking={"max_discount_percent": "20"})
    c = Customer("C1", "", "T", "Bronze", Points(0), coupons=(("GIFT", False),))
    b = Basket("PLN", (Line("A", "A", 1, Money(10000, "PLN"), "x"),))
    q = quote(b, c, 0, rs, Usage(), TUE_10, Tender(codes=frozenset({"GIFT"})))
    assert q.discount_by("GIFT") == 0 and q.discount_by("A50") == 2000
    assert q.refusal("GIFT") == "cut by 5.00 PLN: the sale's discount cap of 20% reached"
    assert dict(q.usage_deltas).get("coupon:C1:GIFT") is None


def test_a_promo_code_without_a_customer_needs_the_rule_to_say_so() -> None:
    rules = [{"id": "TEN", "kind": "percent_off", "percent": "10", "code": "TEN"}]
    b = Basket("PLN", (Line("A", "A", 1, Money(10000, "PLN"), "x"),))
    q = quote(b, None, None, programme(rules), Usage(), TUE_10, Tender(codes=frozenset({"TEN"})))
    assert q.discount.minor == 0 and q.refusal("TEN") == "identify the customer first"
    rules[0]["without_customer"] = True
    q = quote(b, None, None, programme(rules), Usage(), TUE_10, Tender(codes=frozenset({"TEN"})))
    assert q.discount_by("TEN") == 1000 and q.points_earned == 0


def test_sale_rewards_exclusive_the_larger_wins_and_only_it_is_charged() -> None:
    both = Tender(codes=frozenset({"TENOFF", "PCT20"}))
    q = price(basket("JACKET"), customer(balance=5000), tender=both)
    assert q.discount_by("PCT20") == 3000 and q.discount_by("TENOFF") == 0
    assert q.refusal("TENOFF") == "exclusive with PCT20, which gives more"
    assert q.reward_points == 2500


def test_a_sale_reward_applies_after_the_tier_discount_on_eligible_lines() -> None:
    q = price(
        basket("COFFEE", "SCARF", "WINE"),
        customer("Gold", 2000),
        tender=Tender(codes=frozenset({"TENOFF"})),
    )
    assert [d.rule for d in q.discounts] == ["TIER", "TENOFF"]
    assert q.discount_by("TIER") == 989 and q.discount_by("TENOFF") == 1000
    assert q.lines[2].discount_minor == 0  # WINE takes no discount


# -- over random baskets of the demo programme -----------------------------------------------
SKUS = ["COFFEE", "MILK", "SYRUP", "SCARF", "JACKET", "CIGS", "WINE"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(SKUS), st.integers(1, 3)),
        min_size=1,
        max_size=5,
        unique_by=lambda t: t[0],
    ),
    st.sampled_from(["Bronze", "Silver", "Gold"]),
    st.integers(0, 8000),
    st.integers(0, 4),
    st.sets(st.sampled_from(["TENOFF", "PCT20", "AUTUMN15"])),
    st.integers(0, 4000),
)
def test_exclusions_and_rewards_hold_over_random_baskets(
    items: list[tuple[str, int]],
    tier: str,
    balance: int,
    coffees: int,
    codes: set[str],
    redeem: int,
) -> None:
    c = customer(tier, balance)
    b = basket(*items)
    claims = (("FREECOFFEE", coffees),) if coffees else ()
    tender = Tender(
        redeem, frozenset(codes | ({"FREECOFFEE"} if coffees else set())), claims=claims
    )
    q = price(b, c, tender=tender)
    for ql in q.lines:
        ok = PROGRAMME.exclusion_for(ql.line.sku, ql.line.category)
        assert ok.discount or ql.discount_minor == 0
        assert ok.pay_with_points or ql.points_payment_minor == 0
        assert ok.earn or ql.points_earned == 0
        assert ql.money_minor >= 0
    assert q.reward_points == sum(d.points for d in q.discounts)
    assert all(d.amount_minor > 0 for d in q.discounts)
    assert q.reward_points <= balance and q.total.minor >= 0
    payable = sum(
        ql.after_discount_minor
        for ql in q.lines
        if PROGRAMME.exclusion_for(ql.line.sku, ql.line.category).pay_with_points
    )
    assert q.points_value.minor * 2 <= payable
    # A reward never raises the balance, and a return gives back no more than was taken.
    without = price(b, c, tender=Tender(redeem, frozenset(codes & {"AUTUMN15"})))
    if q.points_redeemed == without.points_redeemed:
        assert q.balance_after is not None and without.balance_after is not None
        assert q.balance_after <= without.balance_after
    sold = journal_lines(q)
    back = refund(sold, {ln.sku: ln.qty for ln in sold})
    assert back.points_restored <= q.points_redeemed + q.reward_points
    assert back.points_reversed == q.points_earned


def test_units_given_by_claims_earn_no_bonus_and_a_sale_reward_gives_none_away() -> None:
    pen = {"id": "FREE-PEN", "kind": "reward", "points": 4, "match": {"skus": ["PEN"]}}
    bonus = {"id": "PEN5", "kind": "bonus_per_unit", "points": 5, "match": {"skus": ["PEN"]}}
    off = {"id": "OFF", "kind": "reward", "points": 10, "amount_minor": 50}
    rs = programme([pen, bonus, off])
    pens = [("PEN", 3, 100, "office")]
    lines = tuple(Line(s, s, q, Money(p, "PLN"), c) for s, q, p, c in pens)
    c = Customer("C1", "", "T", "Bronze", Points(100))
    two = Tender(codes=frozenset({"FREE-PEN"}), claims=(("FREE-PEN", 2),))
    q = quote(Basket("PLN", lines), c, 100, rs, Usage(), TUE_10, two)
    assert q.reward_points == 8 and q.points_by("PEN5") == 5  # one pen paid for
    sale = Tender(codes=frozenset({"OFF"}))
    q = quote(Basket("PLN", lines), c, 100, rs, Usage(), TUE_10, sale)
    assert q.discount_by("OFF") == 50 and q.points_by("PEN5") == 15  # all three paid for
