"""A line the POS sells that the till's catalogue lacks (issue 16): part of the sale and
paid, but outside the programme: no points, no discount, no points payment, no threshold."""

from __future__ import annotations

from pathlib import Path

from agent import demo
from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.documents import product_from_doc
from agent.event_parts import ReturnLine, SaleLine
from agent.model import Basket, Line
from agent.money import Money
from agent.pos_basket import add_pos_line, pos_line
from agent.pricing.inputs import Tender
from agent.records import journal_lines, sale_record
from agent.session import CheckoutSession
from agent.tiers import qualifying_minor, recorded_qualifying_minor, returned_qualifying_minor
from tests.agent.rules_fixtures import PROGRAMME, basket, customer, price
from tests.conftest import TUESDAY

LOCAL = Line("LOCAL-1", "Local bread", 2, Money(2500, "PLN"), "coffee", unlisted=True)


def with_local(b: Basket) -> Basket:
    return Basket(b.currency, (*b.lines, LOCAL))


def test_a_pos_line_the_catalogue_lacks_is_unlisted_at_the_pos_price(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    try:
        line = pos_line(store.catalogue, PROGRAMME, "LOCAL-1", 2, 2500, "bakery", "Bread")
        assert line == Line("LOCAL-1", "Bread", 2, Money(2500, "PLN"), "bakery", unlisted=True)
        known = pos_line(store.catalogue, PROGRAMME, "COFFEE", 1, 3000, "other", None)
        assert isinstance(known, Line) and not known.unlisted
        assert (known.category, known.unit_price) == ("coffee", Money(3000, "PLN"))
        dearer = pos_line(store.catalogue, PROGRAMME, "COFFEE", 1, 9999, None, None)
        assert isinstance(dearer, Line) and dearer.unit_price == Money(3990, "PLN")
    finally:
        store.close()


def test_an_unlisted_line_earns_nothing_takes_no_discount_and_says_why() -> None:
    b = with_local(basket("COFFEE"))
    q = price(b, customer("Gold"), tender=Tender(codes=frozenset({"AUTUMN15"})))
    coffee, local = q.lines
    assert local.points_earned == 0 and local.discount_minor == 0
    assert coffee.points_earned > 0 and coffee.discount_minor > 0
    assert local.excluded is not None and "not in the till's catalogue" in str(local.excluded)
    assert q.subtotal.minor == 3990 + 5000  # its money is part of the sale
    assert q.total.minor == 3990 - coffee.discount_minor + 5000
    alone = price(basket("COFFEE"), customer("Gold"), tender=Tender(codes=frozenset({"AUTUMN15"})))
    assert q.points_earned == alone.points_earned and q.discount == alone.discount


def test_an_unlisted_line_is_not_paid_with_points() -> None:
    b = with_local(basket("MILK"))
    q = price(b, customer(balance=10_000), tender=Tender(redeem_points=3000))
    assert q.lines[1].points_payment_minor == 0
    assert q.max_redeemable <= 450 // 2  # half of MILK's 4.50 at most: LOCAL pays nothing


def test_an_unlisted_line_counts_toward_no_minimum_basket() -> None:
    # TENOFF needs a 50.00 basket: COFFEE (39.90) and 50.00 of unlisted bread do not reach it
    b = with_local(basket("COFFEE"))
    q = price(b, customer(balance=5000), tender=Tender(codes=frozenset({"TENOFF"})))
    assert q.discount.minor == 0
    assert "minimum basket" in q.refusal("TENOFF")


def test_a_sale_of_unlisted_lines_only_is_no_purchase_for_every_nth() -> None:
    only = Basket("PLN", (LOCAL,))
    q = price(only, customer(month=("2026-11", 2)), tender=Tender(purchase=False))
    assert q.discount.minor == 0
    assert q.refusal("THIRD15") == "no line of this sale counts as a purchase"


def test_an_unlisted_line_counts_toward_no_tier() -> None:
    q = price(with_local(basket("COFFEE")), customer("Bronze"))
    assert qualifying_minor(q.lines, PROGRAMME) == 3990
    lines = journal_lines(q)
    assert [ln.unlisted for ln in lines] == [False, True]
    assert recorded_qualifying_minor(lines, PROGRAMME) == 3990
    back = ReturnLine("LOCAL-1", 2, 5000, 0, 0)
    assert returned_qualifying_minor([back], lines, PROGRAMME) == 0


def test_the_journal_line_writes_unlisted_only_when_true_and_reads_it_back() -> None:
    q = price(with_local(basket("COFFEE")), customer())
    coffee, local = journal_lines(q)
    assert "unlisted" not in coffee.to_doc()
    assert local.to_doc()["unlisted"] is True
    assert SaleLine.from_doc(local.to_doc()) == local
    assert SaleLine.from_doc(coffee.to_doc()) == coffee
    bad = dict(local.to_doc(), unlisted="yes")
    try:
        SaleLine.from_doc(bad)
    except ValueError as exc:
        assert "unlisted" in str(exc)
    else:
        raise AssertionError("a non-boolean unlisted was read")


def test_a_recorded_sale_of_unlisted_lines_only_is_no_purchase() -> None:
    c = customer()
    both = sale_record(price(with_local(basket("COFFEE")), c), "S1", PROGRAMME, c, [], None)
    alone = sale_record(price(Basket("PLN", (LOCAL,)), c), "S2", PROGRAMME, c, [], None)
    assert both.purchase and not alone.purchase


def test_a_catalogue_product_keeps_its_own_currency(tmp_path: Path) -> None:
    """A POS line of a product the catalogue prices in another currency is that
    product's line, in its currency: the session refuses it as a scan of it is refused."""
    store = demo_store(tmp_path / "t.db")
    try:
        euro = dict(next(p for p in demo.PRODUCTS if p["sku"] == "SCARF"), currency="EUR")
        store.catalogue.apply_snapshot(
            products=[product_from_doc(euro)],
            customers=[],
            ruleset=None,
            cursor="2",
            received_at=TUESDAY,
        )
        line = pos_line(store.catalogue, PROGRAMME, "SCARF", 1, 100, None, None)
        assert isinstance(line, Line) and line.unit_price == Money(100, "EUR")
        session = CheckoutSession(store, FixedClock(TUESDAY), SequentialIds("s"), "T1", "S")
        notice = add_pos_line(session, store.catalogue, "SCARF", 1, 100)
        assert notice.refused and "EUR" in str(notice.words) and not session.basket.lines
    finally:
        store.close()
