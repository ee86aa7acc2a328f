"""HQ taking in a terminal's events: each stored exactly once, in seq order, its hash
chain checked, and its points, purchases, coupons and gift card moves applied (a
card sold at a till, which HQ does not know yet, is created by its load).

An event whose chain holds but whose body HQ refuses (:func:`sync.hq.bodies.from_wire`,
then each of the ``checks``) is quarantined: stored with the reason, acknowledged as
such, not applied, and listed for HQ's staff; the events after it go on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.clock import parse_utc
from agent.errors import BadBatch
from agent.event_parts import GiftLoad
from agent.events import Audit, Enrolment, JournalEvent, Record, Return, Sale, read_event
from agent.journal import row_hash
from agent.point_lots import lot_expiry
from agent.ruleset import Ruleset
from agent.tiers import recorded_qualifying_minor, returned_qualifying_minor
from sync.hq import batch
from sync.hq.batch import Prepared
from sync.hq.bodies import Refusal, from_wire
from sync.hq.checks import CHECKS, Check
from sync.hq.expiry import expire_customer, write_move
from sync.hq.held import card_only, hold, holder, release
from sync.hq.holding import seen_by
from sync.hq.keys import enrolled_phone
from sync.hq.lots import give_back, move
from sync.hq.prepare import prepare
from sync.hq.reprice_view import repriced
from sync.hq.spend import add, requalify
from sync.hq.store import HqStore


@dataclass(frozen=True, slots=True)
class EventResult:
    seq: int
    status: str  # "stored" | "duplicate" | "conflict" | "quarantined"
    reason: str = ""  # why quarantined

    def to_doc(self) -> dict[str, object]:
        doc: dict[str, object] = {"seq": self.seq, "status": self.status}
        if self.reason:
            doc["reason"] = self.reason
        return doc


@dataclass(frozen=True, slots=True)
class IngestResult:
    acked_through: int
    results: list[EventResult]
    # HQ changed what it sends the terminal beyond the terminal's own figures (a tier,
    # a customer enrolled or credited by card): the terminal asks for a snapshot now.
    refresh: bool = False


def _month(at: str, tz: ZoneInfo) -> str:
    """The calendar month (YYYY-MM) of an event, in the store's time zone."""
    return datetime.fromisoformat(at).astimezone(tz).strftime("%Y-%m")


def ingest(
    store: HqStore,
    terminal_id: str,
    events: list[dict[str, Any]],
    at: str,
    checks: Sequence[Check] = CHECKS,
) -> IngestResult:
    """Store each event exactly once, in seq order; return per-event results. Each event
    of the protocol's shape (:mod:`sync.hq.intake`) whose body :func:`from_wire` or one
    of ``checks`` refuses is quarantined, with the reason.

    Raises BadBatch for an event that breaks the terminal's chain.
    """
    ready = prepare(store, terminal_id, events, repriced in checks)  # before the turn
    with store.transaction() as c, batch.during(store, ready):
        tz = ZoneInfo(store.timezone())  # read once a batch: months are counted in it
        rs = store.ruleset()  # ... and tiers and the lifetime of points in it
        acked, last_hash = c.execute(  # locked: one batch of a terminal at a time
            "SELECT acked_seq, last_hash FROM terminals "
            f"WHERE terminal_id=?{store.dialect.lock_row}",
            (terminal_id,),
        ).fetchone()
        results: list[EventResult] = []
        refresh = False
        for ev in events:
            seq = ev["seq"]
            if seq < 1:
                continue  # no seq of a terminal's: nothing to store, nothing to flag
            if seq <= acked:
                results.append(_again(store, terminal_id, ev, at))
                continue
            if seq != acked + 1:
                break  # a gap: answer with the seq HQ expects
            chained = ev["prev_hash"] == last_hash
            if not chained or row_hash(ev["prev_hash"], ev["body"]) != ev["hash"]:
                raise BadBatch(f"event {seq} does not continue the terminal's hash chain")
            verdict = _verdict(store, terminal_id, ev, checks, ready.get((seq, ev["hash"])))
            if isinstance(verdict, Refusal):
                _quarantine(store, terminal_id, ev, at, verdict.reason)
                results.append(EventResult(seq, "quarantined", verdict.reason))
            else:
                refresh = _apply(store, terminal_id, ev, verdict, at, tz, rs) or refresh
                results.append(EventResult(seq, "stored"))
            acked, last_hash = seq, ev["hash"]
        c.execute(
            "UPDATE terminals SET acked_seq=?, last_hash=? WHERE terminal_id=?",
            (acked, last_hash, terminal_id),
        )
    return IngestResult(acked, results, refresh)


def _verdict(
    store: HqStore,
    terminal_id: str,
    ev: dict[str, Any],
    checks: Sequence[Check],
    ready: Prepared | None,
) -> JournalEvent | Refusal:
    """The event's typed record, or the first reason HQ refuses it: its body's, then
    each check's in turn (its body read before the turn if it was: ``ready``)."""
    if ready is not None:
        event = ready.event
    else:
        event = from_wire(ev["kind"], ev["body"], ev["seq"], terminal_id)
    if isinstance(event, Refusal):
        return event
    for check in checks:
        why = check(store, event)
        if why is not None:
            return Refusal(why)
    return event


def _again(store: HqStore, terminal_id: str, ev: dict[str, Any], at: str) -> EventResult:
    """An event HQ holds already: a duplicate (quarantined again, with its reason, if it
    was), or another body under the same seq, flagged once."""
    seq = ev["seq"]
    row = store.conn.execute(
        "SELECT hash, NULL FROM hq_events WHERE terminal_id=? AND seq=? "
        "UNION ALL SELECT hash, reason FROM hq_quarantine WHERE terminal_id=? AND seq=?",
        (terminal_id, seq, terminal_id, seq),
    ).fetchone()
    if row is not None and row[0] == ev["hash"]:
        if row[1] is None:
            return EventResult(seq, "duplicate")
        return EventResult(seq, "quarantined", str(row[1]))
    store.conn.execute(
        "INSERT INTO conflicts(terminal_id, seq, reason, received_at) SELECT ?,?,?,? "
        "WHERE NOT EXISTS (SELECT 1 FROM conflicts WHERE terminal_id=? AND seq=?)",
        (terminal_id, seq, "same seq, other body", at, terminal_id, seq),
    )
    return EventResult(seq, "conflict")


def _quarantine(store: HqStore, terminal_id: str, ev: dict[str, Any], at: str, why: str) -> None:
    """Keep the event refused, with why; a NUL character of its body kept as ``\\u0000``
    (no text PostgreSQL keeps holds one)."""
    body = ev["body"].replace("\x00", "\\u0000")
    store.conn.execute(
        "INSERT INTO hq_quarantine(terminal_id, seq, kind, event_id, body, hash, received_at, "
        "reason) VALUES(?,?,?,?,?,?,?,?)",
        (terminal_id, ev["seq"], ev["kind"], ev["event_id"], body, ev["hash"], at, why),
    )


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
    event: JournalEvent,
    at: str,
    tz: ZoneInfo,
    rs: Ruleset | None,
) -> bool:
    """Apply one event; returns whether HQ's figures for the terminal now differ from
    what the terminal computes itself (:attr:`IngestResult.refresh`)."""
    record = event.record
    earned, redeemed, total = _points(record)
    refresh = False
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
        _credit_held(store, record, tz, rs)
        refresh = True
    elif isinstance(record, Sale | Return) and card_only(record) is not None:  # a card alone
        found = holder(store, str(card_only(record)))
        if found is None:
            hold(store, terminal_id, ev["seq"], record, at)  # until the card is enrolled
        else:
            _apply_customer(store, terminal_id, found, record, (earned, redeemed), tz, rs)
            refresh = True
    elif cid is not None:
        refresh = _apply_customer(store, terminal_id, cid, record, (earned, redeemed), tz, rs)
        if redeemed > 0:  # redemptions here use up this terminal's allowance first
            store.conn.execute(
                "UPDATE hq_allowances SET points=CASE WHEN points>? THEN points-? ELSE 0 END "
                "WHERE terminal_id=? AND customer_id=?",
                (redeemed, redeemed, terminal_id, cid),
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
        for n, p in enumerate(record.tenders):
            store.conn.execute(
                "INSERT INTO hq_tenders(terminal_id, seq, n, kind, label, amount_minor, "
                "tendered_minor) VALUES(?,?,?,?,?,?,?)",
                (
                    terminal_id,
                    ev["seq"],
                    n,
                    p.kind.value,
                    p.label,
                    p.amount_minor,
                    p.tendered_minor,
                ),
            )
    return refresh


def _load(store: HqStore, event: JournalEvent, sale: Sale, load: GiftLoad, at: str) -> None:
    """A gift card sold or topped up at a till: its balance grows by the load (a card
    HQ does not know yet is created by it). A load HQ cannot recompute (its product
    loads no card, or it is not that line's price) is flagged, not applied."""
    text = batch.product_doc(store, load.sku)
    line = next((ln for ln in sale.lines if ln.sku == load.sku), None)
    units = sum(1 for g in sale.gift_loads if g.sku == load.sku)
    if (
        text is None
        or json.loads(text).get("loads_gift_card") is not True
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
        "ON CONFLICT(card) DO UPDATE SET "
        "balance_minor=hq_gift_cards.balance_minor+excluded.balance_minor, "
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
    added = store.conn.execute(
        "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?) "
        "ON CONFLICT DO NOTHING",
        (e.customer_id, e.card, json.dumps(profile, ensure_ascii=False), 0, store.next_rev()),
    )
    if added.rowcount == 0:  # the card (or the id) is taken
        store.conn.execute(
            "INSERT INTO conflicts(terminal_id, seq, reason, received_at) VALUES(?,?,?,?)",
            (event.terminal_id, event.seq, "enrolment of a card already taken", e.at),
        )


def _credit_held(store: HqStore, e: Enrolment, tz: ZoneInfo, rs: Ruleset | None) -> None:
    """The card just enrolled earned points before HQ knew it: credit them now."""
    if holder(store, e.card) != e.customer_id:
        return  # the card was taken: its holder was credited when the sales came
    for terminal_id, seq in release(store, e.card):
        row = store.conn.execute(
            "SELECT kind, body FROM hq_events WHERE terminal_id=? AND seq=?", (terminal_id, seq)
        ).fetchone()
        sale = read_event(str(row[0]), str(row[1])).record
        earned, redeemed, _ = _points(sale)
        _apply_customer(store, terminal_id, e.customer_id, sale, (earned, redeemed), tz, rs)


def _apply_customer(
    store: HqStore,
    terminal_id: str,
    cid: str,
    record: Record,
    points: tuple[int, int],
    tz: ZoneInfo,
    rs: Ruleset | None,
) -> bool:
    """Balance and its lots, tier, purchase counts and used coupons of a customer after
    one event (points: earned, redeemed). Lots expired by the event's time are dropped
    from the balance first; its points are then spent from the oldest lots, and points
    gained are a new lot. Returns whether the customer's tier changed."""
    now = batch.of(store)
    kept = None if now is None else now.take_row(cid)  # read by the re-pricing
    if kept is None:
        row = store.conn.execute(
            "SELECT doc, balance FROM hq_customers WHERE customer_id=?", (cid,)
        ).fetchone()
        if row is None:
            return False  # a customer HQ does not know: the event is kept, nothing to update
        kept = json.loads(row[0]), int(row[1])
    doc, balance = kept
    tier = doc.get("tier")
    when = parse_utc(record.at)
    earned, redeemed = points
    dropped = expire_customer(store, cid, doc, when).points  # written down as expiry moves
    expires = lot_expiry(when, rs.expire_days if rs else 365, rs.tz if rs else UTC)
    if isinstance(record, Return) and record.restored_lots:  # back to the lots they came from
        dead = give_back(doc, record.restored_lots, when)  # given back to a lot expired: gone
        if dead:
            write_move(store, cid, dead, when, when)
        dropped += dead
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
    seen_by(store, terminal_id, cid, when)  # a store holding who it sees holds them
    return bool(doc.get("tier") != tier)


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
        (record.original_terminal_id or terminal_id, record.original_seq),
    ).fetchone()
    original = read_event(str(row[0]), str(row[1])).record if row else None
    if isinstance(original, Sale):
        taken = returned_qualifying_minor(record.lines, original.lines, rs)
        add(doc, taken, parse_utc(original.at), window)
