"""The parts of the records a terminal sends HQ (:mod:`agent.events`): a sale's line, a
return's line, the customer as a sale names them, and the readers they share."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
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
class SpentLot:
    """Points a sale spent from one lot (``expires_at`` None: from the points outside any
    lot), or a return gave back to it."""

    points: int
    expires_at: str | None  # ISO time

    def to_doc(self) -> dict[str, Any]:
        return {"points": self.points, "expires_at": self.expires_at}

    @staticmethod
    def read(doc: dict[str, Any], key: str) -> tuple[SpentLot, ...]:
        """The lots under ``doc[key]`` (none when it is absent: bodies before it)."""
        if doc.get(key) is None:
            return ()
        out = []
        for x in items(doc, key):
            points = field(x, "points", int)
            if points <= 0:
                raise ValueError(f"{key}: points must be above 0")
            out.append(SpentLot(points, optional(x, "expires_at", str)))
        return tuple(out)


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
class GiftLoad:
    """A sale's line that loaded a gift card: which card, by how much, and its balance
    after the load as this terminal knew it (for the receipt)."""

    sku: str
    card: str
    amount_minor: int
    balance_after_minor: int

    def to_doc(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_doc(d: object) -> GiftLoad:
        if not isinstance(d, dict):
            raise ValueError("a gift card load must be an object")
        load = GiftLoad(
            field(d, "sku", str),
            field(d, "card", str),
            field(d, "amount_minor", int),
            field(d, "balance_after_minor", int),
        )
        if load.amount_minor <= 0:
            raise ValueError("a gift card load must be more than 0")
        return load


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
    # Its exact share of the sale's points rounded up: what returning all of it takes
    # back (less where the sale's returns already took back all it earned). A line
    # journalled before it was recorded takes back what it was allotted.
    points_share_up: int | None = None
    # A scale label's line (agent.scale): its tag ("750g"), and for a weighed one the
    # weight and the price per kg; a line without a label has none (nor writes them).
    label: str = ""
    weight_g: int = 0
    per_kg_minor: int = 0
    # Not in the till's catalogue (agent.model.Line.unlisted): written only when true.
    unlisted: bool = False

    @property
    def key(self) -> str:
        """The line's key in the sale, as a return names it: ``BEANS/750g`` for a label."""
        return f"{self.sku}/{self.label}" if self.label else self.sku

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {name: getattr(self, name) for name, _ in LINE_FIELDS}
        if self.points_share_up is not None:
            doc["points_share_up"] = self.points_share_up
        if self.label:
            doc.update(label=self.label, weight_g=self.weight_g, per_kg_minor=self.per_kg_minor)
        if self.unlisted:
            doc["unlisted"] = True
        return doc

    @staticmethod
    def from_doc(d: object) -> SaleLine:
        if not isinstance(d, dict):
            raise ValueError("a line must be an object")
        line = SaleLine(*[field(d, name, kind) for name, kind in LINE_FIELDS])
        line = replace(line, points_share_up=optional(d, "points_share_up", int))
        if d.get("unlisted") is not None:
            line = replace(line, unlisted=field(d, "unlisted", bool))
        if d.get("label") is None:
            return line
        label = field(d, "label", str)
        weight_g, per_kg_minor = field(d, "weight_g", int), field(d, "per_kg_minor", int)
        if not label or weight_g < 0 or per_kg_minor < 0:
            raise ValueError("a labelled line needs a tag, and no negative weight or price")
        return replace(line, label=label, weight_g=weight_g, per_kg_minor=per_kg_minor)

    @property
    def points_back(self) -> int:
        """The points returning all of the line takes back, before the sale's cap."""
        return self.points_earned if self.points_share_up is None else self.points_share_up


LABEL_FIELDS = ("label", "weight_g", "per_kg_minor")
LINE_FIELDS = [
    (f.name, str if f.type == "str" else int)
    for f in fields(SaleLine)
    if f.name not in LABEL_FIELDS and f.name not in ("points_share_up", "unlisted")
]


@dataclass(frozen=True, slots=True)
class ReturnLine:
    sku: str
    qty: int
    money_minor: int
    points_reversed: int
    points_restored: int
