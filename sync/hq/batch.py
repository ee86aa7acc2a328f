"""What HQ reads once per ingest batch rather than once per event.

:func:`sync.hq.ingest.ingest` takes in a batch inside one write transaction (BEGIN
IMMEDIATE on SQLite; on PostgreSQL others may write meanwhile, and a batch reads what
it reads once, as of its first read), during which the ingest itself never changes a
product or the offline policy. So, for the length of that transaction
(:func:`during`), what the checks read of those is kept (:func:`of`), and a customer's
document the re-pricing parsed is handed to the ingest applying the same event
(:meth:`Batch.keep_doc`, :meth:`Batch.take_doc`), not parsed a second time. Outside a
batch (a check called on its own) :func:`of` is None and everything is read afresh.
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
    product), the offline policy, and customers' documents parsed by a check."""

    store: HqStore
    thread: int  # the thread whose transaction it is: others read afresh
    products: dict[str, str | None] = field(default_factory=dict)
    policy: OfflinePolicy | None = None
    docs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def keep_doc(self, customer_id: str, text: str, doc: dict[str, Any]) -> None:
        """Keep ``doc``, read from ``text``, for the ingest applying this event."""
        self.docs[customer_id] = (text, doc)

    def take_doc(self, customer_id: str, text: str) -> dict[str, Any] | None:
        """The document a check parsed from ``text`` (the customer's document now), once;
        None if it parsed none or another text (the ingest then parses it)."""
        kept = self.docs.pop(customer_id, None)
        return kept[1] if kept is not None and kept[0] == text else None


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
