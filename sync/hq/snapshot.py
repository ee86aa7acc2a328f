"""What HQ sends a terminal: everything changed since the terminal's cursor, in pages
(the server signs each).

A pass runs over the rows whose change counter (``rev``) is above the terminal's
cursor and at most ``upto``, HQ's rev when the pass began: products, then customers,
then gift cards, each in (rev, key) order on an index, at most ``rows`` rows a page.
The terminal applies each page in its own short transaction, keeps the page's ``next``
with it, and asks for the page after it; with the last page (``next`` null) come the
small things (ruleset, quotas, revocations, policy, keys, the store's holding) and the
terminal's cursor moves to ``upto``.

Nothing changed while a pass runs is missed: a row written after the pass began has a
rev above ``upto`` (the rev is taken in the write's transaction, so a reader never sees
a rev before the rows that carry it), so the next poll, from cursor ``upto``, sends it,
whether its key was passed already or not (a row not reached yet leaves the pass's
range and is sent once, by that poll). A poll with nothing changed reads three empty
index ranges and the small things: its cost does not grow with the customers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.privacy import for_terminal, seal_public_hex
from sync.hq.holding import HELD, Holding, holding_of
from sync.hq.spend import without_spend
from sync.hq.store import HqStore
from sync.wire import PARTS, PageKey, parse_page_key

PAGE_ROWS = 5000  # rows a page holds at most (a customer is about 700 bytes of JSON)
SCAN_FACTOR = 20  # a page of a `seen` store reads at most this many times its rows
_KEYS = {"products": ("hq_products", "sku"), "customers": ("hq_customers", "customer_id")}
_KEYS["gift_cards"] = ("hq_gift_cards", "card")


def hq_rev(store: HqStore) -> int:
    """HQ's change counter: what changed last carries it."""
    row = store.conn.execute("SELECT value FROM hq_meta WHERE key='rev'").fetchone()
    return int(row[0]) if row else 0


def page_refusal(store: HqStore, cursor: int, page: PageKey) -> str | None:
    """Why HQ cannot serve ``page`` after ``cursor`` (a page of no pass of its), or None.
    HQ's rev only grows: a page it can serve now it can serve later."""
    if page.upto > hq_rev(store):
        return "query.upto: beyond HQ's changes"
    if page.upto < cursor or page.after_rev < cursor:
        return "query.upto: a page of a pass before the cursor"
    return None


@dataclass(frozen=True, slots=True)
class _Reader:
    """One page's reading: the terminal, its store's holding, HQ's time."""

    store: HqStore
    terminal_id: str
    phone_key: str
    applied: int
    store_id: str
    holding: Holding
    now: datetime
    cursor: int

    def held(self) -> tuple[str, tuple[object, ...]]:
        """The filter on customers ``c`` this terminal holds, with its parameters."""
        if self.holding.mode == "all":
            return "1=1", ()
        return HELD, (self.store_id, self.holding.since(self.now))

    def keys(self, part: str, key: PageKey, left: int) -> tuple[list[bool], tuple[int, str]]:
        """Which of the next keys of ``part`` after ``key`` are sent (at most ``left``),
        and the last key read; the part is done when fewer than asked come back."""
        table, name = _KEYS[part]
        wanted, params = ("1", ()) if part != "customers" else self.held()
        scan = left if wanted == "1" else left * SCAN_FACTOR
        rows = self.store.conn.execute(
            f"SELECT c.rev, c.{name}, {wanted} FROM {table} c "  # fixed names: _KEYS
            f"WHERE c.rev >= ? AND c.rev <= ? AND c.rev > ? AND (c.rev > ? OR c.{name} > ?) "
            f"ORDER BY c.rev, c.{name} LIMIT ?",
            (*params, key.after_rev, key.upto, self.cursor, key.after_rev, key.after, scan),
        ).fetchall()
        flags: list[bool] = []
        last, sent = (key.after_rev, key.after), 0
        for rev, k, w in rows:
            flags.append(bool(w))
            sent += bool(w)
            last = (int(rev), str(k))
            if sent == left:
                break
        done = len(rows) < scan and len(flags) == len(rows)
        return flags, (last if not done else (-1, ""))

    def rows(self, part: str, key: PageKey, end: tuple[int, str]) -> list[dict[str, Any]]:
        """The rows of ``part`` sent in (``key``, ``end``] (``end`` rev -1: to the end)."""
        name = _KEYS[part][1]
        where = f"c.rev >= ? AND c.rev <= ? AND c.rev > ? AND (c.rev > ? OR c.{name} > ?)"
        params: tuple[object, ...] = (key.after_rev, key.upto if end[0] < 0 else end[0])
        params += (self.cursor, key.after_rev, key.after)
        if end[0] >= 0:  # the page ends inside the range: at the last key read
            where += f" AND (c.rev < ? OR c.{name} <= ?)"
            params += end
        c = self.store.conn
        if part == "products":
            sql = f"SELECT doc FROM hq_products c WHERE {where} ORDER BY c.rev, c.sku"
            return [json.loads(d) for (d,) in c.execute(sql, params)]
        if part == "gift_cards":
            sql = (
                "SELECT card, balance_minor, currency FROM hq_gift_cards c "
                f"WHERE {where} ORDER BY c.rev, c.card"
            )
            return [
                {"card": k, "balance_minor": b, "currency": m, "applied_seq": self.applied}
                for k, b, m in c.execute(sql, params)
            ]
        held, more = self.held()
        return for_the_terminal(self, f"{where} AND {held}", params + more)


def for_the_terminal(
    reader: _Reader, where: str, params: tuple[object, ...]
) -> list[dict[str, Any]]:
    """The customers ``where`` (a fixed clause on ``c`` with ``params``) as the reader's
    terminal receives them: the balance less the allowances reserved at the other
    terminals, its own allowance beside it; the spend figure goes (the purchase days stay
    at HQ), and of the person only what a terminal keeps (the greeting, month-day, the
    phone's hash); ``held_until`` when its store holds customers seen there. Read inside
    the caller's transaction, in (rev, customer_id) order."""
    tid, phone_key, holding = reader.terminal_id, reader.phone_key, reader.holding
    out = []
    for cid, card, d, bal, elsewhere, mine, seen_at, pushed in reader.store.conn.execute(
        "SELECT c.customer_id, c.card, c.doc, c.balance, "
        "CAST(COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id<>?), 0) AS BIGINT), "
        "CAST(COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id=?), 0) AS BIGINT), "
        "(SELECT h.seen_at FROM hq_store_customers h "
        " WHERE h.store_id=? AND h.customer_id=c.customer_id), "
        "(SELECT h.pushed FROM hq_store_customers h "
        " WHERE h.store_id=? AND h.customer_id=c.customer_id) "
        "FROM hq_customers c LEFT JOIN hq_allowances a "
        f"ON a.customer_id=c.customer_id WHERE {where} "  # where: the callers' fixed text
        "GROUP BY c.customer_id, c.card, c.doc, c.balance, c.rev ORDER BY c.rev, c.customer_id",
        (tid, tid, reader.store_id, reader.store_id, *params),
    ):
        doc = dict(
            for_terminal(without_spend(json.loads(d)), phone_key),
            customer_id=cid,
            card=card,
            balance=bal - elsewhere,
            applied_seq=reader.applied,
            allowance=mine,
        )
        until = holding.held_until(seen_at, bool(pushed))
        if until is not None:
            doc["held_until"] = until
        out.append(doc)
    return out


def reader(store: HqStore, terminal_id: str, cursor: int, now: datetime, phone_key: str) -> _Reader:
    """A reader of what ``terminal_id`` is sent (inside the caller's read transaction;
    ``phone_key``: HQ's, read before it, as it may be made on first use)."""
    row = store.conn.execute(
        "SELECT acked_seq, store_id FROM terminals WHERE terminal_id=?", (terminal_id,)
    ).fetchone()
    applied, store_id = (0, "main") if row is None else (int(row[0]), str(row[1]))
    holding = holding_of(store, store_id)
    return _Reader(store, terminal_id, phone_key, applied, store_id, holding, now, cursor)


def snapshot_page(
    store: HqStore,
    terminal_id: str,
    cursor: int,
    ruleset_version: int,
    page: PageKey | None,
    now: datetime,
    rows: int | None = None,
) -> dict[str, Any]:
    """One page of the pass after ``cursor`` (the first when ``page`` is None), read in
    one transaction, at most ``rows`` rows (default PAGE_ROWS); only reads (the page
    checked first: :func:`page_refusal`)."""
    rows = rows or PAGE_ROWS
    phone_key, seal = store.phone_key(), seal_public_hex(store.seal_key())  # made once
    with store.reading():  # one consistent view (PostgreSQL: REPEATABLE READ)
        if page is None:
            page = PageKey(hq_rev(store), PARTS[0], cursor, "")
        r = reader(store, terminal_id, cursor, now, phone_key)
        out: dict[str, Any] = {"cursor": page.upto, "products": [], "customers": []}
        out["gift_cards"], out["holding"] = [], r.holding.to_doc()
        left, key, nxt = rows, page, None
        while True:
            flags, end = r.keys(key.part, key, left)
            if any(flags):
                out[key.part] += r.rows(key.part, key, end)
                left -= sum(flags)
            if end[0] >= 0:  # the page is full, or read as far as it may: more next time
                nxt = PageKey(key.upto, key.part, end[0], end[1])
                break
            i = PARTS.index(key.part) + 1
            if i == len(PARTS):
                break
            key = PageKey(key.upto, PARTS[i], cursor, "")
        out["next"] = None if nxt is None else nxt.to_doc()
        if nxt is None:
            out.update(_head(r, ruleset_version), seal_key=seal)
    return out


def _head(r: _Reader, ruleset_version: int) -> dict[str, Any]:
    """What the last page of a pass brings besides rows: small, read whole."""
    c, store = r.store.conn, r.store
    quotas = dict(
        c.execute("SELECT rule_id, granted FROM hq_quotas WHERE terminal_id=?", (r.terminal_id,))
    )
    revoked = [x for (x,) in c.execute("SELECT rule_id FROM hq_revocations ORDER BY 1")]
    rs = c.execute(
        "SELECT document FROM hq_rulesets WHERE version>? ORDER BY version DESC LIMIT 1",
        (ruleset_version,),
    ).fetchone()
    return {
        "ruleset": json.loads(rs[0]) if rs else None,
        "quotas": quotas,
        "revoked": revoked,
        "policy": store.policy().to_doc(),
        "phone_key": r.phone_key,
    }


def snapshot(
    store: HqStore,
    terminal_id: str,
    cursor: int,
    ruleset_version: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every page of one pass joined in one document (HQ's tools and tests; terminals
    are sent pages); ``now`` is HQ's time for the store's holding window."""
    at = now or datetime.now(UTC)
    doc = snapshot_page(store, terminal_id, cursor, ruleset_version, None, at)
    while doc["next"] is not None:
        page = snapshot_page(
            store, terminal_id, cursor, ruleset_version, parse_page_key(doc["next"]), at
        )
        for part in PARTS:
            page[part] = doc[part] + page[part]
        doc = page
    return doc
