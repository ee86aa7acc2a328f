"""The offline limits hold against the terminal's own clock: setting it back gains nothing.

The store day and the snapshot's age are measured at a floor that never goes back
before a time the terminal has seen (its own, written down at each sale and sync round,
and HQ's), and the age counts from HQ's time in the snapshot.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import OfflinePolicy
from agent.session import CheckoutSession
from agent.store import Store
from agent.timefloor import TimesSeen, limit_now, offline_state
from tests.agent.test_offline_policy import IOANA, sell_with_points
from tests.conftest import TUESDAY

DAY_S = 24 * 3600


def snapshot(store: Store, received_at: datetime, policy: OfflinePolicy, hq_time: datetime) -> None:
    cursor = str(int(store.file.get_meta("snapshot_cursor", "0") or 0) + 1)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor=cursor,
        received_at=received_at,
        policy=policy,
        hq_time=hq_time,
    )


@pytest.fixture
def till(tmp_path: Path) -> tuple[Store, FixedClock, CheckoutSession]:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    snapshot(store, TUESDAY, OfflinePolicy(daily_points=1000, stale_after_s=7 * DAY_S), TUESDAY)
    return store, clock, CheckoutSession(store, clock, SequentialIds(), "T1", "S")


def sale_days(store: Store) -> list[str]:
    return [d for (d,) in store.conn.execute("SELECT day FROM sales ORDER BY seq")]


def test_a_clock_set_back_a_day_gives_no_fresh_daily_cap(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    assert sell_with_points(session) == 1000  # Tuesday's cap
    clock.advance(days=-1)  # Monday, by this clock
    assert sell_with_points(session) == 0  # still Tuesday for the limits: its cap is spent
    assert sale_days(store) == ["2026-11-24", "2026-11-24"]


def test_a_clock_set_back_keeps_the_day_it_had_reached(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    clock.advance(days=1)
    assert sell_with_points(session) == 1000  # Wednesday's cap
    clock.advance(days=-1, hours=-2)  # back to Tuesday morning
    assert sell_with_points(session) == 0  # Wednesday's cap, already spent, stays spent
    clock.advance(days=1, hours=3)  # the clock catches up: Wednesday, still spent
    assert sell_with_points(session) == 0
    clock.advance(days=1)  # Thursday: a new day, a new cap
    assert sell_with_points(session) == 1000
    assert sale_days(store) == ["2026-11-25", "2026-11-25", "2026-11-25", "2026-11-26"]


def test_the_snapshot_does_not_look_younger_after_the_clock_is_set_back(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    policy = OfflinePolicy(1000, stale_after_s=3600, stale_daily_points=0)
    snapshot(store, TUESDAY, policy, TUESDAY)
    session = CheckoutSession(store, clock, SequentialIds(), "T1", "S")
    clock.advance(hours=2)
    session.enter(IOANA)
    session.add("COFFEE")
    session.commit()  # a sale two hours after the snapshot: this time is written down
    assert session.stale(clock.now())
    clock.advance(hours=-2)  # the clock says the snapshot is fresh again
    assert session.stale(clock.now())
    assert sell_with_points(session) == 0


def test_the_snapshot_is_as_old_as_hqs_time_in_it_not_as_the_clock_that_received_it(
    tmp_path: Path,
) -> None:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY - timedelta(days=1))  # set back a day before it arrived
    policy = OfflinePolicy(1000, stale_after_s=DAY_S, stale_daily_points=0)
    snapshot(store, clock.now(), policy, hq_time=TUESDAY - timedelta(days=1, hours=1))
    session = CheckoutSession(store, clock, SequentialIds(), "T1", "S")
    assert not session.stale(clock.now())
    clock.advance(hours=23, minutes=30)  # 23.5 h by this clock, 24.5 h by HQ's
    assert session.stale(clock.now())


def test_hqs_time_is_a_floor_for_a_clock_that_runs_behind(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    clock.advance(days=-1)  # a day behind HQ, which sent its snapshot on Tuesday
    assert sell_with_points(session) == 1000
    assert sale_days(store) == ["2026-11-24"]  # HQ's Tuesday, not this clock's Monday
    assert sell_with_points(session) == 0


def test_a_fresh_snapshot_from_hq_brings_back_a_clock_that_ran_ahead(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    clock.advance(days=1)
    assert sell_with_points(session) == 1000  # Wednesday, by a clock a day ahead
    clock.advance(days=10)
    sell_with_points(session, 0)  # a sale with no points, 11 days ahead: written down
    clock.advance(days=-11)  # the clock is put right: still stale, by the floor
    assert session.stale(clock.now())
    snapshot(store, clock.now(), OfflinePolicy(1000, 7 * DAY_S), hq_time=clock.now())
    assert not session.stale(clock.now())  # HQ's signed time re-anchors the floor
    assert sell_with_points(session) == 0  # the later day's unconfirmed spending counts


def test_the_floor_is_the_latest_time_seen() -> None:
    t = TUESDAY
    seen = TimesSeen(local=t + timedelta(hours=1), hq=t + timedelta(hours=2), snapshot_hq=t)
    assert limit_now(t, seen) == t + timedelta(hours=2)
    assert limit_now(t + timedelta(hours=3), seen) == t + timedelta(hours=3)
    assert limit_now(t, TimesSeen()) == t
    policy = OfflinePolicy(stale_after_s=3600)
    assert offline_state(policy, t, seen).stale  # two hours from HQ's snapshot time
    assert offline_state(policy, t, TimesSeen()).stale  # no snapshot yet
    assert not offline_state(policy, t, TimesSeen(snapshot_hq=t)).stale
