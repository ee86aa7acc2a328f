"""The terminal's local store: one SQLite file (WAL, synchronous=FULL) via sqlite-utils.

``file`` is the connection (kassa's settings, sqlite3's errors translated, write
transactions, the meta table) and ``schema`` its migrations. Two rooms share the
file's one connection: the :class:`Catalogue` (``catalogue``: what HQ sent, products,
customers, the ruleset, the offline policy) and the :class:`Ledger` (``ledger``: what
the till wrote, the journal, the ledger, usage, print jobs, the outbox; ``entries``
holds the values it writes and hands out).
A sale and everything that goes with it are written in one transaction: once
``store.ledger.commit_sale`` returns, the sale survives a power cut. One
connection per thread; open a Store in each thread.
"""

from __future__ import annotations

from pathlib import Path

from agent.store.catalogue import Catalogue
from agent.store.file import StoreFile, connect, connect_readonly, require_database
from agent.store.ledger import Ledger
from agent.store.resident import Resident
from agent.store.schema import migrations


class Store:
    """The terminal's store: its file, what HQ sent, and what the till wrote."""

    def __init__(self, file: StoreFile, resident: Resident | None = None) -> None:
        self.file = file
        self.conn = file.conn
        self.catalogue = Catalogue(file)
        self.ledger = Ledger(file)
        self.resident = resident

    @classmethod
    def open(cls, path: str | Path, *, mapped: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at ``path``; ``mapped``:
        read through a memory map, the whole file kept in memory while it is open (the
        checkout's long-lived store, for its lookups: :data:`agent.store.file.MAP_READS`,
        :mod:`agent.store.resident`), not for a short-lived connection or one that reads
        the whole file.

        Raises StoreUnavailable or StoreCorrupted when the file cannot serve.
        """
        file = StoreFile(connect(path, mapped))
        migrations.apply(file.db)
        if not mapped:
            return cls(file)
        resident = Resident(Path(path))
        resident.start()  # in the background: ~0.3 s at 1,000,000 customers held
        return cls(file, resident)

    @classmethod
    def open_existing(cls, path: str | Path) -> Store:
        """Open the terminal's store at ``path``, which must already be one.

        Raises NotADatabase when nothing is there or something else is.
        """
        require_database(path, migrations.name)
        return cls.open(path)

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        """The terminal's store at ``path`` for reading only: nothing is created, migrated
        or written (``kassa doctor``, a backup being checked).

        Raises NotADatabase when nothing is there or something else is.
        """
        require_database(path, migrations.name)
        return cls(StoreFile(connect_readonly(path)))

    def close(self) -> None:
        if self.resident is not None:
            self.resident.close()
        self.conn.close()
