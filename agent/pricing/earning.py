"""Earning points on the money paid, bonus points, and which point lots are spent."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from fractions import Fraction

from agent.model import PointLot
from agent.money import (
    CURRENCY_EXPONENT,
    Points,
    allocate,
    floor_points_of,
)
from agent.pricing.discounts import scope
from agent.pricing.eligibility import codes_in_use, minimum_not_reached, not_with_code
from agent.pricing.result import NO_WORDS, RULE_BASE, Award
from agent.pricing.worksheet import Worksheet
from agent.ruleset import Kind, Rule
from agent.words import Words, points_of, say

ONE = Fraction(1)  # the factor of the base rate (no multiplier): made once


def earn(w: Worksheet, eligible: list[Rule], money: list[int]) -> tuple[list[Award], list[int]]:
    """Return the awards and the points each line earned (for returns)."""
    c = w.customer
    assert c is not None
    per_line = [0] * len(w.lines)
    awards: list[Award] = []
    total_after = w.eligible_minor()  # excluded lines count toward no minimum basket
    rate = w.rs.rate_for(c.tier)
    unit = 10 ** CURRENCY_EXPONENT[w.basket.currency]
    mults = [r for r in eligible if r.kind is Kind.MULTIPLIER and may_earn(w, r, total_after)]
    best: dict[str, list[int]] = defaultdict(list)
    winners: dict[str, Rule] = {}
    fits_of: list[list[Rule]] = [[] for _ in w.lines]  # per line, in the rules' order
    for r in mults:
        for i in w.matching(r.match):
            fits_of[i].append(r)
    for i, fits in enumerate(fits_of):
        if not w.allowed[i].earn:  # excluded: earns nothing, listed with its reason
            continue
        win = max(fits, key=lambda r: r.factor) if fits else None  # first on ties
        key = win.id if win else RULE_BASE
        best[key].append(i)
        if win:
            winners[key] = win
    for r in mults:  # a multiplier beaten on every earning line it matches says by whom
        if r.id not in winners and any(w.allowed[i].earn for i in w.matching(r.match)):
            top = max(winners.values(), key=lambda w: w.factor)
            w.refuse(
                r.id,
                say(
                    "a larger multiplier applied ({rule} x{factor})",
                    rule=top.id,
                    factor=top.factor,
                ),
            )
    for key in sorted(best, key=lambda k: (k != RULE_BASE, k)):
        idx = best[key]
        factor = winners[key].factor if key in winners else ONE
        # One exact product per rule: sum the money first (integers), then scale (the
        # integer products of rate and factor, exact fractions), floored once.
        pts = floor_points_of(
            sum(money[i] for i in idx) * rate.numerator * factor.numerator,
            unit * rate.denominator * factor.denominator,
        )
        if pts <= 0:
            continue
        awards.append(Award(key, pts, rate_words(w, rate, factor, idx) if w.explain else NO_WORDS))
        share(w, pts, idx, [money[i] for i in idx], per_line)
    given = given_away(w)
    for r in eligible:
        if r.kind is Kind.BONUS_PER_UNIT and may_earn(w, r, total_after):
            idx = scope(w, r)
            paid = [w.lines[i].qty - given[i] for i in idx]
            raw = sum(paid) * r.points
            bonus = min(raw, r.cap_per_sale) if r.cap_per_sale is not None else raw
            why = NO_WORDS
            if w.explain:
                why = (
                    say(
                        "{points} per unit, capped at {cap} from {raw}",
                        points=points_of(r.points),
                        cap=r.cap_per_sale,
                        raw=raw,
                    )
                    if bonus < raw
                    else say("{points} per unit", points=points_of(r.points))
                )
            if bonus <= 0:
                w.refuse(r.id, say("no unit of it was paid for"))
                continue
            awards.append(Award(r.id, Points(bonus), why))
            share(w, bonus, idx, paid, per_line)
            w.applied.append(r)
        elif r.kind is Kind.BONUS_PER_SALE and may_earn(w, r, total_after):
            idx = [i for i, a in enumerate(w.allowed) if a.earn]  # shared over earning lines
            if not idx:
                w.refuse(r.id, say("no line of this sale earns points"))
                continue
            awards.append(
                Award(
                    r.id,
                    Points(r.points),
                    say("a bonus of {points}", points=points_of(r.points)),
                )
            )
            share(w, r.points, idx, [max(money[i], 0) for i in idx], per_line)
            w.applied.append(r)
    return awards, per_line


def rate_words(w: Worksheet, rate: Fraction, factor: Fraction, idx: list[int]) -> Words:
    """Why the money paid on the lines ``idx`` earned what it did: the tier's rate, and
    the multiplier's factor when one applied."""
    assert w.customer is not None
    why = say(
        "{rate} points per 1 {currency} paid ({tier})",
        rate=rate,
        currency=w.basket.currency,
        tier=w.customer.tier,
    )
    if factor != 1:
        skus = ", ".join(w.lines[i].sku for i in idx)
        why = say("{base} x{factor} on {skus}", base=why, factor=factor, skus=skus)
    return why


def given_away(w: Worksheet) -> list[int]:
    """Per line, the units given away: taken for points (a reward) or free (buy X get Y)."""
    rules = {r.id: r for r in w.applied}
    out = [0] * len(w.lines)
    for d in w.discounts:
        r = rules.get(d.rule)
        if r is not None and r.free_product:  # its units, even where an earlier discount
            units = w.reward_units.get(r.id, [0] * len(w.lines))  # cut their price
            out = [n + u for n, u in zip(out, units, strict=True)]
            continue
        if r is None or not (r.kind is Kind.BUY_X_GET_Y and r.percent in (0, 100)):
            continue  # a sale reward takes money off; it gives no unit away
        for i, part in enumerate(d.per_line):
            unit = w.lines[i].unit_price.minor
            out[i] += part // unit if unit and part > 0 else 0
    return [min(n, ln.qty) for n, ln in zip(out, w.lines, strict=True)]


def may_earn(w: Worksheet, r: Rule, total_after: int) -> bool:
    if r.min_basket_minor and total_after < r.min_basket_minor:
        w.refuse(r.id, minimum_not_reached(w, r))
        return False
    if not r.combinable_with_codes and codes_in_use(w):
        w.refuse(r.id, not_with_code(w))
        return False
    return True


def share(
    w: Worksheet, points: int, idx: list[int], weights: list[int], per_line: list[int]
) -> None:
    if sum(weights) <= 0:
        weights = [1] * len(idx)
    keys, whole = [w.keys[i] for i in idx], sum(weights)
    for i, p, weight in zip(idx, allocate(points, weights, keys), weights, strict=True):
        per_line[i] += p
        w.points_share[i].append((points * weight, whole))  # the exact share, weight/whole


def share_up(parts: list[tuple[int, int]]) -> int:
    """A line's exact share of the points earned (the sum of its parts, each a numerator
    over a positive denominator), rounded up: integers alone for the usual one part."""
    if len(parts) == 1:
        n, d = parts[0]
        return -(-n // d)
    if not parts:  # a line that earned nothing
        return 0
    return math.ceil(sum((Fraction(n, d) for n, d in parts), Fraction(0)))


def lots(
    w: Worksheet, redeemed: int, have: int
) -> tuple[tuple[PointLot, ...], tuple[tuple[int, datetime], ...]]:
    """Spend ``redeemed`` of a balance of ``have``: first the points outside any lot (the
    oldest, never expiring), then the oldest lots still alive; return (the part of each
    lot spent, expiring soon after)."""
    if w.customer is None:
        return (), ()
    live: list[PointLot] = sorted(
        (lot for lot in w.customer.lots if lot.expires_at > w.at),
        key=lambda lot: (lot.expires_at, lot.earned_at),
    )
    outside = max(0, have - sum(lot.points for lot in live))
    used: list[PointLot] = []
    left = max(0, redeemed - outside)
    soon_until = w.at + timedelta(days=w.rs.expiring_soon_days)
    soon: list[tuple[int, datetime]] = []
    for lot in live:
        take = min(left, lot.points)
        if take:
            used.append(PointLot(Points(take), lot.earned_at, lot.expires_at))
        left -= take
        rest = lot.points - take
        if rest and lot.expires_at <= soon_until:
            soon.append((rest, lot.expires_at))
    return tuple(used), tuple(soon)
