"""Who may use a rule in this sale, and the reason shown when it may not.

A rule not meant for this sale at all (another audience, no code entered) is
:data:`QUIET`: refused without a word.
"""

from __future__ import annotations

from datetime import datetime

from agent.model import Customer
from agent.money import Money
from agent.pricing.worksheet import Worksheet
from agent.ruleset import Kind, Rule
from agent.words import Words, points_of, say

QUIET = Words("")  # a rule simply not for this sale: no reason shown
COUPON_NEEDS_CUSTOMER = say("a personal coupon needs the customer")
# Kinds that mean nothing without a customer: quietly not for an anonymous sale.
NEEDS_CUSTOMER = frozenset(
    (Kind.MULTIPLIER, Kind.BONUS_PER_UNIT, Kind.BONUS_PER_SALE, Kind.NTH_PURCHASE)
)


def _is_birthday(customer: Customer, local: datetime) -> bool:
    b = customer.birthday
    if b is None:
        return False
    if (b.month, b.day) == (2, 29):  # in other years, celebrated on 28 February
        leap = local.year % 4 == 0 and (local.year % 100 != 0 or local.year % 400 == 0)
        return (local.month, local.day) == ((2, 29) if leap else (2, 28))
    return (local.month, local.day) == (b.month, b.day)


def why_not(w: Worksheet, r: Rule) -> Words | None:
    """None if ``r`` may apply; a reason to show; or QUIET when it is simply not for
    this sale (another audience, no code entered)."""
    code = r.entered_code
    if r.coupon and w.customer is None and code in w.tender.codes:
        return COUPON_NEEDS_CUSTOMER  # before any other check (a refusal anyone reads)
    if r.id in w.rs.revoked:
        return say("revoked by HQ")
    if code is not None and code not in w.tender.codes:
        return QUIET
    off = r.when.refusal(w.local)
    if off:
        return off
    c, a = w.customer, r.audience
    if c is None:
        if code and not r.without_customer:
            return say("identify the customer first")
        needs_customer = r.kind in NEEDS_CUSTOMER or r.coupon or r.limit_per_customer
        return QUIET if needs_customer else None
    if a.countries and c.country not in a.countries:
        return QUIET
    if (a.segments and not a.segments & c.segments) or (a.tiers and c.tier not in a.tiers):
        return QUIET
    if a.birthday and not _is_birthday(c, w.local):
        return QUIET
    if a.first_purchase and c.purchases_total + w.usage.unsynced_purchases > 0:
        return QUIET
    counted = a.first_purchase or r.kind is Kind.NTH_PURCHASE or r.limit_per_customer is not None
    if counted and not w.tender.purchase:
        if any(ln.unlisted for ln in w.lines):
            return say("no line of this sale counts as a purchase")
        return say("a sale of gift cards only is not a purchase")
    if r.coupon:
        issued = dict(c.coupons)
        if code in w.usage.used_codes or issued.get(r.id) is True:
            return say("coupon already used")
        if r.id not in issued:
            return say("coupon not issued to this customer")
    if r.quota and w.usage.quota_left.get(r.id, 0) <= 0:
        return say("quota at this terminal used up")
    if r.budget and w.usage.quota_left.get(f"budget:{r.id}", 0) <= 0:
        return say("discount budget at this terminal used up")
    if r.limit_per_customer is not None:
        used = dict(c.rule_uses).get(r.id, 0) + w.usage.rule_uses.get(r.id, 0)
        if used >= r.limit_per_customer:
            return say("limit of {limit} per customer reached", limit=r.limit_per_customer)
    return None


def nth_purchase_ok(w: Worksheet, r: Rule) -> bool:
    c = w.customer
    assert c is not None
    month = f"{w.local.year:04d}-{w.local.month:02d}"  # as strftime("%Y-%m"), cheaper
    known = c.month_purchases[1] if c.month_purchases[0] == month else 0
    number = known + w.usage.unsynced_month_purchases + 1
    if number % r.every:
        if w.explain:  # the words only where they are read
            w.refuse(
                r.id,
                say(
                    "this is purchase {number} this month; it applies to one purchase in {every}",
                    number=number,
                    every=r.every,
                ),
            )
        return False
    return True


def may_apply_now(w: Worksheet, r: Rule) -> bool:
    if r.min_basket_minor and w.eligible_minor() < r.min_basket_minor:
        w.refuse(r.id, minimum_not_reached(w, r))
        return False
    if not r.combinable_with_codes and codes_in_use(w):
        w.refuse(r.id, not_with_code(w))
        return False
    if (
        r.kind is Kind.TIER_DISCOUNT
        and not r.combinable_with_coupons
        and any(a.coupon for a in w.applied)
    ):
        w.refuse(r.id, say("not combinable with coupons"))
        return False
    if r.kind is Kind.REWARD and w.balance < r.points:
        limit = offline_limit(w)
        w.refuse(
            r.id,
            say("needs {points}: {why}", points=points_of(r.points), why=limit)
            if limit
            else say(
                "needs {points}, the balance is {balance}",
                points=points_of(r.points),
                balance=w.balance,
            ),
        )
        return False
    return not (r.kind is Kind.NTH_PURCHASE and not nth_purchase_ok(w, r))


def codes_in_use(w: Worksheet) -> list[str]:
    return [r.id for r in w.applied if r.entered_code]


def minimum_not_reached(w: Worksheet, r: Rule) -> Words:
    least = Money(r.min_basket_minor, w.basket.currency)
    if w.excluding:  # say what counted: excluded lines do not
        return say(
            "minimum basket {amount} not reached: the lines that may take a discount "
            "come to {eligible}",
            amount=least,
            eligible=Money(w.eligible_minor(), w.basket.currency),
        )
    return say("minimum basket {amount} not reached", amount=least)


def not_with_code(w: Worksheet) -> Words:
    return say("not combinable with promo code {code}", code=codes_in_use(w)[0])


def offline_limit(w: Worksheet) -> Words | None:
    """The reason, when HQ's offline policy and not the balance is what limits spending."""
    return offline_limit_words(w.balance) if w.limited else None


def offline_limit_words(points: int) -> Words:
    """Why no more than ``points`` may be spent here now (the till's and the agent API's
    customer panel say it so too)."""
    return say(
        "only {points} may be spent here until HQ confirms "
        "this customer's recent redemptions (offline limit)",
        points=points_of(points),
    )
