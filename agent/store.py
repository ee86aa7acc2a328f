"""The terminal's local store: one SQLite file (WAL, synchronous=FULL) via sqlite-utils.

A sale, its ledger entries, its usage counters, its print job and its outbox row
are written in one transaction: once :meth:`Store.commit_sale` returns, the sale
survives a power cut. One connection per thread; open a Store in each thread.
"""

from __future__ import annotations

from pathlib import Path

from agent.catalogue import CatalogueStore
from agent.entries import Committed, GiftCardMove, LedgerMove, NewSale, OutboxStats, PendingEvent
from agent.ledger import LedgerStore
from agent.schema import migrations
from agent.store_base import SETTINGS, connect

__all__ = [
    "SETTINGS",
    "Committed",
    "GiftCardMove",
    "LedgerMove",
    "NewSale",
    "OutboxStats",
    "PendingEvent",
    "Store",
    "connect",
]


class Store(CatalogueStore, LedgerStore):
    """The terminal's store: what HQ sent (:class:`CatalogueStore`) and what the till
    wrote (:class:`LedgerStore`), through one connection."""

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating if needed) the store at ``path``."""
        store = cls(connect(path))
        migrations.apply(store.db)
        return store

    def close(self) -> None:
        self.conn.close()
