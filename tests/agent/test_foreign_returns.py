"""The desk's returns of another till's sale, against a fake HQ (a SaleSource): the
figures after the returns made anywhere, each return counted once, and HQ's offline
policy. The real HQ: tests/sync/test_any_till.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.errors import HqUnreachable
from agent.events import Return, Sale
from agent.foreign import ForeignSale
from agent.foreign_desk import FOREIGN_OFFLINE
from agent.model import OfflinePolicy
from agent.notice import CommittedSale, Notice
from agent.refunds import RefundQuote, refund
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.ledger import RETURNS_OF
from tests.conftest import TUESDAY

ANNA = "2900000000018"


class FakeHq:
    """HQ holding what the test puts in it; or unreachable."""

    def __init__(self) -> None:
        self.sales: dict[tuple[str, int], ForeignSale] = {}
        self.up = True
        self.asked = 0

    def sale(self, terminal_id: str, seq: int) -> ForeignSale | None:
        self.asked += 1
        if not self.up:
            raise HqUnreachable("connection refused")
        return self.sales.get((terminal_id, seq))


def record(store: Store, seq: int) -> Sale | Return:
    event = store.ledger.sale_event(seq)
    assert event is not None and isinstance(event.record, Sale | Return)
    return event.record


@pytest.fixture
def other(tmp_path: Path, clock: FixedClock) -> CheckoutSession:
    """Till T9, whose sales this till (T1) takes back."""
    return CheckoutSession(
        demo_store(tmp_path / "t9.db"), clock, SequentialIds("t9"), "T9", "Test store"
    )


def policy(store: Store, foreign: str) -> None:
    """HQ's policy, as a snapshot brings it."""
    store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
        policy=OfflinePolicy(foreign_returns_offline=foreign),
    )


def test_the_policy_reads_back_and_refuses_an_unknown_choice() -> None:
    p = OfflinePolicy(foreign_returns_offline="manager_money_only")
    assert OfflinePolicy.from_doc(p.to_doc()) == p
    assert OfflinePolicy.from_doc({"stale_after_s": 60}).foreign_returns_offline == "refuse"
    with pytest.raises(ValueError, match="foreign_returns_offline"):
        OfflinePolicy.from_doc({"stale_after_s": 60, "foreign_returns_offline": "accept"})


def test_another_tills_sale_is_priced_after_the_returns_made_anywhere(
    session: CheckoutSession, store: Store, other: CheckoutSession
) -> None:
    hq = FakeHq()
    session.desk.foreign.source = hq
    other.enter(ANNA)
    other.add("COFFEE", 4)
    assert isinstance(other.commit(), CommittedSale)
    sale = record(other.store, 1)
    assert isinstance(sale, Sale)
    assert isinstance(other.desk.commit_return(1, {"COFFEE": 1}), CommittedSale)  # at T9
    at_t9 = record(other.store, 2)
    assert isinstance(at_t9, Return)
    hq.sales[("T9", 1)] = ForeignSale("T9", 1, sale, (at_t9,))

    assert session.enter("T9:1").text.startswith("Receipt T9:1 of till T9, from HQ")
    assert session.desk.returnable(1, "T9") == [("COFFEE", sale.lines[0].name, 3)]
    quote = session.desk.preview_return(1, {"COFFEE": 2}, "T9")
    assert quote == refund(sale.lines, {"COFFEE": 2}, {"COFFEE": 1})
    done = session.desk.commit_return(1, {"COFFEE": 2}, "T9")
    assert isinstance(done, CommittedSale) and isinstance(quote, RefundQuote)
    mine = record(store, done.seq)
    assert isinstance(mine, Return)
    assert (mine.original_terminal_id, mine.original_seq) == ("T9", 1)
    assert mine.original_sale_id == sale.sale_id
    assert mine.points_earned == -quote.points_reversed
    assert store.ledger.returned_units(1) == {}  # T1's own sale 1 is another sale
    # uploaded and back from HQ, T1's return is counted once, not twice
    hq.sales[("T9", 1)] = ForeignSale("T9", 1, sale, (at_t9, mine))
    assert session.desk.returnable(1, "T9") == [("COFFEE", sale.lines[0].name, 1)]
    refused = session.desk.commit_return(1, {"COFFEE": 2}, "T9")
    assert isinstance(refused, Notice) and refused.refused


def test_a_return_asks_hq_again_before_it_is_written(
    session: CheckoutSession, other: CheckoutSession
) -> None:
    hq = FakeHq()
    session.desk.foreign.source = hq
    other.enter(ANNA)
    other.add("COFFEE", 1)
    other.commit()
    sale = record(other.store, 1)
    assert isinstance(sale, Sale)
    hq.sales[("T9", 1)] = ForeignSale("T9", 1, sale, ())
    assert isinstance(session.desk.returnable(1, "T9"), list)
    assert isinstance(session.desk.preview_return(1, {"COFFEE": 1}, "T9"), RefundQuote)
    asked = hq.asked
    other.desk.commit_return(1, {"COFFEE": 1})  # meanwhile, at the till that sold it
    back = record(other.store, 2)
    assert isinstance(back, Return)
    hq.sales[("T9", 1)] = ForeignSale("T9", 1, sale, (back,))
    late = session.desk.commit_return(1, {"COFFEE": 1}, "T9")
    assert hq.asked == asked + 1
    assert isinstance(late, Notice) and late.text.startswith("Return refused:")


def test_offline_refused_unless_hq_lets_a_manager_give_money_back(
    session: CheckoutSession, store: Store
) -> None:
    hq = FakeHq()
    hq.up = False
    session.desk.foreign.source = hq
    notice = session.enter("T9:1")
    assert notice.refused and notice.text == (
        "Receipt T9:1 is from another till and HQ cannot be reached: try again when it is back"
    )
    not_yet = session.desk.foreign.money_only("T9:1", {"COFFEE": 1}, "marek")
    assert isinstance(not_yet, Notice) and not_yet.refused
    policy(store, "manager_money_only")
    assert session.enter("T9:1").text.endswith(
        "a manager may give the money back, without the points"
    )
    unknown = session.desk.foreign.money_only("T9:1", {"NOPE": 1}, "marek")
    assert isinstance(unknown, Notice) and unknown.refused
    done = session.desk.foreign.money_only("T9:1", {"COFFEE": 2}, "marek")
    assert isinstance(done, CommittedSale)
    ret = record(store, done.seq)
    assert isinstance(ret, Return)
    coffee = store.catalogue.product("COFFEE")
    assert coffee is not None
    assert ret.total_minor == -2 * coffee.price.minor and ret.flags == (FOREIGN_OFFLINE,)
    assert (ret.points_earned, ret.points_redeemed, ret.customer) == (0, 0, None)
    assert (ret.original_terminal_id, ret.original_seq, ret.approved_by) == ("T9", 1, "marek")


def test_the_returns_of_another_tills_sale_are_found_by_index_not_a_journal_scan(
    store: Store,
) -> None:
    plan = " ".join(
        str(row[-1]) for row in store.conn.execute(f"EXPLAIN QUERY PLAN {RETURNS_OF}", ("T9", 1))
    )
    assert "journal_foreign_returns" in plan and "SCAN journal" not in plan
