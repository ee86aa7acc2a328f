"""HQ's moves of points, read from its database (an SQLite file or a PostgreSQL URL):
what a balance's history says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sync.hq.store import HqStore


def _rows(db: str | Path, sql: str) -> list[Any]:
    store = HqStore(db, create=False)
    try:
        return list(store.conn.execute(sql).fetchall())
    finally:
        store.close()


def moves(db: str | Path) -> list[tuple[str, int, str]]:
    """HQ's expiry moves: (customer, points, when they expired), in the order written."""
    rows = _rows(db, "SELECT customer_id, points, expired_at FROM hq_expiry_moves ORDER BY id")
    return [(str(c), int(p), str(a)) for c, p, a in rows]


def balances_and_moves(db: str | Path) -> dict[str, tuple[int, int]]:
    """customer -> (balance, points earned - redeemed - expired in HQ's moves)."""
    rows = _rows(
        db,
        "SELECT c.customer_id, c.balance, "
        "(SELECT COALESCE(SUM(points_earned - points_redeemed), 0) FROM hq_events e "
        " WHERE e.customer_id=c.customer_id) - "
        "(SELECT COALESCE(SUM(points), 0) FROM hq_expiry_moves m "
        " WHERE m.customer_id=c.customer_id) FROM hq_customers c",
    )
    return {str(c): (int(b), int(m)) for c, b, m in rows}


def gift_cards_and_moves(db: str | Path) -> dict[str, tuple[int, int]]:
    """gift card -> (balance, what HQ's applied events moved onto it: loads sold at a till
    and returns credited, less what sales paid with it)."""
    cards = dict(_rows(db, "SELECT card, balance_minor FROM hq_gift_cards"))
    bodies = _rows(db, "SELECT kind, body FROM hq_events WHERE kind IN ('sale', 'return')")
    moved = dict.fromkeys(cards, 0)
    for kind, body in bodies:
        doc = json.loads(body)
        paid = doc.get("gift_card")
        if paid:  # a sale's card paid; a return's is credited
            moved[paid["card"]] = moved.get(paid["card"], 0) + (
                -paid["amount_minor"] if kind == "sale" else paid["amount_minor"]
            )
        for load in doc.get("gift_loads") or []:
            moved[load["card"]] = moved.get(load["card"], 0) + load["amount_minor"]
    return {c: (int(cards.get(c, 0)), m) for c, m in moved.items()}
