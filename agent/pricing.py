"""The quote: a pure function of (basket, customer, ruleset, usage, time, tender).

Order of application (documented in RULESET.md):
1. line discounts (SKU/category percent or fixed, buy X get Y, cheapest unit), by priority;
2. sale discounts (tier, promo codes, every Nth purchase, sale percent or fixed) on what
   remains, shared among lines in proportion to their amounts (largest remainder);
   in an exclusive group the rule of best priority applies, ties go to the larger;
3. the cap on a sale's total discount, cutting the last applied first;
4. paying with points (minimum, maximum share), then a gift card (which is money);
5. earning on money paid per line: tier rate x the largest multiplier that applies,
   fractions kept exactly and floored once per rule per sale; then bonus points.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from agent.model import Basket, Customer, Line, PointLot
from agent.money import (
    CURRENCY_EXPONENT,
    Money,
    Points,
    allocate,
    floor_points,
    percent_of,
)
from agent.ruleset import Kind, Rule, Ruleset
from agent.words import Words, say

RULE_BASE = "BASE"
RULE_PAY_POINTS = "PAY-WITH-POINTS"
RULE_GIFT_CARD = "GIFT-CARD"


@dataclass(frozen=True, slots=True)
class Usage:
    """What this terminal knows beyond HQ's snapshot: its own unsynced counts and quotas."""

    unsynced_purchases: int = 0  # this customer's purchases here HQ has not applied
    unsynced_month_purchases: int = 0  # ... of them in the month of the sale
    quota_left: dict[str, int] = field(default_factory=dict)  # rule id -> uses left here
    used_codes: frozenset[str] = frozenset()  # coupons this customer used here, unsynced
    rule_uses: dict[str, int] = field(default_factory=dict)  # unsynced uses of limited rules
    # Points this customer may still spend here before HQ confirms (None: no limit).
    redeem_left: int | None = None


@dataclass(frozen=True, slots=True)
class Tender:
    """How the customer wants to pay and which codes the cashier entered."""

    redeem_points: int = 0
    codes: frozenset[str] = frozenset()
    gift_card_balance_minor: int | None = None  # a presented gift card's balance


@dataclass(frozen=True, slots=True)
class QuoteLine:
    line: Line
    discount_minor: int
    points_payment_minor: int
    points_earned: int = 0

    @property
    def after_discount_minor(self) -> int:
        return self.line.amount.minor - self.discount_minor

    @property
    def money_minor(self) -> int:
        """What the customer pays for this line in money (a gift card is money)."""
        return self.after_discount_minor - self.points_payment_minor


@dataclass(frozen=True, slots=True)
class Discount:
    rule: str
    amount_minor: int
    per_line: tuple[int, ...]
    words: Words  # what it is, for the cashier and the customer
    points: int = 0  # points that paid for it (reward items)

    @property
    def why(self) -> str:
        return str(self.words)


@dataclass(frozen=True, slots=True)
class Award:
    rule: str
    points: Points
    words: Words

    @property
    def why(self) -> str:
        return str(self.words)


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str
    words: Words

    @property
    def reason(self) -> str:
        return str(self.words)


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    discounts: tuple[Discount, ...]
    total: Money  # after discounts, before paying with points
    points_redeemed: Points  # points that paid money (pay with points)
    reward_points: Points  # points that took reward items
    points_value: Money
    gift_card: Money
    to_pay: Money  # money still due at the till after points and gift card
    awards: tuple[Award, ...]
    refusals: tuple[Refusal, ...]
    max_redeemable: Points
    balance_before: Points | None
    at: datetime
    lots_used: tuple[tuple[datetime, int], ...] = ()
    expiring_soon: tuple[tuple[int, datetime], ...] = ()
    usage_deltas: tuple[tuple[str, int], ...] = ()
    # Why fewer points may be spent than the balance holds (HQ's offline policy).
    spend_limit: Words | None = None

    @property
    def discount(self) -> Money:
        return Money(sum(d.amount_minor for d in self.discounts), self.currency)

    @property
    def points_earned(self) -> Points:
        return Points(sum(a.points for a in self.awards))

    @property
    def balance_after(self) -> Points | None:
        if self.balance_before is None:
            return None
        spent = self.points_redeemed + self.reward_points
        return Points(self.balance_before - spent + self.points_earned)

    def discount_by(self, rule: str) -> int:
        return sum(d.amount_minor for d in self.discounts if d.rule == rule)

    def points_by(self, rule: str) -> int:
        return sum(a.points for a in self.awards if a.rule == rule)

    def refusal(self, rule: str) -> str | None:
        return next((r.reason for r in self.refusals if r.rule == rule), None)

    def refusal_words(self, rule: str) -> Words | None:
        return next((r.words for r in self.refusals if r.rule == rule), None)

    def to_json(self) -> dict[str, object]:
        """Return the quote as plain JSON data (amounts in minor units)."""
        return {
            "currency": self.currency,
            "at": self.at.isoformat(),
            "lines": [
                {
                    "sku": q.line.sku,
                    "qty": q.line.qty,
                    "unit_minor": q.line.unit_price.minor,
                    "amount_minor": q.line.amount.minor,
                    "discount_minor": q.discount_minor,
                    "points_payment_minor": q.points_payment_minor,
                    "money_minor": q.money_minor,
                    "points_earned": q.points_earned,
                }
                for q in self.lines
            ],
            "subtotal_minor": self.subtotal.minor,
            "discounts": [
                {
                    "rule": d.rule,
                    "amount_minor": d.amount_minor,
                    "per_line_minor": list(d.per_line),
                    "why": d.why,
                }
                for d in self.discounts
            ],
            "discount_minor": self.discount.minor,
            "total_minor": self.total.minor,
            "points_redeemed": self.points_redeemed,
            "reward_points": self.reward_points,
            "points_value_minor": self.points_value.minor,
            "gift_card_minor": self.gift_card.minor,
            "to_pay_minor": self.to_pay.minor,
            "points_earned": self.points_earned,
            "awards": [{"rule": a.rule, "points": a.points, "why": a.why} for a in self.awards],
            "max_redeemable_points": self.max_redeemable,
            "spend_limit": str(self.spend_limit) if self.spend_limit else None,
            "refusals": [{"rule": r.rule, "reason": r.reason} for r in self.refusals],
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
            "lots_used": [{"earned_at": e.isoformat(), "points": p} for e, p in self.lots_used],
            "expiring_soon": [
                {"points": p, "expires_at": e.isoformat()} for p, e in self.expiring_soon
            ],
        }


def max_redeemable(total_minor: int, balance: int, ruleset: Ruleset) -> Points:
    """Return the most points that may pay for a sale of ``total_minor`` after discounts."""
    pwp = ruleset.pay_with_points
    if pwp is None or balance <= 0:
        return Points(0)
    cap_points = total_minor * pwp.max_share_percent // 100 * pwp.points // pwp.value_minor
    best = min(balance, cap_points)
    best -= best % (pwp.points // math.gcd(pwp.points, pwp.value_minor))  # whole minor units
    return Points(best if best >= pwp.min_points else 0)


QUIET = Words("")  # a rule simply not for this sale: no reason shown


def _is_birthday(customer: Customer, local: datetime) -> bool:
    b = customer.birthday
    if b is None:
        return False
    if (b.month, b.day) == (2, 29):  # in other years, celebrated on 28 February
        leap = local.year % 4 == 0 and (local.year % 100 != 0 or local.year % 400 == 0)
        return (local.month, local.day) == ((2, 29) if leap else (2, 28))
    return (local.month, local.day) == (b.month, b.day)


class _Pricer:
    """One quote's working state; built and discarded inside :func:`quote`."""

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
                say("needs {points} points: {why}", points=r.points, why=limit)
                if limit
                else say(
                    "needs {points} points, the balance is {balance}",
                    points=r.points,
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
            Kind.REWARD: lambda: say("taken for {points} points", points=r.points),
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
            "only {points} points may be spent here until HQ confirms "
            "this customer's recent redemptions (offline limit)",
            points=self.balance,
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
            reason = say("fewer than {points} points", points=pwp.min_points)
        elif want > balance:
            reason = self.offline_limit() or say("balance is only {points} points", points=balance)
        elif want > most:
            reason = say("at most {points} points can pay for this sale", points=most)
        if reason is not None or pwp is None:
            self.refuse(RULE_PAY_POINTS, reason or QUIET)
            return Points(0), 0, most
        taken = want - want % (pwp.points // math.gcd(pwp.points, pwp.value_minor))
        return Points(taken), taken * pwp.value_minor // pwp.points, most

    # -- earning -----------------------------------------------------------------------------
    def earn(self, eligible: list[Rule], money: list[int]) -> tuple[list[Award], list[int]]:
        """Return the awards and the points each line earned (for returns)."""
        c = self.customer
        assert c is not None
        per_line = [0] * len(self.lines)
        awards: list[Award] = []
        total_after = sum(self.rem)
        rate = self.rs.rate_for(c.tier)
        unit = 10 ** CURRENCY_EXPONENT[self.basket.currency]
        mults = [r for r in eligible if r.kind is Kind.MULTIPLIER and self.may_earn(r, total_after)]
        best: dict[str, list[int]] = defaultdict(list)
        winners: dict[str, Rule] = {}
        for i, ln in enumerate(self.lines):
            fits = [r for r in mults if r.match.matches(ln.sku, ln.category)]
            win = max(fits, key=lambda r: r.factor) if fits else None  # first on ties
            key = win.id if win else RULE_BASE
            best[key].append(i)
            if win:
                winners[key] = win
        for r in mults:
            if r.id not in winners and any(
                r.match.matches(ln.sku, ln.category) for ln in self.lines
            ):
                top = max(winners.values(), key=lambda w: w.factor)
                self.refuse(
                    r.id,
                    say(
                        "a larger multiplier applied ({rule} x{factor})",
                        rule=top.id,
                        factor=top.factor,
                    ),
                )
        for key in sorted(best, key=lambda k: (k != RULE_BASE, k)):
            idx = best[key]
            factor = winners[key].factor if key in winners else Fraction(1)
            # One exact product per rule: sum the money first (integers), then scale.
            exact = Fraction(sum(money[i] for i in idx), unit) * rate * factor
            pts = floor_points(exact)
            if pts <= 0:
                continue
            why = say(
                "{rate} points per 1 {currency} paid ({tier})",
                rate=rate,
                currency=self.basket.currency,
                tier=c.tier,
            )
            if factor != 1:
                skus = ", ".join(self.lines[i].sku for i in idx)
                why = say("{base} x{factor} on {skus}", base=why, factor=factor, skus=skus)
            awards.append(Award(key, pts, why))
            self.share(pts, idx, [money[i] for i in idx], per_line)
        for r in eligible:
            if r.kind is Kind.BONUS_PER_UNIT and self.may_earn(r, total_after):
                idx = self.scope(r)
                raw = sum(self.lines[i].qty for i in idx) * r.points
                bonus = min(raw, r.cap_per_sale) if r.cap_per_sale is not None else raw
                why = (
                    say(
                        "{points} points per unit, capped at {cap} from {raw}",
                        points=r.points,
                        cap=r.cap_per_sale,
                        raw=raw,
                    )
                    if bonus < raw
                    else say("{points} points per unit", points=r.points)
                )
                awards.append(Award(r.id, Points(bonus), why))
                self.share(bonus, idx, [self.lines[i].qty for i in idx], per_line)
                self.applied.append(r)
            elif r.kind is Kind.BONUS_PER_SALE and self.may_earn(r, total_after):
                awards.append(
                    Award(r.id, Points(r.points), say("{points} bonus points", points=r.points))
                )
                idx = list(range(len(self.lines)))
                self.share(r.points, idx, [max(m, 0) for m in money], per_line)
                self.applied.append(r)
        return awards, per_line

    def may_earn(self, r: Rule, total_after: int) -> bool:
        if r.min_basket_minor and total_after < r.min_basket_minor:
            self.refuse(r.id, self.minimum_not_reached(r))
            return False
        if not r.combinable_with_codes and self.codes_in_use():
            self.refuse(r.id, self.not_with_code())
            return False
        return True

    def share(self, points: int, idx: list[int], weights: list[int], per_line: list[int]) -> None:
        if sum(weights) <= 0:
            weights = [1] * len(idx)
        keys = [self.keys[i] for i in idx]
        for i, p in zip(idx, allocate(points, weights, keys), strict=True):
            per_line[i] += p

    # -- expiry --------------------------------------------------------------------------------
    def lots(
        self, redeemed: int
    ) -> tuple[tuple[tuple[datetime, int], ...], tuple[tuple[int, datetime], ...]]:
        """Spend ``redeemed`` from the oldest lots; return (lots used, expiring soon after)."""
        if self.customer is None:
            return (), ()
        live: list[PointLot] = sorted(
            (lot for lot in self.customer.lots if lot.expires_at > self.at),
            key=lambda lot: lot.earned_at,
        )
        used: list[tuple[datetime, int]] = []
        left = redeemed
        soon_until = self.at + timedelta(days=self.rs.expiring_soon_days)
        soon: list[tuple[int, datetime]] = []
        for lot in live:
            take = min(left, lot.points)
            if take:
                used.append((lot.earned_at, take))
            left -= take
            rest = lot.points - take
            if rest and lot.expires_at <= soon_until:
                soon.append((rest, lot.expires_at))
        return tuple(used), tuple(soon)


def quote(
    basket: Basket,
    customer: Customer | None,
    balance: int | None,
    ruleset: Ruleset,
    usage: Usage,
    at: datetime,
    tender: Tender | None = None,
) -> Quote:
    """Price ``basket`` for ``customer`` at ``at``; never raises for a business refusal."""
    tender = tender or Tender()
    have = balance if balance is not None and customer is not None else 0
    p = _Pricer(basket, customer, ruleset, usage, at, tender, have)
    cur = basket.currency
    known_codes = ruleset.codes()
    for code in sorted(tender.codes - known_codes.keys()):
        p.refuse(code, say("unknown code"))
    candidates = ruleset.index.candidates(
        {ln.sku for ln in basket.lines}, {ln.category for ln in basket.lines}
    )
    for code in sorted(tender.codes & known_codes.keys()):
        if known_codes[code] not in candidates:
            p.refuse(known_codes[code].id, say("nothing in the basket it applies to"))
    eligible = []
    for r in candidates:
        why = p.why_not(r)
        if why is None:
            eligible.append(r)
        elif why is not QUIET:
            p.refuse(r.id, why)
    discount_rules = [r for r in eligible if r.is_discount]
    if customer is not None and ruleset.tier(customer.tier).discount_percent > 0:
        tier_rule = ruleset.tier_rule
        if tier_rule.id in ruleset.revoked:
            p.refuse(tier_rule.id, say("revoked by HQ"))
        else:
            discount_rules.append(tier_rule)
    p.apply_stage([r for r in discount_rules if r.line_level])
    p.apply_stage([r for r in discount_rules if not r.line_level])
    subtotal = sum(p.amount)
    p.apply_cap(subtotal)
    taken, value, most = p.pay_with_points(p.balance)
    point_parts = allocate(value, p.rem, p.keys)
    money = [r - q for r, q in zip(p.rem, point_parts, strict=True)]
    total = sum(p.rem)
    gift = 0
    if tender.gift_card_balance_minor is not None:
        gift = max(0, min(tender.gift_card_balance_minor, total - value))
        if gift == 0:
            p.refuse(RULE_GIFT_CARD, say("the gift card has no balance left"))
    awards: list[Award] = []
    earned_per_line = [0] * len(basket.lines)
    if customer is not None and basket.lines:
        awards, earned_per_line = p.earn(eligible, money)
    lots_used, soon = p.lots(taken)
    cid = customer.customer_id if customer else ""
    deltas: list[tuple[str, int]] = []
    for r in p.applied:
        if r.quota:
            deltas.append((f"quota:{r.id}", 1))
        if r.coupon:
            deltas.append((f"coupon:{cid}:{r.id}", 1))
        if r.limit_per_customer is not None:
            deltas.append((f"uses:{cid}:{r.id}", 1))
        if r.budget:
            given = sum(d.amount_minor for d in p.discounts if d.rule == r.id)
            deltas.append((f"budget:{r.id}", given))
    return Quote(
        currency=cur,
        lines=tuple(
            QuoteLine(ln, a - r, q, e)
            for ln, a, r, q, e in zip(
                basket.lines, p.amount, p.rem, point_parts, earned_per_line, strict=True
            )
        ),
        subtotal=Money(subtotal, cur),
        discounts=tuple(p.discounts),
        total=Money(total, cur),
        points_redeemed=taken,
        reward_points=Points(p.reward_points),
        points_value=Money(value, cur),
        gift_card=Money(gift, cur),
        to_pay=Money(total - value - gift, cur),
        awards=tuple(awards),
        refusals=tuple(p.refusals),
        max_redeemable=most,
        balance_before=Points(have) if customer is not None else None,
        at=at,
        lots_used=lots_used,
        expiring_soon=soon,
        usage_deltas=tuple(deltas),
        spend_limit=p.offline_limit(),
    )
