"""The engine's shortcuts give what the straightforward computation gives: a line's
share of the points (integer parts, added once), a rule's points (one fraction of integer
products, floored in integers), a split without ranking remainders when it is exact, a
rule's derived facts worked out once, the candidates a RuleIndex keeps, a quote priced
again, and a quote without its words (HQ's)."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.model import Basket, Customer
from agent.money import allocate, floor_points, floor_points_of
from agent.pricing.earning import share_up
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.pricing.result import NO_WORDS, Quote
from agent.ruleset import DISCOUNTS, Kind, Match, Rule, RuleIndex
from tests.agent.rules_fixtures import CATALOGUE, PROGRAMME, TUE_10, basket, customer, price

SKUS = sorted(CATALOGUE)
CATEGORIES = sorted({str(p["category"]) for p in CATALOGUE.values()} | {"nowhere"})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-(10**9), 10**9), st.integers(1, 10**6)), max_size=5))
def test_a_lines_share_rounded_up_is_the_exact_sum_rounded_up(
    parts: list[tuple[int, int]],
) -> None:
    assert share_up(parts) == math.ceil(sum((Fraction(n, d) for n, d in parts), Fraction(0)))


fractions = st.builds(Fraction, st.integers(1, 1000), st.integers(1, 1000))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**9), st.sampled_from([1, 100, 1000]), fractions, fractions)
def test_a_rules_points_are_the_exact_product(
    money: int, unit: int, rate: Fraction, factor: Fraction
) -> None:
    one = Fraction(
        money * rate.numerator * factor.numerator, unit * rate.denominator * factor.denominator
    )
    assert one == Fraction(money, unit) * rate * factor


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**15), 10**15), st.integers(1, 10**9))
def test_points_floored_in_integers_are_the_fraction_floored(n: int, d: int) -> None:
    assert floor_points_of(n, d) == math.floor(Fraction(n, d)) == floor_points(Fraction(n, d))


def _allocate_ranking_always(total: int, weights: list[int], keys: list[str]) -> list[int]:
    """allocate as it was: the remainders ranked every time, even with none left over."""
    if total < 0:
        return [-p for p in _allocate_ranking_always(-total, weights, keys)]
    wsum = sum(weights)
    if wsum <= 0:
        return [0 for _ in weights]
    parts = [total * w // wsum for w in weights]
    order = sorted(
        range(len(weights)),
        key=lambda i: (-(total * weights[i] % wsum), -weights[i], keys[i], i),
    )
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


@settings(max_examples=500, deadline=None)
@given(
    st.integers(-(10**9), 10**9),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(SKUS)), min_size=1, max_size=6),
)
def test_a_split_is_the_one_ranking_remainders_gives(
    total: int, weighted: list[tuple[int, str]]
) -> None:
    weights, keys = [w for w, _ in weighted], [k for _, k in weighted]
    assert allocate(total, weights, keys) == _allocate_ranking_always(total, weights, keys)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(list(Kind)),
    st.booleans(),
    st.booleans(),
    st.sampled_from([None, "CODE"]),
    st.sampled_from([Fraction(0), Fraction(15)]),
    st.sampled_from([0, 500]),
)
def test_a_rules_derived_facts_are_its_fields(
    kind: Kind, coupon: bool, whole: bool, code: str | None, percent: Fraction, amount: int
) -> None:
    match = Match() if whole else Match(skus=frozenset({"MILK"}))
    r = Rule("R", kind, match, coupon=coupon, code=code, percent=percent, amount_minor=amount)
    assert r.free_product == (kind is Kind.REWARD and not percent and not amount)
    assert r.entered_code == ("R" if coupon or kind is Kind.REWARD else code)
    assert r.is_discount == (kind in DISCOUNTS)
    assert r.line_level == (
        kind in (Kind.BUY_X_GET_Y, Kind.CHEAPEST_UNIT)
        or (kind in (Kind.PERCENT_OFF, Kind.FIXED_OFF) and not match.whole_sale)
    )
    again = replace(r, kind=Kind.REWARD, percent=Fraction(0), amount_minor=0)
    assert again.free_product and again.entered_code == "R"  # worked out again when copied


def _candidates(index: RuleIndex, skus: set[str], categories: set[str]) -> list[Rule]:
    found: dict[str, Rule] = {r.id: r for r in index.whole_sale}
    for s in skus:
        found.update((r.id, r) for r in index.by_sku.get(s, ()))
    for c in categories:
        found.update((r.id, r) for r in index.by_category.get(c, ()))
    return sorted(found.values(), key=lambda r: (r.priority, r.id))


@settings(max_examples=300, deadline=None)
@given(st.sets(st.sampled_from(SKUS)), st.sets(st.sampled_from(CATEGORIES)))
def test_the_candidates_kept_are_the_ones_computed(skus: set[str], cats: set[str]) -> None:
    index = PROGRAMME.index
    expected = _candidates(index, skus, cats)
    assert index.candidates(skus, cats) == expected
    assert index.candidates(set(skus), set(cats)) == expected  # kept, as a fresh list
    assert replace(index, seen={}).candidates(skus, cats) == expected


baskets = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 12)),
    min_size=1,
    max_size=6,
    unique_by=lambda t: t[0],
).map(lambda items: basket(*items))
customers = st.none() | st.builds(
    lambda tier, bal: customer(tier, bal),
    st.sampled_from(["Bronze", "Silver", "Gold"]),
    st.integers(0, 200_000),
)
tenders = st.builds(
    lambda pts, codes: Tender(pts, frozenset(codes)),
    st.integers(0, 100_000),
    st.sets(st.sampled_from(["AUTUMN15", "SYRUP20", "NOPE"])),
)


@settings(max_examples=300, deadline=None)
@given(baskets, customers, tenders)
def test_a_quote_priced_again_with_a_fresh_index_is_the_same(
    b: Basket, c: Customer | None, t: Tender
) -> None:
    first = price(b, c, tender=t)
    again = price(b, c, tender=t)
    fresh = replace(PROGRAMME, index=replace(PROGRAMME.index, seen={}))
    assert first == again == price(b, c, tender=t, ruleset=fresh)


def _figures(q: Quote) -> Quote:
    """``q`` without its words: what a quote made with explain=False holds."""
    return replace(
        q,
        lines=tuple(replace(ln, excluded=None) for ln in q.lines),
        discounts=tuple(replace(d, words=NO_WORDS) for d in q.discounts),
        awards=tuple(replace(a, words=NO_WORDS) for a in q.awards),
        refusals=(),
        spend_limit=None,
    )


@settings(max_examples=300, deadline=None)
@given(baskets, customers, tenders, st.sampled_from([None, 0, 700]))
def test_a_quote_without_its_words_has_the_same_figures(
    b: Basket, c: Customer | None, t: Tender, redeem_left: int | None
) -> None:
    """HQ prices again with explain=False: every figure is the explained quote's."""
    usage = Usage(redeem_left=redeem_left)
    have = c.hq_balance if c else None
    told = quote(b, c, have, PROGRAMME, usage, TUE_10, t)
    bare = quote(b, c, have, PROGRAMME, usage, TUE_10, t, explain=False)
    assert bare == _figures(told)
