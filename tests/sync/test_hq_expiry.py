"""The lifecycle of points at HQ (issue 14): lots expired are written down as expiry
moves, once, by the expiry run (scheduled inside the server, and `kassa hq expire`), a
snapshot or an event alike; a balance is the sum of its moves; `kassa hq report` shows
points expired; R27's and R28's numbers agree between the terminal and HQ."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.clock import FixedClock
from agent.codes import make_card_number
from agent.demo import CUSTOMERS, RULESET
from agent.documents import customer_from_doc
from agent.notice import CommittedSale
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.expiry import ExpiryRun, expire_every, run_expiry
from sync.hq.ingest import ingest
from sync.hq.report import report
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from sync.worker import SyncState
from tests.agent.rules_fixtures import lot_doc
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.sync.hqmoves import balances_and_moves, moves
from tests.sync.test_e2e import kassa
from tests.sync.test_partition import till
from tests.sync.test_point_lots import MON_23, R9_LOTS, hq_with_ewa, r9_sale, sync
from tests.sync.test_point_lots import till as lots_till

R27 = make_card_number(227)
RITA = make_card_number(60)
BOOTS = {"sku": "BOOTS", "name": "Boots", "price_minor": 17647, "category": "shoes"}


lot = lot_doc  # a lot earned at a store time, expiring a year later

R27_LOTS = [lot(300, "2025-11-20T10:00:00+01:00"), lot(800, "2026-06-01T10:00:00+02:00")]


def add_customer(
    hq: HqStore, cid: str, card: str, lots: list[dict[str, Any]], **extra: Any
) -> None:
    with hq.transaction():
        hq.upsert_customer(
            {
                "customer_id": cid,
                "card": card,
                "name": cid,
                "tier": "Bronze",
                "balance": sum(int(x["points"]) for x in lots),
                "lots": lots,
                "purchases_total": 3,
                **extra,
            }
        )


@pytest.fixture
def hq_store(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def upload(hq: HqStore, store: Store, at: datetime = TUESDAY) -> None:
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(50)], at.isoformat())


def sync_down(hq: HqStore, store: Store, now: datetime) -> None:
    """What HQ's snapshot at ``now`` says of its customers, as a terminal takes it."""
    run_expiry(hq, now)  # HQ's schedule, not the snapshot, expires lots
    docs = snapshot(hq, "T1", 0, 0, now)["customers"]
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(d) for d in docs],
        ruleset=None,
        cursor="3",
        received_at=now,
    )


# -- in HQ's store ------------------------------------------------------------------------------
def test_the_expiry_run_writes_a_move_per_lot_once(hq_store: HqStore) -> None:
    add_customer(hq_store, "R27", R27, copy.deepcopy(R27_LOTS))
    two = [lot(100, "2025-11-01T12:00:00+01:00"), lot(50, "2025-11-02T12:00:00+01:00")]
    add_customer(hq_store, "E1", make_card_number(50), two)
    assert run_expiry(hq_store, TUESDAY) == ExpiryRun(customers=2, lots=3, points=450)
    assert moves(hq_store.path) == [
        ("R27", 300, "2026-11-20T09:00:00.000000+00:00"),
        ("E1", 100, "2026-11-01T11:00:00.000000+00:00"),
        ("E1", 50, "2026-11-02T11:00:00.000000+00:00"),
    ]
    assert run_expiry(hq_store, TUESDAY) == ExpiryRun()  # the second run: nothing new
    assert run_expiry(hq_store, TUESDAY + timedelta(days=1)) == ExpiryRun()
    assert len(moves(hq_store.path)) == 3
    got = {c["customer_id"]: c for c in snapshot(hq_store, "T1", 0, 0)["customers"]}
    assert (got["R27"]["balance"], got["E1"]["balance"]) == (800, 0)
    assert [x["points"] for x in got["R27"]["lots"]] == [800] and got["E1"]["lots"] == []


def test_a_snapshot_only_reads_and_the_run_writes_the_moves_once(hq_store: HqStore) -> None:
    # Issue 15: a poll costs HQ no scan of every customer; expiry runs on HQ's schedule.
    add_customer(hq_store, "R27", R27, copy.deepcopy(R27_LOTS))
    snapshot(hq_store, "T1", 0, 0, TUESDAY)
    assert moves(hq_store.path) == []
    assert run_expiry(hq_store, TUESDAY) == ExpiryRun(customers=1, lots=1, points=300)
    assert moves(hq_store.path) == [("R27", 300, "2026-11-20T09:00:00.000000+00:00")]
    snapshot(hq_store, "T1", 0, 0, TUESDAY)
    assert run_expiry(hq_store, TUESDAY) == ExpiryRun()
    assert len(moves(hq_store.path)) == 1


def test_an_event_writes_the_move_of_the_lot_it_finds_expired(
    hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    add_customer(hq_store, "R27", R27, copy.deepcopy(R27_LOTS))
    # The terminal heard of the customer before HQ expired anything (a snapshot without time).
    docs = snapshot(hq_store, "T1", 0, 0)["customers"]
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(d) for d in docs],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
    )
    session.enter(R27)
    session.enter("COFFEE")
    sale = session.commit()
    assert sale.quote is not None and sale.balance_after == 800 + sale.quote.points_earned
    upload(hq_store, store)
    assert moves(hq_store.path) == [("R27", 300, "2026-11-20T09:00:00.000000+00:00")]
    assert run_expiry(hq_store, TUESDAY) == ExpiryRun()
    balance, from_moves = balances_and_moves(hq_store.path)["R27"]
    assert balance == sale.balance_after == 1100 + from_moves


def test_a_balance_is_the_sum_of_its_moves_through_a_year_of_earning_spending_and_expiry(
    hq_store: HqStore, session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    max_card = make_card_number(4)  # Max: no points yet
    session.enter(max_card)
    session.enter("JACKET")
    first = session.commit()
    assert first.quote is not None and first.quote.points_earned > 0
    upload(hq_store, store)
    clock.advance(days=200)
    sync_down(hq_store, store, clock.now())
    session.enter(max_card)
    session.enter("JACKET")
    assert not session.pay_with_points(500).refused  # from the first lot, the oldest
    second = session.commit()
    upload(hq_store, store, clock.now())
    a_year_on = TUESDAY + timedelta(days=366)
    run = run_expiry(hq_store, a_year_on)
    assert run.points == first.quote.points_earned - 500  # what was left of the first lot
    balance, from_moves = balances_and_moves(hq_store.path)["C4"]
    assert second.balance_after is not None
    assert balance == from_moves == second.balance_after - run.points
    opening = {str(c["customer_id"]): int(c["balance"]) for c in CUSTOMERS}
    for cid, (balance, from_moves) in balances_and_moves(hq_store.path).items():
        assert balance == opening[cid] + from_moves, cid  # every customer's, not only Max's


def test_the_schedule_expires_what_its_clock_says_is_due(hq_store: HqStore) -> None:
    add_customer(hq_store, "R27", R27, copy.deepcopy(R27_LOTS))
    now = [TUESDAY - timedelta(days=10)]  # before either lot expires

    async def until(count: int) -> None:
        for _ in range(500):
            if len(moves(hq_store.path)) == count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"not {count} moves: {moves(hq_store.path)}")

    async def scenario() -> None:
        task = asyncio.create_task(expire_every(hq_store, 0.01, lambda: now[0]))
        await asyncio.sleep(0.1)
        assert moves(hq_store.path) == []
        now[0] = TUESDAY
        await until(1)
        now[0] = TUESDAY + timedelta(days=200)  # the second lot expires on 1 June 2027
        await until(2)
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(scenario())
    assert moves(hq_store.path) == [
        ("R27", 300, "2026-11-20T09:00:00.000000+00:00"),
        ("R27", 800, "2027-06-01T08:00:00.000000+00:00"),
    ]


def test_points_a_return_gives_back_to_a_lot_expired_are_an_expiry_move(tmp_path: Path) -> None:
    hq = hq_with_ewa(tmp_path / "hq.db", R9_LOTS)  # 300 expiring 1 Dec, 800 next June
    session = lots_till(tmp_path / "t.db", R9_LOTS, MON_23)
    sale = r9_sale(session)  # 500 paid: the 300 and 200 of the 800
    sync(hq, session.store, session.clock.now())
    assert isinstance(session.clock, FixedClock)
    session.clock.at = datetime.fromisoformat("2026-12-05T10:00:00+01:00")
    back = session.desk.commit_return(sale.seq, {"JACKET": 1})
    assert isinstance(back, CommittedSale) and back.balance_after == 800
    sync(hq, session.store, session.clock.now())
    # The 300 given back to the lot that expired on 1 December expire at the return.
    assert moves(hq.path) == [("E1", 300, "2026-12-05T09:00:00.000000+00:00")]
    assert balances_and_moves(hq.path)["E1"] == (800, 800 - 1100)


def test_the_report_sums_points_expired_per_store_day_in_its_window(hq_store: HqStore) -> None:
    lots = [
        lot(100, "2025-11-01T12:00:00+01:00"),
        lot(50, "2025-11-02T00:30:00+01:00"),  # 2 Nov in Warsaw, 1 Nov in UTC
        lot(20, "2025-11-02T18:00:00+01:00"),
        lot(7, "2025-11-20T10:00:00+01:00"),
    ]
    add_customer(hq_store, "E1", make_card_number(50), lots)
    run_expiry(hq_store, TUESDAY)
    assert report(hq_store)["points_expired"] == {
        "since": None,
        "until": None,
        "total": 177,
        "per_day": [
            {"day": "2026-11-01", "points": 100},
            {"day": "2026-11-02", "points": 70},
            {"day": "2026-11-20", "points": 7},
        ],
    }
    window = report(hq_store, since=date(2026, 11, 2), until=date(2026, 11, 19))["points_expired"]
    assert (window["total"], window["per_day"]) == (70, [{"day": "2026-11-02", "points": 70}])


# -- the real HQ process ------------------------------------------------------------------------
def restart(hq: HqProcess, at: datetime, **customers: list[dict[str, Any]]) -> None:
    """HQ again at ``at``, holding these customers (id -> their lots) beside the demo's."""
    hq.kill()
    hq_store = HqStore(hq.db)
    for cid, lots in customers.items():
        add_customer(hq_store, cid, R27 if cid == "R27" else make_card_number(51), lots)
    hq.fixed_time = at
    hq.start()


def expired(hq: HqProcess) -> dict[str, Any]:
    gone = hq.report()["points_expired"]
    assert isinstance(gone, dict)
    return gone


def test_kassa_hq_expire_writes_the_moves_and_kassa_hq_report_shows_them(hq: HqProcess) -> None:
    restart(hq, TUESDAY, R27=copy.deepcopy(R27_LOTS), E2=[lot(40, "2026-01-10T12:00:00+01:00")])
    db = str(hq.db)
    at = (TUESDAY + timedelta(days=60)).isoformat()  # E2's lot expires on 10 Jan 2027
    out = kassa("hq", "expire", "--db", db, "--at", at)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "40 points expired (1 lots of 1 customers)"  # R27's at start
    again = kassa("hq", "expire", "--db", db, "--at", at)
    assert again.stdout.strip() == "0 points expired (0 lots of 0 customers)"
    assert sorted((c, p) for c, p, _ in moves(db)) == [("E2", 40), ("R27", 300)]
    assert expired(hq)["per_day"] == [
        {"day": "2026-11-20", "points": 300},
        {"day": "2027-01-10", "points": 40},
    ]
    text = kassa("hq", "report", "--db", db, "--since", "2027-01-01")
    assert "points expired 40" in text.stdout and "2027-01-10: 40 points expired" in text.stdout
    balances = balances_and_moves(db)
    assert balances["R27"] == (800, -300) and balances["E2"] == (0, -40)


def test_the_server_runs_expiry_on_its_schedule(hq: HqProcess) -> None:
    hq.expire_every_s = 0.2
    restart(hq, TUESDAY, R27=copy.deepcopy(R27_LOTS))
    deadline = time.monotonic() + 20
    while expired(hq)["total"] != 300:
        assert time.monotonic() < deadline, "HQ did not expire R27's old lot on its schedule"
        time.sleep(0.2)
    time.sleep(1.0)  # several runs more: nothing written again
    assert moves(hq.db) == [("R27", 300, "2026-11-20T09:00:00.000000+00:00")]
    assert balances_and_moves(hq.db)["R27"] == (800, -300)


def test_R27_the_terminal_and_hq_agree_on_expired_points(hq: HqProcess, tmp_path: Path) -> None:
    restart(hq, TUESDAY, R27=copy.deepcopy(R27_LOTS))
    t = till(hq, tmp_path, "T1")
    try:
        assert t.sync is not None
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        t.session.enter(R27)
        t.session.enter("JACKET")
        assert t.session.quote().max_redeemable == 800  # not 1100
        assert t.session.pay_with_points().text == "800 points pay 8.00 PLN"
        sale = t.session.commit()
        assert sale.quote is not None and sale.quote.to_pay.minor == 49100
        assert (sale.quote.points_earned, sale.balance_after) == (982, 982)
        assert t.sync.run_once(t.store).pending == 0
        # The sale changed nothing HQ sends that the till does not compute itself, so
        # HQ's figure comes back with the next poll (issue 15: no poll after each upload).
        assert t.sync.download(t.store)
        here = t.store.catalogue.customer("R27")
        assert here is not None and here.hq_balance == 982  # HQ's own figure, sent back
        assert [x.points for x in here.lots] == [982]  # 800 spent, 982 earned: one lot
    finally:
        t.close()
    assert balances_and_moves(hq.db)["R27"] == (982, 982 - 800 - 300)  # 1100 + moves
    assert expired(hq)["per_day"] == [{"day": "2026-11-20", "points": 300}]


def publish_lowering_programme(db: Path) -> None:
    doc = copy.deepcopy(RULESET)
    doc["version"] = 2
    doc["tier_qualification"] = {"window_days": 365, "starts": "next_sale", "lower": True}
    path = db.parent / "lowering.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = kassa("hq", "publish", "--db", str(db), str(path))
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("lower", [False, True])
def test_R28_the_tier_reaches_the_terminal_with_the_next_snapshot(
    hq: HqProcess, tmp_path: Path, lower: bool
) -> None:
    hq.kill()
    hq_store = HqStore(hq.db)
    with hq_store.transaction():
        hq_store.upsert_product(dict(BOOTS, currency="PLN"))
        hq_store.upsert_customer(
            {
                "customer_id": "R1",
                "card": RITA,
                "name": "Rita",
                "tier": "Bronze",
                "balance": 0,
                "purchases_total": 7,
                "month_purchases": ["2026-11", 2],  # HQ knows 2 purchases this month
                "tier_spend_minor": 80000,
            }
        )
    if lower:
        publish_lowering_programme(hq.db)
    hq.fixed_time = TUESDAY
    hq.start()
    t = till(hq, tmp_path, "T1")
    try:
        assert t.sync is not None
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        for item in ("BOOTS", "JACKET"):  # both sold before the terminal syncs
            t.session.enter(RITA)
            t.session.enter(item)
            sale = t.session.commit()
            assert sale.quote is not None
        assert (sale.quote.points_earned, sale.quote.discount.minor) == (998, 0)  # Bronze
        assert t.sync.run_once(t.store).pending == 0
        rita = t.store.catalogue.customer("R1")
        assert rita is not None and (rita.tier, rita.tier_spend_minor) == ("Silver", 144900)
        t.session.enter(RITA)
        t.session.enter("COFFEE")
        coffee = t.session.commit()
        q = coffee.quote
        assert q is not None and q.discount_by("TIER") == 200
        assert (q.total.minor, q.points_earned) == (3790, 56)
        assert t.sync.run_once(t.store).pending == 0

        hq.kill()  # a year and two days later: the sales' spend has aged out
        hq.fixed_time = TUESDAY + timedelta(days=367)
        hq.start()
        assert isinstance(t.clock, FixedClock)
        t.clock.advance(days=367)
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        rita = t.store.catalogue.customer("R1")
        assert rita is not None and rita.tier_spend_minor == 80000  # the figure never ages
        assert rita.tier == ("Bronze" if lower else "Silver")
    finally:
        t.close()
