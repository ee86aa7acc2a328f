"""The checkout's store keeps its whole file mapped and read through while it is open, so
a kernel that reclaims idle page cache never sends a card lookup to the disk; a store
opened in passing maps nothing, and closing the store lets the file go."""

from __future__ import annotations

import threading
from pathlib import Path

from agent.store import Store
from agent.store.resident import PAGE, Resident


def resident_kb(path: Path) -> int | None:
    """kB of ``path`` this process holds in its mappings (/proc/self/smaps), or None when
    nothing of it is mapped."""
    held: int | None = None
    mapping_of_path = False
    target = str(path.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and len(fields) >= 5 and fields[0][0] in "0123456789abcdef":
            mapping_of_path = len(fields) >= 6 and fields[5] == target
        elif mapping_of_path and fields[:1] == ["Rss:"]:
            held = (held or 0) + int(fields[1])
    return held


def grow(path: Path, key: str, size: int) -> int:
    """Write ``size`` bytes into the store at ``path`` and fold the WAL into the file;
    the file's new size."""
    store = Store.open(path)
    try:
        store.file.set_meta(key, "x" * size)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        store.close()
    return path.stat().st_size


def kassa_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "kassa-resident"]


def test_the_checkouts_store_holds_its_whole_file_and_a_store_opened_in_passing_none(
    tmp_path: Path,
) -> None:
    db = tmp_path / "terminal.db"
    size = grow(db, "ballast", 3_000_000)
    passing = Store.open(db)
    try:
        passing.catalogue.customer_by_card("2900000000001")
        assert resident_kb(db) is None
    finally:
        passing.close()
    store = Store.open(db, mapped=True)
    try:
        assert store.resident is not None and store.resident.wait(30)
        held = resident_kb(db)
        assert held is not None and held * 1024 >= size // PAGE * PAGE, (held, size)
    finally:
        store.close()


def test_what_the_file_gains_is_held_at_the_next_pass(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    grow(db, "first", 200_000)
    store = Store.open(db, mapped=True)
    try:
        assert store.resident is not None and store.resident.wait(30)
        before = store.resident.mapped_bytes
        size = grow(db, "second", 2_000_000)
        assert store.resident.refresh(30)
        assert store.resident.mapped_bytes == size // PAGE * PAGE > before
        held = resident_kb(db)
        assert held is not None and held * 1024 >= size // PAGE * PAGE
    finally:
        store.close()


def test_closing_the_store_stops_the_thread_and_lets_the_file_go(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    grow(db, "ballast", 500_000)
    before = kassa_threads()
    store = Store.open(db, mapped=True)
    assert store.resident is not None and store.resident.wait(30)
    assert len(kassa_threads()) == len(before) + 1
    store.close()
    assert kassa_threads() == before
    assert resident_kb(db) is None


def test_no_more_than_the_limit_is_mapped(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    grow(db, "ballast", 1_000_000)
    resident = Resident(db, limit=3 * PAGE, every_s=3600)
    resident.start()
    try:
        assert resident.wait(30)
        assert resident.mapped_bytes == 3 * PAGE
        held = resident_kb(db)
        assert held is not None and held * 1024 <= 3 * PAGE
    finally:
        resident.close()


def test_a_file_that_went_away_is_neither_held_nor_a_crash(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    grow(db, "ballast", 100_000)
    resident = Resident(db, limit=1 << 30, every_s=3600)
    db.unlink()
    resident.start()
    try:
        assert resident.wait(30)
        assert resident.mapped_bytes == 0
        grow(db, "ballast", 100_000)  # the file is back (a restore): held at the next pass
        assert resident.refresh(30)
        assert resident.mapped_bytes > 0
    finally:
        resident.close()


def test_a_file_being_filled_fast_is_held_once_it_settles(tmp_path: Path) -> None:
    db = tmp_path / "terminal.db"
    grow(db, "first", 100_000)
    resident = Resident(db, limit=1 << 30, every_s=3600, settle_bytes=1_000_000)
    resident.start()
    try:
        assert resident.wait(30)
        before = resident.mapped_bytes
        size = grow(db, "joining", 3_000_000)  # more than settle_bytes in one pass: a join
        assert resident.refresh(30)
        assert resident.mapped_bytes == before  # what it held, still; not the new pages
        assert resident.refresh(30)  # settled: no growth since
        assert resident.mapped_bytes == size // PAGE * PAGE
    finally:
        resident.close()
