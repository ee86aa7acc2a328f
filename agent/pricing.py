"""The quote: a pure function of basket, customer, ruleset, usage, time and the
points the customer wants to pay with. Every point and every minor unit in it
carries the rule that produced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from agent.model import Basket, Customer, Line
from agent.money import CURRENCY_EXPONENT, Money, Points, allocate, floor_minor, floor_points
from agent.ruleset import Ruleset

RULE_BASE = "BASE"
RULE_PAY_POINTS = "PAY-WITH-POINTS"


@dataclass(frozen=True, slots=True)
class QuoteLine:
    line: Line
    discount_minor: int
    points_payment_minor: int

    @property
    def after_discount_minor(self) -> int:
        return self.line.amount.minor - self.discount_minor

    @property
    def money_minor(self) -> int:
        """What the customer pays for this line in money (gift cards are money)."""
        return self.after_discount_minor - self.points_payment_minor


@dataclass(frozen=True, slots=True)
class Award:
    rule: str
    points: Points
    why: str


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Local usage counters the rules consult (empty in the foundation format)."""

    counters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    subtotal: Money
    discount: Money
    total: Money  # after discounts, before paying with points
    points_redeemed: Points
    points_value: Money
    to_pay: Money  # money still due after points
    awards: tuple[Award, ...]
    refusals: tuple[Refusal, ...]
    max_redeemable: Points
    balance_before: Points | None
    at: datetime

    @property
    def points_earned(self) -> Points:
        return Points(sum(a.points for a in self.awards))

    @property
    def balance_after(self) -> Points | None:
        if self.balance_before is None:
            return None
        return Points(self.balance_before - self.points_redeemed + self.points_earned)

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
                }
                for q in self.lines
            ],
            "subtotal_minor": self.subtotal.minor,
            "discount_minor": self.discount.minor,
            "total_minor": self.total.minor,
            "points_redeemed": self.points_redeemed,
            "points_value_minor": self.points_value.minor,
            "to_pay_minor": self.to_pay.minor,
            "points_earned": self.points_earned,
            "awards": [{"rule": a.rule, "points": a.points, "why": a.why} for a in self.awards],
            "max_redeemable_points": self.max_redeemable,
            "refusals": [{"rule": r.rule, "reason": r.reason} for r in self.refusals],
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
        }


def max_redeemable(total_minor: int, balance: Points, ruleset: Ruleset) -> Points:
    """Return the most points that may pay for a sale of ``total_minor`` after discounts."""
    pwp = ruleset.pay_with_points
    if pwp is None or balance <= 0:
        return Points(0)
    cap_minor = total_minor * pwp.max_share_percent // 100
    cap_points = cap_minor * pwp.points // pwp.value_minor
    best = min(int(balance), cap_points)
    step = pwp.points // math.gcd(pwp.points, pwp.value_minor)
    best -= best % step  # only whole minor units can be paid
    return Points(best if best >= pwp.min_points else 0)


def quote(
    basket: Basket,
    customer: Customer | None,
    balance: Points | None,
    ruleset: Ruleset,
    usage: Usage,
    at: datetime,
    redeem_points: int = 0,
) -> Quote:
    """Price ``basket`` for ``customer`` at ``at``; never raises for a business refusal."""
    cur = basket.currency
    refusals: list[Refusal] = []
    lines = basket.lines
    discounts = [0 for _ in lines]  # the full engine fills these
    after = [ln.amount.minor - d for ln, d in zip(lines, discounts, strict=True)]
    total_minor = sum(after)
    have = Points(balance if balance is not None and customer is not None else 0)
    most = max_redeemable(total_minor, have, ruleset)
    pay_points = Points(0)
    value_minor = 0
    pwp = ruleset.pay_with_points
    if redeem_points > 0:
        if customer is None:
            refusals.append(Refusal(RULE_PAY_POINTS, "identify the customer first"))
        elif pwp is None:
            refusals.append(Refusal(RULE_PAY_POINTS, "this programme does not take points"))
        elif redeem_points < pwp.min_points:
            refusals.append(Refusal(RULE_PAY_POINTS, f"fewer than {pwp.min_points} points"))
        elif redeem_points > have:
            refusals.append(Refusal(RULE_PAY_POINTS, f"balance is only {have} points"))
        elif redeem_points > most:
            refusals.append(
                Refusal(RULE_PAY_POINTS, f"at most {most} points can pay for this sale")
            )
        else:
            step = pwp.points // math.gcd(pwp.points, pwp.value_minor)
            pay_points = Points(redeem_points - redeem_points % step)
            value_minor = pay_points * pwp.value_minor // pwp.points
    point_parts = allocate(value_minor, after)
    qlines = tuple(
        QuoteLine(ln, d, p) for ln, d, p in zip(lines, discounts, point_parts, strict=True)
    )
    awards: list[Award] = []
    if customer is not None and qlines:
        rate = ruleset.rate_for(customer.tier)
        unit = 10 ** CURRENCY_EXPONENT[cur]
        exact = sum((Fraction(q.money_minor, unit) * rate for q in qlines), Fraction(0))
        base = floor_points(exact)
        if base > 0:
            why = f"{rate} points per 1 {cur} paid, {customer.tier}"
            awards.append(Award(RULE_BASE, base, why))
    subtotal = sum(ln.amount.minor for ln in lines)
    return Quote(
        currency=cur,
        lines=qlines,
        subtotal=Money(subtotal, cur),
        discount=Money(sum(discounts), cur),
        total=Money(total_minor, cur),
        points_redeemed=pay_points,
        points_value=Money(floor_minor(Fraction(value_minor)), cur),
        to_pay=Money(total_minor - value_minor, cur),
        awards=tuple(awards),
        refusals=tuple(refusals),
        max_redeemable=most,
        balance_before=have if customer is not None else None,
        at=at,
    )
