"""Paying with points: how many of the points asked may pay for the sale."""

from __future__ import annotations

import math

from agent.money import Points
from agent.pricing.eligibility import QUIET, offline_limit
from agent.pricing.result import RULE_PAY_POINTS, max_redeemable
from agent.pricing.worksheet import Worksheet
from agent.ruleset import PayWithPoints
from agent.words import points_of, say


def pay_with_points(w: Worksheet, balance: int) -> tuple[Points, int, Points]:
    """Return (points taken, their value in minor units, the most that could be taken)."""
    # Only the lines points may pay count toward the share points may pay.
    total = sum(m for m, a in zip(w.rem, w.allowed, strict=True) if a.pay_with_points)
    most = max_redeemable(total, balance, w.rs)
    want, pwp = w.tender.redeem_points, w.rs.pay_with_points
    if want <= 0:
        return Points(0), 0, most
    reason = None
    if w.customer is None:
        reason = say("identify the customer first")
    elif pwp is None:
        reason = say("this programme does not take points")
    elif want < least_points(pwp):  # fewer than one step would pay nothing at all
        reason = say("fewer than {points}", points=points_of(least_points(pwp)))
    elif want > balance:
        reason = offline_limit(w) or say("the balance is only {points}", points=points_of(balance))
    elif want > most:
        reason = say("at most {points} can pay for this sale", points=points_of(most))
    if reason is not None or pwp is None:
        w.refuse(RULE_PAY_POINTS, reason or QUIET)
        return Points(0), 0, most
    taken = want - want % step(pwp)
    return Points(taken), taken * pwp.value_minor // pwp.points, most


def step(pwp: PayWithPoints) -> int:
    """The fewest points that pay a whole minor unit."""
    return pwp.points // math.gcd(pwp.points, pwp.value_minor)


def least_points(pwp: PayWithPoints) -> int:
    """The fewest points a customer may pay with: the minimum, and at least one step."""
    return max(pwp.min_points, step(pwp))
