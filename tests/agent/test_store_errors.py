"""sqlite3's errors stop at the store: a locked, full, missing or damaged database is
kassa's own error with a title for the cashier, and the open sale is kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agent import errors
from agent.session import CheckoutSession
from agent.store import Store


def ring_up(session: CheckoutSession) -> None:
    assert not session.enter("2900000000018").refused  # Anna
    assert not session.add("COFFEE").refused


def test_a_locked_database_refuses_the_commit_and_keeps_the_sale(
    session: CheckoutSession, store: Store, tmp_path: Path
) -> None:
    ring_up(session)
    store.conn.execute("PRAGMA busy_timeout=50")  # the test need not wait the full 5 s
    other = sqlite3.connect(tmp_path / "terminal.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the database
    with pytest.raises(errors.StoreBusy) as caught:
        session.commit()
    assert isinstance(caught.value, errors.KassaError)
    assert "busy" in caught.value.for_cashier()
    assert [ln.sku for ln in session.basket.lines] == ["COFFEE"]  # the sale is still open
    assert store.ledger.sales_count() == 0
    other.execute("ROLLBACK")
    other.close()
    assert session.commit().seq == 1  # once the lock is gone, the same sale goes through
    assert store.ledger.verify() is None


def test_a_full_disk_refuses_the_commit_writes_nothing_and_keeps_the_sale(
    session: CheckoutSession, store: Store
) -> None:
    (pages,) = store.conn.execute("PRAGMA page_count").fetchone()
    store.conn.execute(f"PRAGMA max_page_count={pages}")  # the file may not grow: disk full
    saved = 0
    with pytest.raises(errors.StoreFull):  # sales fill what room the file had, then one is refused
        for _ in range(500):
            ring_up(session)
            session.commit()
            saved += 1
    assert not store.conn.in_transaction
    assert store.ledger.sales_count() == saved and store.ledger.outbox_stats().pending == saved
    assert [ln.sku for ln in session.basket.lines] == ["COFFEE"]  # the refused sale is open
    store.conn.execute(f"PRAGMA max_page_count={pages * 100}")  # space freed
    assert session.commit().seq == saved + 1
    assert store.ledger.verify() is None


def test_a_missing_folder_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(errors.StoreUnavailable):
        Store.open(tmp_path / "no-such-folder" / "terminal.db")


def test_a_file_that_is_not_a_database_is_a_damaged_store(tmp_path: Path) -> None:
    path = tmp_path / "terminal.db"
    path.write_bytes(b"this is a receipt, not a database" * 200)
    with pytest.raises(errors.StoreCorrupted):
        Store.open(path)


def test_a_write_that_breaks_a_constraint_is_refused_by_name(store: Store) -> None:
    with pytest.raises(errors.StoreRefused):
        store.conn.execute("INSERT INTO meta(key, value) VALUES('k', NULL)")


def test_a_read_only_database_refuses_the_commit_and_keeps_the_sale(
    session: CheckoutSession, store: Store
) -> None:
    ring_up(session)
    store.conn.execute("PRAGMA query_only=ON")  # as a file remounted read-only would answer
    with pytest.raises(errors.StoreUnavailable) as caught:
        session.commit()
    assert "readonly" in caught.value.detail
    assert [ln.sku for ln in session.basket.lines] == ["COFFEE"]
    store.conn.execute("PRAGMA query_only=OFF")
    assert session.commit().seq == 1 and store.ledger.verify() is None


def test_an_error_while_reading_rows_or_migrating_is_the_stores_own(
    store: Store, tmp_path: Path
) -> None:
    def fails(_: object) -> None:
        raise ValueError("a row that cannot be read")

    store.conn.create_function("fails", 1, fails)
    with pytest.raises(errors.KassaError):  # raised while iterating, not at execute
        for _ in store.conn.execute("SELECT fails(seq) FROM journal UNION ALL SELECT fails(1)"):
            pass
    with pytest.raises(errors.KassaError):
        store.conn.cursor().execute("SELECT fails(1)").fetchall()
    broken = tmp_path / "half.db"
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a header, then garbage
    with pytest.raises(errors.KassaError):
        Store.open(broken)
