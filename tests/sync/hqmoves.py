"""HQ's moves of points, read from its database: what a balance's history says."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def moves(db: str | Path) -> list[tuple[str, int, str]]:
    """HQ's expiry moves: (customer, points, when they expired), in the order written."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT customer_id, points, expired_at FROM hq_expiry_moves ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [(str(c), int(p), str(a)) for c, p, a in rows]


def balances_and_moves(db: str | Path) -> dict[str, tuple[int, int]]:
    """customer -> (balance, points earned - redeemed - expired in HQ's moves)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT c.customer_id, c.balance, "
            "(SELECT COALESCE(SUM(points_earned - points_redeemed), 0) FROM hq_events e "
            " WHERE e.customer_id=c.customer_id) - "
            "(SELECT COALESCE(SUM(points), 0) FROM hq_expiry_moves m "
            " WHERE m.customer_id=c.customer_id) FROM hq_customers c"
        ).fetchall()
    finally:
        conn.close()
    return {str(c): (int(b), int(m)) for c, b, m in rows}
