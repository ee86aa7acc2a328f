"""HQ ingest: exactly once by (terminal, seq), gaps answered, altered history refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import BadBatch
from agent.model import OfflinePolicy
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.ingest import ingest
from sync.hq.report import report
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore

AT = "2026-11-24T09:00:00+00:00"


@pytest.fixture
def hq_store(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def events(session: CheckoutSession, store: Store, n: int) -> list[dict[str, object]]:
    for i in range(n):
        session.enter("2900000000018")
        session.add("MILK", 1 + i)
        session.commit()
    return [e.to_wire() for e in store.ledger.pending_events(100)]


def test_each_sale_is_stored_once_and_moves_the_balance(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = events(session, store, 3)
    first = ingest(hq_store, "T1", evs, AT)
    again = ingest(hq_store, "T1", evs, AT)
    assert first.acked_through == 3 and [r.status for r in first.results] == ["stored"] * 3
    assert again.acked_through == 3 and [r.status for r in again.results] == ["duplicate"] * 3
    summary = report(hq_store)
    assert summary["total"]["sales"] == 3
    snap = snapshot(hq_store, "T1", 0, 0)
    anna = next(c for c in snap["customers"] if c["customer_id"] == "C1")
    # MILK x1, x2, x3 at Tuesday 10:00: 4 points; 9; the third is Anna's 3rd purchase this
    # month (counted from this terminal's unsynced sales), so THIRD15 and MILK3FOR2 leave
    # 7.65 paid: 7 points.
    assert anna["balance"] == 3000 + 4 + 9 + 7 and anna["applied_seq"] == 3
    assert anna["month_purchases"] == ["2026-11", 3] and anna["purchases_total"] == 15


def test_a_gap_is_answered_with_the_seq_hq_expects(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = events(session, store, 3)
    result = ingest(hq_store, "T1", evs[1:], AT)
    assert result.acked_through == 0 and result.results == []
    assert report(hq_store)["total"]["sales"] == 0


def test_same_seq_with_another_body_is_refused_and_flagged(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = events(session, store, 1)
    ingest(hq_store, "T1", evs, AT)
    forged = dict(evs[0], hash="f" * 64)
    result = ingest(hq_store, "T1", [forged], AT)
    assert [r.status for r in result.results] == ["conflict"]
    assert report(hq_store)["conflicts"] == 1
    assert report(hq_store)["total"]["sales"] == 1


def test_a_batch_that_breaks_the_chain_is_refused_whole(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = events(session, store, 2)
    altered = dict(evs[1], body=str(evs[1]["body"]).replace('"qty":2', '"qty":1'))
    with pytest.raises(BadBatch, match="hash chain"):
        ingest(hq_store, "T1", [evs[0], altered], AT)
    assert report(hq_store)["total"]["sales"] == 0  # the good first event rolled back too


def test_an_allowance_is_hidden_from_other_terminals_and_used_up_by_its_own(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    hq_store.add_terminal("T2", "s2")
    hq_store.grant_allowance("T1", "C1", 1200)

    def anna(terminal: str) -> dict[str, object]:
        snap = snapshot(hq_store, terminal, 0, 0)
        return next(c for c in snap["customers"] if c["customer_id"] == "C1")

    assert (anna("T1")["balance"], anna("T1")["allowance"]) == (3000, 1200)
    assert (anna("T2")["balance"], anna("T2")["allowance"]) == (3000 - 1200, 0)
    session.enter("2900000000018")
    session.add("COFFEE", 2)
    session.pay_with_points(800)
    session.commit()
    ingest(hq_store, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], AT)
    t1, t2 = anna("T1"), anna("T2")
    assert t1["allowance"] == 400  # 800 of the 1,200 spent at T1
    assert isinstance(t1["balance"], int) and isinstance(t2["balance"], int)
    assert t2["balance"] == t1["balance"] - 400


def test_the_policy_travels_in_every_snapshot(hq_store: HqStore) -> None:
    assert snapshot(hq_store, "T1", 0, 0)["policy"] == OfflinePolicy().to_doc()
    hq_store.set_policy(OfflinePolicy(2000, 3600, 100))
    snap = snapshot(hq_store, "T1", 10**9, 0)  # nothing else changed since: policy still there
    assert snap["policy"] == {
        "daily_points": 2000,
        "stale_after_s": 3600,
        "stale_daily_points": 100,
        "typed_check": True,
        "manager_lift": False,
        "max_adjust_points": 10_000,
        "confirm_adjust_points": 1_000,
        "gift_card_daily_minor": 5_000,
        "stale_gift_card_daily_minor": 0,
        "foreign_returns_offline": "refuse",
    }


def test_the_same_new_card_enrolled_at_two_tills_is_flagged_not_refused(
    hq_store: HqStore, tmp_path: Path
) -> None:
    from agent.clock import FixedClock, SequentialIds
    from agent.codes import make_card_number
    from agent.demo import RECEIVED_AT, demo_store

    card = make_card_number(777)
    hq_store.add_terminal("T2", "s2")
    for tid in ("T1", "T2"):
        till = demo_store(tmp_path / f"{tid}.db")
        counter = CheckoutSession(till, FixedClock(RECEIVED_AT), SequentialIds(tid), tid, "S")
        assert not counter.desk.enrol("Ewa", card, terms=True, marketing=False).refused
        result = ingest(hq_store, tid, [e.to_wire() for e in till.ledger.pending_events(10)], AT)
        assert [r.status for r in result.results] == ["stored"]  # the queue moves on
        till.close()
    owners = [c for c in snapshot(hq_store, "T1", 0, 0)["customers"] if c["card"] == card]
    assert [c["customer_id"] for c in owners] == ["T1-T1-1"]  # the first enrolment keeps it
    assert report(hq_store)["conflicts"] == 1
