"""The tender step: cash with change, card, gift card and points, and splits of them;
the sale records its tenders, and commits once they cover it."""

from __future__ import annotations

import json

import pytest

from agent.errors import SaleNotReady
from agent.events import Sale
from agent.money import Money
from agent.paid import Paid, TenderKind
from agent.session import CheckoutSession
from agent.store import Store
from agent.tendering import (
    Handed,
    TenderStep,
    amount_typed,
    hq_reachable,
    note_hq_reachable,
    settle,
)

ANNA = "2900000000018"
GIFT = "GC0000000001"  # 50.00 on it


def pln(text: str) -> Money:
    m = amount_typed(text, "PLN")
    assert m is not None
    return m


def recorded(store: Store, seq: int) -> Sale:
    event = store.ledger.sale_event(seq)
    assert event is not None and isinstance(event.record, Sale)
    return event.record


def test_cash_with_change_is_recorded_on_the_sale(session: CheckoutSession, store: Store) -> None:
    session.add("COFFEE")  # 39.90
    step = TenderStep(session)
    assert step.due() == pln("39.90")
    assert not step.cash(pln("20")).refused and step.committed is None
    assert step.due() == pln("19.90")
    step.cash(pln("50,00"))
    assert step.committed is not None and step.settled is not None
    assert step.settled.change_minor == 7000 - 3990
    sale = recorded(store, step.committed.seq)
    assert sale.tenders == (Paid(TenderKind.CASH, 3990, 7000),)
    assert sale.change_minor == 3010
    body = json.loads(json.dumps(sale.to_doc()))
    assert body["tenders"] == [{"kind": "cash", "amount_minor": 3990, "tendered_minor": 7000}]
    assert Sale.from_doc(body).tenders == sale.tenders


def test_a_gift_card_pays_a_typed_amount_and_cash_the_rest(
    session: CheckoutSession, store: Store
) -> None:
    session.add("COFFEE")
    step = TenderStep(session)
    assert not step.gift_card(GIFT, pln("20.00")).refused
    assert step.due() == pln("19.90") and step.committed is None
    step.cash()  # exact
    assert step.committed is not None
    sale = recorded(store, step.committed.seq)
    assert sale.gift_card == (GIFT, 2000)  # through pricing: the gift card step
    assert sale.tenders == (
        Paid(TenderKind.GIFT_CARD, 2000),
        Paid(TenderKind.CASH, 1990, 1990),
    )
    assert store.ledger.gift_card_balance(GIFT) == pln("30.00")


def test_points_then_card_for_the_rest(session: CheckoutSession, store: Store) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    step = TenderStep(session)
    assert not step.points(600).refused  # 6.00 of it
    assert step.due() == pln("33.90")
    assert step.card(pln("40")).refused  # a card pays no more than is due
    step.card()
    assert step.committed is not None
    sale = recorded(store, step.committed.seq)
    assert sale.points_value_minor == 600
    assert sale.tenders == (Paid(TenderKind.POINTS, 600), Paid(TenderKind.CARD, 3390))
    assert sale.change_minor == 0


def test_cancel_puts_the_sale_back_and_commits_nothing(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    step = TenderStep(session)
    step.points(600)
    step.gift_card(GIFT, pln("10"))
    step.cash(pln("5"))
    step.cancel()
    assert session.quote().to_pay == pln("39.90")
    assert session.gift_card is None and session.redeem_points == 0
    assert store.ledger.outbox_stats().pending == 0


def test_a_gift_card_after_a_card_pays_only_what_is_left(session: CheckoutSession) -> None:
    session.add("COFFEE")
    step = TenderStep(session)
    step.card(pln("30"))
    step.gift_card(GIFT)  # 50.00 on it, 9.90 due
    assert step.committed is not None and step.settled is not None
    assert [(p.kind, p.amount_minor) for p in step.settled.tenders] == [
        (TenderKind.GIFT_CARD, 990),
        (TenderKind.CARD, 3000),
    ]


def test_settle_refuses_what_does_not_pay_the_sale(session: CheckoutSession) -> None:
    session.add("COFFEE")
    q = session.quote()
    with pytest.raises(SaleNotReady):
        settle(q, Handed(cash_minor=1000))
    with pytest.raises(SaleNotReady):  # only cash gives change
        settle(q, Handed(others=(Paid(TenderKind.CARD, 5000),)))
    with pytest.raises(SaleNotReady):  # a POS says what each tender paid: no change
        settle(q, Handed(cash_minor=5000, exact=True))
    with pytest.raises(SaleNotReady):
        session.commit(Handed(cash_minor=1))
    assert session.basket.lines  # still open


def test_a_sale_records_whether_hq_was_reachable(session: CheckoutSession, store: Store) -> None:
    assert hq_reachable(store) is None
    session.add("MILK")
    first = session.commit()
    note_hq_reachable(store, False)
    session.add("MILK")
    second = session.commit()
    note_hq_reachable(store, True)
    session.add("MILK")
    third = session.commit()
    got = [recorded(store, s.seq).hq_reachable for s in (first, second, third)]
    assert got == [None, False, True]


def test_amounts_typed() -> None:
    assert amount_typed("12,5", "PLN") == Money(1250, "PLN")
    for text in ("", "abc", "-5", "0", "1.234", "GC0000000001", "99999999999"):
        assert amount_typed(text, "PLN") is None
