"""A line a POS sends (the agent API): the catalogue's product, or one the till lacks.

The store's checkout software knows every product it sells and its price; kassa's
catalogue may lack some (a local product, one HQ has not sent yet). A line names its
product by SKU, barcode or scale label, with the POS's unit price and category:

- a product the catalogue holds, or a scale label, is the line a scan of it makes
  (:func:`agent.scale.basket_units`: the catalogue's SKU, name, category and currency,
  which the rules match and HQ checks), priced at the POS's price if it asks less than
  the catalogue (HQ accepts no more: ``sync.hq.reprice``);
- a product the catalogue lacks is *unlisted* (:attr:`agent.model.Line.unlisted`): sold at
  the POS's price, part of the sale and paid, but outside the programme: it earns no
  points, takes no discount, is not paid with points and counts toward no threshold
  (a minimum basket, the tiers, every Nth purchase); HQ prices it again as such.

The line then goes into the session as a scanned one does
(:meth:`agent.session.CheckoutSession.add_units`): the same checks, the same basket.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from agent.codes import Classified, classify
from agent.model import MAX_QTY, Line
from agent.money import Money
from agent.notice import Notice, refused
from agent.ruleset import Ruleset
from agent.scale import barcodes_of, basket_units
from agent.store.catalogue import Catalogue


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
    read = classify(code, barcodes_of(ruleset))
    if isinstance(read, Classified) and read.label is not None:
        return basket_units(catalogue, read.value, qty, read.label)  # at the label's price
    if unit_minor is not None and catalogue.product(code) is None:
        price = Money(unit_minor, ruleset.currency)
        return Line(code, name or code, qty, price, category or "", unlisted=True)
    units = basket_units(catalogue, code, qty)
    if isinstance(units, Notice) or unit_minor is None:
        return units
    if unit_minor >= units.unit_price.minor:
        return units
    return replace(units, unit_price=Money(unit_minor, units.unit_price.currency))


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
