"""The records a terminal sends HQ: a sale, a return, an audit entry, an enrolment.

Defined once, as typed values: the terminal writes each as the body of a journal row
(the text that is hashed, chained and uploaded) through ``to_doc``, and HQ and the
terminal's own readers (receipts, returns) read a body back through
:func:`read_event`. A body that does not read raises ValueError naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from agent.documents import field, whole
from agent.event_parts import (
    CustomerOnSale,
    GiftLoad,
    ReturnLine,
    SaleLine,
    SpentLot,
    items,
    optional,
)
from agent.paid import Paid
from agent.pricing.asked import PricedWith


@dataclass(frozen=True, slots=True)
class Sale:
    kind: ClassVar[str] = "sale"

    sale_id: str
    at: str  # ISO time
    currency: str
    ruleset_version: int
    lines: tuple[SaleLine, ...]
    subtotal_minor: int
    discount_minor: int
    discounts: tuple[tuple[str, int], ...]  # (rule, amount_minor)
    total_minor: int
    points_redeemed: int  # paid with points and spent on rewards
    reward_points: int
    points_value_minor: int
    gift_card: tuple[str, int] | None  # (card, amount_minor paid with it)
    paid_money_minor: int
    points_earned: int
    awards: tuple[tuple[str, int], ...]  # (rule, points)
    codes: tuple[str, ...]
    usage: tuple[tuple[str, int], ...]
    customer: CustomerOnSale | None
    limit_lifted_by: str | None = None  # a manager lifted the offline limit: outside the bound
    spent_lots: tuple[SpentLot, ...] = ()  # where its points came from, oldest first
    gift_loads: tuple[GiftLoad, ...] = ()  # lines that loaded a gift card (GIFT50)
    priced_with: PricedWith | None = None  # what it was priced with (None: older bodies)
    cashier: str | None = None  # who was signed in at the till and rang it up
    # How it was paid (agent.tendering; empty: not said, as tills before tenders wrote)
    tenders: tuple[Paid, ...] = ()
    change_minor: int = 0  # cash given back
    hq_reachable: bool | None = None  # HQ reachable as it was made (None: not known)

    @property
    def customer_id(self) -> str | None:
        return None if self.customer is None else self.customer.customer_id

    @property
    def purchase(self) -> bool:
        """False for a sale of gift card loads only: it counts as no purchase (every Nth
        purchase, a first purchase, uses per customer); lines not in the till's catalogue
        count toward nothing either."""
        loads = {g.sku for g in self.gift_loads}
        return any(ln.sku not in loads and not ln.unlisted for ln in self.lines)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "sale_id": self.sale_id,
            "at": self.at,
            "currency": self.currency,
            "ruleset_version": self.ruleset_version,
            "lines": [ln.to_doc() for ln in self.lines],
            "subtotal_minor": self.subtotal_minor,
            "discount_minor": self.discount_minor,
            "discounts": [{"rule": r, "amount_minor": a} for r, a in self.discounts],
            "total_minor": self.total_minor,
            "points_redeemed": self.points_redeemed,
            "reward_points": self.reward_points,
            "points_value_minor": self.points_value_minor,
            "gift_card": None
            if self.gift_card is None
            else {"card": self.gift_card[0], "amount_minor": self.gift_card[1]},
            "paid_money_minor": self.paid_money_minor,
            "points_earned": self.points_earned,
            "awards": [{"rule": r, "points": p} for r, p in self.awards],
            "codes": list(self.codes),
            "usage": dict(self.usage),
            "customer": None if self.customer is None else self.customer.to_doc(),
        }
        if self.limit_lifted_by is not None:
            doc["limit_lifted_by"] = self.limit_lifted_by
        if self.spent_lots:
            doc["spent_lots"] = [lot.to_doc() for lot in self.spent_lots]
        if self.gift_loads:  # absent otherwise: the bodies of earlier sales stay as they were
            doc["gift_loads"] = [g.to_doc() for g in self.gift_loads]
        if self.priced_with is not None:
            doc["priced_with"] = self.priced_with.to_doc()
        if self.cashier is not None:
            doc["cashier"] = self.cashier
        if self.tenders:  # absent otherwise: the bodies of earlier sales stay as they were
            doc["tenders"] = [p.to_doc() for p in self.tenders]
            doc["change_minor"] = self.change_minor
        if self.hq_reachable is not None:
            doc["hq_reachable"] = self.hq_reachable
        return doc

    @staticmethod
    def from_doc(d: dict[str, Any]) -> Sale:
        gift = d.get("gift_card")
        usage = field(d, "usage", dict)
        return Sale(
            sale_id=field(d, "sale_id", str),
            at=field(d, "at", str),
            currency=field(d, "currency", str),
            ruleset_version=field(d, "ruleset_version", int),
            lines=tuple(SaleLine.from_doc(x) for x in items(d, "lines")),
            subtotal_minor=field(d, "subtotal_minor", int),
            discount_minor=field(d, "discount_minor", int),
            discounts=tuple(
                (field(x, "rule", str), field(x, "amount_minor", int))
                for x in items(d, "discounts")
            ),
            total_minor=field(d, "total_minor", int),
            points_redeemed=field(d, "points_redeemed", int),
            reward_points=field(d, "reward_points", int),
            points_value_minor=field(d, "points_value_minor", int),
            gift_card=None
            if gift is None
            else (field(gift, "card", str), field(gift, "amount_minor", int)),
            paid_money_minor=field(d, "paid_money_minor", int),
            points_earned=field(d, "points_earned", int),
            awards=tuple(
                (field(x, "rule", str), field(x, "points", int)) for x in items(d, "awards")
            ),
            codes=tuple(str(c) for c in items(d, "codes")),
            usage=tuple((str(k), field(usage, k, int)) for k in usage),
            customer=CustomerOnSale.from_doc(d.get("customer")),
            limit_lifted_by=optional(d, "limit_lifted_by", str),
            spent_lots=SpentLot.read(d, "spent_lots"),
            gift_loads=tuple(GiftLoad.from_doc(x) for x in d.get("gift_loads") or []),
            priced_with=PricedWith.from_doc(d.get("priced_with")),
            cashier=optional(d, "cashier", str),
            tenders=tuple(Paid.from_doc(x) for x in optional(d, "tenders", list) or []),
            change_minor=optional(d, "change_minor", int) or 0,
            hq_reachable=optional(d, "hq_reachable", bool),
        )


@dataclass(frozen=True, slots=True)
class Return:
    """Lines of an earlier sale brought back: points and money are negative, so HQ applies
    a return with the arithmetic of a sale (balance += earned - redeemed)."""

    kind: ClassVar[str] = "return"

    sale_id: str  # this return's own id
    at: str
    currency: str
    original_seq: int
    original_sale_id: str
    lines: tuple[ReturnLine, ...]
    total_minor: int
    points_earned: int
    points_redeemed: int
    flags: tuple[str, ...]
    customer: CustomerOnSale | None
    # (card, amount_minor credited back to it) of what a gift card paid; the rest is cash.
    gift_card: tuple[str, int] | None = None
    restored_lots: tuple[SpentLot, ...] = ()  # the lots its restored points go back to
    cashier: str | None = None  # who was signed in at the till and took it back
    # the till that made the sale, when another (None: this till's own sale)
    original_terminal_id: str | None = None
    approved_by: str | None = None  # the manager who let it be, where one had to

    @property
    def customer_id(self) -> str | None:
        return None if self.customer is None else self.customer.customer_id

    def to_doc(self) -> dict[str, Any]:
        doc = {
            "sale_id": self.sale_id,
            "at": self.at,
            "currency": self.currency,
            "original_seq": self.original_seq,
            "original_sale_id": self.original_sale_id,
            "lines": [{f.name: getattr(ln, f.name) for f in fields(ln)} for ln in self.lines],
            "total_minor": self.total_minor,
            "paid_money_minor": self.total_minor + (self.gift_card[1] if self.gift_card else 0),
            "points_earned": self.points_earned,
            "points_redeemed": self.points_redeemed,
            "discount_minor": 0,
            "points_value_minor": 0,
            "awards": [],
            "flags": list(self.flags),
            "customer": None if self.customer is None else self.customer.to_doc(),
        }
        if self.gift_card is not None:  # absent from the bodies of returns before it
            doc["gift_card"] = {"card": self.gift_card[0], "amount_minor": self.gift_card[1]}
        if self.restored_lots:
            doc["restored_lots"] = [lot.to_doc() for lot in self.restored_lots]
        if self.cashier is not None:
            doc["cashier"] = self.cashier
        if self.original_terminal_id is not None:  # absent from own tills' returns
            doc["original_terminal_id"] = self.original_terminal_id
        if self.approved_by is not None:
            doc["approved_by"] = self.approved_by
        return doc

    @staticmethod
    def from_doc(d: dict[str, Any]) -> Return:
        return Return(
            sale_id=field(d, "sale_id", str),
            at=field(d, "at", str),
            currency=field(d, "currency", str),
            original_seq=field(d, "original_seq", int),
            original_sale_id=field(d, "original_sale_id", str),
            lines=tuple(
                ReturnLine(
                    field(x, "sku", str),
                    *(
                        field(x, n, int)
                        for n in ("qty", "money_minor", "points_reversed", "points_restored")
                    ),
                )
                for x in items(d, "lines")
            ),
            total_minor=field(d, "total_minor", int),
            points_earned=field(d, "points_earned", int),
            points_redeemed=field(d, "points_redeemed", int),
            flags=tuple(str(f) for f in items(d, "flags")),
            customer=CustomerOnSale.from_doc(d.get("customer")),
            gift_card=None
            if (gift := d.get("gift_card")) is None
            else (field(gift, "card", str), field(gift, "amount_minor", int)),
            restored_lots=SpentLot.read(d, "restored_lots"),
            cashier=optional(d, "cashier", str),
            original_terminal_id=optional(d, "original_terminal_id", str),
            approved_by=optional(d, "approved_by", str),
        )


@dataclass(frozen=True, slots=True)
class Audit:
    """An override, journalled: a void (with the lines voided), a manual point
    adjustment of a customer's balance (with its reason), or a PIN lockout (its reason)."""

    kind: ClassVar[str] = "audit"

    at: str
    action: str  # "void" | "adjust_points" | "pin_lockout" (agent.lockout)
    cashier: str | None
    approved_by: str
    reason: str = ""
    points: int = 0  # an adjustment's signed points
    customer_id: str | None = None  # whose balance an adjustment moves
    voided_for: str | None = None  # the customer of a voided sale
    voided_lines: tuple[tuple[str, int, int], ...] = ()  # (sku, qty, amount_minor)

    @property
    def points_earned(self) -> int:
        return max(0, self.points)

    @property
    def points_redeemed(self) -> int:
        return max(0, -self.points)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "action": self.action,
            "cashier": self.cashier,
            "approved_by": self.approved_by,
            "at": self.at,
            "points_earned": self.points_earned,
            "points_redeemed": self.points_redeemed,
            "total_minor": 0,
        }
        if self.action == "void":
            doc["customer"] = self.voided_for
            doc["lines"] = [list(x) for x in self.voided_lines]
        else:
            doc["reason"] = self.reason
            doc["points"] = self.points
            if self.customer_id is not None:
                doc["customer"] = {"customer_id": self.customer_id}
        return doc

    @staticmethod
    def from_doc(d: dict[str, Any]) -> Audit:
        action = field(d, "action", str)
        common = {
            "at": field(d, "at", str),
            "action": action,
            "cashier": optional(d, "cashier", str),
            "approved_by": field(d, "approved_by", str),
        }
        if action == "void":
            lines = tuple(_voided(x) for x in items(d, "lines"))
            return Audit(**common, voided_for=optional(d, "customer", str), voided_lines=lines)
        cust = d.get("customer")
        return Audit(
            **common,
            reason=str(d.get("reason") or ""),
            points=field(d, "points", int),
            customer_id=None if cust is None else field(cust, "customer_id", str),
        )


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A customer enrolled at the till, with the least data and explicit consents."""

    kind: ClassVar[str] = "enrol"

    at: str
    customer_id: str
    card: str
    name: str
    tier: str
    phone: str | None  # in clear: only in enrolments journalled before phone_sealed
    terms: bool
    marketing: bool
    # The number sealed for HQ (agent.privacy.seal): the journal never holds it in clear.
    phone_sealed: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "customer": {"customer_id": self.customer_id},
            "card": self.card,
            "name": self.name,
            "tier": self.tier,
            "phone": self.phone,
            "phone_sealed": self.phone_sealed,
            "consents": {"terms": self.terms, "marketing": self.marketing, "at": self.at},
            "points_earned": 0,
            "points_redeemed": 0,
            "total_minor": 0,
        }

    @staticmethod
    def from_doc(d: dict[str, Any]) -> Enrolment:
        consents = field(d, "consents", dict)
        return Enrolment(
            at=field(d, "at", str),
            customer_id=field(field(d, "customer", dict), "customer_id", str),
            card=field(d, "card", str),
            name=field(d, "name", str),
            tier=field(d, "tier", str),
            phone=optional(d, "phone", str),
            terms=field(consents, "terms", bool),
            marketing=field(consents, "marketing", bool),
            phone_sealed=optional(d, "phone_sealed", str),
        )


Record = Sale | Return | Audit | Enrolment


def _voided(x: object) -> tuple[str, int, int]:
    """A voided line as the journal keeps it: [sku, qty, amount_minor]."""
    if not isinstance(x, list) or len(x) != 3:
        raise ValueError("a voided line must be [sku, qty, amount_minor]")
    sku, qty, amount = x
    return field({"sku": sku}, "sku", str), whole(qty, "qty"), whole(amount, "amount_minor")


READERS: dict[str, Callable[[dict[str, Any]], Record]] = {
    Sale.kind: Sale.from_doc,
    Return.kind: Return.from_doc,
    Audit.kind: Audit.from_doc,
    Enrolment.kind: Enrolment.from_doc,
}


@dataclass(frozen=True, slots=True)
class JournalEvent:
    """One journal row's record, with the seq and terminal the body names."""

    seq: int
    terminal_id: str
    record: Record

    @property
    def kind(self) -> str:
        return self.record.kind


def to_body(record: Record, seq: int, terminal_id: str) -> dict[str, Any]:
    """The body of the journal row that carries ``record`` as ``seq`` of ``terminal_id``."""
    return dict(record.to_doc(), seq=seq, terminal_id=terminal_id)


def read_event(kind: str, body: str) -> JournalEvent:
    """Read a journal row's body (JSON text) of ``kind``; raises ValueError naming the fault."""
    reader = READERS.get(kind)
    if reader is None:
        raise ValueError(f"unknown kind of event {kind!r}")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError("body must be an object")
    try:
        record = reader(doc)
    except (TypeError, AttributeError) as exc:
        raise ValueError(str(exc)) from None
    return JournalEvent(field(doc, "seq", int), field(doc, "terminal_id", str), record)
