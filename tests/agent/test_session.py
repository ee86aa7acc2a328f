from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.errors import SaleNotReady
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

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


def test_unknown_product_is_refused_by_name_an_unknown_card_sells_as_a_card(
    session: CheckoutSession,
) -> None:
    assert session.enter("NOSUCH").text == "Unknown product NOSUCH"
    said = session.enter("2900000000995")  # a valid card this till does not hold (issue 15)
    assert not said.refused and said.text.startswith("Card 2900000000995 is not known here")


def test_changing_the_basket_asks_for_the_points_again(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    assert not session.pay_with_points(None).refused
    assert session.quote().points_redeemed == 1995
    added = session.add("MILK")  # "the most possible" is asked again for the new basket
    assert session.quote().points_redeemed == 2220
    assert added.text == "Milk 1 l x1; points payment now: 2220 points pay 22.20 PLN"


def test_lines_merge_and_remove(session: CheckoutSession) -> None:
    session.add("MILK")
    session.add("5900000000017", 2)  # the same product by its barcode
    assert [(ln.sku, ln.qty) for ln in session.basket.lines] == [("MILK", 3)]
    assert session.take_off("MILK", 3).kind.value == "done"
    assert session.basket.lines == ()
    assert session.take_off("MILK").refused


def test_commit_resets_the_session_and_seq_grows(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("MILK")
    first = session.commit()
    assert session.customer is None and session.basket.lines == ()
    session.add("MILK")
    assert session.commit().seq == first.seq + 1


def _happy_hour_ends_in_30_s(clock: FixedClock) -> None:
    # HAPPY3 (triple points) runs 16:00-18:00 Warsaw time on weekdays: 17:59:30 there.
    clock.at = TUESDAY.replace(hour=16, minute=59, second=30)


def test_commit_takes_the_quote_the_screen_showed_when_nothing_changed(
    session: CheckoutSession, clock: FixedClock
) -> None:
    _happy_hour_ends_in_30_s(clock)
    session.enter(CARD)
    session.add("COFFEE")
    shown = session.quote()
    clock.advance(seconds=20)  # still 17:59
    assert session.commit().quote is shown


def test_commit_prices_again_once_the_minute_has_turned(
    session: CheckoutSession, clock: FixedClock
) -> None:
    _happy_hour_ends_in_30_s(clock)
    session.enter(CARD)
    session.add("COFFEE")
    shown = session.quote()
    assert "HAPPY3" in {a.rule for a in shown.awards}
    clock.advance(seconds=40)  # 18:00:10: happy hour is over
    committed = session.commit().quote
    assert committed is not None and committed.at == clock.at
    assert "HAPPY3" not in {a.rule for a in committed.awards}
    assert committed.points_earned < shown.points_earned


def test_commit_prices_again_after_the_sync_thread_changed_the_store(
    session: CheckoutSession, store: Store, tmp_path: Path
) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    assert not session.enter("GC0000000001").refused  # 50.00 PLN on it
    shown = session.quote()
    assert shown.gift_card.minor == 3990
    other = Store.open(tmp_path / "terminal.db")  # the sync thread's own connection
    with other.file.atomic() as c:  # HQ says the card was spent elsewhere: 5.00 left
        c.execute("UPDATE gift_cards SET hq_balance_minor=500 WHERE card='GC0000000001'")
    other.close()
    committed = session.commit().quote
    assert committed is not None and committed.gift_card.minor == 500


def test_a_changed_basket_is_priced_again(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("COFFEE")
    shown = session.quote()
    session.add("MILK")
    assert session.quote() is not shown
    assert len(session.commit().quote.lines) == 2  # type: ignore[union-attr]


def test_units_come_off_a_line_and_the_last_takes_it_away(session: CheckoutSession) -> None:
    session.enter(CARD)
    session.add("MILK", 3)
    session.add("COFFEE")
    assert session.quote().discount_by("MILK3FOR2") == 450  # three milks: one free
    notice = session.take_off("MILK")
    assert notice.text == "MILK: 1 taken off, 2 left"
    assert [(ln.sku, ln.qty) for ln in session.basket.lines] == [("MILK", 2), ("COFFEE", 1)]
    assert session.quote().discount_by("MILK3FOR2") == 0  # the quote follows at once
    assert session.take_off("MILK", 3).text == "Only 2 of MILK in the basket"
    assert session.take_off("BREAD").text == "BREAD is not in the basket"
    assert session.take_off("MILK", 0).refused
    assert session.take_off("MILK", 2).text == "Removed MILK"
    assert [ln.sku for ln in session.basket.lines] == ["COFFEE"]


def test_a_product_comes_off_by_its_barcode_too(session: CheckoutSession) -> None:
    product = session.store.catalogue.product("COFFEE")
    assert product is not None and product.barcode
    session.add(product.barcode)
    assert session.take_off(product.barcode).text == "Removed COFFEE"
    assert session.basket.lines == ()


def test_an_adjustment_beyond_hqs_bound_is_refused(session: CheckoutSession) -> None:
    assert not session.enter("2900000000018").refused
    too_many = session.desk.adjust_points(10_001, "typo", "ola", "marek")
    assert too_many.refused and "At most 10000 points" in too_many.text
    card = session.desk.adjust_points(2900000000018, "a card scanned", "ola", "marek")
    assert card.refused
    assert session.store.ledger.outbox_stats().pending == 0  # nothing journalled
    assert not session.desk.adjust_points(-10_000, "closing a fraud", "ola", "marek").refused


def test_a_points_payment_that_no_longer_fits_is_removed_with_a_reason(
    session: CheckoutSession,
) -> None:
    assert not session.enter("2900000000018").refused  # Anna, 3000 points
    session.add("JACKET")
    assert not session.pay_with_points(2000).refused
    off = session.take_off("JACKET")
    assert "the points payment was removed" in off.text  # said, not silently dropped
    assert session.points_request is None and session.quote().points_redeemed == 0


def test_the_policy_carries_the_adjustment_bounds() -> None:
    from agent.model import OfflinePolicy

    policy = OfflinePolicy(max_adjust_points=500, confirm_adjust_points=100)
    assert OfflinePolicy.from_doc(policy.to_doc()) == policy
    for bad in (0, -1, True, "5", 10**10):
        with pytest.raises(ValueError, match="max_adjust_points"):
            OfflinePolicy.from_doc(dict(policy.to_doc(), max_adjust_points=bad))


def test_a_line_never_grows_past_the_most_a_till_sells(session: CheckoutSession) -> None:
    assert not session.add("MILK", 999).refused
    more = session.add("MILK")
    assert more.refused and "1 to 999" in more.text
    assert [ln.qty for ln in session.basket.lines] == [999]
