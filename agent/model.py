"""The values a sale is made of. All frozen: state lives in the session and the store."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from agent.money import Money, Points


class Symbology(enum.Enum):
    EAN13 = "EAN-13"
    CODE128 = "Code 128"
    QR = "QR"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Scan:
    """What a driver read: one code, where it came from, when."""

    symbology: Symbology
    text: str
    source: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price: Money
    category: str
    barcode: str | None = None


@dataclass(frozen=True, slots=True)
class PointLot:
    """Points earned together, spent first-earned-first-used, expiring at ``expires_at``."""

    points: Points
    earned_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer as HQ last described them, plus this terminal's bookkeeping."""

    customer_id: str
    card: str
    name: str
    tier: str
    hq_balance: Points
    country: str = ""
    birthday: date | None = None
    lots: tuple[PointLot, ...] = ()
    segments: frozenset[str] = frozenset()
    # Personal coupons HQ issued: code -> already used (as HQ knows it).
    coupons: tuple[tuple[str, bool], ...] = ()
    purchases_total: int = 0  # purchases HQ knows, all time
    month_purchases: tuple[str, int] = ("", 0)  # ("2026-11", purchases HQ knows that month)
    rule_uses: tuple[tuple[str, int], ...] = ()  # uses of limited rules HQ knows
    # The highest seq of *this* terminal that HQ had applied when it sent the
    # snapshot: moves after it are this terminal's unsynced moves.
    applied_seq: int = 0


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    name: str
    qty: int
    unit_price: Money
    category: str

    @property
    def amount(self) -> Money:
        return self.unit_price.times(self.qty)


@dataclass(frozen=True, slots=True)
class Basket:
    currency: str
    lines: tuple[Line, ...] = ()

    def with_line(self, product: Product, qty: int) -> Basket:
        """Return the basket with ``qty`` more of ``product`` (merged into its line)."""
        lines = list(self.lines)
        for i, line in enumerate(lines):
            if line.sku == product.sku:
                lines[i] = Line(line.sku, line.name, line.qty + qty, line.unit_price, line.category)
                break
        else:
            lines.append(Line(product.sku, product.name, qty, product.price, product.category))
        return Basket(self.currency, tuple(ln for ln in lines if ln.qty > 0))


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A committed sale as it stands in the journal."""

    terminal_id: str
    seq: int
    sale_id: str
    at: datetime
    customer_id: str | None
    currency: str
    total_minor: int
    paid_money_minor: int
    points_earned: Points
    points_redeemed: Points
    balance_after: Points | None
    body: dict[str, object] = field(compare=False, hash=False)
