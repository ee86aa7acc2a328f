"""Money in integer minor units, points as their own integer type.

Decimal or Fraction appear only inside rate arithmetic, and every rounding
goes through one named place: :func:`round_minor` for money (half up),
:func:`floor_points` for points (down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import NewType

from agent.errors import CurrencyMismatch

Points = NewType("Points", int)

# No count, amount, balance or seq kassa takes from a document is larger: a sum of many
# still fits SQLite's 64-bit integers, and a JSON reader with doubles reads each exactly.
MAX_WHOLE = 10**15

# ISO 4217 currencies kassa knows, with their minor-unit exponent.
CURRENCY_EXPONENT: dict[str, int] = {"PLN": 2, "RUB": 2, "RON": 2, "EUR": 2, "USD": 2}


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in integer minor units (grosze, kopecks, bani) of one currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError(f"Money.minor must be int, got {type(self.minor).__name__}")
        if self.currency not in CURRENCY_EXPONENT:
            raise ValueError(f"unknown currency {self.currency!r}")

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse "39.90" into Money(3990, currency); raises ValueError on bad text."""
        exp = CURRENCY_EXPONENT[currency]
        whole, _, frac = text.strip().partition(".")
        if not whole.lstrip("-").isdigit() or (frac and not frac.isdigit()) or len(frac) > exp:
            raise ValueError(f"not an amount: {text!r}")
        sign = -1 if whole.startswith("-") else 1
        minor = abs(int(whole)) * 10**exp + int(frac.ljust(exp, "0") or 0)
        return cls(sign * minor, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def times(self, qty: int) -> Money:
        return Money(self.minor * qty, self.currency)

    def format(self) -> str:
        """Plain decimal text, e.g. '39.90' (locale formatting lives in the UI)."""
        exp = CURRENCY_EXPONENT[self.currency]
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"


def round_minor(value: Fraction) -> int:
    """The one place a computed discount becomes minor units: half up (0.5 grosz -> 1)."""
    return math.floor(value + Fraction(1, 2))


def percent_of(amount_minor: int, percent: Fraction) -> int:
    """Return ``percent`` % of ``amount_minor``, rounded half up: :func:`round_minor` of
    ``amount_minor * percent / 100``, worked out in integers (floor(a*p/(100*q) + 1/2) is
    (2*a*p + 100*q) // (200*q) for percent = p/q), which is exact and a quote's most
    frequent sum."""
    q = 100 * percent.denominator
    return (2 * amount_minor * percent.numerator + q) // (2 * q)


def floor_points(value: Fraction) -> Points:
    """The one place fractional points become whole points: floor."""
    return floor_points_of(value.numerator, value.denominator)


def floor_points_of(numerator: int, denominator: int) -> Points:
    """:func:`floor_points` of ``numerator / denominator`` (denominator > 0), in integers."""
    return Points(numerator // denominator)


def allocate(total: int, weights: list[int], keys: list[str] | None = None) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights``.

    Leftover units go by largest remainder; ties go to the larger weight, then to the
    smaller key (e.g. the SKU), so the split does not depend on the order of the
    lines. The parts always add up to ``total`` exactly. Returns one part per weight.
    """
    if total < 0:
        return [-p for p in allocate(-total, weights, keys)]
    wsum = sum(weights)
    if wsum <= 0:
        return [0 for _ in weights]
    parts = [total * w // wsum for w in weights]
    left = total - sum(parts)
    if not left:  # an exact split (nothing, one weight, even shares): no remainders to rank
        return parts
    order = sorted(
        range(len(weights)),
        key=lambda i: (-(total * weights[i] % wsum), -weights[i], keys[i] if keys else "", i),
    )
    for i in order[:left]:
        parts[i] += 1
    return parts
