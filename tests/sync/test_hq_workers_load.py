"""Issue 15: terminals uploading batches and polling snapshots at once against
`kassa hq --workers 2`, while its workers are SIGKILLed mid-batch, again and again.

Each terminal speaks the real protocol (:mod:`ui.tools.hq_load`: genuine sale bodies,
hash-chained per terminal, its credential; snapshots verified against HQ's key) and
sends a batch again after a connection error or a 503, as the sync worker does.
Afterwards: no reply but 200 or 503 (and connection errors) was seen, every event is
stored exactly once, and every customer's balance and every gift card's is the sum of
its moves.

Sized by the environment: ``KASSA_HQ_TERMINALS`` (50 in CI; 200 for the issue's full
figure, about 3 minutes on 2 cores), ``KASSA_HQ_BATCHES`` batches of
``KASSA_HQ_BATCH`` sales each, ``KASSA_HQ_WORKERS`` workers, ``KASSA_HQ_KILLS`` kills.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from agent.demo import CUSTOMERS, GIFT_CARDS
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from tests.hqproc import HqProcess
from tests.sync.hqmoves import balances_and_moves, gift_cards_and_moves
from tests.sync.test_hq_workers import start
from ui.tools.hq_load import Tally, Terminal, register, run_load, sale_templates, terminal_events
from ui.tools.measure import AT

pytestmark = pytest.mark.e2e

TERMINALS = int(os.environ.get("KASSA_HQ_TERMINALS", "50"))
BATCHES = int(os.environ.get("KASSA_HQ_BATCHES", "3"))
BATCH = int(os.environ.get("KASSA_HQ_BATCH", "20"))
WORKERS = int(os.environ.get("KASSA_HQ_WORKERS", "2"))
KILLS = int(os.environ.get("KASSA_HQ_KILLS", "3"))


def kill_workers(hq: HqProcess, tally: Tally, total: int, killed: list[int]) -> None:
    """SIGKILL a worker (each slot in turn) each time another share of the ``total``
    batches is acknowledged, while the others are in flight."""
    deadline = time.monotonic() + 600
    for k in range(KILLS):
        due = total * (k + 1) // (KILLS + 1)
        slot = k % WORKERS
        while tally.batches_done < due or slot not in hq.workers():
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        os.kill(hq.workers()[slot], signal.SIGKILL)
        killed.append(slot)


def test_terminals_uploading_and_polling_while_workers_are_killed_lose_and_double_nothing(
    hq_db_url: str, tmp_path: Path
) -> None:
    ids = [f"L{i:03d}" for i in range(TERMINALS)]
    templates = sale_templates(tmp_path)
    store = HqStore(hq_db_url)
    seed_demo(store)
    register(store, ids)
    store.close()
    terminals = [Terminal(t, terminal_events(t, BATCHES * BATCH, templates)) for t in ids]
    hq = start(
        hq_db_url, WORKERS, fixed_time=AT, key_dir=tmp_path
    )  # the sales' time: tiers stay as priced
    tally, killed = Tally(), []
    killer = threading.Thread(
        target=kill_workers, args=(hq, tally, TERMINALS * BATCHES, killed), daemon=True
    )
    try:
        killer.start()
        run_load(hq.url, terminals, BATCH, Path(hq.key).read_text().strip(), tally=tally)
        killer.join(60)
    finally:
        hq.kill()

    assert killed == [k % WORKERS for k in range(KILLS)]
    assert tally.unexpected == []
    assert set(tally.statuses) <= {200, 503}, tally.statuses
    assert sum(tally.errors.values()) > 0, "no kill broke an upload in flight"
    assert tally.batches_done == TERMINALS * BATCHES
    assert tally.polls >= TERMINALS * 2  # the first snapshots, and polls between uploads

    hq_store = HqStore(hq_db_url, create=False)
    c = hq_store.conn
    acked = dict(
        c.execute("SELECT terminal_id, acked_seq FROM terminals WHERE terminal_id LIKE 'L%'")
    )
    assert acked == dict.fromkeys(ids, BATCHES * BATCH)
    assert c.execute("SELECT terminal_id, seq, reason FROM hq_quarantine").fetchall() == []
    stored = c.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM hq_events").fetchone()
    assert tuple(stored) == (TERMINALS * BATCHES * BATCH,) * 2  # each once, none twice
    assert c.execute("SELECT COUNT(*) FROM conflicts").fetchone() == (0,)
    hq_store.close()

    start_balance = {str(doc["customer_id"]): int(doc.get("balance", 0)) for doc in CUSTOMERS}
    points = balances_and_moves(hq_db_url)
    assert {cid: bal - moved for cid, (bal, moved) in points.items()} == start_balance
    assert any(moved > 0 for _, moved in points.values())  # customers earned
    cards = gift_cards_and_moves(hq_db_url)
    assert {card: bal - moved for card, (bal, moved) in cards.items()} == GIFT_CARDS
    assert all(moved != 0 for _, moved in cards.values())  # one paid, one loaded
