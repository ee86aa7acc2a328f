"""The reference HQ's storage: its own SQLite file (WAL, FULL).

All de-duplication stands in unique constraints ((terminal_id, seq) is the
primary key of hq_events), so more HQ workers can share the file later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database, Migrations

from agent.journal import GENESIS, row_hash
from agent.model import OfflinePolicy
from agent.ruleset import parse_ruleset
from agent.store import connect
from sync import demo

migrations = Migrations("kassa-hq")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE hq_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE terminals (
            terminal_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,
            acked_seq INTEGER NOT NULL DEFAULT 0, last_hash TEXT NOT NULL
        );
        CREATE TABLE hq_events (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id), seq INTEGER NOT NULL,
            kind TEXT NOT NULL, event_id TEXT NOT NULL, body TEXT NOT NULL, hash TEXT NOT NULL,
            received_at TEXT NOT NULL, customer_id TEXT, points_earned INTEGER NOT NULL,
            points_redeemed INTEGER NOT NULL, total_minor INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
            reason TEXT NOT NULL, received_at TEXT NOT NULL
        );
        CREATE TABLE hq_customers (
            customer_id TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE, doc TEXT NOT NULL,
            balance INTEGER NOT NULL, rev INTEGER NOT NULL
        );
        CREATE TABLE hq_products (sku TEXT PRIMARY KEY, doc TEXT NOT NULL, rev INTEGER NOT NULL);
        CREATE TABLE hq_rulesets (version INTEGER PRIMARY KEY, document TEXT NOT NULL);
        """
    )


@migrations()
def m002_rules_engine(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE hq_quotas (
            terminal_id TEXT NOT NULL, rule_id TEXT NOT NULL, granted INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, rule_id)
        );
        CREATE TABLE hq_revocations (rule_id TEXT PRIMARY KEY, rev INTEGER NOT NULL);
        CREATE TABLE hq_gift_cards (
            card TEXT PRIMARY KEY, balance_minor INTEGER NOT NULL, currency TEXT NOT NULL,
            rev INTEGER NOT NULL
        );
        """
    )


@migrations()
def m003_offline_policy(db: Database) -> None:
    # Points of a customer's balance reserved for one terminal to spend offline; what
    # is left of it shrinks as that terminal's redemptions arrive.
    db.executescript(
        """
        CREATE TABLE hq_allowances (
            terminal_id TEXT NOT NULL REFERENCES terminals(terminal_id),
            customer_id TEXT NOT NULL REFERENCES hq_customers(customer_id),
            points INTEGER NOT NULL CHECK (points >= 0),
            PRIMARY KEY (terminal_id, customer_id)
        );
        """
    )


@dataclass(frozen=True, slots=True)
class EventResult:
    seq: int
    status: str  # "stored" | "duplicate" | "conflict"


@dataclass(frozen=True, slots=True)
class IngestResult:
    acked_through: int
    results: list[EventResult]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _month(at: str, timezone: str) -> str:
    """The calendar month (YYYY-MM) of an event, in the store's time zone."""
    return datetime.fromisoformat(at).astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


class BadBatch(ValueError):
    """A batch HQ refuses as a whole (malformed event, broken chain)."""


class HqStore:
    """Thread-safe: each thread gets its own connection to the same file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()
        migrations.apply(Database(self.conn))

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
        return conn

    def _next_rev(self) -> int:
        self.conn.execute(
            "INSERT INTO hq_meta(key, value) VALUES('rev', '1') "
            "ON CONFLICT(key) DO UPDATE SET value=CAST(value AS INTEGER)+1"
        )
        return int(self.conn.execute("SELECT value FROM hq_meta WHERE key='rev'").fetchone()[0])

    # -- administration -------------------------------------------------------------
    def add_terminal(self, terminal_id: str, secret: str) -> None:
        self.conn.execute(
            "INSERT INTO terminals(terminal_id, secret_sha256, last_hash) VALUES(?,?,?) "
            "ON CONFLICT(terminal_id) DO UPDATE SET secret_sha256=excluded.secret_sha256",
            (terminal_id, secret_hash(secret), GENESIS),
        )

    def authenticate(self, terminal_id: str, secret: str) -> bool:
        row = self.conn.execute(
            "SELECT secret_sha256 FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        return row is not None and hmac.compare_digest(row[0], secret_hash(secret))

    def publish_ruleset(self, document: dict[str, Any]) -> int:
        ruleset = parse_ruleset(document)  # refuse what a terminal would refuse
        self.conn.execute(
            "INSERT INTO hq_rulesets(version, document) VALUES(?, ?)",
            (ruleset.version, json.dumps(document, ensure_ascii=False)),
        )
        return ruleset.version

    def upsert_product(self, doc: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO hq_products(sku, doc, rev) VALUES(?,?,?) ON CONFLICT(sku) "
            "DO UPDATE SET doc=excluded.doc, rev=excluded.rev",
            (doc["sku"], json.dumps(doc, ensure_ascii=False), self._next_rev()),
        )

    def upsert_customer(self, doc: dict[str, Any]) -> None:
        profile = {k: v for k, v in doc.items() if k not in ("customer_id", "card", "balance")}
        self.conn.execute(
            "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?) "
            "ON CONFLICT(customer_id) DO UPDATE SET card=excluded.card, doc=excluded.doc, "
            "balance=excluded.balance, rev=excluded.rev",
            (
                doc["customer_id"],
                doc["card"],
                json.dumps(profile, ensure_ascii=False),
                int(doc.get("balance", 0)),
                self._next_rev(),
            ),
        )

    def seed_demo(self) -> None:
        """Fill an empty HQ with the demo programme (a no-op if it holds a ruleset)."""
        if self.conn.execute("SELECT 1 FROM hq_rulesets").fetchone():
            return
        self.conn.execute("BEGIN IMMEDIATE")
        for p in demo.PRODUCTS:
            self.upsert_product(dict(p, currency="PLN"))
        for c in demo.CUSTOMERS:
            self.upsert_customer(c)
        for t in demo.DEMO_TERMINALS:
            self.add_terminal(t, demo.DEMO_SECRET)
            for rule_id, n in demo.QUOTAS.items():
                self.grant_quota(t, rule_id, n)
        for card, minor in demo.GIFT_CARDS.items():
            self.upsert_gift_card(card, minor, "PLN")
        self.publish_ruleset(demo.RULESET)
        self.conn.execute("COMMIT")

    # -- sync ------------------------------------------------------------------------
    def ingest(self, terminal_id: str, events: list[dict[str, Any]], at: str) -> IngestResult:
        """Store each event exactly once, in seq order; return per-event results.

        Raises BadBatch for an event that is malformed or breaks the terminal's chain.
        """
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            acked, last_hash = c.execute(
                "SELECT acked_seq, last_hash FROM terminals WHERE terminal_id=?", (terminal_id,)
            ).fetchone()
            results: list[EventResult] = []
            for ev in events:
                seq = ev["seq"]
                if seq <= acked:
                    row = c.execute(
                        "SELECT hash FROM hq_events WHERE terminal_id=? AND seq=?",
                        (terminal_id, seq),
                    ).fetchone()
                    if row is not None and row[0] == ev["hash"]:
                        results.append(EventResult(seq, "duplicate"))
                    else:
                        c.execute(
                            "INSERT INTO conflicts(terminal_id, seq, reason, received_at) "
                            "VALUES(?,?,?,?)",
                            (terminal_id, seq, "same seq, other body", at),
                        )
                        results.append(EventResult(seq, "conflict"))
                    continue
                if seq != acked + 1:
                    break  # a gap: answer with the seq HQ expects
                chained = ev["prev_hash"] == last_hash
                if not chained or row_hash(ev["prev_hash"], ev["body"]) != ev["hash"]:
                    raise BadBatch(f"event {seq} does not continue the terminal's hash chain")
                self._apply(terminal_id, ev, at)
                acked, last_hash = seq, ev["hash"]
                results.append(EventResult(seq, "stored"))
            c.execute(
                "UPDATE terminals SET acked_seq=?, last_hash=? WHERE terminal_id=?",
                (acked, last_hash, terminal_id),
            )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return IngestResult(acked, results)

    def _apply(self, terminal_id: str, ev: dict[str, Any], at: str) -> None:
        try:
            body = json.loads(ev["body"])
            customer = body.get("customer") or None
            earned, redeemed = int(body["points_earned"]), int(body["points_redeemed"])
            total = int(body["total_minor"])
            if body.get("seq") != ev["seq"] or body.get("terminal_id") != terminal_id:
                raise BadBatch(f"event {ev['seq']}: body names another seq or terminal")
        except (ValueError, KeyError, TypeError) as exc:
            raise BadBatch(f"event {ev.get('seq')}: malformed body ({exc})") from None
        cid = customer["customer_id"] if isinstance(customer, dict) else None
        self.conn.execute(
            "INSERT INTO hq_events(terminal_id, seq, kind, event_id, body, hash, received_at, "
            "customer_id, points_earned, points_redeemed, total_minor) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
            (
                terminal_id,
                ev["seq"],
                ev["kind"],
                ev["event_id"],
                ev["body"],
                ev["hash"],
                at,
                cid,
                earned,
                redeemed,
                total,
            ),
        )
        if ev["kind"] == "enrol" and cid is not None:
            self._enrol(cid, body)
        elif cid is not None:
            self._apply_customer(cid, body, ev["kind"], earned - redeemed)
            if redeemed > 0:  # redemptions here use up this terminal's allowance first
                self.conn.execute(
                    "UPDATE hq_allowances SET points=MAX(0, points-?) "
                    "WHERE terminal_id=? AND customer_id=?",
                    (redeemed, terminal_id, cid),
                )
        gift = body.get("gift_card")
        if isinstance(gift, dict) and gift.get("amount_minor"):
            self.conn.execute(
                "UPDATE hq_gift_cards SET balance_minor=balance_minor-?, rev=? WHERE card=?",
                (int(gift["amount_minor"]), self._next_rev(), str(gift["card"])),
            )

    def _enrol(self, cid: str, body: dict[str, Any]) -> None:
        """A customer enrolled at a till: HQ's from now on (a card already taken is kept
        with its first owner, and the enrolment flagged)."""
        profile = {
            "name": str(body.get("name", "")),
            "tier": str(body.get("tier", "")),
            "phone": body.get("phone"),
            "consents": body.get("consents", {}),
        }
        try:
            self.conn.execute(
                "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?)",
                (
                    cid,
                    str(body["card"]),
                    json.dumps(profile, ensure_ascii=False),
                    0,
                    self._next_rev(),
                ),
            )
        except sqlite3.IntegrityError:
            self.conn.execute(
                "INSERT INTO conflicts(terminal_id, seq, reason, received_at) VALUES(?,?,?,?)",
                (
                    body.get("terminal_id"),
                    body.get("seq"),
                    "enrolment of a card already taken",
                    body.get("at"),
                ),
            )

    def _apply_customer(self, cid: str, body: dict[str, Any], kind: str, delta: int) -> None:
        """Balance, purchase counts and used coupons of a customer after one event."""
        row = self.conn.execute(
            "SELECT doc FROM hq_customers WHERE customer_id=?", (cid,)
        ).fetchone()
        if row is None:
            return  # a customer HQ does not know: the event is kept, nothing to update
        doc = json.loads(row[0])
        if kind == "sale":
            month = _month(body["at"], self.timezone())
            held_month, count = doc.get("month_purchases") or ["", 0]
            doc["month_purchases"] = [month, count + 1 if held_month == month else 1]
            doc["purchases_total"] = int(doc.get("purchases_total", 0)) + 1
            coupons = doc.get("coupons") or {}
            for code in body.get("codes", []):
                if code in coupons:
                    coupons[code] = True
            doc["coupons"] = coupons
        self.conn.execute(
            "UPDATE hq_customers SET balance=balance+?, doc=?, rev=? WHERE customer_id=?",
            (delta, json.dumps(doc, ensure_ascii=False), self._next_rev(), cid),
        )

    def timezone(self) -> str:
        row = self.conn.execute(
            "SELECT document FROM hq_rulesets ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return str(json.loads(row[0])["timezone"]) if row else "UTC"

    def revoke(self, rule_id: str) -> None:
        """Stop a campaign everywhere: terminals apply it at their next download."""
        self.conn.execute(
            "INSERT OR REPLACE INTO hq_revocations(rule_id, rev) VALUES(?, ?)",
            (rule_id, self._next_rev()),
        )

    def grant_quota(self, terminal_id: str, rule_id: str, granted: int) -> None:
        self.conn.execute(
            "INSERT INTO hq_quotas(terminal_id, rule_id, granted) VALUES(?,?,?) "
            "ON CONFLICT(terminal_id, rule_id) DO UPDATE SET granted=excluded.granted",
            (terminal_id, rule_id, granted),
        )
        self._next_rev()

    def set_policy(self, policy: OfflinePolicy) -> None:
        """Set the offline spending policy every terminal receives with its next snapshot."""
        self.conn.execute(
            "INSERT OR REPLACE INTO hq_meta(key, value) VALUES('offline_policy', ?)",
            (json.dumps(policy.to_doc()),),
        )
        self._next_rev()

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
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO hq_allowances(terminal_id, customer_id, points) VALUES(?,?,?) "
                "ON CONFLICT(terminal_id, customer_id) DO UPDATE SET points=excluded.points",
                (terminal_id, customer_id, points),
            )
            self.conn.execute(  # every terminal's view of this customer changes
                "UPDATE hq_customers SET rev=? WHERE customer_id=?",
                (self._next_rev(), customer_id),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def upsert_gift_card(self, card: str, balance_minor: int, currency: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO hq_gift_cards(card, balance_minor, currency, rev) "
            "VALUES(?,?,?,?)",
            (card, balance_minor, currency, self._next_rev()),
        )

    def snapshot(self, terminal_id: str, cursor: int, ruleset_version: int) -> dict[str, Any]:
        """Return what changed since ``cursor``, read in one transaction."""
        c = self.conn
        c.execute("BEGIN")
        try:
            (applied,) = c.execute(
                "SELECT acked_seq FROM terminals WHERE terminal_id=?", (terminal_id,)
            ).fetchone()
            row = c.execute("SELECT value FROM hq_meta WHERE key='rev'").fetchone()
            rev = int(row[0]) if row else 0
            products = [
                json.loads(d)
                for (d,) in c.execute(
                    "SELECT doc FROM hq_products WHERE rev>? ORDER BY sku", (cursor,)
                )
            ]
            # Each terminal sees the balance less the allowances reserved at the others,
            # and its own allowance beside it.
            customers = [
                dict(
                    json.loads(d),
                    customer_id=cid,
                    card=card,
                    balance=bal - elsewhere,
                    applied_seq=applied,
                    allowance=mine,
                )
                for cid, card, d, bal, elsewhere, mine in c.execute(
                    "SELECT c.customer_id, c.card, c.doc, c.balance, "
                    "COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id<>?), 0), "
                    "COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id=?), 0) "
                    "FROM hq_customers c LEFT JOIN hq_allowances a "
                    "ON a.customer_id=c.customer_id WHERE c.rev>? "
                    "GROUP BY c.customer_id ORDER BY c.customer_id",
                    (terminal_id, terminal_id, cursor),
                )
            ]
            quotas = dict(
                c.execute(
                    "SELECT rule_id, granted FROM hq_quotas WHERE terminal_id=?", (terminal_id,)
                )
            )
            revoked = [r for (r,) in c.execute("SELECT rule_id FROM hq_revocations ORDER BY 1")]
            cards = [
                {"card": card, "balance_minor": bal, "currency": cur, "applied_seq": applied}
                for card, bal, cur in c.execute(
                    "SELECT card, balance_minor, currency FROM hq_gift_cards WHERE rev>? "
                    "ORDER BY card",
                    (cursor,),
                )
            ]
            rs = c.execute(
                "SELECT document FROM hq_rulesets WHERE version>? ORDER BY version DESC LIMIT 1",
                (ruleset_version,),
            ).fetchone()
        finally:
            c.execute("COMMIT")
        return {
            "cursor": rev,
            "products": products,
            "customers": customers,
            "ruleset": json.loads(rs[0]) if rs else None,
            "quotas": quotas,
            "revoked": revoked,
            "gift_cards": cards,
            "policy": self.policy().to_doc(),
        }

    def report(self) -> dict[str, Any]:
        """Return what HQ holds: sales and points per terminal and in total."""
        terms: dict[str, Any] = {}
        for tid, acked, n, returns, audits, issued, redeemed, money in self.conn.execute(
            "SELECT t.terminal_id, t.acked_seq, COALESCE(SUM(e.kind='sale'),0), "
            "COALESCE(SUM(e.kind='return'),0), COALESCE(SUM(e.kind='audit'),0), "
            "COALESCE(SUM(e.points_earned),0), "
            "COALESCE(SUM(e.points_redeemed),0), COALESCE(SUM(e.total_minor),0) "
            "FROM terminals t LEFT JOIN hq_events e ON e.terminal_id=t.terminal_id "
            "GROUP BY t.terminal_id ORDER BY t.terminal_id"
        ):
            if n or acked:
                terms[tid] = {
                    "sales": n,
                    "returns": returns,
                    "audit_events": audits,
                    "acked_seq": acked,
                    "points_issued": issued,
                    "points_redeemed": redeemed,
                    "total_minor": money,
                }
        total = {
            k: sum(t[k] for t in terms.values())
            for k in ("sales", "returns", "points_issued", "points_redeemed", "total_minor")
        }
        flagged = [
            {"customer_id": cid, "balance": bal}
            for cid, bal in self.conn.execute(
                "SELECT customer_id, balance FROM hq_customers WHERE balance<0 ORDER BY customer_id"
            )
        ]
        (conflicts,) = self.conn.execute("SELECT COUNT(*) FROM conflicts").fetchone()
        return {
            "terminals": terms,
            "total": total,
            "negative_balances": flagged,
            "conflicts": conflicts,
        }
