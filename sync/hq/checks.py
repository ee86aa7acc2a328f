"""The checks HQ runs on an event whose body reads (:func:`sync.hq.bodies.from_wire`)
before it applies it: each returns why the event is refused, or None.

A refused event is quarantined with that reason (:mod:`sync.hq.ingest`), so any check
added here (re-pricing a sale with the engine, a gift card's balance) refuses the same
way: append it to :data:`CHECKS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from agent.events import Audit, JournalEvent, Sale
from agent.paid import TenderKind
from sync.hq import batch
from sync.hq.reprice_view import repriced
from sync.hq.store import HqStore

Check = Callable[[HqStore, JournalEvent], str | None]


def adjustment_within_policy(store: HqStore, event: JournalEvent) -> str | None:
    """A manager's adjustment moves at most HQ's ``max_adjust_points`` either way."""
    record = event.record
    if not isinstance(record, Audit) or record.action != "adjust_points":
        return None
    most = store.policy().max_adjust_points
    if abs(record.points) > most:
        return f"body.points: {record.points}, beyond the {most} an adjustment may move"
    return None


def loads_recomputed(store: HqStore, event: JournalEvent) -> str | None:
    """Every gift card a sale loads is loaded by a line of a product HQ says loads a card,
    by that line's price, one card a unit: a load HQ cannot recompute would mint money."""
    sale = event.record
    if not isinstance(sale, Sale):
        return None
    for load in sale.gift_loads:
        text = batch.product_doc(store, load.sku)
        line = next((ln for ln in sale.lines if ln.sku == load.sku), None)
        units = sum(1 for g in sale.gift_loads if g.sku == load.sku)
        if text is None or json.loads(text).get("loads_gift_card") is not True:
            return f"body.gift_loads: {load.sku} loads no gift card"
        if line is None or line.unit_minor != load.amount_minor or units > line.qty:
            return (
                f"body.gift_loads: {load.amount_minor} onto {load.card} is not what a line "
                f"of {load.sku} sold"
            )
    return None


def tenders_add_up(store: HqStore, event: JournalEvent) -> str | None:
    """A sale's tenders, where it says them, pay exactly what it asks: points what its
    points paid, the gift card what the card paid, money (cash, card, other) the rest;
    only cash was handed over beyond what it paid, and that is the change."""
    sale = event.record
    if not isinstance(sale, Sale) or not sale.tenders:
        return None  # a till before tenders, or a POS that did not say
    paid = {k: sum(p.amount_minor for p in sale.tenders if p.kind is k) for k in TenderKind}
    if sum(paid.values()) != sale.total_minor:
        return (
            f"body.tenders: add up to {sum(paid.values())}, the sale's total is {sale.total_minor}"
        )
    gift = sale.gift_card[1] if sale.gift_card else 0
    for kind, claimed, own in (
        (TenderKind.POINTS, paid[TenderKind.POINTS], sale.points_value_minor),
        (TenderKind.GIFT_CARD, paid[TenderKind.GIFT_CARD], gift),
    ):
        if claimed != own:
            return f"body.tenders: {kind} pays {claimed}, the sale says {own}"
    change = 0
    for i, p in enumerate(sale.tenders):
        if p.tendered_minor is None:
            continue
        if p.kind is not TenderKind.CASH or p.tendered_minor < p.amount_minor:
            return (
                f"body.tenders[{i}].tendered_minor: {p.tendered_minor}, not cash over what it paid"
            )
        change += p.tendered_minor - p.amount_minor
    if change != sale.change_minor:
        return f"body.change_minor: {sale.change_minor}, the cash handed over gives {change}"
    return None


# Re-pricing last: a sale or return HQ does not price the same, with the same engine and
# the inputs the terminal priced with (sync.hq.reprice), is not applied.
CHECKS: tuple[Check, ...] = (
    adjustment_within_policy,
    loads_recomputed,
    tenders_add_up,
    repriced,
)
