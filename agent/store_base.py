"""The terminal's SQLite connection: WAL, synchronous=FULL, one write transaction at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from agent.errors import StoreCorrupted
from agent.model import OfflinePolicy
from agent.ruleset import Ruleset

BUSY_TIMEOUT_MS = 5000
# Every connection to the terminal's store: wait for the other thread's writes, WAL,
# a disk sync at each commit, foreign keys checked.
SETTINGS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


def connect(path: str | Path) -> sqlite3.Connection:
    """Open an SQLite connection with kassa's durability settings."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in SETTINGS:
        (value,) = conn.execute(pragma).fetchone() or (None,)
        if pragma.endswith("journal_mode=WAL") and str(path) != ":memory:" and value != "wal":
            raise StoreCorrupted(f"could not switch {path} to WAL (got {value})")
    return conn


class StoreBase:
    """A connection with kassa's settings, write transactions, and the meta table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = Database(conn)
        self._ruleset_cache: Ruleset | None = None
        self._policy_text: str | None = None
        self._policy = OfflinePolicy()

    def data_version(self) -> int:
        """A number that changes whenever another connection (the sync thread) commits."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front (BEGIN IMMEDIATE), committed or rolled back."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- meta -----------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )
