"""What HQ holds, summed up: sales and points per terminal and in total, points expired,
and what to look at."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from agent.foreign_desk import FOREIGN_OFFLINE
from sync.hq.expiry import points_expired
from sync.hq.fraud import fraud_signals
from sync.hq.fraud_settings import FraudSettings
from sync.hq.store import HqStore


def quarantined(store: HqStore) -> list[dict[str, Any]]:
    """The events HQ holds but did not apply, oldest first, each with the reason."""
    return [
        {
            "terminal_id": tid,
            "seq": seq,
            "kind": kind,
            "event_id": event_id,
            "received_at": received_at,
            "reason": reason,
        }
        for tid, seq, kind, event_id, received_at, reason in store.conn.execute(
            "SELECT terminal_id, seq, kind, event_id, received_at, reason FROM hq_quarantine "
            "ORDER BY received_at, terminal_id, seq"
        )
    ]


def foreign_offline(store: HqStore) -> list[dict[str, Any]]:
    """Returns of another till's sale a manager let be while the till could not reach HQ:
    money back without any points move, for HQ's staff to look at."""
    d = store.dialect
    return [
        {
            "terminal_id": tid,
            "seq": seq,
            "original": f"{orig}:{oseq}",
            "approved_by": manager,
            "total_minor": total,
        }
        for tid, seq, orig, oseq, manager, total in store.conn.execute(
            f"SELECT terminal_id, seq, {d.text('body', 'original_terminal_id')}, "
            f"{d.int('body', 'original_seq')}, {d.text('body', 'approved_by')}, "
            f"total_minor FROM hq_events WHERE kind='return' AND {d.holds('body', 'flags')} "
            "ORDER BY received_at, terminal_id, seq",
            (FOREIGN_OFFLINE,),
        )
    ]


def tenders(store: HqStore) -> dict[str, Any]:
    """What the sales HQ holds were paid with, by kind (minor units), in total and per
    terminal, and the cash handed over beyond it (change); sales from tills before
    tenders say nothing, and are counted apart."""
    per: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for tid, kind, amount, handed in store.conn.execute(
        "SELECT terminal_id, kind, CAST(SUM(amount_minor) AS BIGINT), "
        "CAST(COALESCE(SUM(tendered_minor - amount_minor), 0) AS BIGINT) FROM hq_tenders "
        "GROUP BY terminal_id, kind ORDER BY terminal_id, kind"
    ):
        per.setdefault(tid, {})[kind] = int(amount)
        total[kind] = total.get(kind, 0) + int(amount)
        if handed:
            total["change"] = total.get("change", 0) + int(handed)
    (unsaid,) = store.conn.execute(
        "SELECT COUNT(*) FROM hq_events e WHERE e.kind='sale' AND NOT EXISTS "
        "(SELECT 1 FROM hq_tenders t WHERE t.terminal_id=e.terminal_id AND t.seq=e.seq)"
    ).fetchone()
    return {"total": total, "terminals": per, "sales_without_tenders": int(unsaid)}


def report(
    store: HqStore,
    at: datetime | None = None,
    settings: FraudSettings | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, Any]:
    """Return what HQ holds: sales and points per terminal and in total, the fraud
    signals of the window before ``at`` (:mod:`sync.hq.fraud`; without ``at``: of
    every event HQ holds), and the points expired from ``since`` to ``until`` (store
    days, included; open ends when None)."""
    terms: dict[str, Any] = {}
    for tid, acked, n, returns, audits, issued, redeemed, money in store.conn.execute(
        "SELECT t.terminal_id, t.acked_seq, COUNT(e.seq) FILTER (WHERE e.kind='sale'), "
        "COUNT(e.seq) FILTER (WHERE e.kind='return'), "
        "COUNT(e.seq) FILTER (WHERE e.kind='audit'), "
        "CAST(COALESCE(SUM(e.points_earned),0) AS BIGINT), "
        "CAST(COALESCE(SUM(e.points_redeemed),0) AS BIGINT), "
        "CAST(COALESCE(SUM(e.total_minor),0) AS BIGINT) "
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
        for cid, bal in store.conn.execute(
            "SELECT customer_id, balance FROM hq_customers WHERE balance<0 ORDER BY customer_id"
        )
    ]
    owing = [  # gift cards spent at several terminals while HQ was out of reach
        {"card": card, "balance_minor": bal, "currency": cur}
        for card, bal, cur in store.conn.execute(
            "SELECT card, balance_minor, currency FROM hq_gift_cards WHERE balance_minor<0 "
            "ORDER BY card"
        )
    ]
    (conflicts,) = store.conn.execute("SELECT COUNT(*) FROM conflicts").fetchone()
    return {
        "terminals": terms,
        "total": total,
        "negative_balances": flagged,
        "negative_gift_cards": owing,
        "conflicts": conflicts,
        "fraud": fraud_signals(store, at, settings or FraudSettings()),
        "points_expired": points_expired(store, since, until),
        "quarantined": quarantined(store),
        "foreign_offline_returns": foreign_offline(store),
        "tenders": tenders(store),
    }
