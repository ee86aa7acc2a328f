"""Editing an open sale line by line: a line's quantity set, a line removed, a code or the
points payment taken off, without voiding the sale.

Removing what was scanned before the sale is paid is the cashier's own work (as taking
units off with ``-MILK`` is): no manager's PIN. A void of the whole sale still asks for
one (ui.till.flows). Each edit re-asks the points payment, as any basket change does.
"""

from __future__ import annotations

from dataclasses import replace

from agent.code_entry import set_claims
from agent.model import MAX_QTY
from agent.money import Points
from agent.notice import Notice, also, done, refused
from agent.session import CheckoutSession

QTY_TYPED_MAX_DIGITS = 3  # MAX_QTY has three digits: a scanned code is no quantity


def set_quantity(session: CheckoutSession, key: str, qty: int) -> Notice:
    """Make the line ``key`` hold ``qty`` units (0 removes it); says why not."""
    line = next((ln for ln in session.basket.lines if ln.key == key), None)
    if line is None:
        return refused("{sku} is not in the basket", sku=key)
    if qty == 0:
        return remove_line(session, key)
    if not 1 <= qty <= MAX_QTY:
        return refused("Quantity must be 1 to {most}", most=MAX_QTY)
    if qty < line.qty:
        return session.take_off(key, line.qty - qty)
    if qty == line.qty:
        return done("{sku}: quantity {qty}", sku=key, qty=qty)
    product = session.store.catalogue.product(line.sku)
    if product is not None and product.loads_gift_card:  # each unit waits for its card
        return refused("{sku} loads a gift card: scan it again for each card", sku=key)
    session.basket = session.basket.with_units(replace(line, qty=qty - line.qty))
    session.last_sku = key
    return also(done("{sku}: quantity {qty}", sku=key, qty=qty), session._points_again())


def remove_line(session: CheckoutSession, key: str) -> Notice:
    """Take the line ``key`` off the basket, all its units."""
    line = next((ln for ln in session.basket.lines if ln.key == key), None)
    if line is None:
        return refused("{sku} is not in the basket", sku=key)
    return session.take_off(key, line.qty)


def remove_code(session: CheckoutSession, code: str) -> Notice:
    """Take a promo code, coupon or reward (every claim of it) off the sale."""
    if code not in session.codes:
        return refused("{code} is not on this sale", code=code)
    rule = session.ruleset.codes().get(code) if session.ruleset is not None else None
    if rule is not None and rule.free_product:
        set_claims(session, rule, 0)
    session.codes = session.codes - {code}
    return also(done("{code} taken off the sale", code=code), session._points_again())


def remove_points(session: CheckoutSession) -> Notice:
    """Take the points payment off the sale: the customer pays all of it in money."""
    if session.points_request is None and not session.redeem_points:
        return refused("No points payment on this sale")
    session.points_request = None
    session.redeem_points = Points(0)
    return done("Points payment removed")


def typed_quantity(text: str) -> int | None:
    """A quantity typed in the entry ("5"), or None when it is not one."""
    text = text.strip()
    if text.isdigit() and len(text) <= QTY_TYPED_MAX_DIGITS:
        return int(text)
    return None
