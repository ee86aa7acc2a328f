"""A sale as HQ holds it, with the returns of it from every till of the chain: what a
till asks for to take back a receipt of another till, and what HQ re-prices a return
against (:mod:`sync.hq.reprice_view`)."""

from __future__ import annotations

from typing import Any

from agent.events import Return
from agent.refunds import refund, units_returned
from sync.hq.reprice import HqView, Problem
from sync.hq.store import HqStore


def sale_body(store: HqStore, terminal_id: str, seq: int) -> str | None:
    """The body of sale ``seq`` of ``terminal_id`` as HQ applied it, or None."""
    row = store.conn.execute(
        "SELECT body FROM hq_events WHERE terminal_id=? AND seq=? AND kind='sale'",
        (terminal_id, seq),
    ).fetchone()
    return None if row is None else str(row[0])


def return_bodies(store: HqStore, terminal_id: str, seq: int) -> list[tuple[str, int, str]]:
    """(till, seq, body) of each return of sale ``seq`` of ``terminal_id`` HQ applied,
    made at any till, in the order HQ received them."""
    d = store.dialect
    # a return names the till of its sale when it is another; else its own till made it
    till = f"COALESCE({d.text('body', 'original_terminal_id')}, terminal_id)"
    return [
        (str(t), int(s), str(b))
        for t, s, b in store.conn.execute(
            "SELECT terminal_id, seq, body FROM hq_events WHERE kind='return' "
            f"AND {d.int('body', 'original_seq')}=? AND {till}=? "
            "ORDER BY received_at, terminal_id, seq",
            (seq, terminal_id),
        )
    ]


def sale_doc(store: HqStore, terminal_id: str, seq: int) -> dict[str, Any] | None:
    """The reply to a till asking for sale ``seq`` of ``terminal_id``, or None."""
    body = sale_body(store, terminal_id, seq)
    if body is None:
        return None
    returns = [
        {"terminal_id": t, "seq": s, "body": b}
        for t, s, b in return_bodies(store, terminal_id, seq)
    ]
    return {"terminal_id": terminal_id, "seq": seq, "body": body, "returns": returns}


def money_only(ret: Return, view: HqView) -> list[Problem]:
    """What HQ does not accept of a return a manager let be while the till could not
    reach HQ (flagged FOREIGN_OFFLINE): no points move, no customer, units the sale
    still had, and no more money for a line than :func:`refund` gives for it."""
    sale = view.original
    if sale is None:
        return [Problem("original_seq", ret.original_seq, "no such sale of that terminal")]
    out = [
        Problem(name, claimed, 0)
        for name, claimed in (
            ("points_earned", ret.points_earned),
            ("points_redeemed", ret.points_redeemed),
            ("restored_lots", len(ret.restored_lots)),
            ("gift_card", ret.gift_card[1] if ret.gift_card else 0),
        )
        if claimed
    ]
    if ret.customer is not None:
        out.append(Problem("customer", ret.customer_id, None))
    before = units_returned(ln for r in view.earlier_returns for ln in r.lines)
    asked = units_returned(ret.lines)
    ours = refund(sale.lines, asked, before)
    out += [Problem("lines", "returned", str(why)) for why in ours.refusals]
    mine = {ln.sku: ln for ln in ours.lines}
    for ln in ret.lines:
        theirs = mine.get(ln.sku)
        if theirs is not None and ln.money_minor > theirs.money_minor:
            out.append(Problem(f"line {ln.sku} money_minor", ln.money_minor, theirs.money_minor))
        if ln.points_reversed or ln.points_restored:
            out.append(Problem(f"line {ln.sku} points", "moved", 0))
    return out
