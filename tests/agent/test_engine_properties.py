"""Properties of the engine over random baskets, customers, codes and moments."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.model import Basket
from agent.pricing.inputs import Tender, Usage
from agent.records import journal_lines
from agent.refunds import refund
from agent.ruleset import Ruleset
from tests.agent.rules_fixtures import CATALOGUE, TUE_10, basket, customer, price
from tests.agent.test_points_accounting import price as points_price
from tests.agent.test_points_accounting import programme as points_programme

SKUS = sorted(CATALOGUE)

baskets = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 12)),
    min_size=1,
    max_size=6,
    unique_by=lambda t: t[0],
).map(lambda items: basket(*items))
customers = st.builds(
    lambda tier, bal, country, first, month, coupon: customer(
        tier,
        bal,
        country=country,
        purchases_total=0 if first else 5,
        month=("2026-11", month),
        coupons={"SYRUP20": False} if coupon else None,
    ),
    st.sampled_from(["Bronze", "Silver", "Gold"]),
    st.integers(0, 200_000),
    st.sampled_from(["PL", "DE", "RO"]),
    st.booleans(),
    st.integers(0, 8),
    st.booleans(),
)
tenders = st.builds(
    lambda pts, codes, gift: Tender(pts, frozenset(codes), gift),
    st.integers(0, 100_000),
    st.sets(st.sampled_from(["AUTUMN15", "SYRUP20", "NOPE"])),
    st.none() | st.integers(0, 200_000),
)
moments = st.integers(0, 24 * 14).map(lambda h: TUE_10 + timedelta(hours=h))


@settings(max_examples=300, deadline=None)
@given(baskets, customers, tenders, moments, st.integers(0, 3), st.randoms())
def test_quote_invariants(
    b: Basket, c: object, t: Tender, when: object, unsynced: int, rnd: random.Random
) -> None:
    usage = Usage(unsynced_month_purchases=unsynced, quota_left={"WELCOME50": 1})
    q = price(b, c, when, usage=usage, tender=t)  # type: ignore[arg-type]
    assert q.total.minor >= 0 and q.to_pay.minor >= 0
    assert 0 <= q.discount.minor <= q.subtotal.minor
    assert q.total.minor == q.subtotal.minor - q.discount.minor
    assert sum(ql.money_minor for ql in q.lines) == q.total.minor - q.points_value.minor
    assert all(ql.money_minor >= 0 for ql in q.lines)
    assert q.points_redeemed <= max(c.hq_balance, 0)  # type: ignore[attr-defined]
    assert sum(ql.points_earned for ql in q.lines) == q.points_earned
    # Deterministic, and independent of the order of the lines.
    again = price(b, c, when, usage=usage, tender=t)  # type: ignore[arg-type]
    assert again == q
    shuffled = list(b.lines)
    rnd.shuffle(shuffled)
    other = price(Basket("PLN", tuple(shuffled)), c, when, usage=usage, tender=t)  # type: ignore[arg-type]
    assert (
        other.total,
        other.to_pay,
        other.points_earned,
        other.points_redeemed,
        other.gift_card,
    ) == (q.total, q.to_pay, q.points_earned, q.points_redeemed, q.gift_card)
    assert sorted(other.discounts, key=lambda d: d.rule) == sorted(
        (
            type(d)(
                d.rule,
                d.amount_minor,
                tuple(d.per_line[[ln.sku for ln in b.lines].index(x.sku)] for x in shuffled),
                d.words,
            )
            for d in q.discounts
        ),
        key=lambda d: d.rule,
    )


@settings(max_examples=200, deadline=None)
@given(baskets, customers, st.integers(0, 50_000), st.data())
def test_returns_never_give_back_more_than_the_sale_moved(
    b: Basket, c: object, pts: int, data: st.DataObject
) -> None:
    q = price(b, c, tender=Tender(redeem_points=pts))  # type: ignore[arg-type]
    lines = journal_lines(q)
    done: dict[str, int] = {}
    reversed_total = restored_total = money_total = 0
    # Return everything, in random partial steps.
    for ln in lines:
        left = ln.qty
        while left:
            n = data.draw(st.integers(1, left))
            r = refund(lines, {ln.sku: n}, done)
            assert not r.refusals
            done[ln.sku] = done.get(ln.sku, 0) + n
            reversed_total += r.points_reversed
            restored_total += r.points_restored
            money_total += r.money_minor
            left -= n
    assert reversed_total == q.points_earned
    assert restored_total == q.points_redeemed
    assert money_total == q.total.minor - q.points_value.minor
    over = refund(lines, {lines[0].sku: 1}, done)
    assert over.refusals and over.points_reversed == 0


# -- issue 13: rewards, the cap and given-away units over random programmes -----------------
REWARD_ITEMS = [("ESP", 800, "coffee"), ("CAKE", 1200, "bakery"), ("PEN", 100, "office")]
reward_baskets = st.lists(
    st.tuples(st.sampled_from(REWARD_ITEMS), st.integers(1, 4)),
    min_size=1,
    max_size=3,
    unique_by=lambda t: t[0][0],
)
reward_programmes = st.builds(
    lambda cap, pen_points, bonus, cake: points_programme(
        [
            {"id": "FREE-COFFEE", "kind": "reward", "points": 1500, "match": {"skus": ["ESP"]}},
            {"id": "FREE-PEN", "kind": "reward", "points": pen_points, "match": {"skus": ["PEN"]}},
            {
                "id": "PEN3FOR2",
                "kind": "buy_x_get_y",
                "buy": 2,
                "get": 1,
                "match": {"skus": ["PEN"]},
            },
            {"id": "BONUS", "kind": "bonus_per_unit", "points": bonus, "match": {"skus": ["PEN"]}},
            {"id": "CAKE", "kind": "percent_off", "percent": cake, "match": {"skus": ["CAKE"]}},
        ],
        **({"stacking": {"max_discount_percent": cap}} if cap else {}),
    ),
    st.sampled_from([None, "5", "20", "50"]),
    st.integers(1, 200),
    st.integers(1, 10),
    st.sampled_from(["10", "50", "100"]),
)


@settings(max_examples=200, deadline=None)
@given(
    reward_programmes,
    reward_baskets,
    st.integers(0, 5000),
    st.sets(st.sampled_from(["FREE-COFFEE", "FREE-PEN"])),
    st.integers(0, 3000),
)
def test_points_follow_the_discounts_given(
    rs: Ruleset,
    items: list[tuple[tuple[str, int, str], int]],
    balance: int,
    codes: set[str],
    redeem: int,
) -> None:
    lines = [(sku, qty, unit, cat) for (sku, unit, cat), qty in items]
    q = points_price(rs, lines, balance, codes=tuple(sorted(codes)), redeem=redeem)
    # No point is charged for a discount not given.
    assert all(d.amount_minor > 0 for d in q.discounts)
    assert q.reward_points == sum(d.points for d in q.discounts)
    # Totals are never negative.
    assert q.total.minor >= 0 and q.to_pay.minor >= 0
    assert all(ql.money_minor >= 0 and ql.after_discount_minor >= 0 for ql in q.lines)
    # A reward never raises the balance: taking it never leaves more points than not.
    without = points_price(rs, lines, balance, redeem=redeem)
    assert q.balance_after is not None and without.balance_after is not None
    if not q.refusal("PAY-WITH-POINTS") and not without.refusal("PAY-WITH-POINTS"):
        assert (
            q.balance_after - q.points_redeemed <= without.balance_after - without.points_redeemed
        )
    # A return never gives back more than the sale took.
    sold = journal_lines(q)
    back = refund(sold, {ln.sku: ln.qty for ln in sold})
    assert back.points_restored <= q.points_redeemed + q.reward_points
    assert back.money_minor <= q.total.minor - q.points_value.minor
    assert back.points_reversed == q.points_earned
