"""A database made by the previous release opens in this one with nothing lost.

tests/fixtures/release-VERSION/ holds a terminal's and HQ's SQLite files made by that
release's own code (packaging/make-release-fixtures.sh: its HQ and two tills selling
against it, then three sales T1 could not send), and manifest.json: what that release
read in them. Opened here, the files are migrated as an upgraded till or HQ opens them
(the .deb's postinst restarts the units on the new code), and then: every journal row,
sale, ledger entry and balance is still there, the hash chain verifies, a new sale
continues the seq, and HQ takes the unsent and the new sales with its balances still the
sum of their moves.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from agent.clock import FixedClock, SequentialIds
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.schema import migrations as terminal_migrations
from sync.hq.ingest import ingest
from sync.hq.schema import migrations as hq_migrations
from sync.hq.store import HqStore
from tests.sync.hqmoves import balances_and_moves

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASES = sorted(FIXTURES.glob("release-*"))
ANNA = "2900000000018"


@dataclass(frozen=True)
class Release:
    dir: Path  # a copy of the release's files, for this test to change
    manifest: dict[str, Any]

    @property
    def made_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["made_at"])


@pytest.fixture(params=RELEASES, ids=[p.name for p in RELEASES])
def release(request: pytest.FixtureRequest, tmp_path: Path) -> Release:
    src: Path = request.param
    copy = tmp_path / src.name
    shutil.copytree(src, copy)
    for db in copy.glob("*.db"):
        db.chmod(0o600)
    return Release(copy, json.loads((copy / "manifest.json").read_text(encoding="utf-8")))


def test_there_is_a_previous_release_to_upgrade_from() -> None:
    assert RELEASES, "tests/fixtures/release-*: packaging/make-release-fixtures.sh makes one"
    for r in RELEASES:
        manifest = json.loads((r / "manifest.json").read_text(encoding="utf-8"))
        names = [m.name for m in terminal_migrations._migrations]
        # An older schema, or this test would show no migration at all.
        assert manifest["terminals"]["T1"]["migrations"] != names


def counts(store: Store, tables: list[str]) -> dict[str, int]:
    return {t: int(store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}


def test_a_terminals_database_from_the_previous_release_keeps_every_row(
    release: Release,
) -> None:
    for tid, want in release.manifest["terminals"].items():
        store = Store.open_existing(release.dir / want["file"])
        try:
            applied = [m.name for m in terminal_migrations.applied(store.file.db)]
            assert applied[: len(want["migrations"])] == want["migrations"], tid
            assert len(applied) > len(want["migrations"]), tid  # this release's migrated it
            assert terminal_migrations.pending(store.file.db) == [], tid
            journal = store.conn.execute("SELECT seq, hash FROM journal ORDER BY seq")
            assert [[int(s), str(h)] for s, h in journal] == want["journal"], tid
            assert counts(store, list(want["rows"])) == want["rows"], tid
            points = store.conn.execute(
                "SELECT customer_id, SUM(points) FROM ledger WHERE customer_id IS NOT NULL "
                "GROUP BY customer_id ORDER BY customer_id"
            )
            assert dict(points.fetchall()) == want["points"], tid
            assert store.ledger.outbox_stats().pending == want["pending"], tid
            assert store.ledger.verify() is None, tid
        finally:
            store.close()


def test_hqs_database_from_the_previous_release_keeps_every_event_and_balance(
    release: Release,
) -> None:
    want = release.manifest["hq"]
    path = release.dir / want["file"]
    hq = HqStore(path, create=False)
    try:
        events = hq.conn.execute(
            "SELECT terminal_id, seq, hash FROM hq_events ORDER BY terminal_id, seq"
        ).fetchall()
        assert [[str(t), int(s), str(h)] for t, s, h in events] == want["events"]
        acked = hq.conn.execute(
            "SELECT terminal_id, acked_seq FROM terminals WHERE acked_seq > 0 ORDER BY terminal_id"
        ).fetchall()
        assert dict(acked) == want["acked"]
    finally:
        hq.close()
    applied = [m.name for m in hq_migrations.applied(Database(path))]
    assert applied[: len(want["migrations"])] == want["migrations"]
    assert hq_migrations.pending(Database(path)) == []
    moved = balances_and_moves(path)
    assert {c: b for c, (b, _) in moved.items()} == want["balances"]
    for cid, (balance, from_moves) in moved.items():
        assert balance == want["opening"][cid] + from_moves, cid


def test_the_new_release_sells_on_and_hq_takes_the_old_unsent_sales_and_the_new(
    release: Release,
) -> None:
    t1 = release.manifest["terminals"]["T1"]
    old_last = t1["journal"][-1][0]
    at = release.made_at + timedelta(days=1)
    store = Store.open_existing(release.dir / t1["file"])
    hq = HqStore(release.dir / release.manifest["hq"]["file"], create=False)
    try:
        session = CheckoutSession(store, FixedClock(at), SequentialIds("up"), "T1", "Shop")
        assert not session.enter(ANNA).refused
        assert not session.enter("COFFEE").refused
        sale = session.commit()
        assert sale.seq == old_last + 1  # the seq goes on, gap-free
        assert store.ledger.verify() is None  # the new row chains onto the release's
        pending = store.ledger.pending_events(1000)
        assert [e.seq for e in pending] == list(range(old_last - t1["pending"] + 1, sale.seq + 1))
        result = ingest(hq, "T1", [e.to_wire() for e in pending], at.isoformat())
        assert [r.status for r in result.results] == ["stored"] * len(pending)
        assert result.acked_through == sale.seq
        store.ledger.mark_acked(result.acked_through, at)
        assert store.ledger.outbox_stats().pending == 0
        count = hq.conn.execute("SELECT COUNT(*) FROM hq_events").fetchone()[0]
        assert count == len(release.manifest["hq"]["events"]) + len(pending)
    finally:
        store.close()
        hq.close()
    opening = release.manifest["hq"]["opening"]
    for cid, (balance, from_moves) in balances_and_moves(release.dir / "hq.db").items():
        assert balance == opening[cid] + from_moves, cid
