"""HQ taking in a terminal's events: each stored exactly once, in seq order, its hash
chain checked, and its points, purchases, coupons and gift card moves applied (a
card sold at a till, which HQ does not know yet, is created by its load)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.clock import parse_utc
from agent.errors import BadBatch, StoreRefused
from agent.event_parts import GiftLoad
from agent.events import Audit, Enrolment, JournalEvent, Record, Return, Sale, read_event
from agent.journal import row_hash
from agent.point_lots import lot_expiry
from agent.ruleset import Ruleset
from agent.tiers import recorded_qualifying_minor, returned_qualifying_minor
from sync.hq.keys import enrolled_phone
from sync.hq.lots import expire, give_back, move
from sync.hq.spend import add, requalify
from sync.hq.store import HqStore


@dataclass(frozen=True, slots=True)
class EventResult:
    seq: int
    status: str  # "stored" | "duplicate" | "conflict"


@dataclass(frozen=True, slots=True)
class IngestResult:
    acked_through: int
    results: list[EventResult]


def _month(at: str, tz: ZoneInfo) -> str:
    """The calendar month (YYYY-MM) of an event, in the store's time zone."""
    return datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m")


def ingest(store: HqStore, terminal_id: str, events: list[dict[str, Any]], at: str) -> IngestResult:
    """Store each event exactly once, in seq order; return per-event results.

    Raises BadBatch for an event that is malformed or breaks the terminal's chain.
    """
    with store.transaction() as c:
        tz = ZoneInfo(store.timezone())  # read once a batch: months are counted in it
        rs = store.ruleset()  # ... and tiers and the lifetime of points in it
        acked, last_hash = c.execute(
            "SELECT acked_seq, last_hash FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        results: list[EventResult] = []
        for ev in events:
            seq = ev["seq"]
            if seq <= acked:
                row = c.execute(
                    "SELECT hash FROM hq_events WHERE terminal_id=? AND seq=?",
                    (terminal_id, seq),
                ).fetchone()
                if row is not None and row[0] == ev["hash"]:
                    results.append(EventResult(seq, "duplicate"))
                else:
                    c.execute(
                        "INSERT INTO conflicts(terminal_id, seq, reason, received_at) "
                        "VALUES(?,?,?,?)",
                        (terminal_id, seq, "same seq, other body", at),
                    )
                    results.append(EventResult(seq, "conflict"))
                continue
            if seq != acked + 1:
                break  # a gap: answer with the seq HQ expects
            chained = ev["prev_hash"] == last_hash
            if not chained or row_hash(ev["prev_hash"], ev["body"]) != ev["hash"]:
                raise BadBatch(f"event {seq} does not continue the terminal's hash chain")
            _apply(store, terminal_id, ev, at, tz, rs)
            acked, last_hash = seq, ev["hash"]
            results.append(EventResult(seq, "stored"))
        c.execute(
            "UPDATE terminals SET acked_seq=?, last_hash=? WHERE terminal_id=?",
            (acked, last_hash, terminal_id),
        )
    return IngestResult(acked, results)


def _points(record: Record) -> tuple[int, int, int]:
    """(points earned, points redeemed, total in minor units) of a record, as HQ applies
    them: a return's are negative, an enrolment's nothing."""
    if isinstance(record, Enrolment):
        return 0, 0, 0
    if isinstance(record, Audit):
        return record.points_earned, record.points_redeemed, 0
    return record.points_earned, record.points_redeemed, record.total_minor


def _apply(
    store: HqStore,
    terminal_id: str,
    ev: dict[str, Any],
    at: str,
    tz: ZoneInfo,
    rs: Ruleset | None,
) -> None:
    try:
        event = read_event(ev["kind"], ev["body"])
    except ValueError as exc:
        raise BadBatch(f"event {ev.get('seq')}: malformed body ({exc})") from None
    if event.seq != ev["seq"] or event.terminal_id != terminal_id:
        raise BadBatch(f"event {ev['seq']}: body names another seq or terminal")
    record = event.record
    earned, redeemed, total = _points(record)
    cid = record.customer_id
    store.conn.execute(
        "INSERT INTO hq_events(terminal_id, seq, kind, event_id, body, hash, received_at, "
        "customer_id, points_earned, points_redeemed, total_minor) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
        (
            terminal_id,
            ev["seq"],
            ev["kind"],
            ev["event_id"],
            ev["body"],
            ev["hash"],
            at,
            cid,
            earned,
            redeemed,
            total,
        ),
    )
    if isinstance(record, Enrolment):
        _enrol(store, event, record)
    elif cid is not None:
        _apply_customer(store, terminal_id, cid, record, (earned, redeemed), tz, rs)
        if redeemed > 0:  # redemptions here use up this terminal's allowance first
            store.conn.execute(
                "UPDATE hq_allowances SET points=MAX(0, points-?) "
                "WHERE terminal_id=? AND customer_id=?",
                (redeemed, terminal_id, cid),
            )
    if isinstance(record, Sale | Return) and record.gift_card is not None and record.gift_card[1]:
        card, amount_minor = record.gift_card  # a sale's card paid; a return's is credited
        sign = -1 if isinstance(record, Sale) else 1
        store.conn.execute(
            "UPDATE hq_gift_cards SET balance_minor=balance_minor+?, rev=? WHERE card=?",
            (sign * amount_minor, store.next_rev(), card),
        )
    if isinstance(record, Sale):
        for load in record.gift_loads:
            _load(store, event, record, load, at)


def _load(store: HqStore, event: JournalEvent, sale: Sale, load: GiftLoad, at: str) -> None:
    """A gift card sold or topped up at a till: its balance grows by the load (a card
    HQ does not know yet is created by it). A load HQ cannot recompute (its product
    loads no card, or it is not that line's price) is flagged, not applied."""
    row = store.conn.execute("SELECT doc FROM hq_products WHERE sku=?", (load.sku,)).fetchone()
    line = next((ln for ln in sale.lines if ln.sku == load.sku), None)
    units = sum(1 for g in sale.gift_loads if g.sku == load.sku)
    if (
        row is None
        or json.loads(row[0]).get("loads_gift_card") is not True
        or line is None
        or line.unit_minor != load.amount_minor
        or units > line.qty
    ):
        store.conn.execute(
            "INSERT INTO conflicts(terminal_id, seq, reason, received_at) VALUES(?,?,?,?)",
            (event.terminal_id, event.seq, f"gift card load of {load.card} not applied", at),
        )
        return
    store.conn.execute(
        "INSERT INTO hq_gift_cards(card, balance_minor, currency, rev) VALUES(?,?,?,?) "
        "ON CONFLICT(card) DO UPDATE SET balance_minor=balance_minor+excluded.balance_minor, "
        "rev=excluded.rev",
        (load.card, load.amount_minor, sale.currency, store.next_rev()),
    )


def _enrol(store: HqStore, event: JournalEvent, e: Enrolment) -> None:
    """A customer enrolled at a till: HQ's from now on (a card already taken is kept
    with its first owner, and the enrolment flagged)."""
    profile = {
        "name": e.name,
        "greeting": e.name,  # the till asks for the name the customer wants to be called
        "tier": e.tier,
        "phone": enrolled_phone(store.seal_key(), e),
        "consents": {"terms": e.terms, "marketing": e.marketing, "at": e.at},
    }
    try:
        store.conn.execute(
            "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?)",
            (e.customer_id, e.card, json.dumps(profile, ensure_ascii=False), 0, store.next_rev()),
        )
    except StoreRefused:  # the card (or the id) is taken
        store.conn.execute(
            "INSERT INTO conflicts(terminal_id, seq, reason, received_at) VALUES(?,?,?,?)",
            (event.terminal_id, event.seq, "enrolment of a card already taken", e.at),
        )


def _apply_customer(
    store: HqStore,
    terminal_id: str,
    cid: str,
    record: Record,
    points: tuple[int, int],
    tz: ZoneInfo,
    rs: Ruleset | None,
) -> None:
    """Balance and its lots, tier, purchase counts and used coupons of a customer after
    one event (points: earned, redeemed). Lots expired by the event's time are dropped
    from the balance first; its points are then spent from the oldest lots, and points
    gained are a new lot."""
    row = store.conn.execute(
        "SELECT doc, balance FROM hq_customers WHERE customer_id=?", (cid,)
    ).fetchone()
    if row is None:
        return  # a customer HQ does not know: the event is kept, nothing to update
    doc, balance = json.loads(row[0]), int(row[1])
    when = parse_utc(record.at)
    earned, redeemed = points
    dropped = expire(doc, when)
    expires = lot_expiry(when, rs.expire_days if rs else 365, rs.tz if rs else UTC)
    if isinstance(record, Return) and record.restored_lots:  # back to the lots they came from
        dropped += give_back(doc, record.restored_lots, when)
    else:
        move(doc, balance - dropped, -redeemed, when, expires)
    move(doc, balance - dropped - redeemed, earned, when, expires)
    delta = earned - redeemed - dropped
    if isinstance(record, Sale | Return):  # the money paid counts towards the tiers
        _count_spend(store, terminal_id, doc, record, rs)
        requalify(doc, when, rs)
    if isinstance(record, Sale):
        if record.purchase:  # gift card loads only are no purchase
            month = _month(record.at, tz)
            held_month, count = doc.get("month_purchases") or ["", 0]
            doc["month_purchases"] = [month, count + 1 if held_month == month else 1]
            doc["purchases_total"] = int(doc.get("purchases_total", 0)) + 1
        coupons = doc.get("coupons") or {}
        for code in record.codes:
            if code in coupons:
                coupons[code] = True
        doc["coupons"] = coupons
    store.conn.execute(
        "UPDATE hq_customers SET balance=balance+?, doc=?, rev=? WHERE customer_id=?",
        (delta, json.dumps(doc, ensure_ascii=False), store.next_rev(), cid),
    )


def _count_spend(
    store: HqStore, terminal_id: str, doc: dict[str, Any], record: Sale | Return, rs: Ruleset | None
) -> None:
    """Count a sale's qualifying money in the customer's spend, or take a return's out of
    the spend of the sale it returns (the terminal's own earlier event)."""
    rules = rs.tier_qualification if rs else None
    window = rules.window_days if rules else None
    if isinstance(record, Sale):
        add(doc, recorded_qualifying_minor(record.lines, rs), parse_utc(record.at), window)
        return
    row = store.conn.execute(
        "SELECT kind, body FROM hq_events WHERE terminal_id=? AND seq=?",
        (terminal_id, record.original_seq),
    ).fetchone()
    original = read_event(str(row[0]), str(row[1])).record if row else None
    if isinstance(original, Sale):
        taken = returned_qualifying_minor(record.lines, original.lines, rs)
        add(doc, taken, parse_utc(original.at), window)
