"""A price check: what a product costs and which promotions it takes, selling nothing.

The product is priced alone (one unit, or its scale label), for the sale's customer if
one is identified, on a scratch session that is never committed: the open sale is not
touched. Its promotions are the rules that name its SKU or category: each applied now,
or not, with the engine's reason (``buy 3``, ``outside its hours``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from agent.codes import Classified, classify
from agent.codes import Refusal as CodeRefusal
from agent.model import Line, Unit
from agent.money import Money
from agent.notice import Notice, NoticeKind, refused
from agent.pricing.result import Quote
from agent.scale import barcodes_of, basket_units
from agent.session import CheckoutSession
from agent.words import Words, say


@dataclass(frozen=True, slots=True)
class PriceCheck:
    sku: str
    name: str
    price: Money  # one unit, or the scale label's
    per_kg: Money | None  # a product sold by weight: its price per kg
    to_pay: Money  # one unit after what applies now
    points: int  # what one unit earns the customer (the sale's, or none)
    applied: tuple[tuple[str, Words], ...]  # (rule, what it gives)
    not_applied: tuple[tuple[str, Words], ...]  # (rule, why not now)


def price_check(session: CheckoutSession, code: str) -> PriceCheck | Notice:
    """Price ``code`` (a product's SKU or barcode, or a scale label) without selling it."""
    rs = session.ruleset
    if rs is None:
        return refused("No loyalty rules yet: waiting for the first download from HQ")
    read = classify(code, barcodes_of(rs))
    if isinstance(read, CodeRefusal):
        return Notice(NoticeKind.REFUSED, read.words)
    assert isinstance(read, Classified)
    units = basket_units(session.store.catalogue, read.value, 1, read.label)
    if isinstance(units, Notice):
        return units
    q = _alone(session, units)
    if isinstance(q, Notice):
        return q
    product = session.store.catalogue.product(units.sku)
    per_kg = product.price if product is not None and product.unit is Unit.KG else None
    about = {
        r.id
        for r in rs.rules
        if not r.match.whole_sale and r.match.matches(units.sku, units.category)
    }
    applied = [(d.rule, d.words) for d in q.discounts]
    applied += [(a.rule, a.words) for a in q.awards]
    not_applied = []
    for r in q.refusals:
        if r.rule not in about:
            continue
        rule = next(x for x in rs.rules if x.id == r.rule)
        more = rule.buy + rule.get
        if more > 1:  # "buy 2 get 1": what it gives when enough are bought, said so
            with_more = _alone(session, replace(units, qty=more))
            gives = [] if isinstance(with_more, Notice) else with_more.discounts
            words = next((d.words for d in gives if d.rule == r.rule), None)
            if words is not None:
                not_applied.append((r.rule, say("{what} (with {qty})", what=words, qty=more)))
                continue
        not_applied.append((r.rule, r.words))
    return PriceCheck(
        units.sku,
        units.name,
        units.unit_price,
        per_kg,
        q.to_pay,
        q.points_earned,
        tuple(applied),
        tuple(not_applied),
    )


def _alone(session: CheckoutSession, units: Line) -> Quote | Notice:
    """The quote of a basket of ``units`` alone, for the sale's customer, on a scratch
    session that is never committed."""
    scratch = CheckoutSession(
        session.store, session.clock, session.ids, session.terminal_id, session.store_name
    )
    scratch.customer, scratch.confirmed = session.customer, session.confirmed
    added = scratch.add_units(units)
    return added if added.refused else scratch.quote()
