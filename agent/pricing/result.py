"""What a quote says: its lines, discounts, points and refusals.

The type :func:`agent.pricing.engine.quote` returns (``Quote``), kept apart from the
engine so a record or a screen needs only this; what it is asked is in
:mod:`agent.pricing.inputs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from agent.model import Line, PointLot
from agent.money import (
    Money,
    Points,
)
from agent.pricing.asked import PricedWith
from agent.ruleset import Ruleset
from agent.words import Words

RULE_BASE = "BASE"
RULE_PAY_POINTS = "PAY-WITH-POINTS"
RULE_GIFT_CARD = "GIFT-CARD"
# The words of a discount or award in a quote made without its explanation (explain=False).
NO_WORDS = Words("")


@dataclass(frozen=True, slots=True)
class QuoteLine:
    line: Line
    discount_minor: int
    points_payment_minor: int
    points_earned: int = 0
    excluded: Words | None = None  # what the programme's exclusions keep it out of
    points_share_up: int = 0  # its exact share of the sale's points, rounded up (returns)

    @property
    def after_discount_minor(self) -> int:
        line = self.line  # its amount in integers: no Money made to read it
        return line.unit_price.minor * line.qty - self.discount_minor

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
    lots_used: tuple[PointLot, ...] = ()  # the part of each lot the sale spent
    expiring_soon: tuple[tuple[int, datetime], ...] = ()
    usage_deltas: tuple[tuple[str, int], ...] = ()
    # Why fewer points may be spent than the balance holds (HQ's offline policy).
    spend_limit: Words | None = None
    asked: PricedWith | None = None  # what it was priced with, for the sale's record

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
        words = self.refusal_words(rule)
        return None if words is None else str(words)

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
                    "excluded": str(q.excluded) if q.excluded else None,
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
                    "points": d.points,
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
            "lots_used": [
                {"earned_at": lot.earned_at.isoformat(), "points": lot.points}
                for lot in self.lots_used
            ],
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
