from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.errors import SaleNotReady
from agent.session import CheckoutSession
from agent.store import Store
from ui.bench import demo_store

CARD = "2900000000018"


def test_a_sale_started_before_the_first_ruleset_keeps_its_customer(
    tmp_path: Path, clock: FixedClock
) -> None:
    empty = Store.open(tmp_path / "t.db")
    session = CheckoutSession(empty, clock, SequentialIds(), "T1", "S")
    assert session.add("COFFEE").text.startswith("No loyalty rules yet")
    empty.close()
    full = demo_store(tmp_path / "t.db")  # the first snapshot arrives
    session.store = full
    assert not session.enter(CARD).refused
    assert not session.add("COFFEE").refused
    assert session.customer is not None and session.quote().points_earned == 39
    full.close()


def test_an_empty_basket_cannot_be_committed(session: CheckoutSession) -> None:
    with pytest.raises(SaleNotReady):
        session.commit()


@pytest.mark.parametrize("qty", [0, -1, 1000])
def test_quantities_out_of_range_are_refused(session: CheckoutSession, qty: int) -> None:
    assert session.add("MILK", qty).refused
    assert session.basket.lines == ()


def test_unknown_product_and_card_are_refused_by_name(session: CheckoutSession) -> None:
    assert session.enter("NOSUCH").text == "Unknown product NOSUCH"
    assert "Unknown card 2900000000995" in session.enter("2900000000995").text


def test_changing_the_basket_asks_for_the_points_again(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    assert not session.pay_with_points(None).refused
    assert session.quote().points_redeemed == 1995
    session.add("MILK")
    assert session.quote().points_redeemed == 0


def test_lines_merge_and_remove(session: CheckoutSession) -> None:
    session.add("MILK")
    session.add("5900000000017", 2)  # the same product by its barcode
    assert [(ln.sku, ln.qty) for ln in session.basket.lines] == [("MILK", 3)]
    assert session.remove("MILK").kind.value == "done"
    assert session.remove("MILK").refused


def test_commit_resets_the_session_and_seq_grows(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("MILK")
    first = session.commit()
    assert session.customer is None and session.basket.lines == ()
    session.add("MILK")
    assert session.commit().seq == first.seq + 1
