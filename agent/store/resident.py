"""The checkout's customers kept in memory: a connection of its own, reading through
SQLite's memory map of the file, reads the customers' table and its indexes once in the
background, and again when the sync has added to the file (a file being filled fast, a
join, once it settles).

Why: a card lookup at 1,000,000 held customers reads two pages no other lookup has
touched for hours (the card index's leaf and the customer's row). The OS keeps a file's
pages in its cache while memory allows, but a kernel that reclaims idle page cache
proactively (DAMON's ``pageout`` scheme, on some virtual machines) writes out the pages
no process maps after a minute unused, and a quarter of the lookups then waited for the
disk. A page mapped into a process is left alone by that reclaim, and by ordinary
reclaim until memory is short; the connection's map (:data:`agent.store.file.MAP_READS`)
holds every page it read while it is open.

The file is read only through SQLite: a file descriptor opened and closed on the live
database beside SQLite's would drop the process's POSIX locks on it, and another process
closing its connection could then take the till's write-ahead log for unused and delete
it. SQLite keeps its own descriptors and locks straight, and maps no page past the end
of the file.

It costs what it holds in the process's resident memory (file pages, shared with the
OS's page cache and given back under pressure, not the process's own): ~560 MB at
1,000,000 customers, ~6 MB at 10,000, at most :data:`agent.store.file.MMAP_BYTES`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from agent.errors import KassaError
from agent.store.file import Connection, connect

EVERY_S = 60.0  # a new customer's pages are read within a minute of the sync adding them
# A file that grew more than this since the last look is being filled (a till joining
# its chain, a store's holding changed): it is read through once it settles, so a
# join's memory stays the join's own (a page at a time), not the file's.
SETTLE_BYTES = 16 << 20
# What a lookup reads: the customers' rows (every column, so each page and overflow page
# is read) and each index a customer is found by (card, phone's hash, id).
READ_THROUGH = (
    "SELECT sum(length(doc)) FROM customers NOT INDEXED",
    "SELECT count(*) FROM customers WHERE card > ''",
    "SELECT count(*) FROM customers WHERE phone != '' AND phone > ''",
    "SELECT count(*) FROM customers WHERE customer_id > ''",
)


class Resident:
    """Keeps the customers of the store at ``path`` in memory while the store is open:
    :meth:`start`, then :meth:`close` with the store."""

    def __init__(
        self, path: Path, every_s: float = EVERY_S, settle_bytes: int = SETTLE_BYTES
    ) -> None:
        self.path = path
        self.every_s = every_s
        self.settle_bytes = settle_bytes
        self.held_bytes = 0  # the file's size when it was last read through; 0: not yet
        self._size: int | None = None  # the file's size at the last look
        self._turn = threading.Condition()
        self._stop = False
        self._wake = False
        self._begun = 0  # looks begun, and ended
        self._ended = 0
        self._thread = threading.Thread(target=self._run, name="kassa-resident", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout_s: float) -> bool:
        """True once the first look ended (within ``timeout_s``): the file read through
        if it could be."""
        with self._turn:
            return self._turn.wait_for(lambda: self._ended >= 1, timeout_s)

    def refresh(self, timeout_s: float) -> bool:
        """Look now rather than within a minute; True when a look begun after this call
        ended within ``timeout_s``."""
        with self._turn:
            want = self._begun + 1
            self._wake = True
            self._turn.notify_all()
            return self._turn.wait_for(lambda: self._ended >= want, timeout_s)

    def close(self) -> None:
        with self._turn:
            self._stop = True
            self._turn.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn: Connection | None = None
        try:
            while True:
                with self._turn:
                    if self._stop:
                        return
                    self._begun += 1
                    self._wake = False
                # The file went (a restore), or the store refused: it says so itself.
                with contextlib.suppress(OSError, KassaError):
                    conn = self._look(conn)
                with self._turn:
                    self._ended += 1
                    self._turn.notify_all()
                    self._turn.wait_for(lambda: self._stop or self._wake, self.every_s)
        finally:
            if conn is not None:
                conn.close()

    def _look(self, conn: Connection | None) -> Connection | None:
        """Read the customers through if the file changed and is not being filled;
        returns the connection kept for the next look."""
        size = os.stat(self.path).st_size  # raises if it went: nothing is created
        filling = self._size is not None and size - self._size > self.settle_bytes
        self._size = size
        if size == self.held_bytes or filling:
            return conn
        if conn is None:
            conn = connect(self.path, mapped=True)
        for query in READ_THROUGH:
            conn.execute(query).fetchone()
        self.held_bytes = size
        return conn
