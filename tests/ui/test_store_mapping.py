"""The checkout's long-lived store reads through a memory map (its card lookups at a
million held customers read no page through a system call); short-lived connections
(a receipt's printing, a command) and the sync worker's, which reads whole snapshots,
do not map the file."""

from __future__ import annotations

from pathlib import Path

from agent.store import Store
from agent.store.file import MMAP_BYTES
from tests.ui.till import till


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
