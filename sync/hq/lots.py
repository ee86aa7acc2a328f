"""HQ's point lots: each customer's points earned together, spent oldest first, dropped
from the balance once expired.

A customer's lots live in the ``lots`` list of their HQ document (the shape a terminal
reads: points, earned_at, expires_at). Points HQ holds outside any lot (a balance set
by hand or by seeding) are the oldest: they are spent first and never expire. Time is
always given (an event's own time, or the snapshot's), so expiry is deterministic.

Points that expire together are one lot. Points earned on one store day all expire as
the same day begins a lifetime later (:func:`agent.point_lots.lot_expiry`), so a
customer holds at most one lot a day of the programme's lifetime, however often they
buy, and applying an event costs the same on the thousandth sale as on the first (a lot
a sale made HQ's ingest quadratic in a customer's purchases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.clock import parse_utc
from agent.event_parts import SpentLot


@dataclass(frozen=True, slots=True)
class Expired:
    """A lot dropped from a customer's balance: its points, and when they expired."""

    points: int
    expires_at: datetime


def drop_expired(doc: dict[str, Any], at: datetime) -> list[Expired]:
    """Drop the lots of ``doc`` expired by ``at``; return them (the points they still
    held). Writing them down as expiry moves is :mod:`sync.hq.expiry`'s."""
    lots = doc.get("lots") or []
    kept = [lot for lot in lots if parse_utc(lot["expires_at"]) > at]
    if len(kept) == len(lots):
        return []
    doc["lots"] = kept
    return [
        Expired(int(lot["points"]), parse_utc(lot["expires_at"]))
        for lot in lots
        if parse_utc(lot["expires_at"]) <= at and int(lot["points"]) > 0
    ]


def move(doc: dict[str, Any], balance: int, points: int, at: datetime, expires: datetime) -> None:
    """Record a move of ``points`` (signed) at ``at`` in the lots of ``doc``, whose balance
    before it is ``balance``: points gained are a lot expiring at ``expires``;
    points spent or taken back come from the points outside any lot, then the lots first
    to expire (the oldest)."""
    lots: list[dict[str, Any]] = list(doc.get("lots") or [])
    if points > 0:
        _add(lots, points, at, expires)
    elif points < 0:
        outside = max(0, balance - sum(int(lot["points"]) for lot in lots))
        left = max(0, -points - outside)
        for lot in sorted(lots, key=lambda x: (parse_utc(x["expires_at"]), x["earned_at"])):
            take = min(left, int(lot["points"]))
            lot["points"] = int(lot["points"]) - take
            left -= take
        lots = [lot for lot in lots if int(lot["points"]) > 0]
    if lots or "lots" in doc:
        doc["lots"] = lots


def _add(lots: list[dict[str, Any]], points: int, at: datetime, expires: datetime) -> None:
    same = next((lot for lot in lots if parse_utc(lot["expires_at"]) == expires), None)
    if same is None:
        lots.append(
            {"points": points, "earned_at": at.isoformat(), "expires_at": expires.isoformat()}
        )
    else:  # expiring together: one lot (never a later expiry for any of its points)
        same["points"] = int(same["points"]) + points


def give_back(doc: dict[str, Any], given: tuple[SpentLot, ...], at: datetime) -> int:
    """Put the points a return gives back into the lots they were spent from, each with
    its own expiry; return the points not revived (their lot expired by ``at``)."""
    lots: list[dict[str, Any]] = list(doc.get("lots") or [])
    dead = 0
    for lot in given:
        expires = parse_utc(lot.expires_at) if lot.expires_at else None
        if expires is None:
            continue  # outside any lot: the balance alone holds them
        if expires <= at:
            dead += lot.points
        else:
            _add(lots, lot.points, at, expires)
    if lots or "lots" in doc:
        doc["lots"] = lots
    return dead
