"""A promo code, personal coupon or reward entered at the till, and a reward's claims.

The checkout session hands the cashier's code here (:meth:`CheckoutSession.apply_code`):
a code applies once a sale; a free-product reward's id entered again claims one more
unit, for its points, while the basket holds a matching unit and the balance pays for
it; a claim taken back gives its points back before the sale is committed.
"""

from __future__ import annotations

from typing import Protocol

from agent.model import Customer
from agent.notice import Notice, done, refused
from agent.pricing.eligibility import COUPON_NEEDS_CUSTOMER
from agent.pricing.result import Quote
from agent.ruleset import Rule, Ruleset
from agent.words import points_of, say


class CodeDesk(Protocol):
    """What entering a code needs of the sale (the checkout session)."""

    customer: Customer | None
    codes: frozenset[str]
    claims: tuple[tuple[str, int], ...]

    @property
    def ruleset(self) -> Ruleset | None: ...

    def quote(self) -> Quote: ...


def claims_of(sale: CodeDesk, rule: Rule) -> int:
    return dict(sale.claims).get(rule.id, 0) or int(rule.id in sale.codes)


def set_claims(sale: CodeDesk, rule: Rule, n: int) -> None:
    rest = tuple((r, k) for r, k in sale.claims if r != rule.id)
    sale.claims = (*rest, (rule.id, n)) if n > 1 else rest
    sale.codes = sale.codes | {rule.id} if n > 0 else sale.codes - {rule.id}


def given(q: Quote, rule: Rule) -> int:
    """The units of a free-product reward the quote gives (claims it honours)."""
    points = sum(d.points for d in q.discounts if d.rule == rule.id)
    return points // rule.points if rule.points else 0


def apply_code(sale: CodeDesk, code: str) -> Notice:
    """Apply a promo code, coupon or reward; a refusal says why in plain words."""
    rs = sale.ruleset
    rule = rs.codes().get(code) if rs else None
    if rule is None:
        return refused("Unknown code {code}", code=code)
    if rule.coupon and sale.customer is None:  # before any other check
        return refused("{code} refused: {why}", code=code, why=COUPON_NEEDS_CUSTOMER)
    if rule.free_product and code in sale.codes:
        return claim_again(sale, rule)
    if code in sale.codes:  # one use of a code a sale: entered again, it gives no more
        return refused("{code} is already applied to this sale", code=code)
    sale.codes = sale.codes | {code}
    q = sale.quote()
    if rule.id not in {d.rule for d in q.discounts} | {a.rule for a in q.awards}:
        sale.codes = sale.codes - {code}
        why = q.refusal_words(rule.id) or say("nothing in the basket it applies to yet")
        return refused("{code} refused: {why}", code=code, why=why)
    return done("{code} applied", code=code)


def claim_again(sale: CodeDesk, rule: Rule) -> Notice:
    """One more unit of a free-product reward; refused (earlier claims kept) with why."""
    before = claims_of(sale, rule)
    set_claims(sale, rule, before + 1)
    q = sale.quote()
    if given(q, rule) <= before:
        set_claims(sale, rule, before)
        why = q.refusal_words(rule.id) or say("nothing in the basket it applies to yet")
        return refused("{code} refused: {why}", code=rule.id, why=why)
    return done(
        "{code} claimed {n} times: {points}",
        code=rule.id,
        n=before + 1,
        points=points_of(q.reward_points),
    )


def take_back(sale: CodeDesk, code: str) -> Notice:
    """Take back one claim of a reward (or a code) entered in this sale: its points and
    discount go with it."""
    rs = sale.ruleset
    rule = rs.codes().get(code) if rs else None
    if rule is None or code not in sale.codes:
        return refused("{code} is not on this sale", code=code)
    left = claims_of(sale, rule) - 1 if rule.free_product else 0
    set_claims(sale, rule, left)
    if left:
        return done("{code}: one claim taken back, {n} left", code=code, n=left)
    return done("{code} taken off the sale", code=code)
