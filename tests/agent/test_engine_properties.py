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
from tests.agent.rules_fixtures import CATALOGUE, TUE_10, basket, customer, price

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
