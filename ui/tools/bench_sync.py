"""`kassa bench` sync figures: an offline backlog uploaded to the real HQ on loopback.

The baseline is HQ's own work on the same events: :func:`sync.hq.ingest.ingest` called
directly, in the same batches, on a fresh HQ database on the same disk. The ratio
is what the protocol costs on top (reading the outbox, JSON both ways, HTTP,
marking rows acknowledged). ``hq_reprice_overhead_ratio`` is that direct ingest, with
HQ's checks (re-pricing every sale with the engine), over the same ingest without them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.entries import NewSale
from sync.client import HqClient, read_public_key
from sync.hq.checks import CHECKS, Check
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from sync.wire import MAX_BATCH
from sync.worker import SyncPolicy, SyncWorker
from ui.hq_process import free_port, start_hq, wait_for_hq
from ui.tools.measure import AT

TEMPLATES = 40  # distinct scripted sales, replayed with fresh ids and seqs


def offline_backlog(path: Path, n_sales: int) -> Store:
    """A terminal store holding ``n_sales`` committed, unsynced sales (a hash chain of them).

    Built fast, with synchronous=OFF: the backlog is set-up, not what is measured.
    """
    store = demo_store(path)
    captured: list[NewSale] = []
    commit = store.ledger.commit_sale

    def capture(sale: NewSale, terminal_id: str) -> Any:
        captured.append(sale)
        return commit(sale, terminal_id)

    store.ledger.commit_sale = capture  # type: ignore[method-assign]
    session = CheckoutSession(store, FixedClock(AT), SequentialIds("t"), "T1", "bench")
    cards = [r[0] for r in store.conn.execute("SELECT card FROM customers ORDER BY card")]
    skus = [  # goods scanned by code: not by a scale label, nor gift cards (wait for a card)
        r[0]
        for r in store.conn.execute(
            "SELECT sku FROM products WHERE unit='piece' AND loads_gift_card=0 ORDER BY sku"
        )
    ]
    for i in range(min(TEMPLATES, n_sales)):
        if i % 4 != 3:
            session.enter(cards[i % len(cards)])
        for k in range(1 + i % 3):
            session.add(skus[(i * 7 + k * 3) % len(skus)], 1 + k % 2)
        session.commit()
    store.ledger.commit_sale = commit  # type: ignore[method-assign]
    store.conn.execute("PRAGMA synchronous=OFF")
    for i in range(len(captured), n_sales):
        t = captured[i % len(captured)]
        sale_id = f"b-{i}"
        store.ledger.commit_sale(
            replace(t, sale_id=sale_id, record=replace(t.record, sale_id=sale_id)), "T1"
        )
    store.conn.execute("PRAGMA synchronous=FULL")
    return store


def _direct(db: Path, events: list[dict[str, Any]], checks: tuple[Check, ...]) -> float:
    """Seconds HQ takes to ingest ``events`` directly, in the terminal's batches, on a
    fresh database at ``db``, running ``checks`` on each (its re-pricing among them)."""
    hq = HqStore(db)
    seed_demo(hq)
    t0 = time.perf_counter()
    for i in range(0, len(events), MAX_BATCH):
        ingest(hq, "T1", events[i : i + MAX_BATCH], AT.isoformat(), checks)
    took = time.perf_counter() - t0
    (held,) = hq.conn.execute("SELECT COUNT(*) FROM hq_quarantine").fetchone()
    hq.close()
    if held:  # a genuine sale refused: the figure would time less work, and be wrong
        raise RuntimeError(f"HQ quarantined {held} of the bench's genuine sales")
    return took


def bench_catchup(n_sales: int, workdir: Path) -> dict[str, float]:
    """Upload ``n_sales`` offline sales to HQ on loopback; compare with direct ingest."""
    workdir = workdir / "catchup"
    workdir.mkdir()
    store = offline_backlog(workdir / "terminal.db", n_sales)
    events = [e.to_wire() for e in store.ledger.pending_events(n_sales)]

    direct_s = _direct(workdir / "hq-direct.db", events, CHECKS)
    unchecked_s = _direct(workdir / "hq-unchecked.db", events, ())

    port = free_port()
    hq_db = workdir / "hq.db"
    proc = start_hq(hq_db, port, demo=True)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_hq(url, 60):
            raise RuntimeError("HQ did not come up for the bench")
        client = HqClient(url, "T1", "demo", read_public_key(f"{hq_db}.pub"), timeout_s=60)
        worker = SyncWorker(
            workdir / "terminal.db", client, FixedClock(AT), SyncPolicy(batch_size=MAX_BATCH)
        )
        t0 = time.perf_counter()
        acked = worker.upload_all(store)
        upload_s = time.perf_counter() - t0
        client.close()
    finally:
        proc.terminate()
        proc.wait(30)
        store.close()
    if acked != n_sales:
        raise RuntimeError(f"HQ acknowledged {acked} of {n_sales} sales")
    return {
        "hq_reprice_overhead_ratio": direct_s / unchecked_s,
        "hq_ingest_unchecked_sales_per_s": n_sales / unchecked_s,
        "sync_catchup_sales": n_sales,
        "sync_catchup_sales_per_s": n_sales / upload_s,
        "sync_catchup_ratio": upload_s / direct_s,
        "hq_direct_ingest_sales_per_s": n_sales / direct_s,
    }
