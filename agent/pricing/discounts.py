"""Discounts: what a rule takes off which lines, exclusive groups, budgets and the cap.

A sale's discount is shared among its lines in proportion to what remains of them
(largest remainder); :func:`apply_stage` applies one stage of rules by priority.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from agent.money import Money, allocate, percent_of
from agent.pricing.eligibility import may_apply_now
from agent.pricing.result import Discount
from agent.pricing.worksheet import Worksheet
from agent.ruleset import Kind, Rule
from agent.words import Words, points_of, say


def scope(w: Worksheet, r: Rule) -> list[int]:
    return [i for i, ln in enumerate(w.lines) if r.match.matches(ln.sku, ln.category)]


def spread(w: Worksheet, total: int, idx: list[int]) -> list[int]:
    parts = [0] * len(w.lines)
    weights, keys = [w.rem[i] for i in idx], [w.keys[i] for i in idx]
    for i, p in zip(idx, allocate(total, weights, keys), strict=True):
        parts[i] = p
    return parts


def amounts(w: Worksheet, r: Rule) -> list[int]:
    """Per line, what ``r`` would take off now (nothing: all zeros)."""
    idx = scope(w, r)
    n = len(w.lines)
    if r.kind is Kind.PERCENT_OFF and not r.match.whole_sale:
        return [percent_of(w.rem[i], r.percent) if i in idx else 0 for i in range(n)]
    if r.kind is Kind.PERCENT_OFF:
        return spread(w, percent_of(sum(w.rem), r.percent), idx)
    if r.kind is Kind.TIER_DISCOUNT:
        assert w.customer is not None
        pct = w.rs.tier(w.customer.tier).discount_percent
        return spread(w, percent_of(sum(w.rem), pct), idx)
    if r.kind is Kind.FIXED_OFF:
        return spread(w, min(r.amount_minor, sum(w.rem[i] for i in idx)), idx)
    if r.kind is Kind.NTH_PURCHASE:
        return spread(w, percent_of(sum(w.rem), r.percent), idx)
    if r.kind is Kind.CHEAPEST_UNIT:
        if not idx:
            return [0] * n
        i = min(idx, key=lambda j: (w.lines[j].unit_price.minor, j))
        out = [0] * n
        out[i] = min(w.rem[i], percent_of(w.lines[i].unit_price.minor, r.percent))
        return out
    if r.kind is Kind.REWARD:  # one unit, the cheapest matching, paid with points
        out = [0] * n
        if idx:
            i = min(idx, key=lambda j: (w.lines[j].unit_price.minor, j))
            out[i] = min(w.rem[i], w.lines[i].unit_price.minor)
        return out
    # BUY_X_GET_Y: of every buy+get units, the cheapest `get` are discounted.
    units = sorted((w.lines[i].unit_price.minor, i) for i in idx for _ in range(w.lines[i].qty))
    free = len(units) // (r.buy + r.get) * r.get
    out = [0] * n
    for price, i in units[:free]:
        out[i] += percent_of(price, r.percent or Fraction(100))
    return [min(out[i], w.rem[i]) for i in range(n)]


def within_budget(w: Worksheet, r: Rule, per_line: list[int]) -> list[int]:
    """Trim a discount to what is left of its terminal budget."""
    left = w.usage.quota_left.get(f"budget:{r.id}", 0)
    if not r.budget or sum(per_line) <= left:
        return per_line
    left_money = Money(left, w.basket.currency)
    w.refuse(r.id, say("cut to the {amount} left of its budget", amount=left_money))
    return allocate(left, per_line, w.keys)


def apply_stage(w: Worksheet, rules: list[Rule]) -> None:
    by_level: dict[int, list[Rule]] = defaultdict(list)
    for r in rules:
        by_level[r.priority].append(r)
    for level in sorted(by_level):
        groups: dict[str, list[Rule]] = defaultdict(list)
        for r in by_level[level]:
            groups[r.group or f"\0{r.id}"].append(r)
        for key in sorted(groups):
            members = [r for r in groups[key] if may_apply_now(w, r)]
            if key in w.groups_taken:
                for r in members:
                    w.refuse(r.id, say("exclusive with {rule}", rule=w.groups_taken[key]))
                continue
            offers = []
            for r in members:
                if sum(a := within_budget(w, r, amounts(w, r))) > 0:
                    offers.append((sum(a), r, a))
                elif scope(w, r):  # lines it touches, already paid off: it says so
                    w.refuse(r.id, say("nothing left for it to discount"))
            if not offers:
                continue
            total, win, per_line = max(offers, key=lambda o: o[0])  # first max on ties
            for _, r, _ in offers:
                if r is not win:
                    w.refuse(r.id, say("exclusive with {rule}, which gives more", rule=win.id))
            if not key.startswith("\0"):
                w.groups_taken[key] = win.id
            w.rem = [m - d for m, d in zip(w.rem, per_line, strict=True)]
            w.applied.append(win)
            if win.kind is Kind.REWARD:
                w.balance -= win.points
                w.reward_points += win.points
            w.discounts.append(
                Discount(
                    win.id,
                    total,
                    tuple(per_line),
                    why(w, win),
                    win.points if win.kind is Kind.REWARD else 0,
                )
            )


def why(w: Worksheet, r: Rule) -> Words:
    if r.kind is Kind.TIER_DISCOUNT:
        assert w.customer is not None
        pct = w.rs.tier(w.customer.tier).discount_percent
        return say("{tier} tier: {percent}% off the sale", tier=w.customer.tier, percent=pct)
    cur = w.basket.currency
    what = {
        Kind.PERCENT_OFF: lambda: say("{percent}% off", percent=r.percent),
        Kind.NTH_PURCHASE: lambda: say(
            "{percent}% off one purchase in {every} this month",
            percent=r.percent,
            every=r.every,
        ),
        Kind.FIXED_OFF: lambda: say("{amount} off", amount=Money(r.amount_minor, cur)),
        Kind.BUY_X_GET_Y: lambda: say("buy {buy} get {get}", buy=r.buy, get=r.get),
        Kind.CHEAPEST_UNIT: lambda: say("{percent}% off the cheapest unit", percent=r.percent),
        Kind.REWARD: lambda: say("taken for {points}", points=points_of(r.points)),
    }[r.kind]()
    if r.match.whole_sale:
        return say("{what} on the sale", what=what)
    named = ", ".join(sorted(r.match.skus | r.match.categories))
    return say("{what} on {scope}", what=what, scope=named)


def apply_cap(w: Worksheet, subtotal: int) -> None:
    pct = w.rs.max_discount_percent
    if pct is None:
        return
    excess = sum(d.amount_minor for d in w.discounts) - subtotal * pct // 100
    for k in range(len(w.discounts) - 1, -1, -1):
        if excess <= 0:
            break
        d = w.discounts[k]
        cut = min(excess, d.amount_minor)
        kept = allocate(d.amount_minor - cut, list(d.per_line), w.keys)
        w.rem = [m + old - new for m, old, new in zip(w.rem, d.per_line, kept, strict=True)]
        # A reward cut back is still taken for its points (a return gives them back); a
        # reward the cap removes altogether is not taken, and not a point is charged.
        paid = d.points if d.amount_minor > cut else 0
        w.balance += d.points - paid
        w.reward_points -= d.points - paid
        w.discounts[k] = Discount(d.rule, d.amount_minor - cut, tuple(kept), d.words, paid)
        w.refuse(
            d.rule,
            say(
                "cut by {amount}: the sale's discount cap of {percent}% reached",
                amount=Money(cut, w.basket.currency),
                percent=pct,
            ),
        )
        excess -= cut
    w.discounts = [d for d in w.discounts if d.amount_minor > 0]
