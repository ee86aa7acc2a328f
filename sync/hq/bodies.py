"""What HQ accepts as the body of an event, kind by kind, before anything is applied.

A closed list of kinds, each with its required fields, their types and ranges (points
and money within +-10^15; the signs a kind fixes: a sale earns and redeems points >= 0,
a return gives them back <= 0), times in ISO 8601 with an offset. :func:`from_wire`
checks a body against its kind's shape, then reads it into the typed record every
terminal writes (:mod:`agent.events`); what it refuses is a :class:`Refusal` naming
the field's path, and the event is quarantined with it (:mod:`sync.hq.ingest`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agent.events import READERS, JournalEvent
from agent.money import MAX_WHOLE
from agent.paid import TenderKind
from sync.hq.shapes import (
    Check,
    checked,
    flag,
    items,
    mapping,
    nullable,
    obj,
    one_of,
    row,
    text,
    time,
    too_deep,
    whole,
)
from sync.wire import MAX_EVENT_BODY_CHARS, MAX_KEY_CHARS

KINDS = tuple(READERS)  # the closed list: what HQ knows how to apply
ID = text(1)
# An id HQ keeps as a row a terminal's snapshot pages through (a customer enrolled, a
# gift card): no longer than a page key may be (sync.wire.MAX_KEY_CHARS), or the page
# ending on it could not be asked for.
KEY = text(1, MAX_KEY_CHARS)
CURRENCY = text(3, 3, "[A-Z]{3}")
NATURAL = whole(0)  # points or minor units whose sign the kind fixes as >= 0
GIVEN_BACK = whole(-MAX_WHOLE, 0)  # ... or as <= 0 (a return's)
CUSTOMER = obj(
    {"customer_id": text(), "card": text(1)},  # "": a card alone (issue 15)
    {
        "balance_before": nullable(whole()),
        "balance_after": nullable(whole()),
        "tier": nullable(text()),
        "expiring_soon": nullable(items(obj({"points": NATURAL, "expires_at": time}))),
        "next_tier": nullable(obj({"name": text(), "missing_minor": NATURAL})),
    },
)
GIFT_CARD = nullable(obj({"card": KEY, "amount_minor": NATURAL}))
SALE_LINE = obj(
    {
        "sku": ID,
        "name": text(),
        "category": text(),
        "qty": whole(1),
        "unit_minor": NATURAL,
        "amount_minor": NATURAL,
        "discount_minor": NATURAL,
        "points_payment_minor": NATURAL,
        "points_paid": NATURAL,
        "money_minor": NATURAL,
        "points_earned": NATURAL,
    },
    {"unlisted": flag},  # not in the till's catalogue (agent.model.Line.unlisted)
)
COMMON = {"seq": whole(1), "terminal_id": ID, "at": time}
TENDER = obj(
    {"kind": one_of(*TenderKind), "amount_minor": NATURAL},
    {"tendered_minor": NATURAL, "label": text(1, 128)},
)
SALE = obj(
    {
        **COMMON,
        "sale_id": ID,
        "currency": CURRENCY,
        "ruleset_version": NATURAL,
        "lines": items(SALE_LINE),
        "subtotal_minor": NATURAL,
        "discount_minor": NATURAL,
        "discounts": items(obj({"rule": ID, "amount_minor": NATURAL})),
        "total_minor": NATURAL,
        "points_redeemed": NATURAL,
        "reward_points": NATURAL,
        "points_value_minor": NATURAL,
        "gift_card": GIFT_CARD,
        "paid_money_minor": NATURAL,
        "points_earned": NATURAL,
        "awards": items(obj({"rule": ID, "points": NATURAL})),
        "codes": items(text(1)),
        "usage": mapping(NATURAL),
        "customer": nullable(CUSTOMER),
    },
    {
        "limit_lifted_by": nullable(text()),
        # how it was paid (absent from the sales of tills before tenders)
        "tenders": items(TENDER, 32),
        "change_minor": NATURAL,
        "hq_reachable": nullable(flag),
        "gift_loads": items(
            obj({"sku": ID, "card": KEY, "amount_minor": NATURAL, "balance_after_minor": whole()})
        ),
    },
)
RETURN = obj(
    {
        **COMMON,
        "sale_id": ID,
        "currency": CURRENCY,
        "original_seq": whole(1),
        "original_sale_id": ID,
        "lines": items(
            obj(
                {
                    "sku": ID,
                    "qty": whole(1),
                    "money_minor": NATURAL,
                    "points_reversed": NATURAL,
                    "points_restored": NATURAL,
                }
            )
        ),
        "total_minor": GIVEN_BACK,
        "points_earned": GIVEN_BACK,
        "points_redeemed": GIVEN_BACK,
        "flags": items(text()),
        "customer": nullable(CUSTOMER),
    },
    # credited back to the card; the till of the sale, when another
    {"gift_card": GIFT_CARD, "original_terminal_id": ID, "approved_by": ID},
)
AUDIT_COMMON = {
    **COMMON,
    "cashier": nullable(text()),
    "approved_by": text(),
    "points_earned": NATURAL,
    "points_redeemed": NATURAL,
}
AUDITS: dict[str, Check] = {
    "void": obj(
        {**AUDIT_COMMON, "lines": items(row(ID, whole(1), NATURAL))},
        {"customer": nullable(ID)},
    ),
    "adjust_points": obj(
        {**AUDIT_COMMON, "reason": text(1), "points": whole()},
        {"customer": nullable(obj({"customer_id": ID}))},
    ),
    "pin_lockout": obj({**AUDIT_COMMON, "reason": text(), "points": whole(0, 0)}),
}
ENROLMENT = obj(
    {
        **COMMON,
        "customer": obj({"customer_id": KEY}),
        "card": KEY,
        "name": text(1),
        "tier": text(),
        "phone": nullable(text(max_len=32)),
        "consents": obj({"terms": flag, "marketing": flag}),
    }
)
SHAPES: dict[str, Check] = {"sale": SALE, "return": RETURN, "enrol": ENROLMENT}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why HQ will not apply an event: the field's path and what is wrong with it."""

    reason: str


def _shape(kind: str, doc: dict[str, object]) -> Check | Refusal:
    if kind != "audit":
        return SHAPES[kind]
    action = doc.get("action")
    if action not in AUDITS:
        return Refusal(checked(action, one_of(*AUDITS), "body.action") or "body.action")
    return AUDITS[str(action)]


def from_wire(kind: str, body: str, seq: int, terminal_id: str) -> JournalEvent | Refusal:
    """The typed record of the body of event ``seq`` of ``terminal_id``, or why HQ refuses
    it (an unknown kind, a body too long, too deep or not JSON, a field of the wrong
    type, range or sign, a seq or terminal other than the event's)."""
    if kind not in KINDS:
        return Refusal(f"kind: {kind!r} is none of {', '.join(KINDS)}")
    if len(body) > MAX_EVENT_BODY_CHARS:
        return Refusal(f"body: longer than {MAX_EVENT_BODY_CHARS} characters")
    if too_deep(body.encode()):
        return Refusal("body: nested too deeply")
    if "\x00" in body or "\\u0000" in body:  # no terminal writes one; PostgreSQL keeps none
        return Refusal("body: holds a NUL character")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):  # ValueError: a number of thousands of digits too
        return Refusal("body: not JSON")
    if not isinstance(doc, dict):
        return Refusal("body: must be an object")
    shape = _shape(kind, doc)
    if isinstance(shape, Refusal):
        return shape
    why = checked(doc, shape, "body")
    if why is not None:
        return Refusal(why)
    if doc["seq"] != seq:
        return Refusal(f"body.seq: {doc['seq']}, but the event is {seq}")
    if doc["terminal_id"] != terminal_id:
        return Refusal(f"body.terminal_id: {doc['terminal_id']!r}, not this terminal")
    try:
        record = READERS[kind](doc)  # the typed record, as read_event reads it
    except (ValueError, TypeError, AttributeError) as exc:  # what it asks beyond the shape
        return Refusal(f"body: {exc}")
    return JournalEvent(seq, terminal_id, record)
