"""HQ's database, whichever it is: SQLite (a file: the demo and a single store) or
PostgreSQL (a chain), chosen by the database URL (:func:`backend_of`).

HQ's code talks to one small interface: a connection (:class:`Conn`: ``execute`` and
``executemany`` with ``?`` placeholders, rows as tuples, ``rowcount``) per thread, one
write transaction at a time where it must be, and a :class:`Dialect` for the few
expressions the two write differently (reading a JSON document's field, mostly).
The SQLite backend is here; the PostgreSQL one is :mod:`sync.hq.pg` (psycopg is
imported only when a PostgreSQL URL is given: :func:`sync.hq.store.backend_of`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from agent.errors import StoreBusy
from agent.store.file import connect, require_database, write_transaction

PG_SCHEMES = ("postgresql://", "postgres://")
SQLITE_SCHEME = "sqlite:///"


class Cursor(Protocol):
    """What a statement gives back: its rows (tuples) and the rows it changed."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """One thread's connection: statements with ``?`` placeholders; errors arrive as
    kassa's own (StoreBusy, StoreRefused, StoreUnavailable, ...)."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


def _path(key: str) -> str:
    """A JSON path in a document (``gift_card.card``) as SQLite writes it."""
    return "$." + key


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the two databases write differently. ``col`` is a column (or an alias's
    column) holding a JSON document as text; ``key`` a field, dotted for a nested one."""

    name: str

    @property
    def postgres(self) -> bool:
        return self.name == "postgresql"

    def text(self, col: str, key: str) -> str:
        """The field ``key`` of the document in ``col``, as text (NULL if missing)."""
        if self.postgres:
            return f"({col}::jsonb #>> '{{{key.replace('.', ',')}}}')"
        return f"json_extract({col}, '{_path(key)}')"

    def int(self, col: str, key: str) -> str:
        """The field ``key`` of the document in ``col``, as a whole number."""
        if self.postgres:
            return f"({self.text(col, key)}::bigint)"
        return f"json_extract({col}, '{_path(key)}')"

    def length(self, col: str, key: str) -> str:
        """The length of the list ``key`` of the document in ``col`` (NULL if missing)."""
        if self.postgres:
            return f"jsonb_array_length({col}::jsonb #> '{{{key.replace('.', ',')}}}')"
        return f"json_array_length({col}, '{_path(key)}')"

    def holds(self, col: str, key: str) -> str:
        """A condition: the list ``key`` of the document in ``col`` holds the text given
        as the next parameter."""
        if self.postgres:
            return f"(({col}::jsonb #> '{{{key}}}') @> jsonb_build_array(?::text))"
        return f"EXISTS (SELECT 1 FROM json_each({col}, '{_path(key)}') WHERE value=?)"

    @property
    def ordered_join(self) -> str:
        """A join SQLite's planner must take in the order written (CROSS JOIN); a plain
        join in PostgreSQL, whose planner orders joins by their costs."""
        return "JOIN" if self.postgres else "CROSS JOIN"

    def indexed_by(self, index: str) -> str:
        """SQLite told which index to read (none: PostgreSQL chooses by costs)."""
        return "" if self.postgres else f"INDEXED BY {index}"

    @property
    def lock_row(self) -> str:
        """Appended to a SELECT inside a write transaction: the rows read stay the
        reader's until it commits (SQLite's write transaction holds the whole file)."""
        return " FOR UPDATE" if self.postgres else ""


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgresql")


def is_postgres(url: str | Path) -> bool:
    return str(url).startswith(PG_SCHEMES)


def sqlite_path(url: str | Path) -> str:
    """The file of an SQLite URL or a plain path: as SQLAlchemy reads them,
    ``sqlite:///hq.db`` is relative, ``sqlite:////srv/hq.db`` absolute."""
    text = str(url)
    return text[len(SQLITE_SCHEME) :] if text.startswith(SQLITE_SCHEME) else text


class Backend(Protocol):
    """A database HQ runs on: a connection per thread, write and read transactions."""

    dialect: Dialect
    where: str  # the database as said to a person (a path, or a URL without password)

    def conn(self) -> Conn: ...
    def transaction(self) -> AbstractContextManager[Conn]: ...
    def reading(self) -> AbstractContextManager[Conn]: ...
    def close(self) -> None: ...


class SqliteBackend:
    """HQ on one SQLite file (WAL, synchronous=FULL): a connection per thread; one
    write transaction at a time, taken up front (BEGIN IMMEDIATE)."""

    dialect = SQLITE

    def __init__(self, path: str, create: bool, write_wait_s: float, migrations: Any) -> None:
        if not create:
            require_database(path, migrations.name)
        self.path = self.where = path
        self.write_wait_s = write_wait_s
        self._local = threading.local()
        self._writer = threading.RLock()
        self.conn()
        migrations.apply(Database(self._local.conn))

    def conn(self) -> Conn:
        conn: Conn | None = getattr(self._local, "conn", None)
        if conn is None:
            raw = connect(self.path)
            raw.execute(f"PRAGMA busy_timeout={int(self.write_wait_s * 1000)}")
            self._local.conn = conn = raw
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """The threads of one HQ process queue here rather than poll SQLite's lock, then
        wait for another process's (busy_timeout); StoreBusy past ``write_wait_s``."""
        if not self._writer.acquire(timeout=self.write_wait_s):
            raise StoreBusy(f"HQ's other writers held the database for {self.write_wait_s} s")
        try:
            self.conn()
            with write_transaction(self._local.conn) as c:
                yield c
        finally:
            self._writer.release()

    @contextmanager
    def reading(self) -> Iterator[Conn]:
        """One read transaction: what is read in it is one moment of the database."""
        c = self.conn()
        c.execute("BEGIN")
        try:
            yield c
        finally:
            c.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
