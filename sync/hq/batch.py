"""What HQ reads once per ingest batch rather than once per event.

:func:`sync.hq.ingest.ingest` takes in a batch inside one write transaction (BEGIN
IMMEDIATE on SQLite; on PostgreSQL others may write meanwhile, and a batch reads what
it reads once, as of its first read), during which the ingest itself never changes a
product or the offline policy. So, for the length of that transaction
(:func:`during`), what the checks read of those is kept (:func:`of`), and a customer's
document the re-pricing parsed is handed to the ingest applying the same event
(:meth:`Batch.keep_row`, :meth:`Batch.take_row`), not read a second time; the store a
terminal stands in is read once. Outside a batch (a check called on its own) :func:`of`
is None and everything is read afresh. Each read spared is a round trip on PostgreSQL.

What needs no turn is worked out before the transaction begins (:mod:`sync.hq.prepare`:
each body read, each sale priced again with the engine) and handed to it here
(:attr:`Batch.prepared`, :meth:`Batch.priced_as`), so HQ's writers, who take turns,
spend their turn on reads and writes rather than on the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import get_ident
from typing import Any

from agent.events import JournalEvent, Sale
from agent.model import OfflinePolicy
from sync.hq.bodies import Refusal
from sync.hq.store import HqStore


@dataclass(frozen=True, slots=True)
class Prepared:
    """An event of a batch as worked out before the batch's turn: its body read
    (:func:`sync.hq.bodies.from_wire`) and, for a sale, the record HQ makes of it with
    the engine (:func:`sync.hq.reprice.priced_again`; None: not priced before)."""

    event: JournalEvent | Refusal
    ours: Sale | None = None


@dataclass(slots=True)
class Batch:
    """One ingest batch's reads: products by SKU (their document text, None: no such
    product), the offline policy, the store of each terminal, and customers' rows (their
    document parsed, their balance) read by a check."""

    store: HqStore
    thread: int  # the thread whose transaction it is: others read afresh
    products: dict[str, str | None] = field(default_factory=dict)
    policy: OfflinePolicy | None = None
    rows: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    stores: dict[str, str] = field(default_factory=dict)  # terminal_id -> store_id
    prepared: dict[tuple[int, str], Prepared] = field(default_factory=dict)  # (seq, hash)
    priced: dict[int, tuple[Sale, Sale]] = field(default_factory=dict)  # id(sale): ours

    def priced_as(self, sale: Sale) -> Sale | None:
        """HQ's own record of ``sale`` if it was priced before the turn: ``sale`` must be
        the very record read then (:attr:`prepared`), not one equal to it."""
        found = self.priced.get(id(sale))
        return found[1] if found is not None and found[0] is sale else None

    def keep_row(self, customer_id: str, doc: dict[str, Any], balance: int) -> None:
        """Keep the customer's row as a check read it, for the ingest applying this
        event. Within the batch's transaction only the ingest writes a customer, and it
        takes (drops) the kept row before it does: a kept row is the row as it is."""
        self.rows[customer_id] = (doc, balance)

    def take_row(self, customer_id: str) -> tuple[dict[str, Any], int] | None:
        """The customer's row a check kept (its document, the balance), once; None if
        none was kept (the ingest then reads it)."""
        return self.rows.pop(customer_id, None)


# The batches open now, by id(store) and thread: on PostgreSQL the threads of one HQ
# worker take in batches at once, each in its own transaction (a store in a batch is
# alive: the batch holds it).
_OPEN: dict[tuple[int, int], Batch] = {}


@contextmanager
def during(
    store: HqStore, prepared: dict[tuple[int, str], Prepared] | None = None
) -> Iterator[Batch]:
    """A batch's reads, kept while the caller's write transaction on ``store`` lasts;
    ``prepared``: its events as worked out before (by seq and hash)."""
    key = (id(store), get_ident())
    ready = prepared or {}
    priced = {
        id(p.event.record): (p.event.record, p.ours)
        for p in ready.values()
        if isinstance(p.event, JournalEvent) and isinstance(p.event.record, Sale) and p.ours
    }
    batch = _OPEN[key] = Batch(store, key[1], prepared=ready, priced=priced)
    try:
        yield batch
    finally:
        del _OPEN[key]


def of(store: HqStore) -> Batch | None:
    """The batch this thread is taking in on ``store`` now, or None."""
    return _OPEN.get((id(store), get_ident()))


def product_doc(store: HqStore, sku: str) -> str | None:
    """The document of HQ's product ``sku`` (None: no such product), read once a batch."""
    now = of(store)
    if now is not None and sku in now.products:
        return now.products[sku]
    row = store.conn.execute("SELECT doc FROM hq_products WHERE sku=?", (sku,)).fetchone()
    text = None if row is None else str(row[0])
    if now is not None:
        now.products[sku] = text
    return text
