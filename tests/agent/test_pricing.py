"""The foundation's quote: earning by tier on money paid, paying with points."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from agent.demo import RULESET
from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.ruleset_reader import parse_ruleset

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RS = parse_ruleset(RULESET)
COFFEE = Line("COFFEE", "Coffee", 1, Money(3990, "PLN"), "coffee")
MILK = Line("MILK", "Milk", 1, Money(450, "PLN"), "dairy")


def cust(tier: str = "Bronze", balance: int = 0) -> Customer:
    return Customer("C1", "2900000000018", "Anna", tier, Points(balance))


def test_bronze_earns_one_point_per_zloty_floored_once() -> None:
    q = quote(Basket("PLN", (COFFEE, MILK)), cust(), Points(0), RS, Usage(), AT)
    assert q.total == Money(4440, "PLN")
    assert q.points_earned == 44
    assert [a.rule for a in q.awards] == ["BASE"]


def test_silver_rate_is_kept_exact_until_the_final_floor() -> None:
    q = quote(Basket("PLN", (COFFEE,)), cust("Silver"), Points(0), RS, Usage(), AT)
    # 5 % of 39.90 is 1.995, rounded half up to 2.00; 37.90 * 1.5 = 56.85, floored once.
    assert q.discount_by("TIER") == 200
    assert q.points_earned == 56


def test_paying_the_most_possible_with_points() -> None:
    basket = Basket("PLN", (COFFEE,))
    most = quote(basket, cust(balance=3000), Points(3000), RS, Usage(), AT).max_redeemable
    assert most == 1995
    q = quote(basket, cust(balance=3000), Points(3000), RS, Usage(), AT, Tender(redeem_points=most))
    assert q.points_value == Money(1995, "PLN")
    assert q.to_pay == Money(1995, "PLN")
    assert q.points_earned == 19
    assert q.balance_after == 3000 - 1995 + 19


def test_fewer_than_the_minimum_points_is_refused() -> None:
    q = quote(
        Basket("PLN", (COFFEE,)),
        cust(balance=450),
        Points(450),
        RS,
        Usage(),
        AT,
        Tender(redeem_points=450),
    )
    assert q.points_redeemed == 0
    assert q.refusal("PAY-WITH-POINTS") == "fewer than 500 points"


def test_more_points_than_the_balance_or_the_cap_is_refused() -> None:
    basket = Basket("PLN", (COFFEE,))
    over_balance = quote(
        basket, cust(balance=600), Points(600), RS, Usage(), AT, Tender(redeem_points=700)
    )
    assert "balance is only 600" in str(over_balance.refusal("PAY-WITH-POINTS"))
    over_cap = quote(
        basket, cust(balance=5000), Points(5000), RS, Usage(), AT, Tender(redeem_points=2500)
    )
    assert "at most 1995" in str(over_cap.refusal("PAY-WITH-POINTS"))


def test_anonymous_sale_earns_nothing_and_cannot_pay_with_points() -> None:
    q = quote(Basket("PLN", (COFFEE,)), None, None, RS, Usage(), AT, Tender(redeem_points=600))
    assert q.points_earned == 0 and q.balance_after is None
    assert q.refusal("PAY-WITH-POINTS") == "identify the customer first"


lines_st = st.lists(
    st.builds(
        lambda i, q, p: Line(f"S{i}", "x", q, Money(p, "PLN"), "c"),
        st.integers(0, 9999),
        st.integers(1, 20),
        st.integers(1, 100_000),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda ln: ln.sku,
)


@given(lines_st, st.integers(0, 100_000), st.integers(0, 100_000), st.randoms())
def test_quote_invariants(lines: list[Line], balance: int, redeem: int, rnd: random.Random) -> None:
    c = cust("Gold", balance)
    q = quote(
        Basket("PLN", tuple(lines)),
        c,
        Points(balance),
        RS,
        Usage(),
        AT,
        Tender(redeem_points=redeem),
    )
    assert q.to_pay.minor >= 0
    assert q.discount.minor <= q.subtotal.minor
    assert q.points_redeemed <= max(balance, 0)
    assert sum(ql.money_minor for ql in q.lines) == q.to_pay.minor
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    again = quote(
        Basket("PLN", tuple(shuffled)),
        c,
        Points(balance),
        RS,
        Usage(),
        AT,
        Tender(redeem_points=redeem),
    )
    assert (again.total, again.to_pay, again.points_earned, again.points_redeemed) == (
        q.total,
        q.to_pay,
        q.points_earned,
        q.points_redeemed,
    )
