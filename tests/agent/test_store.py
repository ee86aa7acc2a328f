from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.errors import StoreRefused
from agent.events import Sale
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.entries import LedgerMove, NewSale

CARD = "2900000000018"  # Anna, Bronze, 3000 points at HQ


def test_store_file_uses_wal_and_full_sync(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_commit_writes_sale_ledger_outbox_and_print_job_together(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    assert not session.pay_with_points(None).refused
    sale = session.commit()
    assert sale.seq == 1
    c = store.conn
    assert c.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == 1
    assert sorted(c.execute("SELECT kind, points FROM ledger").fetchall()) == [
        ("earn", 19),
        ("redeem", -1995),
    ]
    assert [e.seq for e in store.ledger.pending_events(10)] == [1]
    job = store.ledger.print_job(1)
    assert job == ("pending", None)


def test_balance_is_hq_snapshot_plus_unsynced_moves(session: CheckoutSession, store: Store) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    session.commit()
    customer = store.catalogue.customer_by_card(CARD)
    assert customer is not None
    assert store.catalogue.balance(customer, session.clock.now()) == 3000 + 39


def test_a_failing_commit_leaves_nothing_behind(store: Store, clock: FixedClock) -> None:
    sale = NewSale(
        sale_id="s1",
        at=clock.now(),
        record=Sale(
            sale_id="s1",
            at=clock.now().isoformat(),
            currency="PLN",
            ruleset_version=1,
            lines=(),
            subtotal_minor=450,
            discount_minor=0,
            discounts=(),
            total_minor=450,
            points_redeemed=0,
            reward_points=0,
            points_value_minor=0,
            gift_card=None,
            paid_money_minor=450,
            points_earned=4,
            awards=(),
            codes=(),
            usage=(),
            customer=None,
        ),
        customer_id="C1",
        currency="PLN",
        total_minor=450,
        paid_money_minor=450,
        points_earned=4,
        points_redeemed=0,
        moves=(LedgerMove("C1", "earn", 4),),
        # A counter SQLite refuses (NOT NULL) fails the write after the journal, sales
        # and ledger rows went in: all of them must go.
        usage=(("WELCOME50", None),),  # type: ignore[arg-type]
    )
    with pytest.raises(StoreRefused):  # sqlite3 errors stop at the store
        store.ledger.commit_sale(sale, "T1")
    for table in ("journal", "sales", "ledger", "outbox", "print_jobs", "usage"):
        assert store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0
    assert (
        store.ledger.commit_sale(dataclasses.replace(sale, usage=(("WELCOME50", 1),)), "T1").seq
        == 1
    )


def sell(session: CheckoutSession, n: int) -> None:
    for _ in range(n):
        session.enter(CARD)
        session.add("MILK")
        session.commit()


def test_verify_passes_an_intact_journal(session: CheckoutSession, store: Store) -> None:
    sell(session, 5)
    assert store.ledger.verify() is None


def test_verify_names_the_first_edited_row(session: CheckoutSession, store: Store) -> None:
    sell(session, 5)
    store.conn.execute(
        "UPDATE journal SET body=replace(body, '\"qty\":1', '\"qty\":2') WHERE seq=3"
    )
    broken = store.ledger.verify()
    assert broken is not None and broken.seq == 3 and "altered" in broken.reason


def test_verify_names_a_deleted_row(session: CheckoutSession, store: Store) -> None:
    sell(session, 5)
    store.conn.execute("PRAGMA foreign_keys=OFF")
    store.conn.execute("DELETE FROM journal WHERE seq=2")
    broken = store.ledger.verify()
    assert broken is not None and broken.seq == 3 and "gap" in broken.reason


def test_seq_survives_reopening_the_file(tmp_path: Path, session: CheckoutSession) -> None:
    sell(session, 2)
    again = Store.open(session.store.conn.execute("PRAGMA database_list").fetchone()[2])
    assert again.ledger.last_link()[0] == 2
    again.close()
