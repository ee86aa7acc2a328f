"""Points as lots on both sides: a terminal's own moves replayed over HQ's lots, points a
return gives back going to the lots they came from with their expiry, and an expired
point never spent, shown or revived (issue 13; rules.md "Expired points cannot be
spent, shown or revived")."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.clock import FixedClock, SequentialIds, parse_utc
from agent.codes import make_card_number
from agent.demo import demo_store
from agent.documents import customer_from_doc
from agent.events import Return, Sale
from agent.notice import CommittedSale
from agent.point_lots import lot_expiry
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.expiry import run_expiry
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from tests.conftest import TUESDAY
from tests.sync.hqmoves import balances_and_moves

EWA = make_card_number(60)
WARSAW = ZoneInfo("Europe/Warsaw")
MON_23 = TUESDAY - timedelta(days=1)  # Monday 2026-11-23 10:00 Warsaw
OLD_EXPIRES = datetime.fromisoformat("2026-12-01T00:00:00+01:00")
NEW_EXPIRES = datetime.fromisoformat("2027-06-01T00:00:00+02:00")


def ewa_doc(lots: list[tuple[int, datetime, datetime]]) -> dict[str, Any]:
    return {
        "customer_id": "E1",
        "card": EWA,
        "name": "Ewa",
        "tier": "Bronze",
        "balance": sum(p for p, _, _ in lots),
        "purchases_total": 5,
        "lots": [
            {"points": p, "earned_at": e.isoformat(), "expires_at": x.isoformat()}
            for p, e, x in lots
        ],
    }


R9_LOTS = [
    (300, datetime.fromisoformat("2025-12-01T00:00:00+01:00"), OLD_EXPIRES),
    (800, datetime.fromisoformat("2026-06-01T00:00:00+02:00"), NEW_EXPIRES),
]


def till(path: Path, lots: list[tuple[int, datetime, datetime]], at: datetime) -> CheckoutSession:
    store = demo_store(path)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(dict(ewa_doc(lots), applied_seq=0))],
        ruleset=None,
        cursor="2",
        received_at=at,
    )
    return CheckoutSession(store, FixedClock(at), SequentialIds("s"), "T1", "Test store")


def r9_sale(session: CheckoutSession) -> CommittedSale:
    assert not session.enter(EWA).refused
    assert not session.enter("JACKET").refused
    assert not session.pay_with_points(500).refused
    sale = session.commit()
    assert sale.quote is not None and sale.quote.points_earned == 988
    return sale


def test_a_sale_records_the_lots_its_points_came_from(tmp_path: Path) -> None:
    session = till(tmp_path / "t.db", R9_LOTS, MON_23)
    sale = r9_sale(session)
    record = session.store.ledger.sale_event(sale.seq)
    assert record is not None and isinstance(record.record, Sale)
    assert [(lot.points, parse_utc(lot.expires_at or "")) for lot in record.record.spent_lots] == [
        (300, OLD_EXPIRES),
        (200, NEW_EXPIRES),
    ]


def test_points_spent_here_from_a_lot_that_expires_later_are_not_counted_gone_twice(
    tmp_path: Path,
) -> None:
    session = till(tmp_path / "t.db", R9_LOTS, MON_23)
    r9_sale(session)
    ewa = session.store.catalogue.customer("E1")
    assert ewa is not None
    # The old lot expired on 1 December, but its 300 points were spent here before:
    # what is left is the new lot's 600 and the 988 the sale earned, nothing less.
    later = datetime.fromisoformat("2026-12-05T10:00:00+01:00")
    assert session.store.catalogue.balance(ewa, later) == 600 + 988


def test_a_return_gives_points_back_to_their_lots_and_an_expired_one_stays_expired(
    tmp_path: Path,
) -> None:
    session = till(tmp_path / "t.db", R9_LOTS, MON_23)
    sale = r9_sale(session)
    assert isinstance(session.clock, FixedClock)
    session.clock.at = datetime.fromisoformat("2026-12-05T10:00:00+01:00")
    back = session.desk.commit_return(sale.seq, {"JACKET": 1})
    assert isinstance(back, CommittedSale)
    # 988 reversed; of the 500 that paid, 200 go back to the new lot and the 300 of the
    # lot that expired on 1 December are not revived.
    assert back.balance_after == 1588 - 988 + 200 == 800
    event = session.store.ledger.sale_event(back.seq)
    assert event is not None and isinstance(event.record, Return)
    given_back = [(g.points, parse_utc(g.expires_at or "")) for g in event.record.restored_lots]
    assert given_back == [(200, NEW_EXPIRES), (300, OLD_EXPIRES)]
    ewa = session.store.catalogue.customer("E1")
    assert ewa is not None
    assert session.store.catalogue.balance(ewa, session.clock.now()) == back.balance_after


def hq_with_ewa(path: Path, lots: list[tuple[int, datetime, datetime]]) -> HqStore:
    hq = HqStore(path)
    seed_demo(hq)
    with hq.transaction():
        hq.upsert_customer(ewa_doc(lots))
    return hq


def hq_ewa(hq: HqStore, now: datetime) -> dict[str, Any]:
    run_expiry(hq, now)  # HQ's schedule, not the snapshot, expires lots
    customers = snapshot(hq, "T1", 0, 0, now)["customers"]
    found: dict[str, Any] = next(c for c in customers if c["customer_id"] == "E1")
    return found


def sync(hq: HqStore, store: Store, now: datetime) -> None:
    """What the worker does, in process: upload, acknowledge, download."""
    pending = store.ledger.pending_events(1000)
    if pending:
        ingest(hq, "T1", [e.to_wire() for e in pending], now.isoformat())
        store.ledger.mark_acked(pending[-1].seq, now)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(hq_ewa(hq, now))],
        ruleset=None,
        cursor="3",
        received_at=now,
    )


def test_hq_gives_points_back_to_their_lots_as_the_terminal_did(tmp_path: Path) -> None:
    hq = hq_with_ewa(tmp_path / "hq.db", R9_LOTS)
    session = till(tmp_path / "t.db", R9_LOTS, MON_23)
    sale = r9_sale(session)
    assert isinstance(session.clock, FixedClock)
    session.clock.at = datetime.fromisoformat("2026-12-05T10:00:00+01:00")
    back = session.desk.commit_return(sale.seq, {"JACKET": 1})
    assert isinstance(back, CommittedSale) and back.balance_after == 800
    sync(hq, session.store, session.clock.now())
    ewa = hq_ewa(hq, session.clock.now())
    assert ewa["balance"] == 800
    # The 988 reversed took the new lot's 800 and 188 of the sale's own lot.
    assert [(lot["points"], parse_utc(lot["expires_at"])) for lot in ewa["lots"]] == [
        (800, lot_expiry(MON_23, 365, WARSAW))
    ]
    held = session.store.catalogue.customer("E1")
    assert held is not None
    assert session.store.catalogue.balance(held, session.clock.now()) == 800


class Oracle:
    """The points as plainly as they can be kept: a list of lots, oldest first."""

    def __init__(self, lots: list[tuple[int, datetime, datetime]]) -> None:
        self.outside = 0
        self.lots = sorted([[p, x] for p, _, x in lots], key=lambda lot: lot[1])

    def balance(self, at: datetime) -> int:
        return self.outside + sum(p for p, x in self.lots if x > at)

    def spend(self, points: int, at: datetime) -> None:
        self.lots = [lot for lot in self.lots if lot[1] > at]
        left = points
        for lot in self.lots:
            take = min(left, lot[0])
            lot[0] -= take
            left -= take
        self.lots = [lot for lot in self.lots if lot[0] > 0]
        self.outside -= left

    def gain(self, points: int, expires: datetime, at: datetime) -> None:
        if expires > at:
            self.lots.append([points, expires])
            self.lots.sort(key=lambda lot: lot[1])


lot_sets = st.lists(
    st.tuples(st.integers(100, 3000), st.integers(-10, 90)), min_size=1, max_size=3
).map(
    lambda xs: [
        (p, MON_23 - timedelta(days=400 - i), MON_23 + timedelta(days=d, hours=i))
        for i, (p, d) in enumerate(xs)
    ]
)
steps = st.lists(
    st.tuples(
        st.integers(0, 45), st.sampled_from(["sale", "sale", "return", "sync"]), st.integers(0, 3)
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(lot_sets, steps)
def test_expired_points_are_never_spent_shown_or_revived(
    lots: list[tuple[int, datetime, datetime]], plan: list[tuple[int, str, int]]
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        hq = hq_with_ewa(Path(tmp) / "hq.db", lots)
        session = till(Path(tmp) / "t.db", lots, MON_23)
        clock = session.clock
        assert isinstance(clock, FixedClock)
        oracle = Oracle(lots)
        sales: list[int] = []
        for days, action, pick in plan:
            clock.advance(days=days)
            now = clock.now()
            if action == "sale":
                session.enter(EWA)
                session.enter(["COFFEE", "JACKET", "SCARF", "MILK"][pick])
                session.pay_with_points()  # the most possible, if anything
                sale = session.commit()
                assert sale.quote is not None
                spent = sale.quote.points_redeemed + sale.quote.reward_points
                assert spent <= oracle.balance(now)
                assert all(lot.expires_at > now for lot in sale.quote.lots_used)
                oracle.spend(spent, now)
                oracle.gain(sale.quote.points_earned, lot_expiry(now, 365, WARSAW), now)
                sales.append(sale.seq)
            elif action == "return" and sales:
                seq = sales.pop(random.Random(pick).randrange(len(sales)))
                event = session.store.ledger.sale_event(seq)
                assert event is not None and isinstance(event.record, Sale)
                back = session.desk.commit_return(
                    seq, {ln.sku: ln.qty for ln in event.record.lines}
                )
                assert isinstance(back, CommittedSale)
                record = session.store.ledger.sale_event(back.seq)
                assert record is not None and isinstance(record.record, Return)
                for given_back in record.record.restored_lots:
                    assert given_back.expires_at is not None  # Ewa holds no points outside lots
                    oracle.gain(given_back.points, parse_utc(given_back.expires_at), now)
                oracle.spend(-record.record.points_earned, now)
            elif action == "sync":
                sync(hq, session.store, now)
                assert hq_ewa(hq, now)["balance"] == oracle.balance(now)
                assert balances_and_moves(hq.path)["E1"] == (  # its history: lots, moves
                    oracle.balance(now),
                    oracle.balance(now) - sum(p for p, _, _ in lots),
                )
            ewa = session.store.catalogue.customer("E1")
            assert ewa is not None
            assert session.store.catalogue.balance(ewa, now) == oracle.balance(now)
        session.store.close()
        hq.conn.close()
