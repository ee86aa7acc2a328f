"""The checkout's store file kept in memory: the whole file mapped into the process and
read through by a background thread, then looked over again every minute for what the
sync worker added (a file being filled fast, a join, is held once it settles).

Why: a card lookup at 1,000,000 held customers reads two pages no other lookup has
touched for hours (the card index's leaf and the customer's row). The OS keeps a file's
pages in its cache while memory allows, but a kernel that reclaims idle page cache
proactively (DAMON's ``pageout`` scheme, on some virtual machines) writes out the pages
no process maps after a minute unused, and a quarter of the lookups then waited for the
disk. A page mapped into a process is left alone by that reclaim and by ordinary reclaim
until memory is short, so the checkout maps its file and touches each page once.

It costs the file's size in the process's resident memory (shared page cache, given back
to the OS under pressure, not the process's own): ~560 MB at 1,000,000 customers, ~6 MB
at 10,000. The mapping is read-only and never past the file's end as last measured; the
terminal's file only grows (no VACUUM: :mod:`agent.store.file`).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import threading
from pathlib import Path

PAGE = mmap.PAGESIZE
CHUNK = 256 * PAGE  # touched with the GIL held: ~1 MB, then the checkout's thread runs
EVERY_S = 60.0  # a new customer's pages are read within a minute of the sync adding them
# A file that grew more than this since the last pass is being filled (a till joining
# its chain, a store's holding changed): its new pages are held once it settles, so a
# join's memory stays the join's own (a page at a time), not the file's.
SETTLE_BYTES = 16 << 20


class Resident:
    """Keeps the file at ``path`` (up to ``limit`` bytes) mapped and read through while
    the store is open: :meth:`start`, then :meth:`close` with the store."""

    def __init__(
        self, path: Path, limit: int, every_s: float = EVERY_S, settle_bytes: int = SETTLE_BYTES
    ) -> None:
        self.path = path
        self.limit = limit
        self.every_s = every_s
        self.settle_bytes = settle_bytes
        self._size: int | None = None  # the file's size at the last pass
        self._stop = threading.Event()
        self._again = threading.Event()
        self._turn = threading.Condition()
        self._begun = 0  # passes begun, and ended
        self._ended = 0
        self._map: mmap.mmap | None = None
        self._thread = threading.Thread(target=self._run, name="kassa-resident", daemon=True)
        self.mapped_bytes = 0

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout_s: float) -> bool:
        """True once the whole file has been read through once (within ``timeout_s``)."""
        with self._turn:
            return self._turn.wait_for(lambda: self._ended >= 1, timeout_s)

    def refresh(self, timeout_s: float) -> bool:
        """Map and read what the file gained now rather than within a minute; True when
        a pass begun after this call ended within ``timeout_s``."""
        with self._turn:
            want = self._begun + 1
            self._again.set()
            return self._turn.wait_for(lambda: self._ended >= want, timeout_s)

    def close(self) -> None:
        self._stop.set()
        self._again.set()
        if self._thread.is_alive():
            self._thread.join()
        self._unmap()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._turn:
                self._begun += 1
                self._again.clear()
            # The file went (a test's folder, a restore): the store itself will say so.
            with contextlib.suppress(OSError, ValueError):
                self._pass()
            with self._turn:
                self._ended += 1
                self._turn.notify_all()
            self._again.wait(self.every_s)

    def _pass(self) -> None:
        size = min(os.stat(self.path).st_size, self.limit) // PAGE * PAGE
        filling = self._size is not None and size - self._size > self.settle_bytes
        self._size = size
        if size < self.mapped_bytes or (size > self.mapped_bytes and not filling):
            self._unmap()
            if size == 0:
                return
            with open(self.path, "rb") as f:
                self._map = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
            self._map.madvise(mmap.MADV_WILLNEED)  # the OS reads ahead while we touch
            self.mapped_bytes = size
        view = self._map
        if view is None:
            return
        for start in range(0, self.mapped_bytes, CHUNK):
            if self._stop.is_set():
                return
            _ = view[start : start + CHUNK : PAGE]  # a byte a page: each page is mapped

    def _unmap(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self.mapped_bytes = 0
