"""Paying with points: how many of the points asked may pay for the sale."""

from __future__ import annotations

import math

from agent.money import Points
from agent.pricing.eligibility import QUIET, offline_limit
from agent.pricing.result import RULE_PAY_POINTS, max_redeemable
from agent.pricing.worksheet import Worksheet
from agent.words import points_of, say


def pay_with_points(w: Worksheet, balance: int) -> tuple[Points, int, Points]:
    """Return (points taken, their value in minor units, the most that could be taken)."""
    total = sum(w.rem)
    most = max_redeemable(total, balance, w.rs)
    want, pwp = w.tender.redeem_points, w.rs.pay_with_points
    if want <= 0:
        return Points(0), 0, most
    reason = None
    if w.customer is None:
        reason = say("identify the customer first")
    elif pwp is None:
        reason = say("this programme does not take points")
    elif want < pwp.min_points:
        reason = say("fewer than {points}", points=points_of(pwp.min_points))
    elif want > balance:
        reason = offline_limit(w) or say("the balance is only {points}", points=points_of(balance))
    elif want > most:
        reason = say("at most {points} can pay for this sale", points=points_of(most))
    if reason is not None or pwp is None:
        w.refuse(RULE_PAY_POINTS, reason or QUIET)
        return Points(0), 0, most
    taken = want - want % (pwp.points // math.gcd(pwp.points, pwp.value_minor))
    return Points(taken), taken * pwp.value_minor // pwp.points, most
