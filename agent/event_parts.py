"""The parts of the records a terminal sends HQ (:mod:`agent.events`): a sale's line, a
return's line, the customer as a sale names them, and the readers they share."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from agent.documents import field


def items(doc: dict[str, Any], key: str) -> list[Any]:
    """``doc[key]`` if it is a list; raises ValueError otherwise."""
    found: list[Any] = field(doc, key, list)
    return found


def optional(doc: dict[str, Any], key: str, kind: type) -> Any:
    """``doc[key]`` if it is a ``kind``, None if it is missing or null."""
    return None if doc.get(key) is None else field(doc, key, kind)


@dataclass(frozen=True, slots=True)
class ExpiringLot:
    points: int
    expires_at: str  # ISO time


@dataclass(frozen=True, slots=True)
class NextTier:
    name: str
    missing_minor: int  # the spend still missing to reach it


@dataclass(frozen=True, slots=True)
class NewTier:
    """A tier a sale's qualifying spend reached (above the one the sale began at)."""

    name: str
    qualifying_minor: int  # the qualifying spend after the sale
    this_sale: bool  # the sale itself was priced at it; else it applies from the next one

    def to_doc(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "qualifying_minor": self.qualifying_minor,
            "this_sale": self.this_sale,
        }

    @staticmethod
    def from_doc(d: object) -> NewTier | None:
        if d is None:
            return None
        if not isinstance(d, dict):
            raise ValueError("new_tier must be an object")
        return NewTier(
            field(d, "name", str), field(d, "qualifying_minor", int), field(d, "this_sale", bool)
        )


@dataclass(frozen=True, slots=True)
class CustomerOnSale:
    """The customer as a sale or a return names them, with the balance around it."""

    customer_id: str
    card: str
    balance_before: int | None
    balance_after: int | None
    tier: str = ""
    expiring_soon: tuple[ExpiringLot, ...] = ()
    next_tier: NextTier | None = None
    new_tier: NewTier | None = None

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "customer_id": self.customer_id,
            "card": self.card,
            "balance_before": self.balance_before,
            "balance_after": self.balance_after,
            "expiring_soon": [
                {"points": x.points, "expires_at": x.expires_at} for x in self.expiring_soon
            ],
            "tier": self.tier,
            "next_tier": None
            if self.next_tier is None
            else {"name": self.next_tier.name, "missing_minor": self.next_tier.missing_minor},
        }
        if self.new_tier is not None:  # only when a tier was reached: older records read the same
            doc["new_tier"] = self.new_tier.to_doc()
        return doc

    @staticmethod
    def from_doc(d: object) -> CustomerOnSale | None:
        if d is None:
            return None
        if not isinstance(d, dict):
            raise ValueError("customer must be an object")
        nxt = d.get("next_tier")
        return CustomerOnSale(
            customer_id=field(d, "customer_id", str),
            card=field(d, "card", str),
            balance_before=optional(d, "balance_before", int),
            balance_after=optional(d, "balance_after", int),
            tier=str(d.get("tier") or ""),
            expiring_soon=tuple(
                ExpiringLot(field(x, "points", int), field(x, "expires_at", str))
                for x in d.get("expiring_soon") or []
            ),
            next_tier=None
            if nxt is None
            else NextTier(field(nxt, "name", str), field(nxt, "missing_minor", int)),
            new_tier=NewTier.from_doc(d.get("new_tier")),
        )


@dataclass(frozen=True, slots=True)
class SaleLine:
    """A line as the journal keeps it: enough to print it and to price a later return."""

    sku: str
    name: str
    category: str
    qty: int
    unit_minor: int
    amount_minor: int
    discount_minor: int
    points_payment_minor: int
    points_paid: int  # points that paid for it (a points payment or a reward)
    money_minor: int
    points_earned: int

    def to_doc(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_doc(d: object) -> SaleLine:
        if not isinstance(d, dict):
            raise ValueError("a line must be an object")
        return SaleLine(*[field(d, name, kind) for name, kind in LINE_FIELDS])


LINE_FIELDS = [(f.name, str if f.type == "str" else int) for f in fields(SaleLine)]


@dataclass(frozen=True, slots=True)
class ReturnLine:
    sku: str
    qty: int
    money_minor: int
    points_reversed: int
    points_restored: int
