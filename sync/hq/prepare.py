"""What HQ works out of a terminal's batch before the batch takes its turn to write.

HQ's writers take turns (BEGIN IMMEDIATE on SQLite; on PostgreSQL the change counter's
row, :mod:`sync.hq.pg`), so what one does while it holds the turn, every other worker
waits for. Two things an event needs depend on the event alone and on nothing a writer
changes: its body read and checked (:func:`sync.hq.bodies.from_wire`), and, for a sale,
the record HQ makes of it with the engine from what the sale was priced with and the
ruleset of the version it names (:func:`sync.hq.reprice.priced_again`; a published
version is never changed). Both are done here, before the turn, for the events after
the seq HQ had acknowledged when it looked; the ingest then checks the sale's inputs
against HQ's customer, products and gift card inside its turn, as before
(:mod:`sync.hq.reprice_view`), and compares figures with the record made here.
"""

from __future__ import annotations

from typing import Any

from agent.errors import KassaError
from agent.events import JournalEvent, Sale
from sync.hq.batch import Prepared
from sync.hq.bodies import from_wire
from sync.hq.reprice import priced_again
from sync.hq.reprice_view import published
from sync.hq.store import HqStore


def prepare(
    store: HqStore, terminal_id: str, events: list[dict[str, Any]], price: bool = True
) -> dict[tuple[int, str], Prepared]:
    """The events of the batch (by seq and hash) HQ has not acknowledged yet, their
    bodies read and (if ``price``: the ingest's checks re-price) their sales priced
    again: :class:`sync.hq.batch.Prepared`. The first of two events of one seq and hash
    is kept, as the ingest takes the first."""
    row = store.conn.execute(
        "SELECT acked_seq FROM terminals WHERE terminal_id=?", (terminal_id,)
    ).fetchone()
    acked = -1 if row is None else int(row[0])  # an unknown terminal: the ingest says so
    out: dict[tuple[int, str], Prepared] = {}
    for ev in events:
        seq = ev["seq"]
        if seq <= acked or (seq, ev["hash"]) in out:
            continue  # already held: a duplicate is answered from what HQ keeps
        event = from_wire(ev["kind"], ev["body"], seq, terminal_id)
        out[seq, ev["hash"]] = Prepared(event, _ours(store, event) if price else None)
    return out


def _ours(store: HqStore, event: object) -> Sale | None:
    """HQ's record of a sale, priced again; None for other events, a sale without what it
    was priced with, or one naming a version HQ never published (the ingest says why)."""
    if not isinstance(event, JournalEvent) or not isinstance(event.record, Sale):
        return None
    sale = event.record
    rs = published(store, sale.ruleset_version)
    if sale.priced_with is None or rs is None:
        return None
    try:
        return priced_again(sale, sale.priced_with, rs)
    except (KassaError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError):
        # What the engine raises here it raises in the turn, which decides as before (a
        # sale the other checks refuse never reaches the engine there).
        return None
