"""The values a sale is made of. All frozen: state lives in the session and the store."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from agent.money import MAX_WHOLE, Money, Points


class Symbology(enum.Enum):
    EAN13 = "EAN-13"
    EAN8 = "EAN-8"
    UPCA = "UPC-A"
    CODE128 = "Code 128"
    CODE39 = "Code 39"
    ITF = "ITF"
    QR = "QR"
    DATAMATRIX = "DataMatrix"
    PDF417 = "PDF417"
    UNKNOWN = "unknown"


NO_POINTS = Points(0)


@dataclass(frozen=True, slots=True)
class Scan:
    """What a driver read: one code, where it came from, when."""

    symbology: Symbology
    text: str
    source: str
    at: datetime


class Unit(enum.Enum):
    """What a product's price is for."""

    PIECE = "piece"
    KG = "kg"  # weighed: sold by the scale label that carries its weight


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    price: Money  # per piece, or per kg for a product sold by weight
    category: str
    barcode: str | None = None
    unit: Unit = Unit.PIECE
    item_code: str | None = None  # the item code in its scale labels (RULESET.md, "Barcodes")
    # Selling it loads its price onto the gift card the cashier scans with it.
    loads_gift_card: bool = False


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
    name: str  # the name the customer chose to be greeted by (HQ's "greeting"), no more
    tier: str
    hq_balance: Points
    country: str = ""
    birthday: date | None = None  # month and day only (held in the leap year 2000)
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
    # Points HQ reserved for this customer at this terminal (left of it when HQ sent
    # the snapshot): other terminals see the balance less this, so spending it here
    # offline never overspends.
    allowance: Points = NO_POINTS
    # Qualifying spend HQ counts towards the tiers, as of the snapshot (in the window
    # of the programme's tier_qualification); None: HQ sent none, HQ's tier stands.
    tier_spend_minor: int | None = None
    # The phone number's keyed hash (hex HMAC-SHA256 of its digits with HQ's phone key,
    # agent.privacy), never the number: a number typed at the till is hashed and found.
    phone: str = ""
    # Public keys (hex Ed25519) of the customer's phone app, which signs QR tokens.
    app_keys: tuple[str, ...] = ()
    # Until when this till holds the customer (its store holds the customers seen there
    # in a window: HQ's setting, issue 15); None: for good.
    held_until: datetime | None = None


FOREIGN_RETURNS_OFFLINE = ("refuse", "manager_money_only")
FOREIGN_CHOICES = ", ".join(FOREIGN_RETURNS_OFFLINE)


@dataclass(frozen=True, slots=True)
class OfflinePolicy:
    """How many points a customer may spend here before HQ has confirmed them.

    Redemptions HQ has not applied yet are limited to ``daily_points`` per store day
    (plus the customer's allowance), and to ``stale_daily_points`` once the last
    snapshot is older than ``stale_after_s``. None means no limit (HQ's choice).
    """

    daily_points: int | None = 5000
    stale_after_s: int = 24 * 3600
    stale_daily_points: int | None = 0
    # A customer identified by a typed card or phone number spends points only after a
    # one-time check (their app's code); otherwise anyone who knows a number could.
    typed_check: bool = True
    # A manager may lift the cap for one sale (up to the balance shown). Such sales are
    # outside the overspend bound; each names the manager, for HQ to see.
    manager_lift: bool = False
    # A manager's point adjustment: at most this many points either way, and the till
    # asks again above the second figure (a card number typed into the field is refused).
    max_adjust_points: int = 10_000
    confirm_adjust_points: int = 1_000
    # What one gift card may pay per store day at one terminal beyond what HQ confirmed
    # (minor units; None: no limit), and once the last snapshot is stale.
    gift_card_daily_minor: int | None = 5_000
    stale_gift_card_daily_minor: int | None = 0
    # A receipt of another till while HQ cannot be reached: "refuse" it, or let a
    # manager give the money back without any points move ("manager_money_only").
    foreign_returns_offline: str = "refuse"

    def daily_cap(self, stale: bool) -> int | None:
        return self.stale_daily_points if stale else self.daily_points

    def gift_card_cap(self, stale: bool) -> int | None:
        return self.stale_gift_card_daily_minor if stale else self.gift_card_daily_minor

    def to_doc(self) -> dict[str, int | bool | str | None]:
        return {
            "daily_points": self.daily_points,
            "stale_after_s": self.stale_after_s,
            "stale_daily_points": self.stale_daily_points,
            "typed_check": self.typed_check,
            "manager_lift": self.manager_lift,
            "max_adjust_points": self.max_adjust_points,
            "confirm_adjust_points": self.confirm_adjust_points,
            "gift_card_daily_minor": self.gift_card_daily_minor,
            "stale_gift_card_daily_minor": self.stale_gift_card_daily_minor,
            "foreign_returns_offline": self.foreign_returns_offline,
        }

    @classmethod
    def from_doc(cls, doc: object) -> OfflinePolicy:
        """Parse HQ's policy document; raises ValueError naming the bad field."""
        if not isinstance(doc, dict):
            raise ValueError("policy must be an object")
        caps: dict[str, int | None] = {}
        for name, default_cap in (
            ("daily_points", None),
            ("stale_daily_points", None),
            ("gift_card_daily_minor", 5_000),
            ("stale_gift_card_daily_minor", 0),
        ):
            v = doc.get(name, default_cap)
            if v is not None and (
                not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_WHOLE
            ):
                raise ValueError(f"policy.{name} must be a whole number >= 0 or null")
            caps[name] = v
        stale = doc.get("stale_after_s")
        if not isinstance(stale, int) or isinstance(stale, bool) or not 0 < stale <= MAX_WHOLE:
            raise ValueError("policy.stale_after_s must be a whole number > 0")
        flags = {}
        for name, default in (("typed_check", True), ("manager_lift", False)):
            flags[name] = doc.get(name, default)
            if not isinstance(flags[name], bool):
                raise ValueError(f"policy.{name} must be true or false")
        bounds = {}
        for name, default_bound in (
            ("max_adjust_points", 10_000),
            ("confirm_adjust_points", 1_000),
        ):
            b = doc.get(name, default_bound)
            if not isinstance(b, int) or isinstance(b, bool) or not 0 < b <= 10**9:
                raise ValueError(f"policy.{name} must be a whole number from 1 to 10^9")
            bounds[name] = b
        foreign = doc.get("foreign_returns_offline", "refuse")
        if foreign not in FOREIGN_RETURNS_OFFLINE:
            raise ValueError("policy.foreign_returns_offline must be one of " + FOREIGN_CHOICES)
        return cls(
            caps["daily_points"],
            stale,
            caps["stale_daily_points"],
            flags["typed_check"],
            flags["manager_lift"],
            **bounds,
            gift_card_daily_minor=caps["gift_card_daily_minor"],
            stale_gift_card_daily_minor=caps["stale_gift_card_daily_minor"],
            foreign_returns_offline=foreign,
        )


@dataclass(frozen=True, slots=True)
class Labelled:
    """What a scale label put on a line: its weight and price per kg, or only its price."""

    tag: str  # "750g", "12.50": tells two labels of one product apart ("BEANS/750g")
    weight_g: int = 0  # 0: a label with the price in it
    per_kg: Money | None = None


MAX_QTY = 999  # units of one line, however it grew: what a till sells (and a POS sends)


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    name: str
    qty: int  # units, or labels of one weight (or price): unit_price is then the label's
    unit_price: Money
    category: str
    labelled: Labelled | None = None
    # Not in the till's catalogue (a line the POS sold that kassa does not know): part of
    # the sale and paid, outside the programme: it earns nothing, takes no discount, is
    # not paid with points and counts toward no threshold (agent.pos_basket).
    unlisted: bool = False

    @property
    def amount(self) -> Money:
        return self.unit_price.times(self.qty)

    @property
    def key(self) -> str:
        """What tells this line from the basket's others: its SKU, and a label's tag."""
        return self.sku if self.labelled is None else f"{self.sku}/{self.labelled.tag}"


@dataclass(frozen=True, slots=True)
class Basket:
    currency: str
    lines: tuple[Line, ...] = ()

    def with_line(self, product: Product, qty: int) -> Basket:
        """Return the basket with ``qty`` more of ``product`` (merged into its line)."""
        return self.with_units(
            Line(product.sku, product.name, qty, product.price, product.category)
        )

    def with_units(self, units: Line) -> Basket:
        """Return the basket with ``units`` added to the line of the same key (or as a
        new line); a negative qty takes units off, the last one the line."""
        lines = list(self.lines)
        for i, line in enumerate(lines):
            if line.key == units.key:
                lines[i] = replace(line, qty=line.qty + units.qty)
                break
        else:
            lines.append(units)
        return Basket(self.currency, tuple(ln for ln in lines if ln.qty > 0))
