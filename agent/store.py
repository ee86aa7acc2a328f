"""The terminal's local store: one SQLite file (WAL, synchronous=FULL) via sqlite-utils.

A sale, its ledger entries, its usage counters, its print job and its outbox row
are written in one transaction: once :meth:`Store.commit_sale` returns, the sale
survives a power cut. One connection per thread; open a Store in each thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from agent.clock import parse_utc
from agent.errors import StoreCorrupted
from agent.journal import GENESIS, ChainBreak, ChainRow, canonical, row_hash, verify_chain
from agent.model import Customer, OfflinePolicy, PointLot, Product
from agent.money import Money, Points
from agent.quote import Usage
from agent.ruleset import Ruleset, parse_ruleset
from agent.schema import migrations
from agent.staff import Cashier, Role

BUSY_TIMEOUT_MS = 5000
# Every connection to the terminal's store: wait for the other thread's writes, WAL,
# a disk sync at each commit, foreign keys checked.
SETTINGS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
)


@dataclass(frozen=True, slots=True)
class LedgerMove:
    customer_id: str
    kind: str  # "earn" | "redeem"
    points: int  # signed: earn > 0, redeem < 0
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GiftCardMove:
    card: str
    amount_minor: int  # signed: a payment is negative


@dataclass(frozen=True, slots=True)
class NewSale:
    """Everything :meth:`Store.commit_sale` writes, computed before the transaction."""

    sale_id: str
    at: datetime
    body: dict[str, Any]
    customer_id: str | None
    currency: str
    total_minor: int
    paid_money_minor: int
    points_earned: int
    points_redeemed: int
    moves: tuple[LedgerMove, ...]
    usage: tuple[tuple[str, int], ...]
    gift_card_moves: tuple[GiftCardMove, ...] = ()
    kind: str = "sale"
    # YYYY-MM-DD in the store's time zone: every-Nth-purchase counting (by month) and
    # the offline redemption limit (by day).
    day: str = ""
    # For a return: the sale it returns lines of, and SKU -> units returned.
    original_seq: int | None = None
    returned: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Committed:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class PendingEvent:
    seq: int
    kind: str
    event_id: str
    at: str
    body: str
    prev_hash: str
    hash: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "event_id": self.event_id,
            "at": self.at,
            "body": self.body,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    oldest_at: datetime | None
    last_acked_seq: int


def connect(path: str | Path) -> sqlite3.Connection:
    """Open an SQLite connection with kassa's durability settings."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in SETTINGS:
        (value,) = conn.execute(pragma).fetchone() or (None,)
        if pragma.endswith("journal_mode=WAL") and str(path) != ":memory:" and value != "wal":
            raise StoreCorrupted(f"could not switch {path} to WAL (got {value})")
    return conn


class Store:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = Database(conn)
        self._ruleset_cache: Ruleset | None = None
        self._policy_text: str | None = None
        self._policy = OfflinePolicy()

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (creating and migrating if needed) the store at ``path``."""
        store = cls(connect(path))
        migrations.apply(store.db)
        return store

    def close(self) -> None:
        self.conn.close()

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

    # -- catalogue, customers, ruleset ---------------------------------------
    def product(self, code: str) -> Product | None:
        """Return the product whose SKU or barcode is ``code``, or None."""
        row = self.conn.execute(
            "SELECT sku, name, price_minor, currency, category, barcode FROM products "
            "WHERE sku=? OR barcode=? LIMIT 1",
            (code, code),
        ).fetchone()
        if row is None:
            return None
        return Product(row[0], row[1], Money(row[2], row[3]), row[4], row[5])

    def _customer_where(self, where: str, value: str) -> Customer | None:
        row = self.conn.execute(
            "SELECT customer_id, card, doc, hq_balance, applied_seq, allowance FROM customers "
            f"WHERE {where} LIMIT 1",  # where: one of the fixed clauses of the methods below
            (value,),
        ).fetchone()
        return None if row is None else _customer(row)

    def customer_by_card(self, card: str) -> Customer | None:
        return self._customer_where("card=?", card)

    def customer_by_phone(self, phone: str) -> Customer | None:
        """The customer with this phone number (digits only), or None."""
        return self._customer_where("phone=? AND phone != ''", phone)

    def customer(self, customer_id: str) -> Customer | None:
        return self._customer_where("customer_id=?", customer_id)

    def balance(self, customer: Customer) -> Points:
        """HQ's balance at the last snapshot plus this terminal's moves HQ had not applied."""
        (moves,) = self.conn.execute(
            "SELECT COALESCE(SUM(points), 0) FROM ledger WHERE customer_id=? AND seq>?",
            (customer.customer_id, customer.applied_seq),
        ).fetchone()
        return Points(customer.hq_balance + int(moves))

    def offline_policy(self) -> OfflinePolicy:
        """HQ's offline spending policy as last received (the default before any)."""
        return self.offline_state(None)[0]

    def offline_state(self, now: datetime | None) -> tuple[OfflinePolicy, bool]:
        """HQ's offline policy, and whether the last snapshot is older than it allows at
        ``now`` (always stale before the first snapshot). One query: read at every quote."""
        policy_text, last_text = self.conn.execute(
            "SELECT (SELECT value FROM meta WHERE key='offline_policy'), "
            "(SELECT value FROM meta WHERE key='last_download_at')"
        ).fetchone()
        if policy_text != self._policy_text:  # parse once per policy HQ sends
            self._policy_text = policy_text
            self._policy = (
                OfflinePolicy()
                if policy_text is None
                else OfflinePolicy.from_doc(json.loads(policy_text))
            )
        if now is None or last_text is None:
            return self._policy, True
        age_s = (now - parse_utc(last_text)).total_seconds()
        return self._policy, age_s > self._policy.stale_after_s

    def use_token(self, customer_id: str, nonce: str, at: datetime, keep_s: int) -> bool:
        """Record a phone token's nonce as used; False if it was used before.

        Nonces older than ``keep_s`` are forgotten: their tokens have expired anyway.
        """
        with self.atomic() as c:
            c.execute(
                "DELETE FROM used_tokens WHERE used_at < ?",
                ((at - timedelta(seconds=keep_s)).isoformat(),),
            )
            cur = c.execute(
                "INSERT OR IGNORE INTO used_tokens(customer_id, nonce, used_at) VALUES(?,?,?)",
                (customer_id, nonce, at.isoformat()),
            )
            return cur.rowcount == 1

    # -- staff and audit -------------------------------------------------------------
    def save_cashier(self, c: Cashier) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO cashiers(cashier_id, name, role, pin_salt, pin_hash, language)"
            " VALUES(?,?,?,?,?,?)",
            (c.cashier_id, c.name, c.role.value, c.pin_salt, c.pin_hash, c.language),
        )

    def cashiers(self) -> list[Cashier]:
        return [
            Cashier(cid, name, Role(role), salt, digest, lang)
            for cid, name, role, salt, digest, lang in self.conn.execute(
                "SELECT cashier_id, name, role, pin_salt, pin_hash, language FROM cashiers "
                "ORDER BY cashier_id"
            )
        ]

    def commit_audit(
        self,
        body: dict[str, Any],
        event_id: str,
        at: datetime,
        terminal_id: str,
        adjustment: LedgerMove | None = None,
    ) -> int:
        """Journal an override (who, what, why) and queue it for HQ; return its seq.

        It joins the hash chain and the outbox like a sale, so HQ receives it exactly
        once and nobody can remove it locally unseen. An ``adjustment`` (a manual
        point correction) moves the customer's balance here and, through the body's
        points, at HQ.
        """
        return self.commit_event("audit", body, event_id, at, terminal_id, adjustment)

    def commit_event(
        self,
        kind: str,
        body: dict[str, Any],
        event_id: str,
        at: datetime,
        terminal_id: str,
        adjustment: LedgerMove | None = None,
        new_customer: Customer | None = None,
    ) -> int:
        """Journal an event that is not a sale (an override, an enrolment) and queue it.

        ``new_customer`` is written to the customer list in the same transaction, so a
        customer enrolled here can be identified at once.
        """
        points = adjustment.points if adjustment else 0
        with self.atomic() as c:
            if new_customer is not None:
                c.execute(
                    "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, phone)"
                    " VALUES(?,?,?,?,?,?)",
                    (
                        new_customer.customer_id,
                        new_customer.card,
                        json.dumps(_customer_doc(new_customer)),
                        0,
                        0,
                        new_customer.phone,
                    ),
                )
            last_seq, prev = self.last_link()
            seq = last_seq + 1
            doc = dict(
                body,
                seq=seq,
                terminal_id=terminal_id,
                at=at.isoformat(),
                points_earned=max(0, points),
                points_redeemed=max(0, -points),
                total_minor=0,
            )
            if adjustment is not None:
                doc["customer"] = {"customer_id": adjustment.customer_id}
            text = canonical(doc)
            c.execute(
                "INSERT INTO journal(seq, kind, event_id, at, body, prev_hash, hash) "
                "VALUES(?,?,?,?,?,?,?)",
                (seq, kind, event_id, at.isoformat(), text, prev, row_hash(prev, text)),
            )
            if adjustment is not None:  # after its journal row: the ledger points at it
                c.execute(
                    "INSERT INTO ledger(seq, customer_id, kind, points, expires_at) "
                    "VALUES(?,?,?,?,?)",
                    (seq, adjustment.customer_id, "adjust", points, None),
                )
            c.execute("INSERT INTO outbox(seq, created_at) VALUES(?, ?)", (seq, at.isoformat()))
        return seq

    def record_clock_skew(self, local: datetime, hq: datetime) -> None:
        """Keep both clocks' readings when they disagree by more than the tolerance."""
        self.conn.execute(
            "INSERT INTO clock_skew(local_time, hq_time, skew_s) VALUES(?,?,?)",
            (local.isoformat(), hq.isoformat(), (local - hq).total_seconds()),
        )

    def ruleset(self) -> Ruleset | None:
        """Return the newest ruleset held, or None before the first download."""
        version, revoked_text = self.conn.execute(
            "SELECT (SELECT MAX(version) FROM rulesets), "
            "(SELECT group_concat(rule_id, char(31)) FROM revocations)"
        ).fetchone()
        if version is None:
            return None
        cached = self._ruleset_cache
        if cached is None or cached.version != version:  # parse once per version
            (doc,) = self.conn.execute(
                "SELECT document FROM rulesets WHERE version=?", (version,)
            ).fetchone()
            cached = self._ruleset_cache = parse_ruleset(json.loads(doc))
        revoked = frozenset(revoked_text.split("\x1f")) if revoked_text else frozenset()
        return cached if revoked == cached.revoked else replace(cached, revoked=revoked)

    def apply_snapshot(
        self,
        *,
        products: list[Product],
        customers: list[Customer],
        ruleset: Ruleset | None,
        cursor: str,
        received_at: datetime,
        quotas: dict[str, int] | None = None,
        revoked: list[str] | None = None,
        gift_cards: list[tuple[str, Money, int]] | None = None,
        policy: OfflinePolicy | None = None,
    ) -> None:
        """Apply one validated snapshot atomically: all of it or none of it."""
        with self.atomic() as c:
            if policy is not None:
                self.set_meta("offline_policy", canonical(policy.to_doc()))
            c.executemany(
                "INSERT INTO products(sku, name, price_minor, currency, category, barcode) "
                "VALUES(?,?,?,?,?,?) ON CONFLICT(sku) DO UPDATE SET name=excluded.name, "
                "price_minor=excluded.price_minor, currency=excluded.currency, "
                "category=excluded.category, barcode=excluded.barcode",
                [
                    (p.sku, p.name, p.price.minor, p.price.currency, p.category, p.barcode)
                    for p in products
                ],
            )
            c.executemany(
                "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, allowance, "
                "phone) VALUES(?,?,?,?,?,?,?) ON CONFLICT(customer_id) DO UPDATE SET "
                "card=excluded.card, doc=excluded.doc, hq_balance=excluded.hq_balance, "
                "applied_seq=excluded.applied_seq, allowance=excluded.allowance, "
                "phone=excluded.phone",
                [
                    (
                        k.customer_id,
                        k.card,
                        json.dumps(_customer_doc(k)),
                        k.hq_balance,
                        k.applied_seq,
                        k.allowance,
                        k.phone,
                    )
                    for k in customers
                ],
            )
            if ruleset is not None:
                c.execute(
                    "INSERT OR IGNORE INTO rulesets(version, document, received_at) VALUES(?,?,?)",
                    (ruleset.version, canonical(ruleset.document), received_at.isoformat()),
                )
            if quotas is not None:
                c.execute("DELETE FROM quotas")
                c.executemany(
                    "INSERT INTO quotas(rule_id, granted) VALUES(?, ?)", sorted(quotas.items())
                )
            c.executemany(
                "INSERT OR IGNORE INTO revocations(rule_id, received_at) VALUES(?, ?)",
                [(r, received_at.isoformat()) for r in revoked or []],
            )
            c.executemany(
                "INSERT INTO gift_cards(card, hq_balance_minor, currency, applied_seq) "
                "VALUES(?,?,?,?) ON CONFLICT(card) DO UPDATE SET "
                "hq_balance_minor=excluded.hq_balance_minor, currency=excluded.currency, "
                "applied_seq=excluded.applied_seq",
                [(card, m.minor, m.currency, applied) for card, m, applied in gift_cards or []],
            )
            self.set_meta("snapshot_cursor", cursor)
            self.set_meta("last_download_at", received_at.isoformat())

    # -- the sale ---------------------------------------------------------------
    def last_link(self) -> tuple[int, str]:
        row = self.conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def commit_sale(self, sale: NewSale, terminal_id: str) -> Committed:
        """Write the sale and everything that goes with it in one durable transaction."""
        with self.atomic() as c:
            last_seq, prev = self.last_link()
            seq = last_seq + 1
            body = dict(sale.body, seq=seq, terminal_id=terminal_id)
            text = canonical(body)
            digest = row_hash(prev, text)
            at = sale.at.isoformat()
            c.execute(
                "INSERT INTO journal(seq, kind, event_id, at, body, prev_hash, hash) "
                "VALUES(?,?,?,?,?,?,?)",
                (seq, sale.kind, sale.sale_id, at, text, prev, digest),
            )
            if sale.gift_card_moves:
                c.executemany(
                    "INSERT INTO gift_card_moves(seq, card, amount_minor) VALUES(?,?,?)",
                    [(seq, g.card, g.amount_minor) for g in sale.gift_card_moves],
                )
            if sale.returned:
                c.executemany(
                    "INSERT INTO returns(seq, original_seq, sku, qty) VALUES(?,?,?,?)",
                    [(seq, sale.original_seq, sku, n) for sku, n in sale.returned],
                )
            c.execute(
                "INSERT INTO sales(seq, sale_id, customer_id, currency, total_minor, "
                "paid_money_minor, points_earned, points_redeemed, kind, month, day) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (
                    seq,
                    sale.sale_id,
                    sale.customer_id,
                    sale.currency,
                    sale.total_minor,
                    sale.paid_money_minor,
                    sale.points_earned,
                    sale.points_redeemed,
                    sale.kind,
                    sale.day[:7],
                    sale.day,
                ),
            )
            if sale.moves:
                c.executemany(
                    "INSERT INTO ledger(seq, customer_id, kind, points, expires_at) "
                    "VALUES(?,?,?,?,?)",
                    [
                        (
                            seq,
                            m.customer_id,
                            m.kind,
                            m.points,
                            m.expires_at.isoformat() if m.expires_at else None,
                        )
                        for m in sale.moves
                    ],
                )
            for key, n in sale.usage:
                c.execute(
                    "INSERT INTO usage(key, count) VALUES(?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET count=count+excluded.count",
                    (key, n),
                )
            c.execute("INSERT INTO outbox(seq, created_at) VALUES(?, ?)", (seq, at))
            c.execute(
                "INSERT INTO print_jobs(seq, status, updated_at) VALUES(?,?,?)",
                (seq, "pending", at),
            )
        return Committed(seq, digest)

    def sale_body(self, seq: int) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT body FROM journal WHERE seq=? AND kind IN ('sale', 'return')", (seq,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def usage(self) -> dict[str, int]:
        return {str(k): int(n) for k, n in self.conn.execute("SELECT key, count FROM usage")}

    _USAGE_SQL = (
        "SELECT 'q', rule_id, granted, 0, 0 FROM quotas "
        "UNION ALL SELECT 'c', key, count, 0, 0 FROM usage "
        "WHERE (key >= 'budget:' AND key < 'budget;')"
        " OR (key >= 'quota:' AND key < 'quota;') OR (key >= ? AND key < ?)"
        " OR (key >= ? AND key < ?) "
        "UNION ALL SELECT 's', COUNT(*), COALESCE(SUM(month=?), 0), "
        "COALESCE(SUM(CASE WHEN day<? THEN points_redeemed END), 0), "
        "COALESCE(SUM(CASE WHEN day=? THEN points_redeemed END), 0) FROM sales "
        "WHERE customer_id=? AND seq>? AND kind='sale'"
    )

    def usage_for(self, customer: Customer | None, day: str, daily_cap: int | None = None) -> Usage:
        """What this terminal adds to HQ's snapshot for ``customer`` on ``day`` (YYYY-MM-DD).

        ``daily_cap`` limits the points the customer may spend here before HQ has
        confirmed them: the allowance HQ reserved absorbs earlier days' unconfirmed
        redemptions first; today may spend what is left of it plus the cap, less what
        was already spent today. One query (index range scans): it runs for every quote.
        """
        cid = customer.customer_id if customer else "\0"
        coupon, uses_p = f"coupon:{cid}:", f"uses:{cid}:"
        granted: dict[str, int] = {}
        counters: dict[str, int] = {}
        total = in_month = spent_before = spent_today = 0
        for tag, a, b, c, d in self.conn.execute(
            self._USAGE_SQL,
            (
                coupon,
                coupon[:-1] + ";",
                uses_p,
                uses_p[:-1] + ";",
                day[:7],
                day,
                day,
                cid,
                customer.applied_seq if customer else 0,
            ),
        ):
            if tag == "q":
                granted[str(a)] = int(b)
            elif tag == "c":
                counters[str(a)] = int(b)
            else:
                total, in_month, spent_before, spent_today = int(a), int(b), int(c), int(d)
        # Quotas count uses ("WELCOME50"); budgets count minor units ("budget:AUTUMN15").
        quota_left = {
            k: n - counters.get(k if k.startswith("budget:") else f"quota:{k}", 0)
            for k, n in granted.items()
        }
        if customer is None:
            return Usage(quota_left=quota_left)
        used = frozenset(
            k[len(coupon) :] for k, n in counters.items() if k.startswith(coupon) and n > 0
        )
        uses = {k[len(uses_p) :]: n for k, n in counters.items() if k.startswith(uses_p)}
        left = None
        if daily_cap is not None:
            allowance_left = max(0, customer.allowance - spent_before)
            left = max(0, allowance_left + daily_cap - spent_today)
        return Usage(total, in_month, quota_left, used, uses, left)

    def gift_card_balance(self, card: str) -> Money | None:
        """HQ's balance of a gift card plus this terminal's unsynced moves, or None if unknown."""
        row = self.conn.execute(
            "SELECT hq_balance_minor, currency, applied_seq FROM gift_cards WHERE card=?", (card,)
        ).fetchone()
        if row is None:
            return None
        (moves,) = self.conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM gift_card_moves WHERE card=? AND seq>?",
            (card, row[2]),
        ).fetchone()
        return Money(int(row[0]) + int(moves), str(row[1]))

    def returned_units(self, original_seq: int) -> dict[str, int]:
        """SKU -> units of sale ``original_seq`` already returned."""
        return {
            str(s): int(n)
            for s, n in self.conn.execute(
                "SELECT sku, SUM(qty) FROM returns WHERE original_seq=? GROUP BY sku",
                (original_seq,),
            )
        }

    def sales_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM sales").fetchone()[0])

    # -- receipts ------------------------------------------------------------------
    def print_job(self, seq: int) -> tuple[str, str | None] | None:
        """Return (status, error) of the receipt of sale ``seq``, or None."""
        row = self.conn.execute(
            "SELECT status, error FROM print_jobs WHERE seq=?", (seq,)
        ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def set_print_status(self, seq: int, status: str, error: str | None, at: datetime) -> None:
        self.conn.execute(
            "UPDATE print_jobs SET status=?, error=?, updated_at=? WHERE seq=?",
            (status, error, at.isoformat(), seq),
        )

    # -- outbox ----------------------------------------------------------------------
    def pending_events(self, limit: int) -> list[PendingEvent]:
        """Return up to ``limit`` unacknowledged journal rows, in seq order."""
        rows = self.conn.execute(
            "SELECT j.seq, j.kind, j.event_id, j.at, j.body, j.prev_hash, j.hash "
            "FROM outbox o JOIN journal j ON j.seq=o.seq WHERE o.acked_at IS NULL "
            "ORDER BY o.seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [PendingEvent(*r) for r in rows]

    def mark_acked(self, through_seq: int, at: datetime) -> int:
        """Mark every outbox row up to ``through_seq`` acknowledged; return how many changed."""
        cur = self.conn.execute(
            "UPDATE outbox SET acked_at=? WHERE seq<=? AND acked_at IS NULL",
            (at.isoformat(), through_seq),
        )
        return cur.rowcount

    def outbox_stats(self) -> OutboxStats:
        pending, oldest = self.conn.execute(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL"
        ).fetchone()
        (acked,) = self.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE acked_at IS NOT NULL"
        ).fetchone()
        return OutboxStats(int(pending), parse_utc(oldest) if oldest else None, int(acked))

    # -- integrity ---------------------------------------------------------------------
    def verify(self) -> ChainBreak | None:
        """Check the journal's seq continuity and hash chain; return the first break."""
        rows = (
            ChainRow(int(s), str(b), str(p), str(h))
            for s, b, p, h in self.conn.execute(
                "SELECT seq, body, prev_hash, hash FROM journal ORDER BY seq"
            )
        )
        return verify_chain(rows)


def _customer_doc(c: Customer) -> dict[str, Any]:
    return {
        "name": c.name,
        "tier": c.tier,
        "country": c.country,
        "birthday": c.birthday.isoformat() if c.birthday else None,
        "segments": sorted(c.segments),
        "coupons": dict(c.coupons),
        "purchases_total": c.purchases_total,
        "month_purchases": list(c.month_purchases),
        "rule_uses": dict(c.rule_uses),
        "app_keys": list(c.app_keys),
        "tier_spend_minor": c.tier_spend_minor,
        "phone": c.phone,
        "lots": [
            {
                "points": lot.points,
                "earned_at": lot.earned_at.isoformat(),
                "expires_at": lot.expires_at.isoformat(),
            }
            for lot in c.lots
        ],
    }


def _customer(row: tuple[Any, ...]) -> Customer:
    doc = json.loads(row[2])
    return Customer(
        customer_id=row[0],
        card=row[1],
        name=doc["name"],
        tier=doc["tier"],
        hq_balance=Points(row[3]),
        country=doc.get("country") or "",
        birthday=date.fromisoformat(doc["birthday"]) if doc.get("birthday") else None,
        lots=tuple(
            PointLot(
                Points(lot["points"]), parse_utc(lot["earned_at"]), parse_utc(lot["expires_at"])
            )
            for lot in doc.get("lots", [])
        ),
        applied_seq=int(row[4]),
        segments=frozenset(doc.get("segments", [])),
        coupons=tuple(sorted(doc.get("coupons", {}).items())),
        purchases_total=int(doc.get("purchases_total", 0)),
        month_purchases=(
            str(doc.get("month_purchases", ["", 0])[0]),
            int(doc.get("month_purchases", ["", 0])[1]),
        ),
        rule_uses=tuple(sorted(doc.get("rule_uses", {}).items())),
        allowance=Points(int(row[5])),
        app_keys=tuple(doc.get("app_keys", [])),
        tier_spend_minor=int(doc.get("tier_spend_minor", 0)),
        phone=str(doc.get("phone") or ""),
    )
