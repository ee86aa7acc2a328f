"""A customer's pricing state as HQ held it before (issue 14): a till offline prices
with the snapshot it holds, so a sale priced with a tier HQ has since lowered, or a
segment, country or birthday HQ has since changed, is genuine and must be accepted as
priced.

HQ keeps, in the customer's document (``was``), each state it replaced: the tier, the
segments, the country and the birthday, with ``until``, when it was replaced. A sale
made at ``at`` may have been priced with a state that was HQ's until ``until`` if
``at < until + REMEMBER``: a till sells offline with what it held for at most that long
before HQ stops recognising it (older states are dropped). Coupons are not remembered:
one used at a till is gone from the customer, and a second use elsewhere is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from agent.clock import parse_utc

STATE = ("tier", "segments", "country", "birthday")  # what a price depends on, remembered
REMEMBER = timedelta(days=30)  # how long a replaced state still prices a till's sale


@dataclass(frozen=True, slots=True)
class PastState:
    """A state of a customer HQ replaced at ``until``."""

    tier: str
    segments: frozenset[str]
    country: str
    birthday: date | None
    until: datetime

    def prices(self, at: datetime) -> bool:
        """Whether a sale made at ``at`` may have been priced with this state."""
        return at < self.until + REMEMBER


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc.get(k) for k in STATE}


def remember(before: dict[str, Any] | None, after: dict[str, Any], at: datetime) -> None:
    """Carry ``before``'s remembered states into ``after`` (a customer's document about to
    replace it), with ``before``'s own state if ``after`` changes it; drop the states too
    old to price a sale made from ``at`` on."""
    if before is None:
        return
    was = [w for w in before.get("was") or [] if parse_utc(w["until"]) + REMEMBER > at]
    if _state(before) != _state(after):
        was.append(dict(_state(before), until=at.isoformat()))
    if was:
        after["was"] = was
    else:
        after.pop("was", None)


def past_states(doc: dict[str, Any], read_birthday: Any) -> tuple[PastState, ...]:
    """The states ``doc`` remembers (``read_birthday``: HQ's reader of a birthday)."""
    return tuple(
        PastState(
            tier=str(w.get("tier") or ""),
            segments=frozenset(str(s) for s in w.get("segments") or []),
            country=str(w.get("country") or ""),
            birthday=read_birthday(w.get("birthday")),
            until=parse_utc(str(w["until"])),
        )
        for w in doc.get("was") or []
    )
