"""A new terminal joining a chain, as a process of its own (`kassa bench` runs it and
reads its peak memory): every page of HQ's first snapshot applied by the sync worker's
own code. ``python -m ui.tools.join_probe URL PUBLIC_KEY DB [TERMINAL SECRET]`` prints
one JSON line: seconds, pages, the longest page apply, customers held, peak RSS (MB)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from agent.clock import SystemClock
from agent.store import Store
from sync.client import HqClient, read_public_key
from sync.worker import SyncWorker
from ui.tools.measure import vm_hwm_mb


def join(url: str, key: str, db: Path, terminal_id: str, secret: str) -> dict[str, float]:
    """Join HQ at ``url`` from an empty store at ``db``; return the figures."""
    client = HqClient(url, terminal_id, secret, read_public_key(key), timeout_s=120)
    worker = SyncWorker(db, client, SystemClock())
    store = Store.open(db)  # unmapped, as the sync worker opens its own
    applies: list[float] = []
    apply = store.catalogue.apply_snapshot

    def timed(**kwargs: object) -> None:
        t0 = time.perf_counter()
        apply(**kwargs)  # type: ignore[arg-type]
        applies.append(time.perf_counter() - t0)

    store.catalogue.apply_snapshot = timed  # type: ignore[method-assign]
    t0 = time.perf_counter()
    worker.download(store)
    took = time.perf_counter() - t0
    (held,) = store.conn.execute("SELECT COUNT(*) FROM customers").fetchone()
    store.close()
    client.close()
    return {
        "s": took,
        "pages": len(applies),
        "longest_page_apply_s": max(applies, default=0.0),
        "customers": held,
        # VmHWM, not ru_maxrss: a child's ru_maxrss counts its parent's pages at fork
        "peak_mb": vm_hwm_mb(os.getpid()),
    }


def main(argv: list[str]) -> int:
    url, key, db = argv[0], argv[1], Path(argv[2])
    terminal_id, secret = (argv[3], argv[4]) if len(argv) > 4 else ("T1", "demo")
    print(json.dumps(join(url, key, db, terminal_id, secret)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
