"""Parking an open sale to serve the next customer, and recalling it later.

A parked sale keeps its customer, lines, codes, gift card and the points payment asked
for, in the terminal's store (agent.store.parked), so it survives a restart; it is no
sale until it is recalled and completed, so nothing of it is synced. Recalling puts it
back as the open sale and prices it afresh: at recall time, with the customer and the
ruleset as the store holds them then.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agent.gift_sale import Loads
from agent.model import Basket, Labelled, Line
from agent.money import Money, Points
from agent.notice import Notice, also, done, refused
from agent.session import CheckoutSession
from agent.store.parked import ParkedRow, ParkedSales


def parked_sales(session: CheckoutSession) -> ParkedSales:
    return ParkedSales(session.store.file)


def park(session: CheckoutSession) -> Notice:
    """Park the open sale and start a fresh one; an empty sale has nothing to park."""
    if not session.basket.lines:
        return refused("Nothing to park: the basket is empty")
    total = session.quote().total if session.ruleset is not None else None
    c = session.customer
    doc = {
        "currency": session.basket.currency,
        "lines": [_line_doc(ln) for ln in session.basket.lines],
        "customer_id": c.customer_id if c is not None else None,
        "card": c.card if c is not None else None,
        "confirmed": session.confirmed,
        "codes": sorted(session.codes),
        "claims": [list(claim) for claim in session.claims],
        "points": list(session.points_request) if session.points_request else None,
        "gift_card": session.gift_card,
        "loads": {
            "skus": sorted(session.loads.skus),
            "cards": [list(x) for x in session.loads.cards],
        },
    }
    parked_id = session.ids.new_id()
    parked_sales(session).add(
        ParkedRow(
            parked_id,
            session.clock.now(),
            session.cashier,
            c.name if c is not None else "",
            sum(ln.qty for ln in session.basket.lines),
            total.minor if total is not None else 0,
            session.basket.currency,
            doc,
        )
    )
    session.reset()
    return done("Sale parked: Ctrl+R recalls it")


def recall(session: CheckoutSession, parked_id: str) -> Notice:
    """Make the parked sale ``parked_id`` the open sale again, priced now."""
    if session.basket.lines:
        return refused("Finish or park the open sale first")
    parked = parked_sales(session)
    row = next((r for r in parked.all() if r.parked_id == parked_id), None)
    if row is None:
        return refused("That sale is no longer parked")
    doc = row.doc
    session.reset()
    said: list[Notice] = []
    if doc.get("customer_id") or doc.get("card"):
        catalogue = session.store.catalogue
        customer = (catalogue.customer(doc["customer_id"]) if doc.get("customer_id") else None) or (
            catalogue.customer_by_card(doc["card"]) if doc.get("card") else None
        )
        if customer is None:
            said.append(refused("The parked sale's customer is no longer held here"))
        else:
            session.identified(customer, confirmed=bool(doc.get("confirmed")))
    lines = tuple(_priced_now(_line(d), session) for d in doc["lines"])
    session.basket = Basket(str(doc["currency"]), lines)
    session.last_sku = lines[-1].key if lines else None
    session.gift_card = doc.get("gift_card")
    loads = doc.get("loads") or {}
    session.loads = Loads(
        frozenset(loads.get("skus", ())), tuple((s, c) for s, c in loads.get("cards", ()))
    )
    session.codes = frozenset(doc.get("codes", ()))
    session.claims = tuple((str(r), int(n)) for r, n in doc.get("claims", ()))
    points = doc.get("points")
    notice = done("Sale recalled, priced again now (units: {lines})", lines=row.lines)
    if points is not None and session.customer is not None:
        paid = session.pay_with_points(points[0])
        notice = also(notice, paid.words)
    else:
        session.redeem_points = Points(0)
    for extra in said:
        notice = also(notice, extra.words)
    parked.take(parked_id)  # only once it is the open sale: a failure above loses nothing
    return notice


def _priced_now(line: Line, session: CheckoutSession) -> Line:
    """``line`` at the product's price now (a scale label keeps the price it carries)."""
    product = session.store.catalogue.product(line.sku)
    if line.labelled is not None or product is None:
        return line
    return replace(line, name=product.name, unit_price=product.price)


def _line_doc(ln: Line) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "sku": ln.sku,
        "name": ln.name,
        "qty": ln.qty,
        "unit_minor": ln.unit_price.minor,
        "currency": ln.unit_price.currency,
        "category": ln.category,
    }
    if ln.labelled is not None:
        per_kg = ln.labelled.per_kg
        doc["label"] = {
            "tag": ln.labelled.tag,
            "weight_g": ln.labelled.weight_g,
            "per_kg_minor": per_kg.minor if per_kg is not None else None,
        }
    return doc


def _line(d: dict[str, Any]) -> Line:
    label = d.get("label")
    labelled = None
    if label is not None:
        per_kg = label.get("per_kg_minor")
        labelled = Labelled(
            str(label["tag"]),
            int(label["weight_g"]),
            None if per_kg is None else Money(int(per_kg), str(d["currency"])),
        )
    price = Money(int(d["unit_minor"]), str(d["currency"]))
    return Line(str(d["sku"]), str(d["name"]), int(d["qty"]), price, str(d["category"]), labelled)
