"""A price check: what a product costs and which promotions it takes, selling nothing.

The product is priced alone (one unit, or its scale label), for the sale's customer if
one is identified, on a scratch session that is never committed: the open sale is not
touched. Its promotions are the rules that name its SKU or category: each applied now,
or not, with the engine's reason (``buy 3``, ``outside its hours``).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.codes import Classified, classify
from agent.codes import Refusal as CodeRefusal
from agent.model import Unit
from agent.money import Money
from agent.notice import Notice, NoticeKind, refused
from agent.scale import barcodes_of, basket_units
from agent.session import CheckoutSession
from agent.words import Words


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
    scratch = CheckoutSession(
        session.store, session.clock, session.ids, session.terminal_id, session.store_name
    )
    scratch.customer, scratch.confirmed = session.customer, session.confirmed
    added = scratch.add_units(units)
    if added.refused:
        return added
    q = scratch.quote()
    product = session.store.catalogue.product(units.sku)
    per_kg = product.price if product is not None and product.unit is Unit.KG else None
    about = {
        r.id
        for r in rs.rules
        if not r.match.whole_sale and r.match.matches(units.sku, units.category)
    }
    applied = [(d.rule, d.words) for d in q.discounts]
    applied += [(a.rule, a.words) for a in q.awards]
    not_applied = [(r.rule, r.words) for r in q.refusals if r.rule in about]
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
