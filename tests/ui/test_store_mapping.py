"""The checkout's long-lived store reads through a memory map (its card lookups at a
million held customers read no page through a system call); short-lived connections
(a receipt's printing, a command) and the sync worker's, which reads whole snapshots,
do not map the file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.errors import ConfigError
from agent.store import Store
from agent.store.file import MMAP_BYTES
from agent.store.lock import DatabaseLock
from drivers.memory import MemoryPrinter
from tests.conftest import TUESDAY
from tests.ui.till import till
from ui.config import Config
from ui.services import build_services


def mmap_size(store: Store) -> int:
    return int(store.conn.execute("PRAGMA mmap_size").fetchone()[0])


def test_the_checkouts_store_is_mapped_and_a_store_opened_in_passing_is_not(
    tmp_path: Path,
) -> None:
    app = till(tmp_path, staff=False)
    try:
        assert mmap_size(app.services.store) == MMAP_BYTES
        passing = Store.open(app.services.config.db_path)
        try:
            assert mmap_size(passing) == 0
        finally:
            passing.close()
    finally:
        app.services.close()


def test_a_terminal_that_fails_to_start_leaves_no_store_open_behind(tmp_path: Path) -> None:
    config = Config("T1", tmp_path, store_name="Sklep")  # syncing, but no HQ key
    before = [t for t in threading.enumerate() if t.name == "kassa-resident"]
    with pytest.raises(ConfigError, match="public_key"):
        build_services(config, clock=FixedClock(TUESDAY), printer=MemoryPrinter())
    assert [t for t in threading.enumerate() if t.name == "kassa-resident"] == before
    lock = DatabaseLock.take(config.db_path, exclusive=True)  # let go of: a restore may run
    lock.release()
