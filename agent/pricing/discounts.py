"""Discounts: what a rule takes off which lines, exclusive groups, budgets and the cap.

A sale's discount is shared among its lines in proportion to what remains of them
(largest remainder); :func:`apply_stage` applies one stage of rules by priority.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from agent.money import Money, allocate, percent_of
from agent.pricing.eligibility import may_apply_now
from agent.pricing.result import NO_WORDS, Discount
from agent.pricing.worksheet import Worksheet
from agent.ruleset import Kind, Rule
from agent.words import Words, points_of, say

WHOLE = Fraction(100)  # percent: a unit given free when a rule names no percent


def scope(w: Worksheet, r: Rule) -> list[int]:
    """The lines ``r`` touches: those it matches that its purpose is allowed on (an
    excluded line takes no discount and earns no bonus, even where a rule names it).
    Worked out once a quote per rule: neither the lines nor their exclusions change."""
    known = w.scopes.get(r.id)
    if known is not None:
        return known
    discount = r.is_discount
    allowed = w.allowed
    found = [
        i for i in w.matching(r.match) if (allowed[i].discount if discount else allowed[i].earn)
    ]
    w.scopes[r.id] = found
    return found


def spread(w: Worksheet, total: int, idx: list[int]) -> list[int]:
    parts = [0] * len(w.lines)
    weights, keys = [w.rem[i] for i in idx], [w.keys[i] for i in idx]
    for i, p in zip(idx, allocate(total, weights, keys), strict=True):
        parts[i] = p
    return parts


def amounts(w: Worksheet, r: Rule) -> list[int]:
    """Per line, what ``r`` would take off now, within its own cap (nothing: all zeros)."""
    per_line = uncapped(w, r)
    cap, given = r.max_discount_minor, sum(per_line)
    if cap is None or given <= cap:
        return per_line
    w.capped_from[r.id] = given
    return allocate(cap, per_line, w.keys)


def uncapped(w: Worksheet, r: Rule) -> list[int]:
    idx = scope(w, r)
    n = len(w.lines)
    base = sum(w.rem[i] for i in idx)
    if r.kind is Kind.PERCENT_OFF and not r.match.whole_sale:
        touched = set(idx)
        return [percent_of(w.rem[i], r.percent) if i in touched else 0 for i in range(n)]
    if r.kind in (Kind.PERCENT_OFF, Kind.NTH_PURCHASE) or (r.kind is Kind.REWARD and r.percent):
        return spread(w, percent_of(base, r.percent), idx)
    if r.kind is Kind.TIER_DISCOUNT:
        assert w.customer is not None
        pct = w.rs.tier(w.customer.tier).discount_percent
        return spread(w, percent_of(base, pct), idx)
    if r.kind is Kind.FIXED_OFF or (r.kind is Kind.REWARD and r.amount_minor):
        return spread(w, min(r.amount_minor, base), idx)
    if r.kind is Kind.CHEAPEST_UNIT:
        if not idx:
            return [0] * n
        i = min(idx, key=lambda j: (w.lines[j].unit_price.minor, j))
        out = [0] * n
        out[i] = min(w.rem[i], percent_of(w.lines[i].unit_price.minor, r.percent))
        return out
    if r.kind is Kind.REWARD:
        return free_units(w, r, idx)
    # BUY_X_GET_Y: of every buy+get units, the cheapest `get` are discounted.
    units = sorted((w.lines[i].unit_price.minor, i) for i in idx for _ in range(w.lines[i].qty))
    free = len(units) // (r.buy + r.get) * r.get
    out = [0] * n
    for price, i in units[:free]:
        out[i] += percent_of(price, r.percent or WHOLE)
    return [min(out[i], w.rem[i]) for i in range(n)]


def free_units(w: Worksheet, r: Rule, idx: list[int]) -> list[int]:
    """A free-product reward: one matching unit per claim, the cheapest first, as many
    claims as there are matching units and as the points left pay for."""
    out = [0] * len(w.lines)
    units = sorted((w.lines[i].unit_price.minor, i) for i in idx for _ in range(w.lines[i].qty))
    units = [(p, i) for p, i in units if p > 0]
    claims = w.tender.claims_of(r.id)
    can = max(0, min(claims, w.balance // r.points))
    given = 0
    free = [0] * len(w.lines)
    for price, i in units:
        if given == can:
            break
        part = min(price, w.rem[i] - out[i])
        if part > 0:  # a unit an earlier discount already paid off is not claimed
            out[i] += part
            free[i] += 1
            given += 1
    w.reward_cost[r.id] = given * r.points
    w.reward_units[r.id] = free
    if given < claims and given == can and can < min(claims, len(units)):
        w.refuse(
            r.id,
            say(
                "claim {n} needs {points}, {left} left",
                n=given + 1,
                points=points_of(r.points),
                left=points_of(w.balance - given * r.points),
            ),
        )
    elif given < claims and given:
        w.refuse(
            r.id, say("{claims} claims, only {given} units to give", claims=claims, given=given)
        )
    return out


def within_budget(w: Worksheet, r: Rule, per_line: list[int]) -> list[int]:
    """Trim a discount to what is left of its terminal budget."""
    left = w.usage.quota_left.get(f"budget:{r.id}", 0)
    if not r.budget or sum(per_line) <= left:
        return per_line
    left_money = Money(left, w.basket.currency)
    w.refuse(r.id, say("cut to the {amount} left of its budget", amount=left_money))
    return allocate(left, per_line, w.keys)


def apply_stage(w: Worksheet, rules: list[Rule]) -> None:
    if not rules:
        return
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
                    loses = say("exclusive with {rule}, which gives more", rule=win.id)
                    w.refuse(r.id, with_cap(w, r, loses))
            if not key.startswith("\0"):
                w.groups_taken[key] = win.id
            w.rem = [m - d for m, d in zip(w.rem, per_line, strict=True)]
            w.applied.append(win)
            cost = w.reward_cost.get(win.id, win.points) if win.kind is Kind.REWARD else 0
            w.balance -= cost
            w.reward_points += cost
            words = why(w, win) if w.explain else NO_WORDS
            w.discounts.append(Discount(win.id, total, tuple(per_line), words, cost))


def why(w: Worksheet, r: Rule) -> Words:
    if r.kind is Kind.TIER_DISCOUNT:
        assert w.customer is not None
        pct = w.rs.tier(w.customer.tier).discount_percent
        return say("{tier} tier: {percent}% off the sale", tier=w.customer.tier, percent=pct)
    cur, kind = w.basket.currency, r.kind
    if kind is Kind.PERCENT_OFF:
        what = say("{percent}% off", percent=r.percent)
    elif kind is Kind.NTH_PURCHASE:
        what = say(
            "{percent}% off one purchase in {every} this month",
            percent=r.percent,
            every=r.every,
        )
    elif kind is Kind.FIXED_OFF:
        what = say("{amount} off", amount=Money(r.amount_minor, cur))
    elif kind is Kind.BUY_X_GET_Y:
        what = say("buy {buy} get {get}", buy=r.buy, get=r.get)
    elif kind is Kind.CHEAPEST_UNIT:
        what = say("{percent}% off the cheapest unit", percent=r.percent)
    elif kind is Kind.REWARD:
        what = reward_words(w, r)
    else:
        raise KeyError(kind)  # every discount kind is named above
    if r.match.whole_sale:
        return with_cap(w, r, say("{what} on the sale", what=what))
    named = ", ".join(sorted(r.match.skus | r.match.categories))
    return with_cap(w, r, say("{what} on {scope}", what=what, scope=named))


def reward_words(w: Worksheet, r: Rule) -> Words:
    if r.free_product:
        cost = w.reward_cost.get(r.id, r.points)
        return say(
            "{units} free, taken for {points}",
            units=cost // r.points if r.points else 0,
            points=points_of(cost),
        )
    off = (
        say("{percent}% off", percent=r.percent)
        if r.percent
        else say("{amount} off", amount=Money(r.amount_minor, w.basket.currency))
    )
    return say("{what}, taken for {points}", what=off, points=points_of(r.points))


def with_cap(w: Worksheet, r: Rule, words: Words) -> Words:
    """``words``, saying so when the rule's own cap cut what it would have given."""
    raw = w.capped_from.get(r.id)
    if raw is None or r.max_discount_minor is None:
        return words
    cur = w.basket.currency
    return say(
        "{what} (capped at {cap} from {amount})",
        what=words,
        cap=Money(r.max_discount_minor, cur),
        amount=Money(raw, cur),
    )


def apply_cap(w: Worksheet, subtotal: int) -> None:
    pct = w.rs.max_discount_percent
    if pct is None:
        return
    excess = sum(d.amount_minor for d in w.discounts) - subtotal * pct // 100
    for k in range(len(w.discounts) - 1, -1, -1):
        if excess <= 0:
            break
        d = w.discounts[k]
        # A reward is given whole for its points or not at all: one the cap would cut
        # is not taken, and not a point is charged for it.
        cut = d.amount_minor if d.points else min(excess, d.amount_minor)
        kept = allocate(d.amount_minor - cut, list(d.per_line), w.keys)
        w.rem = [m + old - new for m, old, new in zip(w.rem, d.per_line, kept, strict=True)]
        w.balance += d.points
        w.reward_points -= d.points
        w.discounts[k] = Discount(d.rule, d.amount_minor - cut, tuple(kept), d.words, 0)
        cap = say("the sale's discount cap of {percent}% reached", percent=pct)
        if d.points:
            w.refuse(d.rule, say("not taken, no points charged: {why}", why=cap))
        else:
            w.refuse(
                d.rule,
                say(
                    "cut by {amount}: the sale's discount cap of {percent}% reached",
                    amount=Money(cut, w.basket.currency),
                    percent=pct,
                ),
            )
        excess -= cut
    gone = {d.rule for d in w.discounts if d.amount_minor <= 0}
    w.discounts = [d for d in w.discounts if d.amount_minor > 0]
    # A rule the cap left nothing of did not apply: no coupon use, quota or budget spent.
    w.applied = [r for r in w.applied if r.id not in gone]
