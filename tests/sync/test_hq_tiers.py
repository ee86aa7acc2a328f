"""HQ's qualifying spend (issue 13, tier qualification): the money paid counts for the
programme's window (365 days in the demo) in day buckets, the tier HQ sends is raised by
it, and spend that ages out lowers a tier only where the programme says so."""

from __future__ import annotations

import copy
import json
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.clock import FixedClock
from agent.codes import make_card_number
from agent.demo import RULESET
from agent.events import Return
from agent.notice import CommittedSale
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.expiry import run_expiry
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from sync.worker import SyncState
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.sync.test_partition import till

AT = TUESDAY.isoformat()
MAX = make_card_number(4)  # Max: Bronze, no qualifying spend at HQ yet
ANNA = make_card_number(1)  # Anna: Bronze, 820.00 qualifying spend given to HQ


@pytest.fixture
def hq_store(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def seen(hq: HqStore, cid: str, now: datetime) -> dict[str, Any]:
    """The customer as a terminal's snapshot at ``now`` (HQ's clock) describes them,
    after HQ's scheduled run at ``now`` (the snapshot only reads)."""
    run_expiry(hq, now)
    return next(c for c in snapshot(hq, "T1", 0, 0, now)["customers"] if c["customer_id"] == cid)


def sell(session: CheckoutSession, card: str, *items: str) -> CommittedSale:
    session.enter(card)
    for item in items:
        assert not session.enter(item).refused
    return session.commit()


def upload(hq: HqStore, store: Store) -> None:
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(50)], AT)


def publish_lowering_programme(hq: HqStore) -> None:
    doc = copy.deepcopy(RULESET)
    doc["version"] = 2
    doc["tier_qualification"] = {"window_days": 365, "starts": "next_sale", "lower": True}
    with hq.transaction():
        hq.publish_ruleset(doc)


def test_a_customer_with_no_figure_and_no_sale_gets_none(hq_store: HqStore) -> None:
    assert "tier_spend_minor" not in seen(hq_store, "C4", TUESDAY)


def test_spend_raises_the_tier_and_ages_out_after_the_window_without_lowering_it(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    sell(session, MAX, "JACKET", "JACKET", "COFFEE")  # 1,037.90
    upload(hq_store, store)
    assert (
        seen(hq_store, "C4", TUESDAY)["tier"],
        seen(hq_store, "C4", TUESDAY)["tier_spend_minor"],
    ) == (
        "Silver",
        103790,
    )
    a_day_short = TUESDAY + timedelta(days=364)
    assert seen(hq_store, "C4", a_day_short)["tier_spend_minor"] == 103790
    later = seen(hq_store, "C4", TUESDAY + timedelta(days=365, seconds=1))
    assert (later["tier"], later["tier_spend_minor"]) == ("Silver", 0)  # HQ never lowers
    assert not {"spend", "spend_base_minor", "spend_until"} & later.keys()  # HQ's own


def test_a_programme_that_lowers_tiers_lowers_when_spend_ages_out(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    publish_lowering_programme(hq_store)
    sell(session, MAX, "JACKET", "JACKET", "COFFEE")
    upload(hq_store, store)
    assert seen(hq_store, "C4", TUESDAY)["tier"] == "Silver"
    later = seen(hq_store, "C4", TUESDAY + timedelta(days=366))
    assert (later["tier"], later["tier_spend_minor"]) == ("Bronze", 0)


def test_spend_given_as_a_figure_never_ages_and_sales_add_to_it(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    sell(session, ANNA, "COFFEE")
    upload(hq_store, store)
    assert seen(hq_store, "C1", TUESDAY)["tier_spend_minor"] == 82000 + 3990
    assert seen(hq_store, "C1", TUESDAY + timedelta(days=400))["tier_spend_minor"] == 82000


def test_points_paid_are_not_spend_and_a_return_takes_its_money_back(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)  # 3,000 points
    session.enter("JACKET")
    session.enter("COFFEE")
    assert not session.pay_with_points(2000).refused  # 20.00 of 538.90 paid with points
    sale = session.commit()
    back = session.desk.commit_return(sale.seq, {"COFFEE": 1})
    assert isinstance(back, CommittedSale)
    event = store.ledger.sale_event(back.seq)
    assert event is not None and isinstance(event.record, Return)
    money_back = -event.record.total_minor  # COFFEE's money, less its share of the points
    assert 0 < money_back < 3990
    upload(hq_store, store)
    assert seen(hq_store, "C1", TUESDAY)["tier_spend_minor"] == 82000 + 53890 - 2000 - money_back


# -- the real HQ process ------------------------------------------------------------------
def hq_figure(hq: HqProcess, cid: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        (doc,) = conn.execute("SELECT doc FROM hq_customers WHERE customer_id=?", (cid,)).fetchone()
    finally:
        conn.close()
    found: dict[str, Any] = json.loads(doc)
    return found


def test_the_real_hq_raises_the_tier_by_spend_and_ages_the_spend_out_a_year_later(
    hq: HqProcess, tmp_path: Path
) -> None:
    hq.kill()
    hq.fixed_time = TUESDAY
    hq.start()
    t = till(hq, tmp_path, "T1")
    try:
        assert t.sync is not None
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        sell(t.session, MAX, "JACKET", "JACKET", "COFFEE")  # 1,037.90
        assert t.sync.run_once(t.store).pending == 0
        max_here = t.store.catalogue.customer("C4")
        assert max_here is not None
        assert (max_here.tier, max_here.tier_spend_minor) == ("Silver", 103790)

        hq.kill()  # a year and a day later
        hq.fixed_time = TUESDAY + timedelta(days=366)
        hq.start()
        assert isinstance(t.clock, FixedClock)
        t.clock.advance(days=366)
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        max_here = t.store.catalogue.customer("C4")
        assert max_here is not None
        assert (max_here.tier, max_here.tier_spend_minor) == ("Silver", 0)  # never lowered
    finally:
        t.close()
    assert hq_figure(hq, "C4")["spend"] == []
