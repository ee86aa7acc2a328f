"""Points of a sale made for a card alone (a till that did not hold the card, offline:
issue 15): credited to the card's customer when the sale arrives, or held for the card
until it is enrolled, then credited."""

from __future__ import annotations

from agent.events import Record, Return, Sale
from agent.model import Customer
from agent.ruleset import Ruleset
from sync.hq.store import HqStore


def card_only(record: Record) -> str | None:
    """The card of a sale made for a card alone (its customer names no id), or of a
    return of one; else None."""
    if isinstance(record, Sale | Return) and record.customer is not None:
        return None if record.customer.customer_id else record.customer.card
    return None


def holder(store: HqStore, card: str) -> str | None:
    """The customer HQ knows holds ``card``, or None."""
    row = store.conn.execute(
        "SELECT customer_id FROM hq_customers WHERE card=?", (card,)
    ).fetchone()
    return None if row is None else str(row[0])


def hold(store: HqStore, terminal_id: str, seq: int, sale: Sale | Return, at: str) -> None:
    """Keep the points of ``sale`` for its card until the card is enrolled (a return's
    are negative: what it took back of them)."""
    assert sale.customer is not None
    store.conn.execute(
        "INSERT INTO hq_held_points(terminal_id, seq, card, points, received_at) VALUES(?,?,?,?,?)",
        (terminal_id, seq, sale.customer.card, sale.points_earned, at),
    )


def release(store: HqStore, card: str) -> list[tuple[str, int]]:
    """The sales whose points were held for ``card`` (terminal, seq), oldest first, no
    longer held: the caller credits them to the card's customer now."""
    rows = store.conn.execute(
        "SELECT terminal_id, seq FROM hq_held_points WHERE card=? ORDER BY received_at, seq",
        (card,),
    ).fetchall()
    store.conn.execute("DELETE FROM hq_held_points WHERE card=?", (card,))
    return [(str(t), int(s)) for t, s in rows]


def held_points(store: HqStore, card: str) -> int:
    """The points held for ``card`` (HQ's staff, tests)."""
    row = store.conn.execute(
        "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM hq_held_points WHERE card=?",
        (card,),
    ).fetchone()
    return int(row[0])


def card_only_faults(
    sale: Sale, claimed: Customer, balance: int | None, rs: Ruleset
) -> list[tuple[str, object, object]]:
    """What HQ's re-pricing does not accept of a sale priced for a card alone: it is
    priced as the programme's base tier with nothing of a person (no segment, coupon,
    country, birthday, lots) and spends no points. (figure, the terminal's, HQ's)."""
    out: list[tuple[str, object, object]] = []
    if claimed.tier != rs.default_tier:
        out.append(("tier", claimed.tier, rs.default_tier))
    personal = bool(claimed.segments or claimed.coupons or claimed.lots)
    if personal or claimed.country or claimed.birthday or claimed.hq_balance or balance:
        out.append(("customer", "a person's data", "a card alone"))
    if sale.points_redeemed:
        out.append(("points_redeemed", sale.points_redeemed, 0))
    return out
