"""HQ on PostgreSQL (psycopg 3): the backend of :mod:`sync.hq.db` for a
``postgresql://`` URL.

Each thread has its own connection (autocommit: a statement outside a transaction is
its own). A write transaction (READ COMMITTED) first queues for the writers' advisory
lock, then takes the change counter's row (``hq_meta.rev``), and holds both to the
commit: HQ's writes take turns, as on SQLite
(BEGIN IMMEDIATE), so none reads a customer's document while another is rewriting it
(a lost update), and changes take their numbers (:meth:`sync.hq.store.HqStore.next_rev`)
in the order they commit, so a snapshot's cursor never skips one. A terminal's batch
also locks its row (``FOR UPDATE``, :mod:`sync.hq.ingest`). A lock waited for longer than
``write_wait_s`` (lock_timeout), a deadlock or a serialisation failure is StoreBusy:
HQ answers 503 and the terminal sends again. A read transaction (a snapshot) is
REPEATABLE READ, READ ONLY: one moment of the database.

psycopg's errors stop here, as sqlite3's stop in :mod:`agent.store.file`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors

from agent.errors import (
    KassaError,
    NotADatabase,
    StoreBusy,
    StoreCorrupted,
    StoreFull,
    StoreRefused,
    StoreUnavailable,
)
from sync.hq.db import POSTGRES, Conn, Cursor
from sync.hq.schema import PG_MIGRATIONS, migrations

MIGRATION_LOCK = 0x6B61737361  # pg_advisory_xact_lock: one worker migrates at a time
_PLACEHOLDER = re.compile(r"\?")


def shown(url: str) -> str:
    """``url`` without its password: how a database is named to a person."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def db_error(exc: psycopg.Error) -> KassaError:
    """The kassa error for a psycopg error, by its class (SQLSTATE)."""
    detail = str(exc).strip()
    if isinstance(
        exc,
        pg_errors.LockNotAvailable
        | pg_errors.DeadlockDetected
        | pg_errors.SerializationFailure
        | pg_errors.QueryCanceled
        | pg_errors.TooManyConnections,
    ):
        return StoreBusy(detail)
    if isinstance(exc, psycopg.IntegrityError):
        return StoreRefused(detail)
    if isinstance(exc, pg_errors.DiskFull | pg_errors.OutOfMemory):
        return StoreFull(detail)
    if isinstance(exc, pg_errors.DataCorrupted | pg_errors.IndexCorrupted):
        return StoreCorrupted(detail)
    return StoreUnavailable(detail)


@lru_cache(maxsize=1024)
def translated(sql: str) -> str:
    """HQ's SQL (``?`` placeholders) as psycopg takes it (``%s``; a ``%`` doubled)."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


class PgCursor:
    """A statement's results, its errors kassa's own. In a write transaction (pipeline
    mode) a statement's error may arrive only when its results, or a later statement's,
    are read: here too it is translated."""

    __slots__ = ("_cur", "_pipeline")

    def __init__(self, cur: psycopg.Cursor[Any], pipeline: psycopg.Pipeline | None) -> None:
        self._cur, self._pipeline = cur, pipeline

    @property
    def rowcount(self) -> int:
        try:
            if self._pipeline is not None and self._cur.rowcount < 0:
                self._pipeline.sync()  # the statement's result: waited for only when asked
            return self._cur.rowcount
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def fetchone(self) -> Any:
        try:
            return self._cur.fetchone()
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cur.fetchall()
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConn:
    """One thread's PostgreSQL connection, spoken to as :class:`sync.hq.db.Conn`.

    In a write transaction the connection is in pipeline mode (:meth:`PgBackend.
    transaction`): a statement is sent without waiting for its result, which is waited
    for only when read (a SELECT's rows, a rowcount) or at the commit. A batch's writes
    (its events, customers, store visits) then cost no round trip each: only the reads
    that decide what comes next do. The server runs the statements in the order sent,
    so a read sees every write before it.
    """

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.pipeline: psycopg.Pipeline | None = None

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        try:
            return PgCursor(self.raw.execute(translated(sql), tuple(parameters)), self.pipeline)
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        cur = self.raw.cursor()
        try:
            cur.executemany(translated(sql), [tuple(p) for p in parameters])
        except psycopg.Error as exc:
            raise db_error(exc) from exc
        return PgCursor(cur, self.pipeline)


def connect(url: str, write_wait_s: float) -> psycopg.Connection[Any]:
    """A connection to ``url`` that waits at most ``write_wait_s`` for a lock."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreUnavailable(f"{shown(url)}: {str(exc).strip()}") from None
    conn.execute(f"SET lock_timeout = {int(write_wait_s * 1000)}")
    return conn


def require_hq(conn: psycopg.Connection[Any], url: str) -> None:
    """Raise NotADatabase unless ``url``'s database is one HQ made."""
    row = conn.execute("SELECT to_regclass('kassa_migrations') IS NOT NULL").fetchone()
    found = bool(row and row[0])
    if found:
        found = (
            conn.execute(
                "SELECT 1 FROM kassa_migrations WHERE migration_set=%s LIMIT 1",
                (migrations.name,),
            ).fetchone()
            is not None
        )
    if not found:
        raise NotADatabase(f"{shown(url)}: a PostgreSQL database, but not a {migrations.name} one")


def migrate(conn: psycopg.Connection[Any]) -> None:
    """Apply the PostgreSQL migrations not applied yet, each once, under a lock: several
    HQ workers may start at once."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kassa_migrations (migration_set TEXT NOT NULL, "
            "name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
            "PRIMARY KEY (migration_set, name))"
        )
        done = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM kassa_migrations WHERE migration_set=%s", (migrations.name,)
            )
        }
        for name, ddl in PG_MIGRATIONS:
            if name not in done:
                conn.execute(ddl)  # no parameters: a script of several statements
                conn.execute(
                    "INSERT INTO kassa_migrations(migration_set, name) VALUES(%s, %s)",
                    (migrations.name, name),
                )


# A write transaction's first statements: HQ's writers take turns. First they queue for
# a transaction-scoped advisory lock (PostgreSQL's lock manager grants it to one waiter
# at a time, in turn); the holder then takes the change counter's row, made if need be,
# locked to the commit (its value unchanged), which no one else wants meanwhile. With
# the row's lock alone as the turn, every waiter woke at each commit to try the row again
# (ON CONFLICT DO UPDATE), and 200 terminals uploading at once over two workers took in
# 340-390 sales/s with a p99 upload of 46-51 s; queued on the advisory lock, 700-780 and
# 16-19 s (tests/sync/test_hq_workers_load.py holds the turn's guarantees). Their
# results are waited for (pipeline mode sends without waiting): the block starts with
# its turn.
TURN_LOCK = 0x6B61737362  # pg_advisory_xact_lock: the writers' turn (per database)
WAIT_TURN = f"SELECT pg_advisory_xact_lock({TURN_LOCK})"
TAKE_TURN = (
    "INSERT INTO hq_meta(key, value) VALUES('rev', '0') "
    "ON CONFLICT(key) DO UPDATE SET value=hq_meta.value RETURNING value"
)


class PgBackend:
    """HQ on a PostgreSQL database: see the module's text."""

    dialect = POSTGRES

    def __init__(self, url: str, create: bool, write_wait_s: float) -> None:
        self.url = url
        self.where = shown(url)
        self.write_wait_s = write_wait_s
        self._local = threading.local()
        first = self._raw()
        try:
            if create:
                migrate(first)
            else:
                require_hq(first, url)
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def _raw(self) -> psycopg.Connection[Any]:
        conn: PgConn | None = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            conn = PgConn(connect(self.url, self.write_wait_s))
            self._local.conn = conn
        return conn.raw

    def conn(self) -> Conn:
        self._raw()
        conn: PgConn = self._local.conn
        return conn

    @contextmanager
    def _tx(self, begin: str, *first: str, pipelined: bool = False) -> Iterator[Conn]:
        raw = self._raw()
        conn: PgConn = self._local.conn
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise StoreCorrupted("a transaction inside a transaction")  # a bug of HQ's
        committed = False
        try:
            with self._mode(conn, pipelined):
                conn.execute(begin)
                for statement in first:
                    conn.execute(statement).fetchone()  # done before the block starts
                yield conn
                conn.execute("COMMIT")
            committed = True  # in pipeline mode: once its end has the COMMIT's result
        finally:
            if not committed and not raw.closed:
                try:
                    raw.execute("ROLLBACK")
                except psycopg.Error:
                    raw.close()  # a connection lost: the next statement opens another

    @contextmanager
    def _mode(self, conn: PgConn, pipelined: bool) -> Iterator[None]:
        """Pipeline mode for the block (if ``pipelined``); an error of a statement that
        arrives at its end (the last results waited for) as kassa's own."""
        if not pipelined:
            yield
            return
        try:
            with conn.raw.pipeline() as pipeline:
                conn.pipeline = pipeline
                try:
                    yield
                finally:
                    conn.pipeline = None
        except psycopg.Error as exc:
            raise db_error(exc) from exc

    def transaction(self) -> AbstractContextManager[Conn]:
        return self._tx("BEGIN", WAIT_TURN, TAKE_TURN, pipelined=True)

    def reading(self) -> AbstractContextManager[Conn]:
        return self._tx("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def close(self) -> None:
        conn: PgConn | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.raw.close()
            self._local.conn = None


def database_url(server: str, name: str) -> str:
    """``server`` (a URL of any database of the cluster) naming database ``name``."""
    head, _, query = server.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def create_database(server: str, name: str, template: str | None = None) -> str:
    """Make database ``name`` in ``server``'s cluster (a copy of ``template`` if given;
    its role must be allowed to create databases): the benchmarks' fresh HQs. Returns
    its URL."""
    with psycopg.connect(server, autocommit=True) as admin:
        like = f' TEMPLATE "{template}"' if template else ""
        admin.execute(f'CREATE DATABASE "{name}"{like}')  # names: the caller's own
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
