"""The checks HQ runs on an event whose body reads (:func:`sync.hq.bodies.from_wire`)
before it applies it: each returns why the event is refused, or None.

A refused event is quarantined with that reason (:mod:`sync.hq.ingest`), so any check
added here (re-pricing a sale with the engine, a gift card's balance) refuses the same
way: append it to :data:`CHECKS`.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.events import Audit, JournalEvent
from sync.hq.reprice_view import repriced
from sync.hq.store import HqStore

Check = Callable[[HqStore, JournalEvent], str | None]


def adjustment_within_policy(store: HqStore, event: JournalEvent) -> str | None:
    """A manager's adjustment moves at most HQ's ``max_adjust_points`` either way."""
    record = event.record
    if not isinstance(record, Audit) or record.action != "adjust_points":
        return None
    most = store.policy().max_adjust_points
    if abs(record.points) > most:
        return f"body.points: {record.points}, beyond the {most} an adjustment may move"
    return None


# Re-pricing last: a sale or return HQ does not price the same, with the same engine and
# the inputs the terminal priced with (sync.hq.reprice), is not applied.
CHECKS: tuple[Check, ...] = (adjustment_within_policy, repriced)
