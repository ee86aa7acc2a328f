"""The time offline limits are measured at: never before a time this terminal has seen.

Whoever stands at a terminal can set its clock. The limits on spending HQ has not
confirmed yet (the points' daily cap, the gift cards' daily limit, staleness) are
therefore measured at a floor, the latest of the clock, the latest local time the
terminal wrote down (a sale, a sync round) and the latest time HQ sent, all kept in
the store's meta. A clock set back keeps the store day it had reached, and the
snapshot's age counts from the HQ time it carried against that floor: setting the
clock back gains nothing. Only a snapshot from HQ, signed with HQ's own time, moves
the floor down to that time (a clock set ahead by mistake, then put right, would
otherwise keep the terminal stale); by then HQ has applied what the terminal spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.model import OfflinePolicy

LOCAL_KEY = "latest_local_time"  # meta: the latest local time written down
HQ_KEY = "latest_hq_time"  # meta: the latest time HQ sent (any reply)
SNAPSHOT_KEY = "snapshot_hq_time"  # meta: HQ's time in the last snapshot applied
LOCAL_STEP_S = 60.0  # the sync thread writes its time down at most once a minute


@dataclass(frozen=True, slots=True)
class TimesSeen:
    """The times kept in the store's meta (None: not seen yet)."""

    local: datetime | None = None
    hq: datetime | None = None
    snapshot_hq: datetime | None = None


def limit_now(clock_now: datetime, seen: TimesSeen) -> datetime:
    """Return the time limits are measured at: the clock, or a later time already seen."""
    return max(t for t in (clock_now, seen.local, seen.hq) if t is not None)


@dataclass(frozen=True, slots=True)
class OfflineState:
    """HQ's policy, whether the last snapshot is too old, and the time that was judged at."""

    policy: OfflinePolicy
    stale: bool
    now: datetime | None  # the floor (:func:`limit_now`); None when asked without a time


def offline_state(
    policy: OfflinePolicy, clock_now: datetime | None, seen: TimesSeen
) -> OfflineState:
    """Judge staleness at the floor: stale before any snapshot, or once the snapshot's HQ
    time is more than ``policy.stale_after_s`` behind the floor."""
    if clock_now is None:
        return OfflineState(policy, True, None)
    now = limit_now(clock_now, seen)
    if seen.snapshot_hq is None:
        return OfflineState(policy, True, now)
    age_s = (now - seen.snapshot_hq).total_seconds()
    return OfflineState(policy, age_s > policy.stale_after_s, now)
