"""HQ on either database: the same schema on both, a database that is not HQ's refused,
two HQ workers taking in one terminal's batches at once storing each event once, and a
writer kept waiting too long told HQ is busy (503)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from agent import demo
from agent.errors import NotADatabase, StoreBusy
from agent.journal import GENESIS, row_hash
from agent.session import CheckoutSession
from agent.signing import new_private_key
from agent.store import Store
from sync.hq.db import sqlite_path
from sync.hq.ingest import ingest
from sync.hq.pg import shown
from sync.hq.seed import seed_demo
from sync.hq.server import create_app
from sync.hq.store import HqStore
from tests.sync.hqmoves import balances_and_moves

AT = "2026-11-24T09:00:00+00:00"
ONLY_PG = pytest.mark.parametrize("hq_backend", ["postgresql"], indirect=True)


def sales(session: CheckoutSession, store: Store, n: int) -> list[dict[str, object]]:
    for i in range(n):
        session.enter("2900000000018")
        session.add("MILK", 1 + i % 3)
        session.commit()
    return [e.to_wire() for e in store.ledger.pending_events(1000)]


def sqlite_columns(path: Path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            t
            for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not t.startswith(("_sqlite", "sqlite_"))
        ]
        return {t: {row[1] for row in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        conn.close()


@ONLY_PG
def test_both_databases_hold_the_same_tables_and_columns(hq_db_url: str, tmp_path: Path) -> None:
    HqStore(tmp_path / "hq.db").close()
    HqStore(hq_db_url).close()
    pg: dict[str, set[str]] = {}
    with psycopg.connect(hq_db_url) as conn:
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema='public' AND table_name<>'kassa_migrations'"
        ):
            pg.setdefault(table, set()).add(column)
    assert pg == sqlite_columns(tmp_path / "hq.db")


@ONLY_PG
def test_a_postgresql_database_not_hqs_is_refused_without_its_password(hq_db_url: str) -> None:
    with pytest.raises(NotADatabase, match="not a kassa-hq one"):
        HqStore(hq_db_url, create=False)
    assert shown("postgresql://hq:s3cret@db.example:5432/kassa") == (
        "postgresql://hq:***@db.example:5432/kassa"
    )


def test_two_workers_taking_in_one_terminals_batches_at_once_store_each_event_once(
    hq_db_url: str, session: CheckoutSession, store: Store
) -> None:
    seed_demo(HqStore(hq_db_url))
    evs = sales(session, store, 40)
    workers = [HqStore(hq_db_url, create=False) for _ in range(2)]  # as two HQ processes
    statuses: list[str] = []
    done = threading.Barrier(len(workers))

    def send(hq: HqStore) -> None:
        done.wait()
        for i in range(0, len(evs), 10):  # each sends every batch; they overlap
            statuses.extend(r.status for r in ingest(hq, "T1", evs[i : i + 10], AT).results)

    threads = [threading.Thread(target=send, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count("stored") == 40 and statuses.count("duplicate") == 40
    balance, moves = balances_and_moves(hq_db_url)["C1"]
    assert balance == 3000 + moves  # Anna's seeded 3000 and exactly her moves


def test_two_workers_write_transactions_take_turns(hq_db_url: str) -> None:
    """A write begun while another worker's is open waits for its commit: neither reads a
    customer's document, lots and spend while the other rewrites it (a lost update)."""
    first, second = HqStore(hq_db_url), HqStore(hq_db_url, create=False)
    order: list[str] = []
    first_in = threading.Event()

    def other_worker() -> None:
        assert first_in.wait(10)
        with second.transaction():
            order.append("second")

    thread = threading.Thread(target=other_worker)
    thread.start()
    with first.transaction():
        first_in.set()
        time.sleep(0.5)  # the other worker asks for its transaction meanwhile
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]
    first.close()
    second.close()


@ONLY_PG
def test_a_write_kept_waiting_past_the_wait_is_told_hq_is_busy(hq_db_url: str) -> None:
    HqStore(hq_db_url).close()
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:  # another worker's transaction, holding the change counter
        other = HqStore(hq_db_url, create=False)
        with other.transaction():
            other.next_rev()
            holding.set()
            release.wait(10)
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    impatient = HqStore(hq_db_url, create=False, write_wait_s=0.2)
    started = time.monotonic()
    with pytest.raises(StoreBusy), impatient.transaction():
        impatient.revoke("WELCOME50")
    assert time.monotonic() - started < 5
    release.set()
    thread.join()
    with impatient.transaction():  # and the database is whole: the next write goes through
        impatient.revoke("WELCOME50")


def test_a_nul_character_anywhere_is_answered_as_on_sqlite_never_5xx(
    hq_db_url: str, session: CheckoutSession, store: Store
) -> None:
    """PostgreSQL keeps no NUL in a text: HQ answers what holds one before it asks."""
    hq = HqStore(hq_db_url)
    seed_demo(hq)
    client = TestClient(create_app(hq, new_private_key()), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer T1:{demo.DEMO_SECRET}"}
    nul_auth = {"Authorization": "Bearer T\x001:x"}
    assert client.get("/v1/terminals/T%001/snapshot", headers=nul_auth).status_code == 401
    assert client.get("/v1/terminals/T1/sales/T%001/1", headers=auth).status_code == 404
    (sale,) = sales(session, store, 1)
    bad_id = dict(sale, event_id="sale\x00")
    refused = client.post("/v1/terminals/T1/events", json={"events": [bad_id]}, headers=auth)
    assert refused.status_code == 422 and refused.json()["field"] == "events[0].event_id"
    prev = GENESIS
    for seq, body in enumerate(('{"a": "\\u0000"}', '{"a": "\x00"}'), 1):  # the terminal's own
        ev = dict(sale, seq=seq, body=body, prev_hash=prev, hash=row_hash(prev, body))
        prev = ev["hash"]
        ack = client.post("/v1/terminals/T1/events", json={"events": [ev]}, headers=auth)
        assert ack.status_code == 200, ack.text
        assert ack.json()["results"] == [
            {"seq": seq, "status": "quarantined", "reason": "body: holds a NUL character"}
        ]
    held = [b for (b,) in hq.conn.execute("SELECT body FROM hq_quarantine ORDER BY seq")]
    assert held == ['{"a": "\\u0000"}'] * 2  # kept; a NUL character as \u0000


def test_an_sqlite_url_names_its_file_as_sqlalchemy_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sqlite_path("sqlite:////srv/kassa/hq.db") == "/srv/kassa/hq.db"
    assert sqlite_path("sqlite:///hq.db") == "hq.db" and sqlite_path("hq.db") == "hq.db"
    monkeypatch.chdir(tmp_path)
    HqStore("sqlite:///hq.db").close()
    HqStore(f"sqlite:///{tmp_path}/hq.db", create=False).close()  # the same file
    assert (tmp_path / "hq.db").is_file()
