"""A line a POS sends (the agent API): the catalogue's product, or the POS's own.

The store's checkout software knows every product it sells and its price; kassa's
catalogue may lack some (a local product, one HQ has not sent yet). A line names its
product by SKU, barcode or scale label, with the POS's unit price and category:

- a product the catalogue holds keeps the catalogue's SKU, name and category (the
  rules match them, HQ checks them) and is priced at the POS's price, at most the
  catalogue's (HQ accepts no more: ``sync.hq.reprice``); without a POS price, at the
  catalogue's;
- a scale label is read as at the till (its weight or price, the product's per kg);
- a product the catalogue lacks is priced at the POS's price, in the POS's category.

The line then goes into the session as a scanned one does
(:meth:`agent.session.CheckoutSession.add_units`): the same checks, the same basket.
"""

from __future__ import annotations

from typing import Protocol

from agent.codes import Classified, classify
from agent.model import Line, Unit
from agent.money import Money
from agent.notice import Notice, refused
from agent.ruleset import Ruleset
from agent.scale import barcodes_of, label_units
from agent.store.catalogue import Catalogue

MAX_QTY = 999


class Basket(Protocol):
    """What this module needs of the checkout session."""

    @property
    def ruleset(self) -> Ruleset | None: ...

    def add_units(self, units: Line) -> Notice: ...


def pos_line(
    catalogue: Catalogue,
    ruleset: Ruleset | None,
    code: str,
    qty: int,
    unit_minor: int | None,
    category: str | None,
    name: str | None,
) -> Line | Notice:
    """The basket line the POS's line makes, or why it makes none."""
    if ruleset is None:
        return refused("No loyalty rules yet: waiting for the first download from HQ")
    if not 1 <= qty <= MAX_QTY:
        return refused("Quantity must be 1 to {most}", most=MAX_QTY)
    currency = ruleset.currency
    read = classify(code, barcodes_of(ruleset))
    if isinstance(read, Classified) and read.label is not None:
        return label_units(catalogue, read.value, read.label, qty)
    product = catalogue.product(code)
    if product is not None:
        if product.unit is Unit.KG:
            return refused("{name} is sold by weight: scan its scale label", name=product.name)
        price = product.price.minor if unit_minor is None else min(unit_minor, product.price.minor)
        return Line(product.sku, product.name, qty, Money(price, currency), product.category)
    if unit_minor is None:
        return refused("Unknown product {code}", code=code)
    return Line(code, name or code, qty, Money(unit_minor, currency), category or "")


def add_pos_line(
    session: Basket,
    catalogue: Catalogue,
    code: str,
    qty: int,
    unit_minor: int | None = None,
    category: str | None = None,
    name: str | None = None,
) -> Notice:
    """Put the POS's line into ``session``'s basket; says why not."""
    units = pos_line(catalogue, session.ruleset, code, qty, unit_minor, category, name)
    return units if isinstance(units, Notice) else session.add_units(units)
