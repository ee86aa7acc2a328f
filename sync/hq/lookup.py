"""One customer looked up by card for a terminal that does not hold the card (issue 15),
as a snapshot would send them: of the person only what a terminal keeps."""

from __future__ import annotations

import json
from typing import Any

from agent.privacy import for_terminal
from sync.hq.spend import without_spend
from sync.hq.store import HqStore


def customer_by_card(store: HqStore, terminal_id: str, card: str) -> dict[str, Any] | None:
    """The customer holding ``card`` as :func:`sync.hq.snapshot.snapshot` sends them to
    ``terminal_id`` (the balance less the allowances held at other terminals), or None."""
    phone_key = store.phone_key()
    c = store.conn
    c.execute("BEGIN")
    try:
        (applied,) = c.execute(
            "SELECT acked_seq FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        row = c.execute(
            "SELECT c.customer_id, c.card, c.doc, c.balance, "
            "COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id<>?), 0), "
            "COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id=?), 0) "
            "FROM hq_customers c LEFT JOIN hq_allowances a "
            "ON a.customer_id=c.customer_id WHERE c.card=? GROUP BY c.customer_id",
            (terminal_id, terminal_id, card),
        ).fetchone()
    finally:
        c.execute("COMMIT")
    if row is None:
        return None
    cid, held, doc, balance, elsewhere, mine = row
    return dict(
        for_terminal(without_spend(json.loads(doc)), phone_key),
        customer_id=cid,
        card=held,
        balance=balance - elsewhere,
        applied_seq=applied,
        allowance=mine,
    )
