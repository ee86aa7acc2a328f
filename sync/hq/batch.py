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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import get_ident
from typing import Any

from agent.model import OfflinePolicy
from sync.hq.store import HqStore


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
def during(store: HqStore) -> Iterator[Batch]:
    """A batch's reads, kept while the caller's write transaction on ``store`` lasts."""
    key = (id(store), get_ident())
    batch = _OPEN[key] = Batch(store, key[1])
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
