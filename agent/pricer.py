"""The quote's working state: who may use a rule, the discounts, paying with points.

Earning is added by :class:`agent.earning.Earner`; the order of everything is in
:mod:`agent.pricing`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from fractions import Fraction

from agent.model import Basket, Customer
from agent.money import (
    Money,
    Points,
    allocate,
    percent_of,
)
from agent.quote import (
    RULE_PAY_POINTS,
    Discount,
    Refusal,
    Tender,
    Usage,
    max_redeemable,
)
from agent.ruleset import Kind, Rule, Ruleset
from agent.words import Words, points_of, say

QUIET = Words("")  # a rule simply not for this sale: no reason shown


def _is_birthday(customer: Customer, local: datetime) -> bool:
    b = customer.birthday
    if b is None:
        return False
    if (b.month, b.day) == (2, 29):  # in other years, celebrated on 28 February
        leap = local.year % 4 == 0 and (local.year % 100 != 0 or local.year % 400 == 0)
        return (local.month, local.day) == ((2, 29) if leap else (2, 28))
    return (local.month, local.day) == (b.month, b.day)


class Pricer:
    """One quote's working state, and the discounts and paying with points; built and
    discarded inside :func:`agent.pricing.quote` (as :class:`agent.earning.Earner`)."""

    def __init__(
        self,
        basket: Basket,
        customer: Customer | None,
        ruleset: Ruleset,
        usage: Usage,
        at: datetime,
        tender: Tender,
        balance: int = 0,
    ) -> None:
        # Points left for rewards, then for paying: the balance, or less where HQ's
        # offline policy limits what may be spent before HQ confirms it.
        left = usage.redeem_left
        self.limited = left is not None and left < balance
        self.balance = min(balance, left) if left is not None and balance > 0 else balance
        self.reward_points = 0
        self.basket, self.customer, self.rs = basket, customer, ruleset
        self.usage, self.at, self.tender = usage, at, tender
        self.local = at.astimezone(ruleset.tz)
        self.lines = basket.lines
        self.amount = [ln.unit_price.minor * ln.qty for ln in self.lines]
        self.rem = list(self.amount)
        self.keys = [ln.sku for ln in self.lines]  # tie-breaks: order-independent splits
        self.refusals: list[Refusal] = []
        self.discounts: list[Discount] = []
        self.applied: list[Rule] = []
        self.groups_taken: dict[str, str] = {}

    def refuse(self, rule: str, words: Words) -> None:
        if not any(r.rule == rule for r in self.refusals):
            self.refusals.append(Refusal(rule, words))

    # -- who may use a rule ------------------------------------------------------------
    def why_not(self, r: Rule) -> Words | None:
        """None if ``r`` may apply; a reason to show; or QUIET when it is simply not for
        this sale (another audience, no code entered)."""
        if r.id in self.rs.revoked:
            return say("revoked by HQ")
        code = r.entered_code
        if code is not None and code not in self.tender.codes:
            return QUIET
        off = r.when.refusal(self.local)
        if off:
            return off
        c, a = self.customer, r.audience
        needs_customer = (
            r.kind in (Kind.MULTIPLIER, Kind.BONUS_PER_UNIT, Kind.BONUS_PER_SALE, Kind.NTH_PURCHASE)
            or r.coupon
            or r.limit_per_customer
        )
        if c is None:
            if code:
                return say("identify the customer first")
            return QUIET if needs_customer else None
        if a.countries and c.country not in a.countries:
            return QUIET
        if (a.segments and not a.segments & c.segments) or (a.tiers and c.tier not in a.tiers):
            return QUIET
        if a.birthday and not _is_birthday(c, self.local):
            return QUIET
        if a.first_purchase and c.purchases_total + self.usage.unsynced_purchases > 0:
            return QUIET
        if r.coupon:
            issued = dict(c.coupons)
            if code in self.usage.used_codes or issued.get(r.id) is True:
                return say("coupon already used")
            if r.id not in issued:
                return say("coupon not issued to this customer")
        if r.quota and self.usage.quota_left.get(r.id, 0) <= 0:
            return say("quota at this terminal used up")
        if r.budget and self.usage.quota_left.get(f"budget:{r.id}", 0) <= 0:
            return say("discount budget at this terminal used up")
        if r.limit_per_customer is not None:
            used = dict(c.rule_uses).get(r.id, 0) + self.usage.rule_uses.get(r.id, 0)
            if used >= r.limit_per_customer:
                return say("limit of {limit} per customer reached", limit=r.limit_per_customer)
        return None

    def codes_in_use(self) -> list[str]:
        return [r.id for r in self.applied if r.entered_code]

    # -- discounts -------------------------------------------------------------------------
    def scope(self, r: Rule) -> list[int]:
        return [i for i, ln in enumerate(self.lines) if r.match.matches(ln.sku, ln.category)]

    def spread(self, total: int, idx: list[int]) -> list[int]:
        parts = [0] * len(self.lines)
        weights, keys = [self.rem[i] for i in idx], [self.keys[i] for i in idx]
        for i, p in zip(idx, allocate(total, weights, keys), strict=True):
            parts[i] = p
        return parts

    def amounts(self, r: Rule) -> list[int]:
        """Per line, what ``r`` would take off now (nothing: all zeros)."""
        idx = self.scope(r)
        n = len(self.lines)
        if r.kind is Kind.PERCENT_OFF and not r.match.whole_sale:
            return [percent_of(self.rem[i], r.percent) if i in idx else 0 for i in range(n)]
        if r.kind is Kind.PERCENT_OFF:
            return self.spread(percent_of(sum(self.rem), r.percent), idx)
        if r.kind is Kind.TIER_DISCOUNT:
            assert self.customer is not None
            pct = self.rs.tier(self.customer.tier).discount_percent
            return self.spread(percent_of(sum(self.rem), pct), idx)
        if r.kind is Kind.FIXED_OFF:
            return self.spread(min(r.amount_minor, sum(self.rem[i] for i in idx)), idx)
        if r.kind is Kind.NTH_PURCHASE:
            return self.spread(percent_of(sum(self.rem), r.percent), idx)
        if r.kind is Kind.CHEAPEST_UNIT:
            if not idx:
                return [0] * n
            i = min(idx, key=lambda j: (self.lines[j].unit_price.minor, j))
            out = [0] * n
            out[i] = min(self.rem[i], percent_of(self.lines[i].unit_price.minor, r.percent))
            return out
        if r.kind is Kind.REWARD:  # one unit, the cheapest matching, paid with points
            out = [0] * n
            if idx:
                i = min(idx, key=lambda j: (self.lines[j].unit_price.minor, j))
                out[i] = min(self.rem[i], self.lines[i].unit_price.minor)
            return out
        # BUY_X_GET_Y: of every buy+get units, the cheapest `get` are discounted.
        units = sorted(
            (self.lines[i].unit_price.minor, i) for i in idx for _ in range(self.lines[i].qty)
        )
        free = len(units) // (r.buy + r.get) * r.get
        out = [0] * n
        for price, i in units[:free]:
            out[i] += percent_of(price, r.percent or Fraction(100))
        return [min(out[i], self.rem[i]) for i in range(n)]

    def nth_purchase_ok(self, r: Rule) -> bool:
        c = self.customer
        assert c is not None
        month = self.local.strftime("%Y-%m")
        known = c.month_purchases[1] if c.month_purchases[0] == month else 0
        number = known + self.usage.unsynced_month_purchases + 1
        if number % r.every:
            self.refuse(
                r.id,
                say(
                    "this is purchase {number} this month; it applies to one purchase in {every}",
                    number=number,
                    every=r.every,
                ),
            )
            return False
        return True

    def may_apply_now(self, r: Rule) -> bool:
        if r.min_basket_minor and sum(self.rem) < r.min_basket_minor:
            self.refuse(r.id, self.minimum_not_reached(r))
            return False
        if not r.combinable_with_codes and self.codes_in_use():
            self.refuse(r.id, self.not_with_code())
            return False
        if (
            r.kind is Kind.TIER_DISCOUNT
            and not r.combinable_with_coupons
            and any(a.coupon for a in self.applied)
        ):
            self.refuse(r.id, say("not combinable with coupons"))
            return False
        if r.kind is Kind.REWARD and self.balance < r.points:
            limit = self.offline_limit()
            self.refuse(
                r.id,
                say("needs {points}: {why}", points=points_of(r.points), why=limit)
                if limit
                else say(
                    "needs {points}, the balance is {balance}",
                    points=points_of(r.points),
                    balance=self.balance,
                ),
            )
            return False
        return not (r.kind is Kind.NTH_PURCHASE and not self.nth_purchase_ok(r))

    def within_budget(self, r: Rule, per_line: list[int]) -> list[int]:
        """Trim a discount to what is left of its terminal budget."""
        left = self.usage.quota_left.get(f"budget:{r.id}", 0)
        if not r.budget or sum(per_line) <= left:
            return per_line
        left_money = Money(left, self.basket.currency)
        self.refuse(r.id, say("cut to the {amount} left of its budget", amount=left_money))
        return allocate(left, per_line, self.keys)

    def apply_stage(self, rules: list[Rule]) -> None:
        by_level: dict[int, list[Rule]] = defaultdict(list)
        for r in rules:
            by_level[r.priority].append(r)
        for level in sorted(by_level):
            groups: dict[str, list[Rule]] = defaultdict(list)
            for r in by_level[level]:
                groups[r.group or f"\0{r.id}"].append(r)
            for key in sorted(groups):
                members = [r for r in groups[key] if self.may_apply_now(r)]
                if key in self.groups_taken:
                    for r in members:
                        self.refuse(r.id, say("exclusive with {rule}", rule=self.groups_taken[key]))
                    continue
                offers = [
                    (sum(a), r, a)
                    for r in members
                    if sum(a := self.within_budget(r, self.amounts(r))) > 0
                ]
                if not offers:
                    continue
                total, win, per_line = max(offers, key=lambda o: o[0])  # first max on ties
                for _, r, _ in offers:
                    if r is not win:
                        self.refuse(
                            r.id, say("exclusive with {rule}, which gives more", rule=win.id)
                        )
                if not key.startswith("\0"):
                    self.groups_taken[key] = win.id
                self.rem = [m - d for m, d in zip(self.rem, per_line, strict=True)]
                self.applied.append(win)
                if win.kind is Kind.REWARD:
                    self.balance -= win.points
                    self.reward_points += win.points
                self.discounts.append(
                    Discount(
                        win.id,
                        total,
                        tuple(per_line),
                        self.why(win),
                        win.points if win.kind is Kind.REWARD else 0,
                    )
                )

    def why(self, r: Rule) -> Words:
        if r.kind is Kind.TIER_DISCOUNT:
            assert self.customer is not None
            pct = self.rs.tier(self.customer.tier).discount_percent
            return say("{tier} tier: {percent}% off the sale", tier=self.customer.tier, percent=pct)
        cur = self.basket.currency
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
        scope = ", ".join(sorted(r.match.skus | r.match.categories))
        return say("{what} on {scope}", what=what, scope=scope)

    def apply_cap(self, subtotal: int) -> None:
        pct = self.rs.max_discount_percent
        if pct is None:
            return
        excess = sum(d.amount_minor for d in self.discounts) - subtotal * pct // 100
        for k in range(len(self.discounts) - 1, -1, -1):
            if excess <= 0:
                break
            d = self.discounts[k]
            cut = min(excess, d.amount_minor)
            kept = allocate(d.amount_minor - cut, list(d.per_line), self.keys)
            self.rem = [
                m + old - new for m, old, new in zip(self.rem, d.per_line, kept, strict=True)
            ]
            self.discounts[k] = Discount(d.rule, d.amount_minor - cut, tuple(kept), d.words)
            self.refuse(
                d.rule,
                say(
                    "cut by {amount}: the sale's discount cap of {percent}% reached",
                    amount=Money(cut, self.basket.currency),
                    percent=pct,
                ),
            )
            excess -= cut
        self.discounts = [d for d in self.discounts if d.amount_minor > 0]

    def offline_limit(self) -> Words | None:
        """The reason, when HQ's offline policy and not the balance is what limits spending."""
        if not self.limited:
            return None
        return say(
            "only {points} may be spent here until HQ confirms "
            "this customer's recent redemptions (offline limit)",
            points=points_of(self.balance),
        )

    def minimum_not_reached(self, r: Rule) -> Words:
        least = Money(r.min_basket_minor, self.basket.currency)
        return say("minimum basket {amount} not reached", amount=least)

    def not_with_code(self) -> Words:
        return say("not combinable with promo code {code}", code=self.codes_in_use()[0])

    # -- paying ----------------------------------------------------------------------------
    def pay_with_points(self, balance: int) -> tuple[Points, int, Points]:
        """Return (points taken, their value in minor units, the most that could be taken)."""
        total = sum(self.rem)
        most = max_redeemable(total, balance, self.rs)
        want, pwp = self.tender.redeem_points, self.rs.pay_with_points
        if want <= 0:
            return Points(0), 0, most
        reason = None
        if self.customer is None:
            reason = say("identify the customer first")
        elif pwp is None:
            reason = say("this programme does not take points")
        elif want < pwp.min_points:
            reason = say("fewer than {points}", points=points_of(pwp.min_points))
        elif want > balance:
            reason = self.offline_limit() or say(
                "the balance is only {points}", points=points_of(balance)
            )
        elif want > most:
            reason = say("at most {points} can pay for this sale", points=points_of(most))
        if reason is not None or pwp is None:
            self.refuse(RULE_PAY_POINTS, reason or QUIET)
            return Points(0), 0, most
        taken = want - want % (pwp.points // math.gcd(pwp.points, pwp.value_minor))
        return Points(taken), taken * pwp.value_minor // pwp.points, most
