"""Power loss at a random I/O call: no acknowledged sale lost, the database intact.

Each round copies a terminal database holding the demo programme, sells through
kassa's own session and store on a :class:`CrashVFS` connection until the power
goes at a random I/O call (unsynced writes lost, or some of them), then opens the
file as the terminal would after the reboot and checks it. KASSA_POWER_ROUNDS sets
the number of rounds (default 150); the seed is printed so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import apsw
import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import Product
from agent.money import Money
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.file import StoreFile
from tests.agent.crashvfs import ApswConnection, CrashVFS, PowerCut
from tests.conftest import TUESDAY

ROUNDS = int(os.environ.get("KASSA_POWER_ROUNDS", "150"))
SALES = 12
CARDS = ["2900000000018", "2900000000025", "2900000000032", ""]
SKUS = ["COFFEE", "MILK", "JACKET", "SCARF", "SYRUP"]


def sell_until_the_power_goes(
    path: Path, crash_at: int | None, seed: int
) -> tuple[list[int], CrashVFS]:
    """Sell SALES sales; return the seqs whose commit returned, and the VFS."""
    vfs = CrashVFS(f"crash-{seed}-{crash_at}", crash_at, random.Random(seed))
    acknowledged: list[int] = []
    conn: ApswConnection | None = None
    try:
        conn = ApswConnection(str(path), vfs.name)
        store = Store(StoreFile(conn))  # type: ignore[arg-type]
        session = CheckoutSession(store, FixedClock(TUESDAY), SequentialIds(f"s{seed}"), "T1", "S")
        for i in range(SALES):
            if CARDS[i % 4]:
                session.enter(CARDS[i % 4])
            session.add("MILK", 1 + i % 3)
            session.add("COFFEE")
            if i % 3 == 0:
                session.pay_with_points(None)
            acknowledged.append(session.commit().seq)
            if i % 5 == 4:  # the uploader acknowledging, in between
                store.ledger.mark_acked(acknowledged[-1], TUESDAY)
            if i == SALES // 2:  # a snapshot from HQ: every price up by 1.00, and a cursor
                raised = [
                    replace(p, price=Money(p.price.minor + 100, p.price.currency))
                    for p in prices(store)
                ]
                store.catalogue.apply_snapshot(
                    products=raised, customers=[], ruleset=None, cursor="2", received_at=TUESDAY
                )
    except PowerCut:
        pass
    except Exception as exc:  # SQLite reports the failed I/O in its own words
        assert vfs.crashed, f"failed without a power cut: {exc!r}"
    finally:
        try:
            if conn is not None:
                conn.close()  # a checkpoint on close may be where the power goes
        except apsw.Error:
            assert vfs.crashed
        vfs.release()
    return acknowledged, vfs


def prices(store: Store) -> list[Product]:
    return [p for sku in SKUS if (p := store.catalogue.product(sku)) is not None]


def check_after_reboot(path: Path, acknowledged: list[int], before: list[Product]) -> None:
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    raw.close()
    store = Store.open(path)
    try:
        assert store.ledger.verify() is None  # seq continuity and the hash chain
        seqs = [s for (s,) in store.conn.execute("SELECT seq FROM journal ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        assert set(acknowledged) <= set(seqs), "an acknowledged sale was lost"
        assert len(seqs) <= len(acknowledged) + 1  # at most the one in flight on top
        for table in ("sales", "outbox", "print_jobs"):  # each sale whole or not at all
            (n,) = store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            assert n == len(seqs), table
        (orphans,) = store.conn.execute(
            "SELECT COUNT(*) FROM ledger WHERE seq NOT IN (SELECT seq FROM journal)"
        ).fetchone()
        assert orphans == 0
        # The snapshot is there whole (cursor and every price) or not at all.
        raised = store.file.get_meta("snapshot_cursor") == "2"
        assert [p.price.minor for p in prices(store)] == [
            p.price.minor + (100 if raised else 0) for p in before
        ]
    finally:
        store.close()


def template_prices(template: Path) -> list[Product]:
    store = Store.open(template)
    try:
        return prices(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("power") / "terminal.db"
    demo_store(path).close()
    return path


def test_the_shim_counts_io_and_loses_nothing_without_a_crash(
    template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "terminal.db"
    shutil.copy(template, path)
    acknowledged, vfs = sell_until_the_power_goes(path, None, 0)
    assert acknowledged == list(range(1, SALES + 1)) and vfs.calls > SALES * 4
    check_after_reboot(path, acknowledged, template_prices(template))
    store = Store.open(path)
    assert store.file.get_meta("snapshot_cursor") == "2"  # the snapshot did arrive
    store.close()


def test_power_cut_at_random_io_calls_loses_no_acknowledged_sale(
    template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "terminal.db"
    shutil.copy(template, path)
    _, clean = sell_until_the_power_goes(path, None, 0)
    before = template_prices(template)
    seed = random.randrange(1 << 30)
    print(f"power-loss seed {seed}, {ROUNDS} rounds over {clean.calls} I/O calls")
    rng = random.Random(seed)
    lost_writes = mid_sale = 0
    for r in range(ROUNDS):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, path)
        acknowledged, vfs = sell_until_the_power_goes(path, rng.randint(1, clean.calls), seed + r)
        assert vfs.crashed
        lost_writes += vfs.dropped > 0
        check_after_reboot(path, acknowledged, before)
        mid_sale += 0 < len(acknowledged) < SALES
    assert lost_writes > ROUNDS // 4  # the crashes really dropped unsynced writes
    assert mid_sale > ROUNDS // 2  # and fell among the sales, not only at the ends
