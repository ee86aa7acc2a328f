"""Tier qualification at the till: the tier a sale is priced at, and the tier it leaves
the customer at (docs: RULESET.md, "Tier qualification").

The qualifying spend before a sale is HQ's figure (``tier_spend_minor``, as of its
snapshot) plus the qualifying money of this terminal's sales HQ has not applied yet.
A sale is priced at the higher of HQ's tier and the tier that spend reaches; the
terminal never lowers a tier, and a customer HQ sent no figure for keeps HQ's tier.
The engine stays a pure function of the customer it is given: it is given the
customer at the tier worked out here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from agent.event_parts import NewTier, NextTier, ReturnLine, SaleLine
from agent.model import Customer
from agent.pricing.inputs import Standing
from agent.pricing.result import Quote, QuoteLine
from agent.ruleset import Ruleset, TierStart
from agent.store.ledger import Ledger


def _qualifying(parts: Iterable[tuple[str, str, int, bool]], ruleset: Ruleset | None) -> int:
    """The money (sku, category, money_minor, unlisted) of the lines that count towards
    the tiers: the lines that earn points (a line not in the till's catalogue: none)."""
    if ruleset is None:
        return sum(money for _sku, _category, money, unlisted in parts if not unlisted)
    return sum(
        money for sku, cat, money, unlisted in parts if ruleset.allowed(sku, cat, unlisted).earn
    )


def qualifying_minor(lines: Iterable[QuoteLine], ruleset: Ruleset) -> int:
    """What the customer paid in money (a gift card is money, points are not) on the
    quote's lines that earn points."""
    parts = ((ql.line.sku, ql.line.category, ql.money_minor, ql.line.unlisted) for ql in lines)
    return _qualifying(parts, ruleset)


def recorded_qualifying_minor(lines: Iterable[SaleLine], ruleset: Ruleset | None) -> int:
    """:func:`qualifying_minor` of a sale as the journal records it (what HQ counts)."""
    parts = ((ln.sku, ln.category, ln.money_minor, ln.unlisted) for ln in lines)
    return _qualifying(parts, ruleset)


def returned_qualifying_minor(
    returned: Iterable[ReturnLine], sold: Iterable[SaleLine], ruleset: Ruleset | None
) -> int:
    """The qualifying money a return takes back (negative): the money it gives back on
    the returned lines (of the sale ``sold``) that count."""
    of = {ln.sku: ln for ln in sold}
    parts = []
    for ln in returned:
        was = of.get(ln.sku)
        category, unlisted = (was.category, was.unlisted) if was else ("", False)
        parts.append((ln.sku, category, ln.money_minor, unlisted))
    return -_qualifying(parts, ruleset)


def standing(customer: Customer, ruleset: Ruleset, unsynced_minor: int) -> Standing:
    """Where ``customer`` stands before a sale, with ``unsynced_minor`` of qualifying money
    in this terminal's sales HQ has not applied. A programme without tier_qualification
    prices at HQ's tier only."""
    spend = customer.tier_spend_minor
    if spend is None:
        return Standing(customer.tier, None, customer.tier, customer.tier)
    spend += unsynced_minor
    if ruleset.tier_qualification is None:
        return Standing(customer.tier, spend, customer.tier, customer.tier)
    held = ruleset.tier_held(customer.tier, spend)
    return Standing(customer.tier, spend, held, held)


def unsynced_minor(
    ledger: Ledger, customer: Customer | None, ruleset: Ruleset, now: datetime
) -> int:
    """The qualifying money of ``customer``'s sales here that HQ had not applied at its
    snapshot, within the programme's window (one query; 0 without a figure from HQ)."""
    if customer is None or customer.tier_spend_minor is None:
        return 0
    rules = ruleset.tier_qualification
    if rules is None or rules.window_days is None:
        return ledger.unsynced_qualifying(customer, "")
    since = (now - timedelta(days=rules.window_days)).astimezone(ruleset.tz)
    return ledger.unsynced_qualifying(customer, since.strftime("%Y-%m-%d"))


def tiered_quote(
    price: Callable[[Customer | None], Quote],
    customer: Customer | None,
    ruleset: Ruleset,
    unsynced_minor: int,
) -> tuple[Quote, Standing | None]:
    """The quote ``price`` gives for ``customer`` at the tier the sale is priced at, and
    where the customer stood. When the programme starts a tier with the sale that
    reaches it, a sale whose money at the old tier reaches a higher one is priced again
    at that tier (its lower price at the new tier does not undo the crossing)."""
    if customer is None:
        return price(None), None
    st = standing(customer, ruleset, unsynced_minor)
    q = price(replace(customer, tier=st.tier))
    rules = ruleset.tier_qualification
    if rules is None or rules.starts is not TierStart.THIS_SALE or st.spend_minor is None:
        return q, st
    reached = ruleset.tier_held(st.before, st.spend_minor + qualifying_minor(q.lines, ruleset))
    if reached == st.tier:
        return q, st
    return price(replace(customer, tier=reached)), replace(st, tier=reached)


@dataclass(frozen=True, slots=True)
class TierAfter:
    """The tier a customer holds after a sale, the next one up, and the tier the sale
    reached (if it reached one)."""

    tier: str
    next_tier: NextTier | None
    new_tier: NewTier | None


def after_sale(st: Standing, q: Quote, ruleset: Ruleset) -> TierAfter:
    """Where the customer stands after the sale priced by ``q`` from standing ``st``."""
    if st.spend_minor is None:
        return TierAfter(st.tier, None, None)
    spend = st.spend_minor + qualifying_minor(q.lines, ruleset)
    tier = ruleset.tier_held(st.tier, spend)
    up = ruleset.next_tier(tier, spend)
    nxt = None if up is None else NextTier(*up)
    if ruleset.tier_qualification is None:  # the tier follows HQ's, as before
        return TierAfter(tier, nxt, None)
    if st.tier != st.before:
        return TierAfter(tier, nxt, NewTier(st.tier, spend, this_sale=True))
    if tier != st.tier:
        return TierAfter(tier, nxt, NewTier(tier, spend, this_sale=False))
    return TierAfter(tier, nxt, None)
