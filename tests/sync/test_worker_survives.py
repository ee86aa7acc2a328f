"""The sync thread survives anything: a snapshot it cannot apply is refused with its reason,
uploads go on, and the status never says all is well while the apply fails."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from agent.clock import FixedClock
from agent.codes import make_card_number
from agent.demo import CUSTOMERS
from agent.errors import StoreRefused
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.catalogue import Catalogue
from sync.worker import SyncPolicy, SyncState, SyncWorker
from tests.sync.test_worker import acking_hq, client, empty_snapshot, sell

HQ_TIME = "2026-11-24T09:00:00Z"
ANNA, IVAN = make_card_number(1), make_card_number(2)


def customer(index: int, **changes: Any) -> dict[str, Any]:
    return dict(CUSTOMERS[index], applied_seq=0, **changes)


def test_a_snapshot_the_store_cannot_apply_is_refused_and_the_uploads_go_on(
    session: CheckoutSession, store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unique_failed(**_: object) -> None:
        raise StoreRefused("UNIQUE constraint failed: customers.card")

    monkeypatch.setattr(store.catalogue, "apply_snapshot", unique_failed)
    w = SyncWorker(":unused:", client(acking_hq(HQ_TIME, lambda: empty_snapshot(cursor=5))), clock)
    sell(session, 2)
    status = w.run_once(store)
    assert status.state is SyncState.REFUSED
    assert "HQ's data not applied" in status.message and "UNIQUE" in status.message
    assert status.pending == 0  # the sales reached HQ all the same
    sell(session, 1)
    again = w.run_once(store)  # the next round downloads again, and says so again
    assert again.state is SyncState.REFUSED and again.pending == 0
    assert "UNIQUE" in again.message and again.last_sync_at is None
    monkeypatch.undo()
    assert w.run_once(store).state is SyncState.ONLINE  # HQ's next good snapshot applies


def test_a_fault_nobody_foresaw_does_not_end_the_sync_thread(
    session: CheckoutSession, store: Store, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Catalogue, **_: object) -> None:
        raise RuntimeError("the apply broke")

    monkeypatch.setattr(Catalogue, "apply_snapshot", broken)
    db = Path(store.conn.execute("PRAGMA database_list").fetchone()[2])
    w = SyncWorker(
        db,
        client(acking_hq(HQ_TIME, lambda: empty_snapshot(cursor=5))),
        clock,
        SyncPolicy(interval_s=0.05, backoff_base_s=0.01, backoff_max_s=0.05),
    )
    sell(session, 3)
    w.start()
    try:
        deadline = time.monotonic() + 10
        while "RuntimeError" not in w.status().message and time.monotonic() < deadline:
            w.wake()
            time.sleep(0.02)
        status = w.status()
        assert status.state is SyncState.REFUSED and "the apply broke" in status.message
        assert w._thread is not None and w._thread.is_alive()
        sell(session, 1)
        w.wake()
        while store.ledger.outbox_stats().pending and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.ledger.outbox_stats().pending == 0  # uploads drain round after round
        assert w.status().state is SyncState.REFUSED  # and it never claims all is well
    finally:
        w.stop()


def test_two_customers_who_swapped_cards_at_hq_are_applied(store: Store, clock: FixedClock) -> None:
    swapped = [customer(0, card=IVAN), customer(1, card=ANNA)]
    w = SyncWorker(
        ":unused:",
        client(acking_hq(HQ_TIME, lambda: empty_snapshot(cursor=5, customers=swapped))),
        clock,
    )
    assert w.run_once(store).state is SyncState.ONLINE
    anna, ivan = store.catalogue.customer_by_card(IVAN), store.catalogue.customer_by_card(ANNA)
    assert anna is not None and anna.customer_id == "C1"
    assert ivan is not None and ivan.customer_id == "C2"


def test_a_card_enrolled_here_that_hq_gave_to_another_customer_follows_hq(
    store: Store, clock: FixedClock
) -> None:
    card = make_card_number(77)
    store.conn.execute(
        "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, phone) "
        'VALUES(\'T1-N1\', ?, \'{"name": "Here", "tier": "Bronze"}\', 0, 0, \'\')',
        (card,),
    )
    elsewhere = [customer(3, customer_id="T2-N1", card=card, phone="")]
    w = SyncWorker(
        ":unused:",
        client(acking_hq(HQ_TIME, lambda: empty_snapshot(cursor=5, customers=elsewhere))),
        clock,
    )
    assert w.run_once(store).state is SyncState.ONLINE
    holder = store.catalogue.customer_by_card(card)
    assert holder is not None and holder.customer_id == "T2-N1"
    here = store.catalogue.customer("T1-N1")
    assert here is not None and here.card == "~T1-N1"  # kept, until HQ names a new card


def test_one_card_given_to_two_customers_in_one_snapshot_is_refused(
    store: Store, clock: FixedClock
) -> None:
    both = [customer(0), customer(1, card=ANNA)]
    w = SyncWorker(
        ":unused:",
        client(acking_hq(HQ_TIME, lambda: empty_snapshot(cursor=5, customers=both))),
        clock,
    )
    status = w.run_once(store)
    assert status.state is SyncState.REFUSED and "given to both C1 and C2" in status.message
    assert store.file.get_meta("snapshot_cursor") == "1"
