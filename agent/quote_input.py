"""What a quote is asked with, as documents: the basket (lines and tender), the customer
(in the shape of HQ's snapshot) and this terminal's unsynced usage. Read by `kassa
quote` from files; anything malformed is an InputError naming the fault."""

from __future__ import annotations

from typing import Any

from agent.documents import customer_from_doc
from agent.errors import InputError
from agent.model import Basket, Customer, Labelled, Line
from agent.money import Money, Points
from agent.pricing.inputs import Tender, Usage
from agent.scale import weighed_price


def basket_from_json(doc: Any, currency: str) -> tuple[Basket, Tender]:
    """Return the basket and the tender (points, codes, gift card) from a basket document."""
    try:
        lines = tuple(_line(d, currency) for d in doc["lines"])
        gift = doc.get("gift_card_balance_minor")
        # Rewards claimed: {"FREECOFFEE": 2} (a reward id in "codes" is claimed once).
        claims = tuple((str(k), int(n)) for k, n in doc.get("claims", {}).items())
        tender = Tender(
            int(doc.get("redeem_points", 0)),
            frozenset(str(c) for c in doc.get("codes", [])) | {k for k, _ in claims},
            None if gift is None else int(gift),
            claims=claims,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"basket: {exc!r}") from None
    if any(ln.qty < 1 for ln in lines):
        raise InputError("basket: every qty must be 1 or more")
    if any(n < 1 for _, n in tender.claims):
        raise InputError("basket: every claim count must be 1 or more")
    return Basket(currency, lines), tender


def _line(d: Any, currency: str) -> Line:
    """A basket line: ``unit_minor`` a unit, or a weighed one (a scale label's):
    ``weight_g`` and ``per_kg_minor``, priced as the till prices the label."""
    sku, name = str(d["sku"]), str(d.get("name", d["sku"]))
    qty, category = int(d.get("qty", 1)), str(d.get("category", ""))
    if "weight_g" not in d:
        return Line(sku, name, qty, Money(int(d["unit_minor"]), currency), category)
    grams, per_kg = int(d["weight_g"]), Money(int(d["per_kg_minor"]), currency)
    if grams <= 0 or per_kg.minor < 0:
        raise ValueError(f"{sku}: weight_g must be 1 or more, per_kg_minor 0 or more")
    tagged = Labelled(f"{grams}g", grams, per_kg)
    return Line(sku, name, qty, weighed_price(per_kg, grams), category, tagged)


def customer_from_json(doc: Any) -> tuple[Customer, Points]:
    """A customer in the snapshot's shape; card, name, balance and applied_seq may be left out."""
    if not isinstance(doc, dict):
        raise InputError("customer: must be an object")
    try:
        c = customer_from_doc({"card": "", "name": "", "applied_seq": 0, "balance": 0, **doc})
    except ValueError as exc:
        raise InputError(f"customer: {exc}") from None
    return c, c.hq_balance


def usage_from_json(doc: Any) -> Usage:
    try:
        return Usage(
            unsynced_purchases=int(doc.get("unsynced_purchases", 0)),
            unsynced_month_purchases=int(doc.get("unsynced_month_purchases", 0)),
            quota_left={str(k): int(v) for k, v in doc.get("quota_left", {}).items()},
            used_codes=frozenset(str(c) for c in doc.get("used_codes", [])),
            rule_uses={str(k): int(v) for k, v in doc.get("rule_uses", {}).items()},
            redeem_left=None if doc.get("redeem_left") is None else int(doc["redeem_left"]),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputError(f"usage: {exc!r}") from None
