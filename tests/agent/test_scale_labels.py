"""Scale labels at the till: weighed and price-embedded EAN-13s, priced, printed, returned;
and the card range as the programme's setting (RULESET.md, "Barcodes")."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from agent.codes import Classified, CodeKind, classify, ean13_check_digit, make_card_number
from agent.demo import RULESET
from agent.documents import product_from_doc
from agent.errors import InputError
from agent.event_parts import SaleLine
from agent.events import Return, Sale, read_event, to_body
from agent.i18n import Texts
from agent.model import Unit
from agent.money import Money
from agent.notice import Notice
from agent.quote_input import basket_from_json
from agent.receipt import build_receipt
from agent.ruleset_reader import parse_ruleset
from agent.scale import weighed_price
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

ANNA = "2900000000018"
BEANS_750 = "2200042007502"


def ean(first12: str) -> str:
    return first12 + str(ean13_check_digit(first12))


def programme(barcodes: dict[str, Any] | None, version: int = 2) -> dict[str, Any]:
    doc = copy.deepcopy(RULESET)
    doc["version"] = version
    if barcodes is None:
        del doc["barcodes"]
    else:
        doc["barcodes"] = barcodes
    return doc


def publish(store: Store, doc: dict[str, Any], products: tuple[dict[str, Any], ...] = ()) -> None:
    store.catalogue.apply_snapshot(
        products=[product_from_doc(dict(p, currency="PLN")) for p in products],
        customers=[],
        ruleset=parse_ruleset(doc),
        cursor="2",
        received_at=TUESDAY,
    )


CHEESE = {
    "sku": "CHEESE",
    "name": "Cheese, cut",
    "price_minor": 5990,
    "unit": "kg",
    "item_code": "00777",
    "category": "dairy",
}
EGGS = {"sku": "EGGS", "name": "Eggs", "price_minor": 990, "item_code": "123", "category": "x"}
PRICED = {
    "cards": ["29"],
    "labels": [
        {"prefix": "22", "item_digits": 5, "holds": "weight_g"},
        {"prefix": "23", "item_digits": 5, "holds": "price_minor"},
    ],
}


def test_the_weight_is_priced_half_up_in_one_place() -> None:
    assert weighed_price(Money(8990, "PLN"), 750) == Money(6743, "PLN")  # 67.425
    assert weighed_price(Money(8990, "PLN"), 1000) == Money(8990, "PLN")
    assert weighed_price(Money(999, "PLN"), 1) == Money(1, "PLN")  # 0.999 -> 0.01
    assert weighed_price(Money(999, "PLN"), 500) == Money(500, "PLN")  # 4.995 -> 5.00


def test_a_weighed_label_at_the_till_is_a_line_of_its_weight(session: CheckoutSession) -> None:
    session.enter(ANNA)
    notice = session.enter(BEANS_750)
    assert not notice.refused and notice.text == "Coffee beans, weighed 0.75 kg x1: 67.43 PLN"
    (line,) = session.basket.lines
    assert (line.key, line.sku, line.qty, line.unit_price.minor) == ("BEANS/750g", "BEANS", 1, 6743)
    q = session.quote()
    assert (q.total.minor, q.points_earned) == (6743, 67)


def test_two_weights_are_two_lines_and_the_same_label_twice_one_line_of_two(
    session: CheckoutSession,
) -> None:
    half = ean("220004200500")
    for code in (BEANS_750, half, BEANS_750):
        assert not session.enter(code).refused
    assert [(ln.key, ln.qty, ln.amount.minor) for ln in session.basket.lines] == [
        ("BEANS/750g", 2, 13486),
        ("BEANS/500g", 1, 4495),  # 44.95
    ]
    assert session.take_off(half).text == "Removed BEANS/500g"  # the label scanned again
    assert session.take_off("beans/750G").text == "BEANS/750g: 1 taken off, 1 left"
    assert session.take_off("BEANS").refused  # the product alone names no labelled line


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("2200042007503", "Scale label 2200042007503 has a wrong check digit: scan again"),
        (ean("220009900750"), "no product with item code 00099"),
        (ean("220004200000"), "says 0 g: weigh it again"),
        ("BEANS", "Coffee beans, weighed is sold by weight: scan its scale label"),
    ],
)
def test_a_bad_label_is_refused_clearly(session: CheckoutSession, code: str, why: str) -> None:
    notice = session.enter(code)
    assert notice.refused and why in notice.text
    assert session.basket.lines == ()


def test_a_weighed_line_is_printed_with_its_weight_and_returned_on_its_own(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)
    session.enter(BEANS_750)
    session.enter(ean("220004200500"))
    session.add("MILK")
    seq = session.commit().seq
    event = store.ledger.sale_event(seq)
    assert event is not None
    text = build_receipt(event, "Shop").plain()
    assert "Coffee beans, weighed x1" in text and "  0.750 kg at 89.90/kg" in text
    assert "  0.500 kg at 89.90/kg" in text
    assert "0,750 kg po 89,90/kg" in build_receipt(event, "Shop", Texts("pl")).plain()
    assert session.desk.returnable(seq) == [
        ("BEANS/750g", "Coffee beans, weighed", 1),
        ("BEANS/500g", "Coffee beans, weighed", 1),
        ("MILK", "Milk 1 l", 1),
    ]
    back = session.desk.commit_return(seq, {"BEANS/500g": 1})
    assert not isinstance(back, Notice), back
    r = store.ledger.sale_event(back.seq)
    assert r is not None and isinstance(r.record, Return)
    (returned,) = r.record.lines
    assert isinstance(event.record, Sale)
    sold = [ln for ln in event.record.lines if ln.key == "BEANS/500g"]
    assert (returned.sku, returned.money_minor) == ("BEANS/500g", 4495)
    assert returned.points_reversed == sold[0].points_earned > 0
    assert "BEANS/500g x1" in build_receipt(r, "Shop").plain()
    left = session.desk.returnable(seq)
    assert not isinstance(left, Notice) and [x[0] for x in left] == ["BEANS/750g", "MILK"]


def test_the_journal_and_hq_see_the_weight(session: CheckoutSession, store: Store) -> None:
    session.enter(BEANS_750)
    seq = session.commit().seq
    event = store.ledger.sale_event(seq)
    assert event is not None and isinstance(event.record, Sale)
    (line,) = event.record.lines
    assert (line.sku, line.label, line.weight_g, line.per_kg_minor) == ("BEANS", "750g", 750, 8990)
    doc = event.record.to_doc()
    assert doc["lines"][0]["weight_g"] == 750
    body = json.dumps(to_body(event.record, seq, "T1"))  # as HQ receives it
    again = read_event("sale", body).record
    assert isinstance(again, Sale) and again.lines == event.record.lines
    plain = {
        k: v for k, v in doc["lines"][0].items() if k not in ("label", "weight_g", "per_kg_minor")
    }
    assert SaleLine.from_doc(plain) == replace(line, label="", weight_g=0, per_kg_minor=0)
    with pytest.raises(ValueError, match="label"):
        SaleLine.from_doc(dict(plain, label="750g", weight_g=-1, per_kg_minor=8990))


def test_a_price_label_gives_the_price(session: CheckoutSession, store: Store) -> None:
    publish(store, programme(PRICED), (CHEESE, EGGS))
    session.reset()
    assert session.enter(ean("230077701250")).text == "Cheese, cut x1: 12.50 PLN"
    assert session.enter(ean("230012300990")).text == "Eggs x1: 9.90 PLN"  # a piece, marked
    assert [(ln.key, ln.amount.minor) for ln in session.basket.lines] == [
        ("CHEESE/12.50", 1250),
        ("EGGS/9.90", 990),
    ]
    assert "price of 0" in session.enter(ean("230077700000")).text
    assert "Eggs is not sold by weight" in session.enter(ean("220012300500")).text


def test_the_card_range_is_the_programmes_setting(session: CheckoutSession, store: Store) -> None:
    """A chain whose scales print 29 labels moves its cards to 27: 29 is no card there."""
    scale_29 = {
        "cards": ["27"],
        "labels": [{"prefix": "29", "item_digits": 5, "holds": "weight_g"}],
    }
    rs = parse_ruleset(programme(scale_29))
    card = classify(ANNA, rs.barcodes)
    assert isinstance(card, Classified) and card.kind is CodeKind.LABEL
    read = classify(ean("290004200750"), rs.barcodes)
    assert isinstance(read, Classified) and read.kind is CodeKind.LABEL
    assert classify(ean("270000000001"), rs.barcodes) == Classified(
        CodeKind.CARD, ean("270000000001")
    )
    publish(store, programme(scale_29))
    session.reset()
    assert session.enter(ean("290004200750")).text.startswith("Coffee beans, weighed 0.75 kg")
    assert session.customer is None
    assert session.enter(ANNA).text == "Scale label 2900000000018: no product with item code 00000"
    assert session.customer is None
    enrol = session.desk.enrol("Ola", make_card_number(77), True, False)
    assert enrol.text == f"{make_card_number(77)}: not a loyalty card number"


def test_a_programme_without_the_setting_reads_as_today() -> None:
    rs = parse_ruleset(programme(None))
    assert rs.barcodes.cards == ("29",) and rs.barcodes.labels == ()
    assert classify(BEANS_750, rs.barcodes) == Classified(CodeKind.PRODUCT, BEANS_750)
    assert classify(ANNA, rs.barcodes) == Classified(CodeKind.CARD, ANNA)


def test_the_product_document_names_its_unit_and_item_code() -> None:
    beans = product_from_doc({**CHEESE, "currency": "PLN"})
    assert (beans.unit, beans.item_code) == (Unit.KG, "00777")
    with pytest.raises(ValueError, match="unit"):
        product_from_doc({**CHEESE, "currency": "PLN", "unit": "litre"})
    with pytest.raises(ValueError, match="item_code"):
        product_from_doc({**CHEESE, "currency": "PLN", "item_code": 777})


def test_kassa_quote_takes_a_weighed_line() -> None:
    doc = {"lines": [{"sku": "BEANS", "weight_g": 750, "per_kg_minor": 8990, "category": "c"}]}
    basket, _ = basket_from_json(doc, "PLN")
    (line,) = basket.lines
    assert (line.key, line.unit_price.minor, line.qty) == ("BEANS/750g", 6743, 1)
    with pytest.raises(InputError, match="weight_g must be 1 or more"):
        basket_from_json({"lines": [dict(doc["lines"][0], weight_g=0)]}, "PLN")
