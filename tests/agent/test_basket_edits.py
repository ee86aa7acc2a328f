"""Editing an open sale (agent.line_edit), parking and recalling it (agent.parking), a
price check (agent.price_check) and product search (agent.product_search): issue 18."""

from __future__ import annotations

from dataclasses import replace

from agent.clock import FixedClock
from agent.line_edit import remove_code, remove_line, remove_points, set_quantity, typed_quantity
from agent.model import Product
from agent.money import Money
from agent.notice import Notice
from agent.parking import park, parked_sales, recall
from agent.price_check import PriceCheck, price_check
from agent.product_search import find_products
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

ANNA = "2900000000018"


def qty(session: CheckoutSession) -> dict[str, int]:
    return {ln.key: ln.qty for ln in session.basket.lines}


def test_a_lines_quantity_is_set_and_a_line_removed(session: CheckoutSession) -> None:
    session.add("MILK")
    session.add("COFFEE")
    assert set_quantity(session, "MILK", 3).text == "MILK: quantity 3"
    assert qty(session) == {"MILK": 3, "COFFEE": 1}
    assert any(d.rule == "MILK3FOR2" for d in session.quote().discounts)  # priced again
    assert set_quantity(session, "MILK", 2).text == "MILK: 1 taken off, 2 left"
    assert set_quantity(session, "MILK", 1000).refused
    assert set_quantity(session, "SYRUP", 2).refused  # not in the basket
    assert set_quantity(session, "MILK", 0).text == "Removed MILK"
    assert remove_line(session, "COFFEE").text == "Removed COFFEE"
    assert not session.basket.lines
    assert remove_line(session, "COFFEE").refused
    assert typed_quantity("12") == 12 and typed_quantity("2900000000018") is None
    assert typed_quantity("x") is None


def test_a_points_payment_and_a_code_are_taken_off_and_the_sale_priced_again(
    session: CheckoutSession,
) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    session.apply_code("AUTUMN15")
    assert not session.pay_with_points(1000).refused
    q = session.quote()
    assert q.points_redeemed == 1000 and q.discounts
    taken = remove_code(session, "AUTUMN15")
    assert taken.text.startswith("AUTUMN15 taken off the sale; points payment now")
    q = session.quote()
    assert not q.discounts and q.points_redeemed == 1000  # the points asked again
    assert remove_points(session).text == "Points payment removed"
    q = session.quote()
    assert q.points_redeemed == 0 and q.to_pay == q.total == Money(3990, "PLN")
    set_quantity(session, "COFFEE", 2)  # a later change does not bring the points back
    assert session.quote().points_redeemed == 0
    assert remove_points(session).refused and remove_code(session, "AUTUMN15").refused
    assert session.customer is not None  # nothing voided


def test_a_parked_sale_keeps_its_customer_lines_and_codes_and_is_priced_at_recall(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    session.add("MILK", 3)
    session.apply_code("AUTUMN15")
    session.pay_with_points(500)
    total_parked = session.quote().total
    assert park(session).text == "Sale parked: Ctrl+R recalls it"
    assert not session.basket.lines and session.customer is None
    assert park(session).refused  # nothing to park
    assert store.ledger.sales_count() == 0 and store.ledger.outbox_stats().pending == 0
    (row,) = parked_sales(session).all()
    assert row.customer == "Anna" and row.lines == 4 and row.total_minor == total_parked.minor
    # The price of milk changes while the sale waits; recall prices it then.
    milk = store.catalogue.product("MILK")
    assert milk is not None
    store.catalogue.apply_snapshot(
        products=[replace(milk, price=Money(500, "PLN"))],
        customers=[],
        ruleset=None,
        cursor="3",
        received_at=TUESDAY,
    )
    clock.advance(seconds=600)
    session.add("JACKET")
    assert recall(session, row.parked_id).refused  # a sale is open
    session.reset()
    notice = recall(session, row.parked_id)
    assert notice.text.startswith("Sale recalled, priced again now (units: 4)")
    assert session.customer is not None and session.customer.name == "Anna"
    assert qty(session) == {"COFFEE": 1, "MILK": 3} and session.codes == {"AUTUMN15"}
    q = session.quote()
    assert q.at == clock.now() and q.points_redeemed == 500
    assert [ln.line.unit_price.minor for ln in q.lines] == [3990, 500]  # the price now
    assert parked_sales(session).all() == [] and recall(session, row.parked_id).refused
    sale = session.commit()
    assert sale.seq == 1 and store.ledger.sales_count() == 1


def test_several_sales_are_parked_at_once_oldest_first(
    session: CheckoutSession, clock: FixedClock
) -> None:
    for sku in ("MILK", "SCARF", "WINE"):
        session.add(sku)
        park(session)
        clock.advance(seconds=60)
    rows = parked_sales(session).all()
    assert [r.doc["lines"][0]["sku"] for r in rows] == ["MILK", "SCARF", "WINE"]
    recall(session, rows[1].parked_id)
    assert qty(session) == {"SCARF": 1}
    assert [r.parked_id for r in parked_sales(session).all()] == [
        rows[0].parked_id,
        rows[2].parked_id,
    ]


def test_a_price_check_prices_one_unit_and_names_its_promotions_selling_nothing(
    session: CheckoutSession,
) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    found = price_check(session, "MILK")
    assert isinstance(found, PriceCheck)
    assert found.price == Money(450, "PLN") and found.name == "Milk 1 l"
    assert [(r, str(w)) for r, w in found.not_applied] == [
        ("MILK3FOR2", "buy 2 get 1 on MILK (with 3)")  # not with one: what it gives with 3
    ]
    assert found.points > 0  # Anna earns on it
    assert qty(session) == {"COFFEE": 1}  # the open sale untouched
    unknown = price_check(session, "NOSUCH")
    assert isinstance(unknown, Notice) and unknown.refused


def test_products_are_found_by_the_words_of_their_name_in_any_case_or_by_code(
    store: Store,
) -> None:
    store.catalogue.apply_snapshot(
        products=[Product("ZUPA", "Żurek Śląski 0,5 l", Money(899, "PLN"), "grocery")],
        customers=[],
        ruleset=None,
        cursor="3",
        received_at=TUESDAY,
    )
    assert [p.sku for p in find_products(store, "śląski ŻUREK")] == ["ZUPA"]
    assert [p.sku for p in find_products(store, "vanilla")] == ["SYRUP"]
    assert find_products(store, "milk")[0].sku == "MILK"  # the exact code first
    assert [p.sku for p in find_products(store, "sca")] == ["SCARF"]
    assert find_products(store, "   ") == []
    assert len(find_products(store, "e", most=3)) == 3
