"""What the till writes: sales and returns, events and audit entries in the hash chain,
their usage counters, print jobs and the outbox HQ drains."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from agent.clock import parse_utc
from agent.documents import customer_profile
from agent.errors import StoreCorrupted
from agent.events import Audit, Enrolment, JournalEvent, Return, Sale, read_event, to_body
from agent.journal import GENESIS, ChainBreak, ChainRow, canonical, row_hash, verify_chain
from agent.model import Customer
from agent.money import Money
from agent.pricing.inputs import Usage
from agent.staff import Cashier, Role
from agent.store.entries import Committed, NewSale, OutboxStats, PendingEvent, Quarantined
from agent.store.file import StoreFile
from agent.timefloor import LOCAL_KEY

# This till's returns of another till's sale, on the index of migration m015.
RETURNS_OF = (
    "SELECT body FROM journal WHERE kind='return' "
    "AND json_extract(body, '$.original_terminal_id')=? "
    "AND json_extract(body, '$.original_seq')=? ORDER BY seq"
)


class Ledger:
    """The journal, the ledger and the outbox: every write a sale makes, in one transaction."""

    def __init__(self, file: StoreFile) -> None:
        self.file = file
        self.conn = file.conn
        self._with_sale: Callable[[int, Sale | Return], None] | None = None

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

    def commit_event(
        self,
        record: Audit | Enrolment,
        event_id: str,
        terminal_id: str,
        new_customer: Customer | None = None,
    ) -> int:
        """Journal an event that is not a sale (an override, an enrolment) and queue it
        for HQ; return its seq.

        It joins the hash chain and the outbox like a sale, so HQ receives it exactly
        once and nobody can remove it locally unseen. A point adjustment moves the
        customer's balance here (a ledger row) and, through the record's points, at HQ.
        ``new_customer`` is written to the customer list in the same transaction, so a
        customer enrolled here can be identified at once.
        """
        with self.file.atomic():
            return self.append_event(record, event_id, terminal_id, new_customer)

    def append_event(
        self,
        record: Audit | Enrolment,
        event_id: str,
        terminal_id: str,
        new_customer: Customer | None = None,
    ) -> int:
        """:meth:`commit_event` inside a write transaction already open (a void journalled
        with the return that undoes its sale: the agent API's cancel); return its seq."""
        c = self.conn
        if new_customer is not None:
            c.execute(
                "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, phone)"
                " VALUES(?,?,?,?,?,?)",
                (
                    new_customer.customer_id,
                    new_customer.card,
                    json.dumps(customer_profile(new_customer)),
                    0,
                    0,
                    new_customer.phone,
                ),
            )
        last_seq, prev = self.last_link()
        seq = last_seq + 1
        text = canonical(to_body(record, seq, terminal_id))
        c.execute(
            "INSERT INTO journal(seq, kind, event_id, at, body, prev_hash, hash) "
            "VALUES(?,?,?,?,?,?,?)",
            (seq, record.kind, event_id, record.at, text, prev, row_hash(prev, text)),
        )
        adjusted = isinstance(record, Audit) and record.points and record.customer_id
        if isinstance(record, Audit) and adjusted:  # after its journal row: the ledger
            c.execute(  # points at it
                "INSERT INTO ledger(seq, customer_id, kind, points, expires_at) VALUES(?,?,?,?,?)",
                (seq, record.customer_id, "adjust", record.points, None),
            )
        c.execute("INSERT INTO outbox(seq, created_at) VALUES(?, ?)", (seq, record.at))
        return seq

    # -- the sale ---------------------------------------------------------------
    def last_link(self) -> tuple[int, str]:
        row = self.conn.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def commit_sale(self, sale: NewSale, terminal_id: str) -> Committed:
        """Write the sale and everything that goes with it in one durable transaction."""
        with self.file.atomic() as c:
            last_seq, prev = self.last_link()
            seq = last_seq + 1
            text = canonical(to_body(sale.record, seq, terminal_id))
            digest = row_hash(prev, text)
            at = sale.at.isoformat()
            c.execute(
                "INSERT INTO journal(seq, kind, event_id, at, body, prev_hash, hash) "
                "VALUES(?,?,?,?,?,?,?)",
                (seq, sale.record.kind, sale.sale_id, at, text, prev, digest),
            )
            if sale.gift_card_moves:
                # A card loaded here that HQ has not sent yet is known here from now on:
                # what it holds is this terminal's moves until HQ's snapshot names it.
                c.executemany(
                    "INSERT OR IGNORE INTO gift_cards(card, hq_balance_minor, currency, "
                    "applied_seq) VALUES(?, 0, ?, 0)",
                    [(g.card, sale.currency) for g in sale.gift_card_moves if g.amount_minor > 0],
                )
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
                "paid_money_minor, points_earned, points_redeemed, kind, month, day, purchase, "
                "qualifying_minor) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    seq,
                    sale.sale_id,
                    sale.customer_id,
                    sale.currency,
                    sale.total_minor,
                    sale.paid_money_minor,
                    sale.points_earned,
                    sale.points_redeemed,
                    sale.record.kind,
                    sale.day[:7],
                    sale.day,
                    int(sale.purchase),
                    sale.qualifying_minor,
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
            self.file.note_time(LOCAL_KEY, sale.at)  # the floor of the offline limits
            c.execute(
                "INSERT INTO print_jobs(seq, status, updated_at) VALUES(?,?,?)",
                (seq, "pending", at),
            )
            if self._with_sale is not None:  # written with the sale or not at all
                self._with_sale(seq, sale.record)
        return Committed(seq, digest)

    @contextmanager
    def writing_with(self, write: Callable[[int, Sale | Return], None]) -> Iterator[None]:
        """Call ``write(seq, record)`` inside the transaction of each sale or return committed in
        the block, after its rows: what must be written with it or not at all (the agent
        API's idempotency key, a cancel's void)."""
        self._with_sale = write
        try:
            yield
        finally:
            self._with_sale = None

    def sale_event(self, seq: int) -> JournalEvent | None:
        """The sale or return journalled as ``seq``, or None (no such seq, or another kind).

        Raises StoreCorrupted if its body does not read: the journal was altered.
        """
        row = self.conn.execute(
            "SELECT kind, body FROM journal WHERE seq=? AND kind IN ('sale', 'return')", (seq,)
        ).fetchone()
        if row is None:
            return None
        try:
            return read_event(str(row[0]), str(row[1]))
        except ValueError as exc:
            raise StoreCorrupted(f"journal row {seq}: {exc}") from None

    def usage(self) -> dict[str, int]:
        return {str(k): int(n) for k, n in self.conn.execute("SELECT key, count FROM usage")}

    _USAGE_SQL = (
        "SELECT 'q', rule_id, granted, 0, 0 FROM quotas "
        "UNION ALL SELECT 'c', key, count, 0, 0 FROM usage "
        "WHERE (key >= 'budget:' AND key < 'budget;')"
        " OR (key >= 'quota:' AND key < 'quota;') OR (key >= ? AND key < ?)"
        " OR (key >= ? AND key < ?) "
        "UNION ALL SELECT 's', COALESCE(SUM(purchase), 0), "
        "COALESCE(SUM(month=? AND purchase), 0), "
        "COALESCE(SUM(CASE WHEN day<? THEN points_redeemed END), 0), "
        "COALESCE(SUM(CASE WHEN day>=? THEN points_redeemed END), 0) FROM sales "
        "WHERE customer_id=? AND seq>? AND kind='sale'"
    )

    def usage_for(self, customer: Customer | None, day: str, daily_cap: int | None = None) -> Usage:
        """What this terminal adds to HQ's snapshot for ``customer`` on ``day`` (YYYY-MM-DD).

        ``daily_cap`` limits the points the customer may spend here before HQ has
        confirmed them: the allowance HQ reserved absorbs earlier days' unconfirmed
        redemptions first; today may spend what is left of it plus the cap, less what
        was already spent today (or on a later day: a sale never makes a day's cap
        fresh again, whatever a clock did). One query (index range scans): it runs for every quote.
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

    def unsynced_qualifying(self, customer: Customer, since_day: str) -> int:
        """The qualifying money (minor units) of ``customer``'s sales and returns here that
        HQ had not applied at its last snapshot, made on store day ``since_day`` or later."""
        (spent,) = self.conn.execute(
            "SELECT COALESCE(SUM(qualifying_minor), 0) FROM sales "
            "WHERE customer_id=? AND seq>? AND day>=?",
            (customer.customer_id, customer.applied_seq, since_day),
        ).fetchone()
        return int(spent)

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

    def gift_card_spent(self, card: str, day: str) -> int:
        """Minor units card ``card`` paid here on store day ``day`` (or later) in sales HQ
        had not applied at its last snapshot."""
        (spent,) = self.conn.execute(
            "SELECT COALESCE(SUM(-g.amount_minor), 0) FROM gift_card_moves g "
            "JOIN sales s ON s.seq=g.seq JOIN gift_cards c ON c.card=g.card "
            "WHERE g.card=? AND g.amount_minor<0 AND g.seq>c.applied_seq AND s.day>=?",
            (card, day),
        ).fetchone()
        return int(spent)

    def gift_card_returned(self, original_seq: int) -> int:
        """Minor units the returns of sale ``original_seq`` credited back to its gift card."""
        (credited,) = self.conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM gift_card_moves WHERE seq IN "
            "(SELECT seq FROM returns WHERE original_seq=?)",
            (original_seq,),
        ).fetchone()
        return int(credited)

    def returned_units(self, original_seq: int) -> dict[str, int]:
        """SKU -> units of sale ``original_seq`` already returned."""
        return {
            str(s): int(n)
            for s, n in self.conn.execute(
                "SELECT sku, SUM(qty) FROM returns WHERE original_seq=? GROUP BY sku",
                (original_seq,),
            )
        }

    def returns_of(self, terminal_id: str, seq: int) -> list[Return]:
        """This till's returns of sale ``seq`` of another till ``terminal_id``."""
        found = []
        for (body,) in self.conn.execute(RETURNS_OF, (terminal_id, seq)):
            record = read_event("return", str(body)).record
            if isinstance(record, Return):
                found.append(record)
        return found

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

    def resend_from(self, seq: int) -> None:
        """Queue every event from ``seq`` on again (HQ holds less than it had acknowledged:
        restored from a backup)."""
        self.conn.execute("UPDATE outbox SET acked_at=NULL WHERE seq>=?", (seq,))

    def note_quarantined(self, reasons: dict[int, str], at: datetime) -> None:
        """Keep what HQ said of events it quarantined (seq -> reason)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO hq_quarantined(seq, reason, noted_at) VALUES(?,?,?)",
            [(seq, reason, at.isoformat()) for seq, reason in reasons.items()],
        )

    def quarantined(self) -> list[Quarantined]:
        """The events HQ quarantined, in seq order."""
        rows = self.conn.execute(
            "SELECT q.seq, j.kind, q.reason FROM hq_quarantined q JOIN journal j ON j.seq=q.seq "
            "ORDER BY q.seq"
        ).fetchall()
        return [Quarantined(int(s), str(k), str(r)) for s, k, r in rows]

    def outbox_stats(self) -> OutboxStats:
        pending, oldest = self.conn.execute(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE acked_at IS NULL"
        ).fetchone()
        return OutboxStats(int(pending), parse_utc(oldest) if oldest else None)

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
