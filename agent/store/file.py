"""The terminal's SQLite connection: WAL, synchronous=FULL, one write transaction at a time.

sqlite3's errors stop here: every statement run through a connection from
:func:`connect` raises kassa's own (StoreBusy, StoreFull, StoreUnavailable,
StoreRefused, StoreCorrupted), each with a title the cashier can read.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent.clock import parse_utc
from agent.errors import (
    KassaError,
    NotADatabase,
    StoreBusy,
    StoreCorrupted,
    StoreFull,
    StoreRefused,
    StoreUnavailable,
)

BUSY_TIMEOUT_MS = 5000
Connection = sqlite3.Connection  # what connect() returns, for modules that meet no sqlite3
MMAP_BYTES = 1 << 30  # a till's file of 1,000,000 customers is ~560 MB
# Every connection to the terminal's store: wait for the other thread's writes, WAL,
# a disk sync at each commit, foreign keys checked.
SETTINGS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # What is deleted or rewritten is overwritten with zeros, not left in free space
    # (a customer's old record must not linger in the file: agent.privacy).
    "PRAGMA secure_delete=ON",
)
# A connection that serves the checkout reads through a memory map of the file (writes
# still go through the WAL): a page the OS holds is read without a system call and a
# copy. SQLite's own page cache is 2 MB, so a card lookup at 1,000,000 held customers
# read 2.6 pages from the OS (0.7 at 10,000): its index and table leaves are never in
# that cache. A mapped page the process touched counts in its resident memory (the OS's
# page cache, shared, given back under pressure): a connection that reads the whole file
# (the sync worker applying a snapshot, HQ building one) is not mapped.
MAP_READS = f"PRAGMA mmap_size={MMAP_BYTES}"


def store_error(exc: sqlite3.Error) -> KassaError:
    """The kassa error for an sqlite3 error, by SQLite's own result code."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    detail = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(detail)
    if name.startswith("SQLITE_FULL"):
        return StoreFull(detail)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreCorrupted(detail)
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreRefused(detail)
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")):
        return StoreUnavailable(detail)
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailable(detail)
    return StoreCorrupted(detail)


class TranslatingCursor(sqlite3.Cursor):
    """A cursor whose errors, running a statement or reading its rows, arrive as kassa's."""

    def execute(self, sql: str, parameters: Any = (), /) -> TranslatingCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise store_error(exc) from exc
        return self

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> TranslatingCursor:
        try:
            super().executemany(sql, parameters)
        except sqlite3.Error as exc:
            raise store_error(exc) from exc
        return self

    def executescript(self, script: str, /) -> TranslatingCursor:
        try:
            super().executescript(script)
        except sqlite3.Error as exc:
            raise store_error(exc) from exc
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise store_error(exc) from exc

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size)
        except sqlite3.Error as exc:
            raise store_error(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise store_error(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise store_error(exc) from exc


class TranslatingConnection(sqlite3.Connection):
    """An SQLite connection whose errors arrive as kassa's own (:func:`store_error`):
    its statements, its cursors' statements and the rows they read."""

    def cursor(self, factory: Any = TranslatingCursor) -> Any:
        return super().cursor(factory)

    def _cursor(self) -> TranslatingCursor:
        cur: TranslatingCursor = self.cursor()
        return cur

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self._cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return self._cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        return self._cursor().executescript(script)

    def commit(self) -> None:
        try:
            super().commit()
        except sqlite3.Error as exc:
            raise store_error(exc) from exc


SQLITE_HEADER = b"SQLite format 3\x00"


def require_database(path: str | Path, migration_set: str) -> None:
    """Check that ``path`` is a database kassa made (``migration_set`` names which: the
    terminal's or HQ's) without creating or changing anything.

    Raises NotADatabase naming the path and what is wrong with it.
    """
    p = Path(path)
    if not p.exists():
        where = "no such file" if p.parent.is_dir() else f"no such folder {p.parent}"
        raise NotADatabase(f"{p}: {where}")
    if not p.is_file():
        raise NotADatabase(f"{p}: not a file")
    try:
        with p.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise NotADatabase(f"{p}: {exc.strerror}") from None
    if header != SQLITE_HEADER:
        raise NotADatabase(f"{p}: not an SQLite database")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=rw", uri=True)
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        ours = (
            "_sqlite_migrations" in tables
            and conn.execute(
                "SELECT 1 FROM _sqlite_migrations WHERE migration_set=? LIMIT 1", (migration_set,)
            ).fetchone()
            is not None
        )
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    finally:
        conn.close()
    if not ours:
        raise NotADatabase(f"{p}: an SQLite database, but not a {migration_set} one")


PRIVATE_MODE = 0o600  # customers, balances, credentials: the owner's alone


def keep_private(path: str | Path) -> None:
    """Create the database file at ``path`` readable by its owner only, before SQLite
    does (SQLite gives its -wal and -shm files the database's mode), and take away
    what everyone may do with one that already exists, with its -wal and -shm (a
    group, e.g. a ``kassa`` group for backups, keeps its access)."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        os.close(fd)
    except FileExistsError:
        for f in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")):
            with contextlib.suppress(FileNotFoundError, PermissionError):
                mode = stat.S_IMODE(f.stat().st_mode)
                if mode & 0o007:
                    os.chmod(f, mode & ~0o007)
    except OSError as exc:
        raise StoreUnavailable(f"{p}: {exc.strerror}") from None


def connect(path: str | Path, mapped: bool = False) -> sqlite3.Connection:
    """Open an SQLite connection with kassa's durability settings; a new file is created
    readable by its owner only (:func:`keep_private`).

    Raises StoreUnavailable (the folder is missing or unreadable) or StoreCorrupted.
    """
    if str(path) != ":memory:" and not str(path).startswith("file:"):
        keep_private(path)
    try:
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            check_same_thread=False,
            factory=TranslatingConnection,
        )
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    for pragma in SETTINGS:
        (value,) = conn.execute(pragma).fetchone() or (None,)
        if pragma.endswith("journal_mode=WAL") and str(path) != ":memory:" and value != "wal":
            raise StoreCorrupted(f"could not switch {path} to WAL (got {value})")
    if mapped:
        conn.execute(MAP_READS).fetchone()
    return conn


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """Open the database at ``path`` for reading only (nothing is created, migrated or
    changed: ``kassa doctor``). Raises StoreUnavailable or StoreCorrupted."""
    try:
        conn = sqlite3.connect(
            f"{Path(path).resolve().as_uri()}?mode=ro",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            factory=TranslatingConnection,
        )
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def online_backup(source: sqlite3.Connection, dest: str | Path) -> None:
    """Copy the database ``source`` is open on to a new file ``dest`` (created 0600) with
    SQLite's online backup API, in one step: one read transaction, so the copy is one
    consistent state while other connections keep writing (WAL: they never wait for it).

    Raises StoreUnavailable (``dest`` cannot be written), StoreFull or StoreCorrupted.
    """
    keep_private(dest)
    try:
        target = sqlite3.connect(str(dest), isolation_level=None)
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    try:
        source.backup(target)
    except sqlite3.Error as exc:
        raise store_error(exc) from exc
    finally:
        target.close()


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's ``PRAGMA integrity_check`` finds wrong in the file (none: [])."""
    found = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if found == ["ok"] else found


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn``, taken up front (BEGIN IMMEDIATE), committed, or
    rolled back when the block (or the COMMIT) fails."""
    conn.execute("BEGIN IMMEDIATE")
    committed = False
    try:
        yield conn
        conn.execute("COMMIT")
        committed = True
    finally:
        # Whatever stopped the block (a refusal, a store error, Ctrl+C), nothing half
        # written stays: the error goes on to the caller, who shows it to the cashier
        # (or HQ answers it); SQLite may have rolled back already (disk full).
        if not committed and conn.in_transaction:
            conn.execute("ROLLBACK")


class StoreFile:
    """The terminal's SQLite file: one connection with kassa's settings, write
    transactions, and the meta table. :class:`agent.store.catalogue.Catalogue` and
    :class:`agent.store.ledger.Ledger` both work through it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = Database(conn)

    def data_version(self) -> int:
        """A number that changes whenever another connection (the sync thread) commits."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def atomic(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, taken up front (BEGIN IMMEDIATE), committed or rolled back."""
        return write_transaction(self.conn)

    # -- meta -----------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def forget_meta(self, *keys: str) -> None:
        """Drop the values under ``keys``."""
        self.conn.executemany("DELETE FROM meta WHERE key=?", [(k,) for k in keys])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def later_than_held(self, key: str, at: datetime, step_s: float = 0.0) -> bool:
        """True when ``at`` is later than the time under meta ``key`` by more than ``step_s``
        (or none is held)."""
        held = self.get_meta(key)
        return held is None or (at - parse_utc(held)).total_seconds() > step_s

    def note_time(self, key: str, at: datetime, step_s: float = 0.0) -> None:
        """Keep ``at`` under meta ``key`` if it is later than the time held there (by more
        than ``step_s``). The times a terminal has seen only move forward: see
        :mod:`agent.timefloor`. Call it inside a write transaction."""
        if self.later_than_held(key, at, step_s):
            self.set_meta(key, at.isoformat())
