"""The reference HQ's storage: an SQLite file (WAL, FULL) or a PostgreSQL database, chosen
by its URL (:mod:`sync.hq.db`), and HQ's administration (terminals, products,
customers, rulesets, quotas, allowances, gift cards, policy).

All de-duplication stands in unique constraints ((terminal_id, seq) is the
primary key of hq_events), so several HQ workers can share one database. Taking in
events is :mod:`sync.hq.ingest`; building a terminal's snapshot :mod:`sync.hq.snapshot`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.journal import GENESIS
from agent.model import OfflinePolicy
from agent.privacy import new_seal_key
from agent.ruleset import Ruleset
from agent.ruleset_reader import parse_ruleset
from agent.signing import new_private_key
from sync.hq.auth import Verifier, hash_secret
from sync.hq.db import Backend, Conn, Dialect, SqliteBackend, is_postgres, sqlite_path
from sync.hq.history import remember
from sync.hq.keys import db_key, load_or_create, seal_key
from sync.hq.schema import migrations
from sync.hq.spend import requalify

# How long a write waits for the others: first in this process, in turn (the threads
# of one HQ worker queue here rather than poll SQLite's lock), then for another
# process's (busy_timeout; PostgreSQL's lock_timeout). Past it the write fails with
# StoreBusy: HQ answers 503.
WRITE_WAIT_S = 20.0


def backend_of(url: str | Path, create: bool, write_wait_s: float) -> Backend:
    """The backend for ``url``: PostgreSQL for ``postgresql://...``, else an SQLite file
    (a path, or ``sqlite:///path``). ``create=False``: the database must be HQ's already
    (NotADatabase otherwise)."""
    if is_postgres(url):
        from sync.hq.pg import PgBackend  # psycopg only for a PostgreSQL HQ

        return PgBackend(str(url), create, write_wait_s)
    return SqliteBackend(sqlite_path(url), create, write_wait_s, migrations)


class HqStore:
    """Thread-safe: each thread gets its own connection to the same database."""

    def __init__(
        self, path: str | Path, *, create: bool = True, write_wait_s: float = WRITE_WAIT_S
    ) -> None:
        """Open HQ's database at ``path`` (a file, ``sqlite:///file`` or
        ``postgresql://...``); ``create=False`` (the admin commands): it must be HQ's
        already, or NotADatabase is raised. A write waits up to ``write_wait_s`` for
        the others."""
        self.path = str(path)
        self.write_wait_s = write_wait_s
        self.backend = backend_of(path, create, write_wait_s)
        self.dialect: Dialect = self.backend.dialect
        self._verifier = Verifier()
        self._seal: bytes | None = None
        self._revs = threading.local()  # this thread's write transaction's change numbers
        # Seconds this process's write transactions held HQ's turn (from the wait for it
        # to the commit), all threads: what no other writer can do meanwhile (the bench's
        # hq_ingest_turn_ms).
        self.turn_s = 0.0

    @property
    def conn(self) -> Conn:
        """This thread's connection."""
        return self.backend.conn()

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One write transaction, committed or rolled back; raises StoreBusy when the
        other writers keep it waiting past ``write_wait_s``. The change counter it
        advances (:meth:`next_rev`) is written back once, before it commits."""
        revs = self._revs
        t0 = time.perf_counter()
        try:
            with self.backend.transaction() as c:
                revs.open, revs.taken, revs.stored = True, None, None
                try:
                    yield c
                    if revs.taken != revs.stored:
                        c.execute("UPDATE hq_meta SET value=? WHERE key='rev'", (str(revs.taken),))
                finally:
                    revs.open, revs.taken, revs.stored = False, None, None
        finally:
            self.turn_s += time.perf_counter() - t0

    def reading(self) -> AbstractContextManager[Conn]:
        """One read transaction: all read in it is one moment of HQ's database."""
        return self.backend.reading()

    def close(self) -> None:
        """Close this thread's connection."""
        self.backend.close()

    def next_rev(self) -> int:
        """Advance HQ's change counter; what changes carries it so a snapshot finds it.
        (Its row stays locked until the transaction ends: on PostgreSQL the changes
        take their numbers in the order they commit.) In a write transaction the row is
        read and advanced once, the numbers after it counted here (the transaction
        holds the row: no other writer takes one meanwhile) and the last written back
        at its end: one statement a transaction, not one a change."""
        revs = self._revs
        if getattr(revs, "open", False) and revs.taken is not None:
            revs.taken += 1
            return int(revs.taken)
        row = self.conn.execute(
            "INSERT INTO hq_meta(key, value) VALUES('rev', '1') "
            "ON CONFLICT(key) DO UPDATE SET value=CAST(CAST(hq_meta.value AS BIGINT)+1 AS TEXT) "
            "RETURNING value"
        ).fetchone()
        if getattr(revs, "open", False):  # inside transaction(): the rest counted here
            revs.taken = revs.stored = int(row[0])
        return int(row[0])

    # -- administration -------------------------------------------------------------
    def add_terminal(self, terminal_id: str, secret: str) -> None:
        """Register a terminal (or give it a new secret): only a salted hash is kept
        (:mod:`sync.hq.auth`); `kassa hq add-terminal` checks the secret's strength."""
        self.conn.execute(
            "INSERT INTO terminals(terminal_id, secret_hash, last_hash) VALUES(?,?,?) "
            "ON CONFLICT(terminal_id) DO UPDATE SET secret_hash=excluded.secret_hash",
            (terminal_id, hash_secret(secret), GENESIS),
        )

    def set_terminal_store(self, terminal_id: str, store_id: str) -> None:
        """Say which store a terminal stands in (``main`` until said): one card used at two
        stores too soon to travel between them is a fraud signal."""
        cur = self.conn.execute(
            "UPDATE terminals SET store_id=? WHERE terminal_id=?", (store_id, terminal_id)
        )
        if cur.rowcount != 1:
            raise ValueError(f"no terminal {terminal_id!r}")

    def add_staff(self, staff_id: str, name: str, card: str | None) -> None:
        """Add or change one of HQ's staff, with their own loyalty card if they have one:
        their card on sales they ring up themselves is a fraud signal."""
        self.conn.execute(
            "INSERT INTO hq_staff(staff_id, name, card) VALUES(?,?,?) ON CONFLICT(staff_id) "
            "DO UPDATE SET name=excluded.name, card=excluded.card",
            (staff_id, name, card),
        )

    def authenticate(self, terminal_id: str, secret: str) -> bool:
        if "\x00" in terminal_id:
            return False  # no terminal's id (PostgreSQL keeps no NUL in a text)
        row = self.conn.execute(
            "SELECT secret_hash FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        return row is not None and self._verifier.matches(terminal_id, row[0], secret)

    def phone_key(self) -> str:
        """HQ's key for the phone hashes terminals look customers up by (hex, 32 bytes),
        made on first use and kept for the life of the database (:mod:`agent.privacy`)."""
        row = self.conn.execute("SELECT value FROM hq_meta WHERE key='phone_key'").fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO hq_meta(key, value) VALUES('phone_key', ?) "
                "ON CONFLICT(key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = self.conn.execute("SELECT value FROM hq_meta WHERE key='phone_key'").fetchone()
        return str(row[0])

    def seal_key(self) -> bytes:
        """HQ's X25519 private key that opens phone numbers sealed at enrolment: in a file
        beside an SQLite database (:mod:`sync.hq.keys`), in a PostgreSQL one, or this
        object's own for ``:memory:``."""
        if self._seal is None:
            if is_postgres(self.path):
                self._seal = db_key(self.conn, "seal", new_seal_key)
            elif self.path == ":memory:":
                self._seal = new_seal_key()
            else:
                self._seal = seal_key(self.backend.where)
        return self._seal

    def signing_key(self) -> bytes:
        """HQ's Ed25519 private key that signs what it sends: in a file beside an SQLite
        database (with the ``.pub`` file terminals are given), or in a PostgreSQL one
        (`kassa hq public-key` prints its public half)."""
        if is_postgres(self.path):
            return db_key(self.conn, "signing", new_private_key)
        return load_or_create(self.backend.where)

    def publish_ruleset(self, document: dict[str, Any]) -> int:
        ruleset = parse_ruleset(document)  # refuse what a terminal would refuse
        self.conn.execute(
            "INSERT INTO hq_rulesets(version, document) VALUES(?, ?)",
            (ruleset.version, json.dumps(document, ensure_ascii=False)),
        )
        return ruleset.version

    def upsert_product(self, doc: dict[str, Any]) -> None:
        """Add or change a product; a changed price keeps the one before it
        (``previous_price_minor``): a terminal that has not heard of it yet may charge it."""
        row = self.conn.execute(
            f"SELECT doc FROM hq_products WHERE sku=?{self.dialect.lock_row}", (doc["sku"],)
        ).fetchone()
        if row is not None:
            old = json.loads(row[0])
            was, now = old.get("price_minor"), doc.get("price_minor")
            changed = was is not None and now is not None and was != now
            doc = dict(
                doc, previous_price_minor=was if changed else old.get("previous_price_minor")
            )
        self.conn.execute(
            "INSERT INTO hq_products(sku, doc, rev) VALUES(?,?,?) ON CONFLICT(sku) "
            "DO UPDATE SET doc=excluded.doc, rev=excluded.rev",
            (doc["sku"], json.dumps(doc, ensure_ascii=False), self.next_rev()),
        )

    def upsert_customer(self, doc: dict[str, Any], at: datetime | None = None) -> None:
        """Add or change a customer; a changed tier, segment, country or birthday keeps the
        state before it (:mod:`sync.hq.history`, as of ``at``, default now): a till that
        priced a sale with it offline is not refused for it."""
        profile = {k: v for k, v in doc.items() if k not in ("customer_id", "card", "balance")}
        row = self.conn.execute(
            "SELECT doc FROM hq_customers WHERE customer_id=?", (doc["customer_id"],)
        ).fetchone()
        remember(None if row is None else json.loads(row[0]), profile, at or datetime.now(UTC))
        self.conn.execute(
            "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?) "
            "ON CONFLICT(customer_id) DO UPDATE SET card=excluded.card, doc=excluded.doc, "
            "balance=excluded.balance, rev=excluded.rev",
            (
                doc["customer_id"],
                doc["card"],
                json.dumps(profile, ensure_ascii=False),
                int(doc.get("balance", 0)),
                self.next_rev(),
            ),
        )

    # -- sync ------------------------------------------------------------------------
    def timezone(self) -> str:
        row = self.conn.execute(
            "SELECT document FROM hq_rulesets ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return str(json.loads(row[0])["timezone"]) if row else "UTC"

    def ruleset(self) -> Ruleset | None:
        """The programme HQ published last, or None before the first."""
        row = self.conn.execute(
            "SELECT document FROM hq_rulesets ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return parse_ruleset(json.loads(row[0])) if row else None

    def age_spend(self, at: datetime) -> None:
        """Take the spend aged out of the window by ``at`` off every customer's qualifying
        figure (and their tier, if the programme lowers tiers)."""
        rows = self.conn.execute(
            "SELECT customer_id, doc FROM hq_customers "
            f"WHERE {self.dialect.text('doc', 'spend_until')} <= ?",
            (at.isoformat(),),
        ).fetchall()
        rs = self.ruleset() if rows else None
        for cid, text in rows:
            doc = json.loads(text)
            if requalify(doc, at, rs):
                self.conn.execute(
                    "UPDATE hq_customers SET doc=?, rev=? WHERE customer_id=?",
                    (json.dumps(doc, ensure_ascii=False), self.next_rev(), cid),
                )

    def revoke(self, rule_id: str) -> None:
        """Stop a campaign everywhere: terminals apply it at their next download."""
        self.conn.execute(
            "INSERT INTO hq_revocations(rule_id, rev) VALUES(?, ?) "
            "ON CONFLICT(rule_id) DO UPDATE SET rev=excluded.rev",
            (rule_id, self.next_rev()),
        )

    def grant_quota(self, terminal_id: str, rule_id: str, granted: int) -> None:
        self.conn.execute(
            "INSERT INTO hq_quotas(terminal_id, rule_id, granted) VALUES(?,?,?) "
            "ON CONFLICT(terminal_id, rule_id) DO UPDATE SET granted=excluded.granted",
            (terminal_id, rule_id, granted),
        )
        self.next_rev()

    def set_policy(self, policy: OfflinePolicy) -> None:
        """Set the offline spending policy every terminal receives with its next snapshot."""
        self.conn.execute(
            "INSERT INTO hq_meta(key, value) VALUES('offline_policy', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (json.dumps(policy.to_doc()),),
        )
        self.next_rev()

    def policy(self) -> OfflinePolicy:
        row = self.conn.execute("SELECT value FROM hq_meta WHERE key='offline_policy'").fetchone()
        return OfflinePolicy() if row is None else OfflinePolicy.from_doc(json.loads(row[0]))

    def grant_allowance(self, terminal_id: str, customer_id: str, points: int) -> None:
        """Reserve ``points`` of a customer's balance for one terminal to spend offline.

        Other terminals are sent the balance less what is reserved elsewhere, so the
        reserved points can be spent at that terminal without overspending.
        """
        if points < 0:
            raise ValueError("an allowance is a whole number of points >= 0")
        with self.transaction() as c:
            c.execute(
                "INSERT INTO hq_allowances(terminal_id, customer_id, points) VALUES(?,?,?) "
                "ON CONFLICT(terminal_id, customer_id) DO UPDATE SET points=excluded.points",
                (terminal_id, customer_id, points),
            )
            c.execute(  # every terminal's view of this customer changes
                "UPDATE hq_customers SET rev=? WHERE customer_id=?",
                (self.next_rev(), customer_id),
            )

    def upsert_gift_card(self, card: str, balance_minor: int, currency: str) -> None:
        self.conn.execute(
            "INSERT INTO hq_gift_cards(card, balance_minor, currency, rev) VALUES(?,?,?,?) "
            "ON CONFLICT(card) DO UPDATE SET balance_minor=excluded.balance_minor, "
            "currency=excluded.currency, rev=excluded.rev",
            (card, balance_minor, currency, self.next_rev()),
        )
