"""Fraud signals of `kassa hq report`: patterns in what terminals sent that HQ staff
should look at, each with who or what it names and the evidence.

Derived from what HQ keeps of every event (its body, as the terminal hashed it), so
nothing is added at ingest. Each signal reads the events of a window (``window_days``
before the report's time) through the index on (kind, the body's time), or one
customer's or one card's events through their indexes; none reads the whole table.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from agent.clock import parse_utc
from sync.hq.fraud_settings import FraudSettings
from sync.hq.store import HqStore

EVIDENCE = 20  # at most this many events listed as evidence of one entry (all are counted)


def _at(store: HqStore) -> str:
    """An event's time in its body: the expression the index hq_events_kind_at holds."""
    return store.dialect.text("e.body", "at")


def _when(text: object) -> datetime | None:
    """The body's time, or None for one that does not read (it is skipped, not trusted)."""
    try:
        return parse_utc(str(text))
    except ValueError:
        return None


def _ref(terminal: str, seq: int, sale_id: object, at: object) -> dict[str, Any]:
    return {"terminal_id": terminal, "seq": seq, "sale_id": sale_id, "at": at}


def fraud_signals(store: HqStore, at: datetime | None, s: FraudSettings) -> dict[str, Any]:
    """Every signal's list, each entry naming who or what and its evidence: of the
    ``window_days`` before ``at``, or of every event HQ holds (``at`` None)."""
    since = "" if at is None else (at - timedelta(days=s.window_days)).isoformat()
    return {
        "window": {"since": since or None, "until": None if at is None else at.isoformat()},
        "settings": {name: getattr(s, name) for name in FraudSettings.names()},
        "own_card": own_card(store, since),
        "concentrated_cards": concentrated_cards(store, since, s),
        "quick_returns": quick_returns(store, since, s),
        "too_fast_travel": too_fast_travel(store, since, s),
        "manager_overrides": manager_overrides(store, since, s),
        "negative_points": negative_points(store),
        "negative_gift_cards": negative_gift_cards(store),
    }


def own_card(store: HqStore, since: str) -> list[dict[str, Any]]:
    """Staff whose own loyalty card (HQ's staff list) is on sales or returns they rang up."""
    out: dict[str, dict[str, Any]] = {}
    d, at = store.dialect, _at(store)
    join = d.ordered_join  # on SQLite in this order: staff's cards, then their events
    for staff, name, card, cid, tid, seq, kind, sale_id, when in store.conn.execute(
        "SELECT s.staff_id, s.name, s.card, c.customer_id, e.terminal_id, e.seq, e.kind, "
        f"{d.text('e.body', 'sale_id')}, {at} FROM hq_staff s "
        f"{join} hq_customers c ON c.card = s.card "
        f"{join} hq_events e {d.indexed_by('hq_events_customer')} "
        "ON e.customer_id = c.customer_id AND e.kind IN ('sale', 'return') "
        f"WHERE {d.text('e.body', 'cashier')} = s.staff_id AND {at} >= ? "
        f"ORDER BY s.staff_id, {at}",
        (since,),
    ):
        entry = out.setdefault(
            staff,
            {"cashier": staff, "name": name, "card": card, "customer_id": cid, "sales": 0,
             "returns": 0, "events": []},
        )  # fmt: skip
        entry["sales" if kind == "sale" else "returns"] += 1
        if len(entry["events"]) < EVIDENCE:
            entry["events"].append(dict(_ref(tid, seq, sale_id, when), kind=kind))
    return list(out.values())


def concentrated_cards(store: HqStore, since: str, s: FraudSettings) -> list[dict[str, Any]]:
    """Cashiers whose loyalty sales fall mostly on a few cards."""
    per: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    d, cashier = store.dialect, store.dialect.text("e.body", "cashier")
    for who, cid, card, n in store.conn.execute(
        f"SELECT {cashier}, e.customer_id, "
        f"MAX({d.text('e.body', 'customer.card')}), COUNT(*) FROM hq_events e "
        f"WHERE e.kind = 'sale' AND {_at(store)} >= ? AND e.customer_id IS NOT NULL "
        f"AND {cashier} IS NOT NULL GROUP BY {cashier}, e.customer_id",
        (since,),
    ):
        per[str(who)].append((int(n), str(cid), str(card)))
    out = []
    for who in sorted(per):
        counts = sorted(per[who], reverse=True)
        total = sum(n for n, _, _ in counts)
        top = counts[: s.concentration_top_cards]
        held = sum(n for n, _, _ in top)
        if total >= s.concentration_min_sales and held * 100 >= s.concentration_percent * total:
            out.append(
                {
                    "cashier": who,
                    "loyalty_sales": total,
                    "cards": len(counts),
                    "top_cards": [{"customer_id": c, "card": k, "sales": n} for n, c, k in top],
                    "top_share_percent": held * 100 // total,
                }
            )
    return out


def quick_returns(store: HqStore, since: str, s: FraudSettings) -> list[dict[str, Any]]:
    """Customers who more than once returned a sale that earned them points, soon after."""
    soon = timedelta(days=s.return_within_days)
    per: dict[str, list[dict[str, Any]]] = defaultdict(list)
    d, at = store.dialect, _at(store)
    for cid, tid, rseq, rid, rat, reversed_, who, sseq, sid, sat, earned in store.conn.execute(
        f"SELECT e.customer_id, e.terminal_id, e.seq, {d.text('e.body', 'sale_id')}, "
        f"{at}, -e.points_earned, {d.text('e.body', 'cashier')}, o.seq, "
        f"{d.text('o.body', 'sale_id')}, {d.text('o.body', 'at')}, o.points_earned "
        "FROM hq_events e JOIN hq_events o "
        f"ON o.terminal_id = COALESCE({d.text('e.body', 'original_terminal_id')}, "
        "e.terminal_id) "
        f"AND o.seq = {d.int('e.body', 'original_seq')} AND o.kind = 'sale' "
        f"WHERE e.kind = 'return' AND {at} >= ? AND e.customer_id IS NOT NULL "
        f"AND o.points_earned > 0 ORDER BY e.customer_id, {at}",
        (since,),
    ):
        sold, back = _when(sat), _when(rat)
        if sold is None or back is None or not timedelta(0) <= back - sold <= soon:
            continue
        per[str(cid)].append(
            {
                "sale": dict(_ref(tid, sseq, sid, sat), points_earned=earned),
                "return": dict(_ref(tid, rseq, rid, rat), points_reversed=reversed_, cashier=who),
                "hours_between": int((back - sold).total_seconds() // 3600),
            }
        )
    return [
        {"customer_id": cid, "quick_returns": len(pairs), "pairs": pairs[:EVIDENCE]}
        for cid, pairs in sorted(per.items())
        if len(pairs) >= s.quick_returns_min
    ]


def too_fast_travel(store: HqStore, since: str, s: FraudSettings) -> list[dict[str, Any]]:
    """One card used at two stores closer in time than ``travel_minutes``: each such pair
    of a customer's consecutive uses (sales and returns, by their time)."""
    least = timedelta(minutes=s.travel_minutes)
    out = []
    last: tuple[str, datetime, dict[str, Any]] | None = None
    d, at = store.dialect, _at(store)
    for cid, card, store_id, tid, seq, sale_id, when in store.conn.execute(
        f"SELECT e.customer_id, {d.text('e.body', 'customer.card')}, t.store_id, "
        f"e.terminal_id, e.seq, {d.text('e.body', 'sale_id')}, {at} FROM hq_events e "
        "JOIN terminals t ON t.terminal_id = e.terminal_id "
        f"WHERE e.kind IN ('sale', 'return') AND {at} >= ? AND e.customer_id IS NOT NULL "
        f"ORDER BY e.customer_id, {at}",
        (since,),
    ):
        moment = _when(when)
        if moment is None:
            continue
        use = dict(_ref(tid, seq, sale_id, when), store_id=store_id)
        if last is not None and last[0] == cid and last[2]["store_id"] != store_id:
            gap = moment - last[1]
            if gap < least:
                out.append(
                    {
                        "customer_id": cid,
                        "card": card,
                        "minutes_between": int(gap.total_seconds() // 60),
                        "uses": [last[2], use],
                    }
                )
        last = (str(cid), moment, use)
    return out


def manager_overrides(store: HqStore, since: str, s: FraudSettings) -> list[dict[str, Any]]:
    """Managers who approved more voids or point adjustments in the window than the
    settings allow (with how many they approved for themselves, signed in as cashier)."""
    per: dict[str, dict[str, Any]] = {}
    d, at = store.dialect, _at(store)
    by, what = d.text("e.body", "approved_by"), d.text("e.body", "action")
    for who, action, n, points, own, first, latest in store.conn.execute(
        f"SELECT {by}, {what}, COUNT(*), "
        f"CAST(SUM(ABS(COALESCE({d.int('e.body', 'points')}, 0))) AS BIGINT), "
        f"COUNT(*) FILTER (WHERE {d.text('e.body', 'cashier')} = {by}), "
        f"MIN({at}), MAX({at}) FROM hq_events e "
        f"WHERE e.kind = 'audit' AND {at} >= ? AND {what} IN ('void', 'adjust_points') "
        f"GROUP BY {by}, {what}",
        (since,),
    ):
        entry = per.setdefault(
            str(who),
            {"manager": who, "voids": 0, "adjustments": 0, "points_adjusted": 0,
             "self_approved": 0, "first_at": first, "last_at": latest},
        )  # fmt: skip
        if action == "void":
            entry["voids"] = n
        else:
            entry["adjustments"], entry["points_adjusted"] = n, points
        entry["self_approved"] += own
        entry["first_at"], entry["last_at"] = (
            min(entry["first_at"], first),
            max(entry["last_at"], latest),
        )
    return [
        entry
        for _, entry in sorted(per.items())
        if entry["voids"] >= s.max_voids
        or entry["adjustments"] >= s.max_adjustments
        or entry["points_adjusted"] >= s.max_adjusted_points
    ]


def _latest(store: HqStore, where: str, key: str) -> list[dict[str, Any]]:
    """The newest events (at most EVIDENCE) that match ``where`` for ``key``."""
    at = _at(store)
    return [
        dict(_ref(tid, seq, sale_id, when), kind=kind)
        for tid, seq, kind, sale_id, when in store.conn.execute(
            f"SELECT e.terminal_id, e.seq, e.kind, {store.dialect.text('e.body', 'sale_id')}, "
            f"{at} FROM hq_events e WHERE {where} ORDER BY {at} DESC LIMIT ?",
            (key, EVIDENCE),
        )
    ]


def negative_points(store: HqStore) -> list[dict[str, Any]]:
    """Customers whose balance at HQ is below zero, with their latest events."""
    rows = store.conn.execute(  # no ORDER BY: the partial index of negative balances is read
        "SELECT customer_id, card, balance FROM hq_customers WHERE balance < 0"
    ).fetchall()
    return [
        {
            "customer_id": cid,
            "card": card,
            "balance": balance,
            "events": _latest(store, "e.customer_id = ?", cid),
        }
        for cid, card, balance in sorted(rows)
    ]


def negative_gift_cards(store: HqStore) -> list[dict[str, Any]]:
    """Gift cards whose balance at HQ is below zero, with the latest events they paid or
    were credited by."""
    rows = store.conn.execute(
        "SELECT card, balance_minor, currency FROM hq_gift_cards WHERE balance_minor < 0"
    ).fetchall()
    return [
        {
            "card": card,
            "balance_minor": balance,
            "currency": currency,
            "events": _latest(store, f"{store.dialect.text('e.body', 'gift_card.card')} = ?", card),
        }
        for card, balance, currency in sorted(rows)
    ]
