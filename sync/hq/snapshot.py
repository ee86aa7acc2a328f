"""What HQ sends a terminal: everything changed since the terminal's cursor, read in one
transaction (the server signs it)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from agent.privacy import for_terminal, seal_public_hex
from sync.hq.expiry import expire_all
from sync.hq.spend import without_spend
from sync.hq.store import HqStore


def snapshot(
    store: HqStore,
    terminal_id: str,
    cursor: int,
    ruleset_version: int,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return what changed since ``cursor``, read in one transaction; with ``now``, the
    lots expired by then are first dropped from the balances (written down as expiry
    moves), and the spend aged out of the tier window from the qualifying figures (and
    sent as changed)."""
    if now is not None:
        with store.transaction():
            expire_all(store, now)
            store.age_spend(now)
    phone_key = store.phone_key()
    with store.reading() as c:
        (applied,) = c.execute(
            "SELECT acked_seq FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        row = c.execute("SELECT value FROM hq_meta WHERE key='rev'").fetchone()
        rev = int(row[0]) if row else 0
        products = [
            json.loads(d)
            for (d,) in c.execute("SELECT doc FROM hq_products WHERE rev>? ORDER BY sku", (cursor,))
        ]
        customers = for_the_terminal(store, terminal_id, applied, phone_key, "c.rev>?", cursor)
        quotas = dict(
            c.execute("SELECT rule_id, granted FROM hq_quotas WHERE terminal_id=?", (terminal_id,))
        )
        revoked = [r for (r,) in c.execute("SELECT rule_id FROM hq_revocations ORDER BY 1")]
        cards = [
            {"card": card, "balance_minor": bal, "currency": cur, "applied_seq": applied}
            for card, bal, cur in c.execute(
                "SELECT card, balance_minor, currency FROM hq_gift_cards WHERE rev>? ORDER BY card",
                (cursor,),
            )
        ]
        rs = c.execute(
            "SELECT document FROM hq_rulesets WHERE version>? ORDER BY version DESC LIMIT 1",
            (ruleset_version,),
        ).fetchone()
    return {
        "cursor": rev,
        "products": products,
        "customers": customers,
        "ruleset": json.loads(rs[0]) if rs else None,
        "quotas": quotas,
        "revoked": revoked,
        "gift_cards": cards,
        "policy": store.policy().to_doc(),
        "phone_key": phone_key,
        "seal_key": seal_public_hex(store.seal_key()),
    }


def for_the_terminal(
    store: HqStore, terminal_id: str, applied: int, phone_key: str, where: str, value: object
) -> list[dict[str, Any]]:
    """The customers ``where`` (a fixed clause on ``c``, one parameter ``value``) as
    ``terminal_id`` receives them: the balance less the allowances reserved at the other
    terminals, its own allowance beside it; the spend figure goes (the purchase days stay
    at HQ), and of the person only what a terminal keeps (the greeting, month-day, the
    phone's hash). Read inside the caller's transaction."""
    return [
        dict(
            for_terminal(without_spend(json.loads(d)), phone_key),
            customer_id=cid,
            card=card,
            balance=bal - elsewhere,
            applied_seq=applied,
            allowance=mine,
        )
        for cid, card, d, bal, elsewhere, mine in store.conn.execute(
            "SELECT c.customer_id, c.card, c.doc, c.balance, "
            "CAST(COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id<>?), 0) AS BIGINT), "
            "CAST(COALESCE(SUM(a.points) FILTER (WHERE a.terminal_id=?), 0) AS BIGINT) "
            "FROM hq_customers c LEFT JOIN hq_allowances a "
            f"ON a.customer_id=c.customer_id WHERE {where} "  # where: the callers' fixed text
            "GROUP BY c.customer_id ORDER BY c.customer_id",
            (terminal_id, terminal_id, value),
        )
    ]
