"""Scale labels: the lines a weighed or price-embedded label makes, and finding a line again.

A label (an in-store EAN-13 in one of the programme's label ranges, :mod:`agent.codes`)
carries an item code and a weight in grams or a price. A weight is priced here, by the
product's price per kg, rounded half up once (:func:`weighed_price`). Each label is a
line of its own, ``SKU/tag`` (``BEANS/750g``, ``CHEESE/12.50``): two labels of one
product with different weights are two lines, each returned on its own; the same label
scanned twice (two packs of one weight) is one line of two. The line keeps the product's
SKU and category, so rules match it as they match the product.
"""

from __future__ import annotations

from fractions import Fraction

from agent.codes import DEFAULT_BARCODES, Barcodes, Classified, Holds, Label, classify
from agent.model import Basket, Labelled, Line, Product, Unit
from agent.money import Money, round_minor
from agent.notice import Notice, done, refused
from agent.ruleset import Ruleset
from agent.store.catalogue import Catalogue

GRAMS_PER_KG = 1000


def weighed_price(per_kg: Money, grams: int) -> Money:
    """The price of ``grams`` at ``per_kg``, rounded half up to the minor unit:
    89.90 per kg x 750 g = 67.425 -> 67.43."""
    return Money(round_minor(Fraction(per_kg.minor * grams, GRAMS_PER_KG)), per_kg.currency)


def barcodes_of(ruleset: Ruleset | None) -> Barcodes:
    """The programme's card and label ranges (the default before the first ruleset)."""
    return DEFAULT_BARCODES if ruleset is None else ruleset.barcodes


def label_units(catalogue: Catalogue, code: str, label: Label, qty: int) -> Line | Notice:
    """``qty`` labels ``code`` (read as ``label``) as a basket line, or why not."""
    product = catalogue.product_by_item_code(label.item_code)
    if product is None:
        return refused(
            "Scale label {code}: no product with item code {item}", code=code, item=label.item_code
        )
    return labelled_line(product, code, label, qty)


def labelled_line(product: Product, code: str, label: Label, qty: int) -> Line | Notice:
    """``qty`` labels ``code`` of ``product`` as a basket line: a weight priced by the
    kilogram, or the price the label holds; refused for a weight or price of 0."""
    if label.holds is Holds.WEIGHT_G:
        if product.unit is not Unit.KG:
            return refused(
                "Scale label {code}: {name} is not sold by weight", code=code, name=product.name
            )
        if label.value <= 0:
            return refused("Scale label {code} says 0 g: weigh it again", code=code)
        price = weighed_price(product.price, label.value)
        tagged = Labelled(f"{label.value}g", label.value, product.price)
    else:
        if label.value <= 0:
            return refused("Scale label {code} says a price of 0: weigh it again", code=code)
        price = Money(label.value, product.price.currency)
        tagged = Labelled(price.format())
    return Line(product.sku, product.name, qty, price, product.category, tagged)


def basket_units(
    catalogue: Catalogue, code: str, qty: int, label: Label | None = None
) -> Line | Notice:
    """``qty`` of what ``code`` names (a product's SKU or barcode, or a scale label) as a
    basket line, or why not: a product sold by weight is sold by its label."""
    if label is not None:
        return label_units(catalogue, code, label, qty)
    product = catalogue.product(code)
    if product is None:
        return refused("Unknown product {code}", code=code)
    if product.unit is Unit.KG:
        return refused("{name} is sold by weight: scan its scale label", name=product.name)
    return Line(product.sku, product.name, qty, product.price, product.category)


def added(units: Line) -> Notice:
    """What the cashier reads when ``units`` went into the basket (a label: its price)."""
    tagged, name, qty = units.labelled, units.name, units.qty
    if tagged is None:
        return done("{name} x{qty}", name=name, qty=qty)
    if tagged.weight_g:
        kg = Fraction(tagged.weight_g, GRAMS_PER_KG)
        return done(
            "{name} {kg} kg x{qty}: {amount}", name=name, kg=kg, qty=qty, amount=units.unit_price
        )
    return done("{name} x{qty}: {amount}", name=name, qty=qty, amount=units.unit_price)


def basket_line(
    basket: Basket, catalogue: Catalogue, code: str, ruleset: Ruleset | None
) -> Line | None:
    """The line of ``basket`` that ``code`` names: its key (``BEANS/750g``), its scale
    label scanned again (in the ranges of ``ruleset``), or the SKU or barcode of a
    product sold by the piece."""
    wanted = code.strip().upper()
    found = next((ln for ln in basket.lines if ln.labelled and ln.key.upper() == wanted), None)
    if found is not None:
        return found
    read = classify(code, barcodes_of(ruleset))
    if isinstance(read, Classified) and read.label is not None:
        units = label_units(catalogue, read.value, read.label, 1)
        key = units.key if isinstance(units, Line) else None
    else:
        product = catalogue.product(code) or catalogue.product(code.upper())
        key = None if product is None else product.sku
    return next((ln for ln in basket.lines if ln.key == key), None)
