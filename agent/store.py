"""The terminal's local store: one SQLite file (WAL, synchronous=FULL) via sqlite-utils.

Two rooms share the file's one connection: the :class:`Catalogue` (what HQ sent:
products, customers, the ruleset, the offline policy) and the :class:`Ledger`
(what the till wrote: the journal, the ledger, usage, print jobs, the outbox).
A sale and everything that goes with it are written in one transaction: once
``store.ledger.commit_sale`` returns, the sale survives a power cut. One
connection per thread; open a Store in each thread.
"""

from __future__ import annotations

from pathlib import Path

from agent.catalogue import Catalogue
from agent.ledger import Ledger
from agent.schema import migrations
from agent.store_base import StoreFile, connect, require_database


class Store:
    """The terminal's store: its file, what HQ sent, and what the till wrote."""

    def __init__(self, file: StoreFile) -> None:
        self.file = file
        self.conn = file.conn
        self.catalogue = Catalogue(file)
        self.ledger = Ledger(file)

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating if needed) the store at ``path``.

        Raises StoreUnavailable or StoreCorrupted when the file cannot serve.
        """
        file = StoreFile(connect(path))
        migrations.apply(file.db)
        return cls(file)

    @classmethod
    def open_existing(cls, path: str | Path) -> Store:
        """Open the terminal's store at ``path``, which must already be one.

        Raises NotADatabase when nothing is there or something else is.
        """
        require_database(path, migrations.name)
        return cls.open(path)

    def close(self) -> None:
        self.conn.close()
