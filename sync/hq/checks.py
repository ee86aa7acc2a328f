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


# Re-pricing last: a sale or return HQ does not price the same, with the same engine and
# the inputs the terminal priced with (sync.hq.reprice), is not applied.
CHECKS: tuple[Check, ...] = (adjustment_within_policy, loads_recomputed, repriced)
