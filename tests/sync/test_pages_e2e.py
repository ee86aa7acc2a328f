"""Snapshots in pages and which customers a till holds, against the real HQ process
(issue 15): a till joins a chain bigger than a page; a store holding who it sees sends
its tills those (a card looked up at HQ is kept), the pushed, and nothing else."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent.codes import make_card_number
from agent.demo import CUSTOMERS
from sync.hq.seed import add_customers
from sync.hq.snapshot import PAGE_ROWS
from sync.hq.store import HqStore
from sync.worker import SyncState
from tests.hqproc import HqProcess
from tests.sync.test_e2e import kassa
from tests.sync.test_partition import till
from ui.services import Services

pytestmark = pytest.mark.e2e

CHAIN = PAGE_ROWS * 2 + 100  # three pages of customers


def hq_customers(hq: HqProcess) -> int:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM hq_customers").fetchone()[0])
    finally:
        conn.close()


def held(t: Services) -> set[str]:
    return {str(r[0]) for r in t.store.conn.execute("SELECT customer_id FROM customers")}


def online(t: Services) -> None:
    assert t.sync is not None and t.sync.run_once(t.store).state is SyncState.ONLINE


def test_a_till_joins_a_chain_of_several_pages_in_one_round(hq: HqProcess, tmp_path: Path) -> None:
    hq.kill()
    chain = HqStore(hq.db)
    add_customers(
        chain,
        (
            {"customer_id": f"J{i:06d}", "card": make_card_number(70_000 + i), "name": f"J {i}"}
            | {"tier": "Bronze", "balance": i}
            for i in range(CHAIN)
        ),
    )
    chain.conn.close()
    hq.start()
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        assert len(held(t1)) == hq_customers(hq) == CHAIN + len(CUSTOMERS)
        assert t1.store.catalogue.snapshot_position()[1] is None  # the pass is complete
        ruleset = t1.store.catalogue.ruleset()
        assert ruleset is not None  # the last page brought it
        found = t1.store.catalogue.customer_by_card(make_card_number(70_000 + CHAIN - 1))
        assert found is not None and found.hq_balance == CHAIN - 1
    finally:
        t1.close()


def test_a_store_holding_who_it_sees_keeps_a_looked_up_card_and_the_pushed_only(
    hq: HqProcess, tmp_path: Path
) -> None:
    db = str(hq.db)
    out = kassa("hq", "hold-customers", "--db", db, "--store", "main", "--mode", "seen")
    assert out.returncode == 0, out.stderr
    assert "seen there in 90 days" in out.stdout
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        assert held(t1) == set()  # nobody seen at the store yet
        anna = CUSTOMERS[0]
        said = t1.session.enter(anna["card"])  # not held: asked of HQ, and kept
        assert said.text.startswith("Customer Anna"), said.text
        t1.session.enter("COFFEE")
        t1.session.commit()
        online(t1)
        assert held(t1) == {anna["customer_id"]}
        (until,) = t1.store.conn.execute("SELECT held_until FROM customers").fetchone()
        assert until is not None  # held for the window, then forgotten unless seen again
        pushed = CUSTOMERS[1]["customer_id"]
        out = kassa("hq", "push-customer", "--db", db, "--store", "main", "--customer", pushed)
        assert out.returncode == 0, out.stderr
        assert t1.sync is not None
        t1.sync.policy = type(t1.sync.policy)(download_every_s=0.0)
        online(t1)
        assert held(t1) == {anna["customer_id"], pushed}
        out = kassa("hq", "push-customer", "--db", db, "--store", "main", "--customer", "NOPE")
        assert out.returncode == 2 and "no customer 'NOPE'" in out.stderr
        out = kassa("hq", "hold-customers", "--db", db, "--store", "main", "--mode", "all")
        assert out.returncode == 0, out.stderr
        online(t1)  # a new setting: the till holds afresh, every customer now
        assert len(held(t1)) == len(CUSTOMERS)
    finally:
        t1.close()
