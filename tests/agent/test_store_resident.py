"""The checkout's store keeps its customers mapped and read through while it is open, so
a kernel that reclaims idle page cache never sends a card lookup to the disk; a store
opened in passing maps nothing; closing the store lets the file go; and the till's
locks on its file stay whole (another process closing its connection leaves the till's
write-ahead log alone)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.codes import make_card_number
from agent.store import Store
from agent.store.resident import Resident

PAGE = 4096
READ_AND_CLOSE = (
    "import sys, sqlite3; c = sqlite3.connect(sys.argv[1]); "
    "c.execute('SELECT count(*) FROM meta').fetchone(); c.close()"
)


def resident_kb(path: Path) -> int | None:
    """kB of ``path`` this process holds in its mappings (/proc/self/smaps), or None when
    nothing of it is mapped."""
    held: int | None = None
    of_path = False
    target = str(path.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and fields[0][0] in "0123456789abcdef":
            of_path = len(fields) >= 6 and fields[5] == target
        elif of_path and fields[:1] == ["Rss:"]:
            held = (held or 0) + int(fields[1])
    return held


def add_customers(path: Path, n: int, first: int = 1) -> int:
    """Hold ``n`` more customers (~600 bytes each) in the store at ``path`` and fold the
    WAL into the file; the file's new size."""
    store = Store.open(path)
    try:
        with store.file.atomic() as c:
            c.executemany(
                "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq) "
                "VALUES(?,?,?,0,0)",
                [(f"C{first + i}", make_card_number(first + i), "x" * 600) for i in range(n)],
            )
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        store.close()
    return path.stat().st_size


@contextmanager
def checkout_store(db: Path) -> Iterator[Resident]:
    """The checkout's store on ``db`` (mapped), its first look ended; closed after."""
    store = Store.open(db, mapped=True)
    try:
        assert store.resident is not None and store.resident.wait(30)
        yield store.resident
    finally:
        store.close()


def kassa_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "kassa-resident"]


def test_the_checkouts_store_holds_its_customers_and_a_store_opened_in_passing_none(
    tmp_path: Path,
) -> None:
    db = tmp_path / "terminal.db"
    size = add_customers(db, 5000)
    passing = Store.open(db)
    try:
        assert passing.conn.execute("SELECT count(*) FROM customers").fetchone() == (5000,)
        assert resident_kb(db) is None
    finally:
        passing.close()
    with checkout_store(db) as resident:
        held = resident_kb(db)
        assert held is not None and held * 1024 >= 0.9 * size, (held, size)
        assert resident.held_bytes == size


def test_what_the_sync_adds_is_read_through_at_the_next_look(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    add_customers(db, 500)
    with checkout_store(db) as resident:
        before = resident_kb(db) or 0
        size = add_customers(db, 4000, first=1000)
        assert resident.refresh(30)
        assert resident.held_bytes == size
        held = resident_kb(db)
        assert held is not None and held * 1024 >= 0.9 * size > before * 1024


def test_a_file_being_filled_fast_is_read_through_once_it_settles(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    first = add_customers(db, 100)
    resident = Resident(db, every_s=3600, settle_bytes=1_000_000)
    resident.start()
    try:
        assert resident.wait(30)
        assert resident.held_bytes == first
        size = add_customers(db, 4000, first=1000)  # > settle_bytes since the last look
        assert resident.refresh(30)
        assert resident.held_bytes == first  # not yet: a join is under way
        assert resident.refresh(30)  # no growth since: settled
        assert resident.held_bytes == size
    finally:
        resident.close()


def test_closing_the_store_stops_the_thread_and_lets_the_file_go(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    add_customers(db, 500)
    before = kassa_threads()
    store = Store.open(db, mapped=True)
    assert store.resident is not None and store.resident.wait(30)
    assert len(kassa_threads()) == len(before) + 1
    store.close()
    assert kassa_threads() == before
    assert resident_kb(db) is None


def test_a_file_that_is_not_there_is_neither_made_nor_a_crash(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    resident = Resident(db, every_s=3600)
    resident.start()
    try:
        assert resident.wait(30)
        assert resident.held_bytes == 0 and not db.exists()
        size = add_customers(db, 100)  # the file is there now: read at the next look
        assert resident.refresh(30)
        assert resident.held_bytes == size
    finally:
        resident.close()


def test_another_process_closing_the_file_leaves_the_tills_log_alone(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    add_customers(db, 500)
    store = Store.open(db, mapped=True)
    try:
        assert store.resident is not None and store.resident.wait(30)
        store.file.set_meta("after", "the look")  # in the WAL, not yet in the file
        # A command run beside the till (kassa day-report): it opens the file and closes
        # it. Were the till's locks on the file lost, it would take itself for the last
        # user, fold the WAL into the file and delete it under the running till.
        subprocess.run(
            [sys.executable, "-c", READ_AND_CLOSE, str(db)],
            check=True,
        )
        assert db.with_name("terminal.db-wal").exists()
        assert store.file.get_meta("after") == "the look"
    finally:
        store.close()
