"""A sale's tenders as its record keeps them (:mod:`agent.tendering` lays them out)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from agent.documents import field


def _optional(doc: dict[str, Any], key: str, kind: type) -> Any:
    return None if doc.get(key) is None else field(doc, key, kind)


class TenderKind(enum.StrEnum):
    CASH = "cash"
    CARD = "card"
    GIFT_CARD = "gift_card"
    POINTS = "points"
    OTHER = "other"  # a POS's own kind of tender (its name is the label)


MONEY_KINDS = (TenderKind.CASH, TenderKind.CARD, TenderKind.OTHER)


@dataclass(frozen=True, slots=True)
class Paid:
    """One tender of a sale: what it paid of the sale, in minor units."""

    kind: TenderKind
    amount_minor: int
    tendered_minor: int | None = None  # cash: what the customer handed over (change too)
    label: str | None = None  # OTHER: the POS's own name for it

    @property
    def change_minor(self) -> int:
        return 0 if self.tendered_minor is None else self.tendered_minor - self.amount_minor

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind.value, "amount_minor": self.amount_minor}
        if self.tendered_minor is not None:
            doc["tendered_minor"] = self.tendered_minor
        if self.label is not None:
            doc["label"] = self.label
        return doc

    @staticmethod
    def from_doc(d: Any) -> Paid:
        if not isinstance(d, dict):
            raise ValueError("a tender must be an object")
        kind = field(d, "kind", str)
        if kind not in TenderKind.__members__.values():
            raise ValueError(f"tenders: kind {kind!r} is none of {', '.join(TenderKind)}")
        return Paid(
            TenderKind(kind),
            field(d, "amount_minor", int),
            _optional(d, "tendered_minor", int),
            _optional(d, "label", str),
        )
