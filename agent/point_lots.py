"""A customer's points as lots, on the terminal: HQ's lots as of its snapshot, with this
terminal's own moves since replayed over them.

Points HQ holds outside any lot (set by hand or by seeding) are the oldest: they are
spent first and never expire. Points spent or taken back come from them, then from the
lots still alive when the move was made, the first to expire first (the oldest, as every
lot lives as long); an expired lot is worth nothing, so it is never spent. Points gained
are a lot expiring when the move says: points a return gives back keep the expiry of
the lot they were spent from, so an expired lot is never revived. HQ keeps its lots the
same way (:mod:`sync.hq.lots`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from agent.model import PointLot
from agent.money import Points


@dataclass(frozen=True, slots=True)
class Move:
    """One of this terminal's moves of a customer's points, in the order it was made."""

    points: int  # signed
    at: datetime
    expires_at: datetime | None = None  # of points gained; None: outside any lot


@dataclass(frozen=True, slots=True)
class Holding:
    outside: int  # points outside any lot: never expire; negative when overdrawn
    lots: tuple[PointLot, ...]  # the first to expire first

    @staticmethod
    def of(balance: int, lots: Iterable[PointLot]) -> Holding:
        """HQ's figures: ``balance`` in all, of it ``lots``; the rest is outside them."""
        held = tuple(sorted(lots, key=lambda lot: (lot.expires_at, lot.earned_at)))
        return Holding(balance - sum(lot.points for lot in held), held)

    def balance(self, at: datetime) -> Points:
        """What may be spent at ``at``: lots expired by then count for nothing."""
        return Points(self.outside + sum(lot.points for lot in self.alive(at)))

    def alive(self, at: datetime) -> tuple[PointLot, ...]:
        return tuple(lot for lot in self.lots if lot.expires_at > at)

    def apply(self, move: Move) -> Holding:
        if move.points >= 0:
            return self._gain(move)
        return self._spend(-move.points, move.at)

    def _gain(self, move: Move) -> Holding:
        if move.expires_at is None:
            return Holding(self.outside + move.points, self.lots)
        same = next((lot for lot in self.lots if lot.expires_at == move.expires_at), None)
        if same is None:
            lots = (*self.lots, PointLot(Points(move.points), move.at, move.expires_at))
        else:  # expiring together: one lot, as at HQ (at most one a day, however many sales)
            grown = PointLot(Points(same.points + move.points), same.earned_at, same.expires_at)
            lots = tuple(grown if lot is same else lot for lot in self.lots)
        return Holding.of(self.outside + move.points + self._in_lots(), lots)

    def _spend(self, points: int, at: datetime) -> Holding:
        outside = self.outside
        first = min(points, max(0, outside))
        outside -= first
        left = points - first
        kept: list[PointLot] = []
        for lot in self.alive(at):
            take = min(left, lot.points)
            left -= take
            if lot.points > take:
                kept.append(PointLot(Points(lot.points - take), lot.earned_at, lot.expires_at))
        return Holding(outside - left, tuple(kept))  # beyond every lot: overdrawn

    def _in_lots(self) -> int:
        return sum(lot.points for lot in self.lots)


def lot_expiry(earned_at: datetime, days: int, tz: tzinfo) -> datetime:
    """When points earned at ``earned_at`` expire: at the start of the store's day
    ``days`` later (points earned on 1 December 2025 expire as 1 December 2026 begins).
    Every point earned on one day expires together, so a customer holds at most one lot
    a day, on the terminal and at HQ alike."""
    day = (earned_at + timedelta(days=days)).astimezone(tz).date()
    return datetime.combine(day, time(0), tzinfo=tz)


def replay(start: Holding, moves: Iterable[Move]) -> Holding:
    for m in moves:
        start = start.apply(m)
    return start
