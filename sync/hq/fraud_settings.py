"""The thresholds of HQ's fraud signals (:mod:`sync.hq.fraud`), each a whole number
with a default; `kassa hq report --set NAME=N` sets one for a report."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class FraudSettings:
    """The thresholds of the fraud signals."""

    window_days: int = 30  # the signals read the events of this many days before the report
    concentration_min_sales: int = 20  # a cashier's loyalty sales before their spread is judged
    concentration_top_cards: int = 3  # ... the cards that hold most of them
    concentration_percent: int = 50  # flagged when those cards hold at least this share
    return_within_days: int = 3  # a return this soon after a sale that earned points
    quick_returns_min: int = 2  # flagged when a customer has at least this many
    travel_minutes: int = 30  # the least time between one card's uses at two stores
    max_voids: int = 20  # voids one manager approves in the window before being listed
    max_adjustments: int = 10  # point adjustments one manager approves in the window ...
    max_adjusted_points: int = 5000  # ... or points they move either way, all told

    @staticmethod
    def names() -> list[str]:
        return [f.name for f in fields(FraudSettings)]

    @staticmethod
    def parse(given: list[str]) -> FraudSettings:
        """The defaults, with each ``NAME=N`` of ``given`` instead; raises ValueError for
        an unknown name or a value that is not a whole number from 1 to 10^9."""
        out = FraudSettings()
        for text in given:
            name, _, value = text.partition("=")
            name = name.strip().replace("-", "_")
            if name not in FraudSettings.names():
                known = ", ".join(FraudSettings.names())
                raise ValueError(f"no fraud setting {name!r} (there are: {known})")
            if not (value.strip().isdigit() and 0 < int(value) <= 10**9):
                raise ValueError(f"{name}: a whole number from 1 to 10^9, not {value!r}")
            out = replace(out, **{name: int(value)})
        return out
