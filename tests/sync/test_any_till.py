"""Returns at any till of the chain, against the real HQ process: a receipt of another
till is fetched from HQ (which holds the sale and every return of it), priced after the
returns made anywhere, applied by HQ against the right sale; offline, HQ's policy says
whether it is refused or a manager gives the money back without the points."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agent.events import Return, Sale
from agent.foreign_desk import FOREIGN_OFFLINE
from agent.notice import CommittedSale, Notice
from agent.refunds import RefundQuote, refund
from sync.worker import SyncState
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.sync.test_e2e import kassa
from tests.sync.test_partition import hq_balances, till
from ui.services import Services

pytestmark = pytest.mark.e2e
ANNA = "2900000000018"


def online(*tills: Services) -> None:
    for t in tills:
        assert t.sync is not None
        assert t.sync.run_once(t.store).state is SyncState.ONLINE
        assert t.store.ledger.outbox_stats().pending == 0


def sell(t: Services, **lines: int) -> Sale:
    t.session.enter(ANNA)
    for sku, qty in lines.items():
        t.session.add(sku, qty)
    done = t.session.commit()
    assert isinstance(done, CommittedSale)
    event = t.store.ledger.sale_event(done.seq)
    assert event is not None and isinstance(event.record, Sale)
    return event.record


def hq_rows(hq: HqProcess, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def start_at_tuesday(hq: HqProcess, *policy: str) -> None:
    hq.kill()
    hq.fixed_time = TUESDAY  # HQ signs with the clock the tills read
    if policy:
        out = kassa("hq", "set-policy", "--db", str(hq.db), *policy)
        assert out.returncode == 0, out.stderr
    hq.start()


def test_a_sale_at_one_till_is_returned_at_another_and_never_twice(
    hq: HqProcess, tmp_path: Path
) -> None:
    start_at_tuesday(hq)
    t1, t2, t3 = (till(hq, tmp_path, f"T{i}") for i in (1, 2, 3))
    try:
        online(t1, t2, t3)
        sale = sell(t1, COFFEE=3, MILK=3)
        online(t1)
        before = hq_balances(hq)["C1"]

        notice = t2.session.enter("T1:1")  # the receipt's QR, at another till
        assert notice.text == "Receipt T1:1 of till T1, from HQ: choose the lines to return"
        assert t2.session.desk.returnable(1, "T1") == [
            (ln.key, ln.name, ln.qty) for ln in sale.lines
        ]
        quote = t2.session.desk.preview_return(1, {"COFFEE": 1}, "T1")
        assert isinstance(quote, RefundQuote)
        assert quote == refund(sale.lines, {"COFFEE": 1})  # points and money as refund() has
        assert quote.points_reversed > 0 and quote.money_minor > 0
        back = t2.session.desk.commit_return(1, {"COFFEE": 1}, "T1")
        assert isinstance(back, CommittedSale)
        # not uploaded yet: this till counts its own return of it, HQ does not know it
        left = t2.session.desk.returnable(1, "T1")
        assert left == [("COFFEE", sale.lines[0].name, 2), ("MILK", sale.lines[1].name, 3)]
        online(t2)

        ((body, status),) = hq_rows(
            hq, "SELECT body, kind FROM hq_events WHERE terminal_id='T2' AND kind='return'"
        )
        doc = json.loads(str(body))
        assert (doc["original_terminal_id"], doc["original_seq"]) == ("T1", 1)
        assert doc["original_sale_id"] == sale.sale_id and status == "return"
        assert hq.report()["quarantined"] == []  # HQ re-priced it against T1's sale
        assert hq_balances(hq)["C1"] == before - quote.points_reversed + quote.points_restored

        # the same lines again, anywhere: at the till that sold, at a third, at T2 again
        for t, terminal in ((t1, None), (t3, "T1"), (t2, "T1")):
            twice = t.session.desk.commit_return(1, {"COFFEE": 3}, terminal)
            assert isinstance(twice, Notice) and twice.refused, t.config.terminal_id
            assert twice.text.startswith("Return refused:")
        # what is left comes back at the till that sold, priced after T2's return
        rest = t1.session.desk.preview_return(1, {"COFFEE": 2})
        assert rest == refund(sale.lines, {"COFFEE": 2}, {"COFFEE": 1})
        assert isinstance(t1.session.desk.commit_return(1, {"COFFEE": 2}), CommittedSale)
        online(t1)
        assert hq.report()["quarantined"] == []
        assert isinstance(rest, RefundQuote)
        after = before - quote.points_reversed - rest.points_reversed
        assert hq_balances(hq)["C1"] == after + quote.points_restored + rest.points_restored
        gone = t3.session.desk.returnable(1, "T1")
        assert isinstance(gone, list) and [k for k, _, _ in gone] == ["MILK"]
    finally:
        for t in (t1, t2, t3):
            t.close()


def test_offline_a_receipt_of_another_till_is_refused_by_default(
    hq: HqProcess, tmp_path: Path
) -> None:
    start_at_tuesday(hq)
    t1, t2 = till(hq, tmp_path, "T1"), till(hq, tmp_path, "T2")
    try:
        online(t1, t2)
        sell(t1, COFFEE=1)
        online(t1)
        hq.kill()
        notice = t2.session.enter("T1:1")
        assert notice.refused and notice.text == (
            "Receipt T1:1 is from another till and HQ cannot be reached: try again when it is back"
        )
        refused = t2.session.desk.foreign.money_only("T1:1", {"COFFEE": 1}, "marek")
        assert isinstance(refused, Notice) and refused.refused  # not HQ's policy
        assert t2.store.ledger.outbox_stats().pending == 0  # nothing written
    finally:
        t1.close()
        t2.close()


def test_offline_a_manager_gives_the_money_back_without_points_when_hq_lets(
    hq: HqProcess, tmp_path: Path
) -> None:
    start_at_tuesday(hq, "--foreign-returns-offline", "manager_money_only")
    t1, t2, t3 = (till(hq, tmp_path, f"T{i}") for i in (1, 2, 3))
    try:
        online(t1, t2, t3)
        sale = sell(t1, COFFEE=2)
        online(t1)
        before = hq_balances(hq)["C1"]
        hq.kill()

        notice = t2.session.enter("T1:1")
        assert notice.refused and notice.text.endswith(
            "a manager may give the money back, without the points"
        )
        back = t2.session.desk.foreign.money_only("T1:1", {"COFFEE": 1}, "marek")
        assert isinstance(back, CommittedSale)
        event = t2.store.ledger.sale_event(back.seq)
        assert event is not None and isinstance(ret := event.record, Return)
        coffee = sale.lines[0]
        assert ret.total_minor == -coffee.unit_minor and ret.flags == (FOREIGN_OFFLINE,)
        assert (ret.points_earned, ret.points_redeemed, ret.customer) == (0, 0, None)
        assert (ret.original_terminal_id, ret.approved_by) == ("T1", "marek")

        hq.start()
        online(t2)
        report = hq.report()
        assert report["quarantined"] == []  # HQ checked it against T1's sale and applied it
        assert report["foreign_offline_returns"] == [
            {
                "terminal_id": "T2",
                "seq": back.seq,
                "original": "T1:1",
                "approved_by": "marek",
                "total_minor": -coffee.unit_minor,
            }
        ]
        assert hq_balances(hq)["C1"] == before  # no points moved
        # the unit it gave back is gone from the sale at every till
        left = t3.session.desk.returnable(1, "T1")
        assert isinstance(left, list) and left == [("COFFEE", coffee.name, 1)]
        again = t3.session.desk.commit_return(1, {"COFFEE": 2}, "T1")
        assert isinstance(again, Notice) and again.refused
    finally:
        for t in (t1, t2, t3):
            t.close()
