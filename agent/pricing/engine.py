"""The quote: a pure function of (basket, customer, ruleset, usage, time, tender).

Order of application (documented in RULESET.md):
0. exclusions: per line, whether it may earn, take a discount, be paid with points;
1. line discounts (SKU/category percent or fixed, buy X get Y, cheapest unit), by priority;
2. rewards giving a free product, one unit per claim;
3. sale discounts (tier, promo codes, every Nth purchase, sale percent or fixed) on what
   remains, shared among lines in proportion to their amounts (largest remainder);
   in an exclusive group the rule of best priority applies, ties go to the larger;
4. sale rewards (an amount or percent off, bought with points);
   each rule within its own cap (``max_discount_minor``) before any comparison;
5. the cap on a sale's total discount, cutting the last applied first;
6. paying with points (minimum, maximum share of the payable lines), then a gift card;
7. earning on money paid per earning line: tier rate x the largest multiplier that
   applies, fractions kept exactly and floored once per rule per sale; then bonus points.
"""

from __future__ import annotations

from datetime import datetime

from agent.model import Basket, Customer
from agent.money import (
    Money,
    Points,
    allocate,
)
from agent.pricing.asked import PricedWith
from agent.pricing.discounts import apply_cap, apply_stage
from agent.pricing.earning import earn, lots, share_up
from agent.pricing.eligibility import COUPON_NEEDS_CUSTOMER, QUIET, offline_limit, why_not
from agent.pricing.inputs import Tender, Usage
from agent.pricing.paying import pay_with_points
from agent.pricing.result import RULE_GIFT_CARD, Award, Quote, QuoteLine
from agent.pricing.worksheet import Worksheet
from agent.ruleset import Allowed, Kind, Ruleset
from agent.words import Words, say


def quote(
    basket: Basket,
    customer: Customer | None,
    balance: int | None,
    ruleset: Ruleset,
    usage: Usage,
    at: datetime,
    tender: Tender | None = None,
    *,
    explain: bool = True,
) -> Quote:
    """Price ``basket`` for ``customer`` at ``at``; never raises for a business refusal.

    With ``explain=False`` the figures are the same and the words are left out (no
    refusals; discounts and awards carry NO_WORDS, lines no exclusion): for a reader of
    figures only, as HQ pricing a sale again."""
    tender = tender or Tender()
    have = balance if balance is not None and customer is not None else 0
    w = Worksheet(basket, customer, ruleset, usage, at, tender, have, explain)
    cur = basket.currency
    known_codes = ruleset.codes()
    for code in sorted(tender.codes - known_codes.keys()):
        w.refuse(code, say("unknown code"))
    candidates = ruleset.index.candidates(
        {ln.sku for ln in basket.lines}, {ln.category for ln in basket.lines}
    )
    for code in sorted(tender.codes & known_codes.keys()):
        if known_codes[code].coupon and customer is None:  # before any other check
            w.refuse(known_codes[code].id, COUPON_NEEDS_CUSTOMER)
        elif known_codes[code] not in candidates:
            w.refuse(known_codes[code].id, say("nothing in the basket it applies to"))
    eligible = []
    for r in candidates:
        why = why_not(w, r)
        if why is None:
            eligible.append(r)
        elif why is not QUIET:
            w.refuse(r.id, why)
    discount_rules = [r for r in eligible if r.is_discount]
    if customer is not None and ruleset.tier(customer.tier).discount_percent > 0:
        tier_rule = ruleset.tier_rule
        if tier_rule.id in ruleset.revoked:
            w.refuse(tier_rule.id, say("revoked by HQ"))
        else:
            discount_rules.append(tier_rule)
    rewards = [r for r in discount_rules if r.kind is Kind.REWARD]
    apply_stage(w, [r for r in discount_rules if r.line_level])
    apply_stage(w, [r for r in rewards if r.free_product])
    apply_stage(w, [r for r in discount_rules if not r.line_level and r.kind is not Kind.REWARD])
    apply_stage(w, [r for r in rewards if not r.free_product])
    subtotal = sum(w.amount)
    apply_cap(w, subtotal)
    taken, value, most = pay_with_points(w, w.balance)
    payable = [m if a.pay_with_points else 0 for m, a in zip(w.rem, w.allowed, strict=True)]
    point_parts = allocate(value, payable, w.keys)  # only onto lines points may pay
    money = [r - q for r, q in zip(w.rem, point_parts, strict=True)]
    total = sum(w.rem)
    gift = 0
    if tender.gift_card_balance_minor is not None:
        can = max(0, min(tender.gift_card_balance_minor, total - value))
        if tender.gift_card_most_minor is not None:  # the cashier asked it to pay less
            can = min(can, max(0, tender.gift_card_most_minor))
        left = tender.gift_card_left_minor
        gift = can if left is None else min(can, max(0, left))
        if gift < can:  # HQ's offline policy, not the balance, limits what the card pays
            w.refuse(
                RULE_GIFT_CARD,
                say(
                    "the gift card may pay only {amount} here until HQ confirms "
                    "its recent payments (offline limit)",
                    amount=Money(gift, cur),
                ),
            )
        elif gift == 0 and tender.gift_card_balance_minor > 0:
            w.refuse(RULE_GIFT_CARD, say("nothing is left to pay"))
        elif gift == 0:
            w.refuse(RULE_GIFT_CARD, say("the gift card has no balance left"))
    awards: list[Award] = []
    earned_per_line = [0] * len(basket.lines)
    if customer is not None and basket.lines:
        awards, earned_per_line = earn(w, eligible, money)
    lots_used, soon = lots(w, taken + w.reward_points, have)  # rewards spend lots too
    cid = customer.customer_id if customer else ""
    deltas: list[tuple[str, int]] = []
    for r in w.applied:
        if r.quota:
            deltas.append((f"quota:{r.id}", 1))
        if r.coupon:
            deltas.append((f"coupon:{cid}:{r.id}", 1))
        if r.limit_per_customer is not None:
            deltas.append((f"uses:{cid}:{r.id}", 1))
        if r.budget:
            given = sum(d.amount_minor for d in w.discounts if d.rule == r.id)
            deltas.append((f"budget:{r.id}", given))
    return Quote(
        currency=cur,
        lines=tuple(
            QuoteLine(ln, a - r, q, e, excluded(ok, ln.unlisted) if explain else None, share_up(s))
            for ln, a, r, q, e, ok, s in zip(
                basket.lines,
                w.amount,
                w.rem,
                point_parts,
                earned_per_line,
                w.allowed,
                w.points_share,
                strict=True,
            )
        ),
        subtotal=Money(subtotal, cur),
        discounts=tuple(w.discounts),
        total=Money(total, cur),
        points_redeemed=taken,
        reward_points=Points(w.reward_points),
        points_value=Money(value, cur),
        gift_card=Money(gift, cur),
        to_pay=Money(total - value - gift, cur),
        awards=tuple(awards),
        refusals=tuple(w.refusals),
        max_redeemable=most,
        balance_before=Points(have) if customer is not None else None,
        at=at,
        lots_used=lots_used,
        expiring_soon=soon,
        usage_deltas=tuple(deltas),
        spend_limit=offline_limit(w) if explain else None,
        asked=PricedWith(customer, balance, usage, tender, ruleset.revoked),
    )


UNLISTED = say(
    "not in the till's catalogue: earns no points, takes no discount, "
    "cannot be paid with points and counts toward no threshold"
)


def excluded(ok: Allowed, unlisted: bool = False) -> Words | None:
    """Why a line takes part in less than others (the programme's exclusions, or not in
    the till's catalogue), or None."""
    if unlisted:
        return UNLISTED
    if ok.earn and ok.discount and ok.pay_with_points:
        return None
    parts = (
        () if ok.earn else (say("earns no points"),),
        () if ok.discount else (say("takes no discount"),),
        () if ok.pay_with_points else (say("cannot be paid with points"),),
    )
    found = tuple(p for part in parts for p in part)
    return say("{what} (excluded)", what=found) if found else None
