"""HQ's fraud signals in `kassa hq report` (issue 14): each planted through real terminal
sessions and HQ's own ingest, and each silent on honest traffic."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.codes import make_card_number
from agent.demo import demo_store
from agent.events import Audit, Sale, read_event
from agent.notice import CommittedSale
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.fraud_settings import FraudSettings
from sync.hq.ingest import ingest
from sync.hq.report import report
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from tests.conftest import ROOT, TUESDAY
from tests.hqproc import HqProcess
from tests.sync.test_partition import till as real_till

EXTRA = 30  # Bench customers C1000... beside the demo's four, at HQ and at every till
ANNA, IVAN, IOANA, MAX = (make_card_number(i) for i in range(1, 5))
BENCH = [make_card_number(1000 + i) for i in range(EXTRA)]


@pytest.fixture
def central(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    with s.transaction():
        for i, card in enumerate(BENCH):
            s.upsert_customer(
                {"customer_id": f"C{1000 + i}", "card": card, "name": f"Bench {i}",
                 "tier": "Bronze", "balance": 5000}
            )  # fmt: skip
    return s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY)


class Till:
    """One terminal: a real checkout session on its own store, uploading into ``hq``."""

    def __init__(self, tmp_path: Path, tid: str, clock: FixedClock, hq: HqStore) -> None:
        self.tid, self.clock, self.hq = tid, clock, hq
        self.store: Store = demo_store(tmp_path / f"{tid}.db", extra_customers=EXTRA)
        self.session = CheckoutSession(self.store, clock, SequentialIds(tid), tid, "Test store")

    def sell(self, card: str | None, sku: str = "COFFEE", cashier: str | None = "K1") -> str:
        """Ring up one sale of ``sku`` for ``card`` (None: no customer); its sale id."""
        self.session.cashier = cashier
        if card is not None:
            self.session.enter(card)
        self.session.enter(sku)
        return self.session.commit().sale_id

    def spend_all(self, card: str) -> str:
        """A jacket paid with every point the till lets the customer spend."""
        self.session.enter(card)
        self.session.enter("JACKET")
        assert not self.session.pay_with_points(None).refused
        return self.session.commit().sale_id

    def give_back(self, sale_id: str, sku: str = "COFFEE", cashier: str | None = "K1") -> None:
        self.session.cashier = cashier
        events = self.store.ledger.pending_events(10_000)
        seq = next(e.seq for e in events if json.loads(e.body).get("sale_id") == sale_id)
        assert isinstance(self.session.desk.commit_return(seq, {sku: 1}), CommittedSale)

    def void(self, manager: str, cashier: str = "K1") -> None:
        """A sale voided with a manager's approval, journalled as the till does."""
        audit = Audit(
            at=self.clock.now().isoformat(),
            action="void",
            cashier=cashier,
            approved_by=manager,
            voided_lines=(("COFFEE", 1, 3990),),
        )
        self.store.ledger.commit_event(audit, self.session.ids.new_id(), self.tid)

    def upload(self) -> None:
        events = [e.to_wire() for e in self.store.ledger.pending_events(10_000)]
        ingest(self.hq, self.tid, events, self.clock.now().isoformat())

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def tills(tmp_path: Path, clock: FixedClock, central: HqStore) -> Any:
    made: list[Till] = []

    def make(tid: str) -> Till:
        made.append(Till(tmp_path, tid, clock, central))
        return made[-1]

    yield make
    for t in made:
        t.close()


def fraud(hq: HqStore, **settings: int) -> dict[str, Any]:
    doc: dict[str, Any] = report(hq, TUESDAY + timedelta(days=10), FraudSettings(**settings))
    return doc["fraud"]


# -- a cashier's own card on sales they ring up ----------------------------------------------


def test_a_cashier_s_own_card_on_sales_they_ring_up_is_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    central.add_staff("K1", "Kasia", ANNA)
    t1 = tills("T1")
    own = [t1.sell(ANNA, cashier="K1")]
    clock.advance(hours=2)
    own.append(t1.sell(ANNA, "SCARF", cashier="K1"))
    t1.sell(IVAN, cashier="K1")  # someone else's card: nothing to say
    t1.upload()
    (entry,) = fraud(central)["own_card"]
    assert (entry["cashier"], entry["card"], entry["customer_id"]) == ("K1", ANNA, "C1")
    assert (entry["sales"], entry["returns"]) == (2, 0)
    assert [e["sale_id"] for e in entry["events"]] == own
    assert entry["events"][0]["at"] == TUESDAY.isoformat()


def test_a_colleague_ringing_up_a_cashier_s_card_is_not_flagged(
    central: HqStore, tills: Any
) -> None:
    central.add_staff("K1", "Kasia", ANNA)
    central.add_staff("K2", "Piotr", None)  # no card of his own
    t1 = tills("T1")
    t1.sell(ANNA, cashier="K2")  # Kasia shops; Piotr rings her up
    t1.sell(IVAN, cashier="K1")
    t1.sell(None, cashier="K2")
    t1.upload()
    assert fraud(central)["own_card"] == []


# -- a cashier whose loyalty sales concentrate on a few cards -----------------------------


def test_a_cashier_whose_loyalty_sales_go_to_a_few_cards_is_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    for i in range(21):  # 15 of 21 on three cards: 71%
        clock.advance(minutes=5)
        t1.sell([IVAN, IOANA, MAX][i % 3] if i < 15 else BENCH[i], cashier="K7")
        t1.sell(BENCH[i], cashier="K1")  # K1's customers are all different
    t1.upload()
    (entry,) = fraud(central)["concentrated_cards"]
    assert entry["cashier"] == "K7"
    assert (entry["loyalty_sales"], entry["cards"], entry["top_share_percent"]) == (21, 9, 71)
    assert {c["card"] for c in entry["top_cards"]} == {IVAN, IOANA, MAX}
    assert [c["sales"] for c in entry["top_cards"]] == [5, 5, 5]


def test_a_cashier_with_many_regulars_is_not_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    for i in range(EXTRA):  # a regular or two come twice; most once
        clock.advance(minutes=5)
        t1.sell(BENCH[i % 24], cashier="K1")
        t1.sell(None, cashier="K1")  # sales without a card do not count either way
    t1.upload()
    assert fraud(central)["concentrated_cards"] == []
    (loose,) = fraud(central, concentration_percent=20)["concentrated_cards"]
    assert (loose["cashier"], loose["top_share_percent"]) == ("K1", 20)
    # ... nor a cashier with few loyalty sales, all on one card
    t1.sell(IVAN, cashier="K3")
    t1.sell(IVAN, cashier="K3")
    t1.upload()
    assert fraud(central)["concentrated_cards"] == []


# -- earn, then return within a few days ---------------------------------------------------


def test_earning_then_returning_within_days_is_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    first = t1.sell(MAX, "JACKET")
    clock.advance(days=1)
    t1.give_back(first, "JACKET", cashier="K2")
    second = t1.sell(MAX, "JACKET")
    clock.advance(hours=30)
    t1.give_back(second, "JACKET", cashier="K2")
    t1.upload()
    (entry,) = fraud(central)["quick_returns"]
    assert (entry["customer_id"], entry["quick_returns"]) == ("C4", 2)
    one, two = entry["pairs"]
    assert (one["sale"]["sale_id"], one["hours_between"], two["hours_between"]) == (first, 24, 30)
    assert one["sale"]["points_earned"] > 0
    assert one["return"]["points_reversed"] == one["sale"]["points_earned"]
    assert one["return"]["cashier"] == "K2"


def test_returns_after_some_days_or_without_points_are_not_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    first, cash = t1.sell(MAX, "JACKET"), t1.sell(None, "JACKET")
    clock.advance(days=1)
    t1.give_back(first, "JACKET")  # one quick return: it happens
    t1.give_back(cash, "JACKET")  # no card, no points
    second = t1.sell(MAX, "JACKET")
    clock.advance(days=5)
    t1.give_back(second, "JACKET")  # well after
    t1.upload()
    assert fraud(central)["quick_returns"] == []
    (slower,) = fraud(central, return_within_days=6)["quick_returns"]
    assert [p["hours_between"] for p in slower["pairs"]] == [24, 120]


# -- one card at two stores, too close in time to travel -----------------------------------


def test_one_card_at_two_stores_too_soon_is_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1, t2 = tills("T1"), tills("T2")
    central.set_terminal_store("T1", "Krakow")
    central.set_terminal_store("T2", "Gdansk")
    here = t1.sell(IOANA)
    clock.advance(minutes=12)
    there = t2.sell(IOANA)
    t1.upload()
    t2.upload()
    (entry,) = fraud(central)["too_fast_travel"]
    assert (entry["customer_id"], entry["card"], entry["minutes_between"]) == ("C3", IOANA, 12)
    assert [(u["store_id"], u["sale_id"]) for u in entry["uses"]] == [
        ("Krakow", here),
        ("Gdansk", there),
    ]


def test_one_card_at_two_tills_of_a_store_or_after_the_journey_is_not_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1, t2, t3 = tills("T1"), tills("T2"), tills("T3")
    central.set_terminal_store("T1", "Krakow")
    central.set_terminal_store("T2", "Krakow")
    central.set_terminal_store("T3", "Gdansk")
    t1.sell(IOANA)
    clock.advance(minutes=3)
    t2.sell(IOANA)  # forgot the milk: the next till of the same store
    clock.advance(minutes=45)
    t3.sell(IOANA)  # the other store, after time enough to get there
    t1.sell(IVAN)  # another card meanwhile
    for t in (t1, t2, t3):
        t.upload()
    assert fraud(central)["too_fast_travel"] == []
    (slow,) = fraud(central, travel_minutes=60)["too_fast_travel"]  # a setting, not a constant
    assert [u["store_id"] for u in slow["uses"]] == ["Krakow", "Gdansk"]
    with pytest.raises(ValueError, match="no terminal"):
        central.set_terminal_store("T99", "Krakow")


def test_too_fast_travel_through_the_real_hq_and_its_report_command(
    hq: HqProcess, tmp_path: Path
) -> None:
    """Two real tills upload to the real HQ process; `kassa hq report` names the card."""
    HqStore(hq.db, create=False).set_terminal_store("T2", "Gdansk")  # T1 stays in "main"
    one, two = real_till(hq, tmp_path, "T1"), real_till(hq, tmp_path, "T2")
    for t, minutes in ((one, 0), (two, 20)):
        assert isinstance(t.clock, FixedClock) and t.sync is not None
        assert t.sync.run_once(t.store).pending == 0  # the programme and customers, from HQ
        t.session.reset()
        t.clock.advance(minutes=minutes)
        t.session.cashier = "K1"
        t.session.enter(IVAN)
        t.session.enter("COFFEE")
        t.session.commit()
        assert t.sync.run_once(t.store).pending == 0
        t.store.close()
    at = ["--at", (TUESDAY + timedelta(days=1)).isoformat()]
    doc = json.loads(kassa("hq", "report", "--db", str(hq.db), "--json", *at).stdout)
    (entry,) = doc["fraud"]["too_fast_travel"]
    assert (entry["card"], entry["minutes_between"]) == (IVAN, 20)
    assert [u["store_id"] for u in entry["uses"]] == ["main", "Gdansk"]
    text = kassa("hq", "report", "--db", str(hq.db), *at).stdout
    assert f"TOO FAST TRAVEL: card {IVAN} (C2) used at store main" in text
    assert "20 min apart (less than 30)" in text
    wider = kassa("hq", "report", "--db", str(hq.db), "--json", *at, "--set", "travel_minutes=15")
    assert json.loads(wider.stdout)["fraud"]["too_fast_travel"] == []


# -- adjustments and voids per manager ----------------------------------------------------


def test_a_manager_approving_many_voids_and_adjustments_is_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    for _ in range(20):
        clock.advance(minutes=7)
        t1.void("M1")
    t1.session.enter(IVAN)
    for _ in range(3):
        assert not t1.session.desk.adjust_points(2000, "goodwill", "M2", "M2").refused
    t1.void("M3")  # a void now and then
    t1.upload()
    m1, m2 = fraud(central)["manager_overrides"]
    assert (m1["manager"], m1["voids"], m1["adjustments"], m1["self_approved"]) == ("M1", 20, 0, 0)
    assert (m1["first_at"], m1["last_at"]) == (
        (TUESDAY + timedelta(minutes=7)).isoformat(),
        (TUESDAY + timedelta(minutes=140)).isoformat(),
    )
    # three adjustments, but 6,000 points moved, each approved by the one who asked
    assert (m2["manager"], m2["adjustments"], m2["points_adjusted"], m2["self_approved"]) == (
        "M2",
        3,
        6000,
        3,
    )
    assert [m["manager"] for m in fraud(central, max_voids=2)["manager_overrides"]] == ["M1", "M2"]


def test_a_manager_s_occasional_voids_and_adjustments_are_not_flagged(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    t1 = tills("T1")
    for _ in range(5):
        clock.advance(hours=1)
        t1.void("M1")
    t1.session.enter(IVAN)
    assert not t1.session.desk.adjust_points(-150, "double scan", "K1", "M1").refused
    t1.upload()
    assert fraud(central)["manager_overrides"] == []
    # ... nor the busy month before the report's window
    assert fraud(central, max_voids=3)["manager_overrides"] != []
    late = report(central, TUESDAY + timedelta(days=45), FraudSettings(max_voids=3))
    assert late["fraud"]["manager_overrides"] == []


# -- negative point and gift card balances ----------------------------------------------


def test_negative_point_and_gift_card_balances_are_flagged_with_their_events(
    central: HqStore, tills: Any
) -> None:
    t1, t2 = tills("T1"), tills("T2")
    spent = [t1.spend_all(ANNA), t2.spend_all(ANNA)]  # 3,000 points each, offline
    paid = []
    for t in (t1, t2):  # the 50.00 card pays 39.90 at each till
        t.session.enter("COFFEE")
        t.session.enter("GC0000000001")
        paid.append(t.session.commit().sale_id)
    t1.upload()
    t2.upload()
    signals = fraud(central)
    (anna,) = signals["negative_points"]
    assert (anna["customer_id"], anna["card"]) == ("C1", ANNA) and anna["balance"] < 0
    assert {e["sale_id"] for e in anna["events"]} == set(spent)
    (card,) = signals["negative_gift_cards"]
    assert (card["card"], card["balance_minor"]) == ("GC0000000001", 5000 - 2 * 3990)
    assert {e["sale_id"] for e in card["events"]} == set(paid)
    text = "\n".join(report_text(central))
    assert f"NEGATIVE balance C1: {anna['balance']} points (card {ANNA})" in text
    assert "NEGATIVE gift card GC0000000001: -29.80 PLN; paid: T" in text


def test_spending_within_the_balance_leaves_no_negative_balance(
    central: HqStore, tills: Any
) -> None:
    t1 = tills("T1")
    t1.spend_all(ANNA)
    t1.session.enter("COFFEE")
    t1.session.enter("GC0000000001")
    t1.session.commit()
    t1.upload()
    signals = fraud(central)
    assert signals["negative_points"] == [] and signals["negative_gift_cards"] == []


# -- the report command ------------------------------------------------------------------


def kassa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def report_text(hq: HqStore) -> list[str]:
    from sync.hq.fraud_text import fraud_lines

    return fraud_lines(fraud(hq))


def test_the_report_names_each_signal_in_plain_words_and_takes_its_settings(
    central: HqStore, tills: Any, clock: FixedClock
) -> None:
    db = central.path
    staff = kassa("hq", "add-staff", "--db", db, "--id", "K1", "--name", "Kasia", "--card", ANNA)
    assert staff.returncode == 0, staff.stderr
    t1 = tills("T1")
    sale = t1.sell(ANNA, "JACKET", cashier="K1")
    clock.advance(hours=5)
    t1.give_back(sale, "JACKET", cashier="K1")
    t1.upload()
    at = ["--at", (TUESDAY + timedelta(days=1)).isoformat()]
    out = kassa("hq", "report", "--db", db, *at, "--set", "quick_returns_min=1")
    assert out.returncode == 0, out.stderr
    assert (
        f"OWN CARD: cashier K1 (Kasia) rang up 1 sale(s) and 1 return(s) on their own card {ANNA}"
    ) in out.stdout
    assert (
        f"EARN THEN RETURN: customer C1 returned 1 sales within 3 days of earning on them: {sale}"
    ) in out.stdout
    assert "points, returned 5 h later" in out.stdout
    quiet = kassa("hq", "report", "--db", db, "--at", (TUESDAY + timedelta(days=40)).isoformat())
    assert "fraud signals since 2026-12-04T09:00:00+00:00: none" in quiet.stdout
    bad = kassa("hq", "report", "--db", db, "--set", "travel_minute=5")
    assert bad.returncode != 0 and "no fraud setting 'travel_minute'" in bad.stderr
    added = kassa(
        "hq",
        "add-terminal",
        "--db",
        db,
        "--id",
        "T9",
        "--secret",
        "0123456789abcdef" * 2,
        "--store",
        "Lodz",
    )
    assert added.returncode == 0, added.stderr
    (store_id,) = central.conn.execute(
        "SELECT store_id FROM terminals WHERE terminal_id='T9'"
    ).fetchone()
    assert store_id == "Lodz"


def test_hq_re_prices_a_sale_that_names_its_cashier_as_the_terminal_did(
    central: HqStore, tills: Any
) -> None:
    from sync.hq.reprice import reprice
    from sync.hq.reprice_view import view_of

    t1 = tills("T1")
    t1.sell(ANNA, "JACKET", cashier="K1")
    (event,) = t1.store.ledger.pending_events(10)
    sale = read_event(event.kind, event.body).record
    assert isinstance(sale, Sale) and sale.cashier == "K1"
    assert reprice(sale, view_of(central, "T1", sale)) == []
