"""Gift cards sold and topped up at the till: the line that loads the card scanned with it,
through the checkout session and the real store."""

from __future__ import annotations

import pytest

from agent.codes import make_card_number
from agent.documents import customer_from_doc
from agent.errors import SaleNotReady
from agent.events import Sale
from agent.money import Money
from agent.notice import Notice
from agent.receipt import build_receipt
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

ANNA = make_card_number(1)
NEW_CARD = "GC0000000123"  # a blank card from the shop's stock: the till has never seen it


def hq_sends_customer(store: Store, cid: str, purchases: int, month: int = 0) -> str:
    card = make_card_number(300 + int(cid[1:]))
    doc = {
        "customer_id": cid,
        "card": card,
        "name": cid,
        "tier": "Bronze",
        "balance": 0,
        "applied_seq": 0,
        "purchases_total": purchases,
        "month_purchases": ["2026-11", month],
    }
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(doc)],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
    )
    return card


def test_a_card_loaded_here_pays_here_before_any_sync(
    session: CheckoutSession, store: Store
) -> None:
    assert store.ledger.gift_card_balance(NEW_CARD) is None
    assert session.enter(NEW_CARD).text == f"Unknown gift card {NEW_CARD}"  # nothing on it
    session.enter("GIFT50")
    assert not session.enter(NEW_CARD).refused  # a blank card is bound: the load creates it
    session.commit()
    assert store.ledger.gift_card_balance(NEW_CARD) == Money(5000, "PLN")
    session.enter("SCARF")
    assert session.enter(NEW_CARD).text == f"Gift card {NEW_CARD}: 50.00 PLN available"
    sale = session.commit()
    assert sale.quote is not None and sale.quote.gift_card.minor == 5000
    assert sale.quote.to_pay.minor == 900
    assert store.ledger.gift_card_balance(NEW_CARD) == Money(0, "PLN")
    assert store.ledger.outbox_stats().pending == 2  # HQ has heard of neither sale


def test_a_load_line_without_its_card_cannot_be_paid(session: CheckoutSession) -> None:
    session.enter("MILK")
    assert session.enter("GIFT50").text == "Gift card 50 x1; scan the gift card to load"
    with pytest.raises(SaleNotReady) as refused:
        session.commit()
    assert str(refused.value.words()) == (
        "The sale cannot be completed yet: "
        "Gift card 50: scan the gift card it loads before the sale is paid"
    )
    assert session.basket.lines  # the sale stays open
    session.enter("GC0000000009")
    assert session.commit().seq == 1


def test_each_unit_loads_its_own_card_and_a_card_is_loaded_once(
    session: CheckoutSession, store: Store
) -> None:
    session.enter("GIFT50")
    session.enter("GIFT50")
    assert session.enter("GC0000000009").text == (
        "Gift card GC0000000009: 50.00 PLN is loaded onto it when the sale is paid; "
        "scan the gift card to load"
    )
    assert session.enter("GC0000000009").text == (
        "Gift card GC0000000009 is already loaded by this sale"
    )
    with pytest.raises(SaleNotReady):
        session.commit()
    assert not session.enter(NEW_CARD).refused
    # Every load has its card: a card scanned now pays, except one this sale loads.
    assert session.enter(NEW_CARD).text == (
        f"Gift card {NEW_CARD} is loaded by this sale: it can pay from the next sale"
    )
    assert not session.enter("GC0000000001").refused  # 50.00 on it pays half
    sale = session.commit()
    assert sale.quote is not None and sale.quote.gift_card.minor == 5000
    balances = [store.ledger.gift_card_balance(c) for c in ("GC0000000009", NEW_CARD)]
    assert balances == [Money(5000, "PLN"), Money(5000, "PLN")]
    assert store.ledger.gift_card_balance("GC0000000001") == Money(0, "PLN")


def test_the_card_paying_the_sale_is_not_loaded_by_it(session: CheckoutSession) -> None:
    session.enter("MILK")
    assert not session.enter("GC0000000001").refused  # pays
    session.enter("GIFT50")
    assert session.enter("GC0000000001").text == (
        "Gift card GC0000000001 pays this sale: scan another card to load"
    )


def test_taking_a_load_unit_off_frees_its_card(session: CheckoutSession, store: Store) -> None:
    session.enter("GIFT50")
    session.enter("GIFT50")
    session.enter("GC0000000009")
    session.enter(NEW_CARD)
    assert not session.take_off("GIFT50").refused  # the card bound last goes with it
    sale = session.commit()
    assert sale.quote is not None and sale.quote.total.minor == 5000
    assert store.ledger.gift_card_balance("GC0000000009") == Money(5000, "PLN")
    assert store.ledger.gift_card_balance(NEW_CARD) is None


def test_the_receipt_shows_the_card_loaded_and_its_new_balance(
    session: CheckoutSession, store: Store
) -> None:
    session.enter("GIFT50")
    session.enter("GC0000000001")  # a top-up: 50.00 on it already
    sale = session.commit()
    event = store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    assert [(g.card, g.amount_minor, g.balance_after_minor) for g in event.record.gift_loads] == [
        ("GC0000000001", 5000, 10000)
    ]
    text = build_receipt(event, "Shop").plain()
    assert "Gift card …0001 loaded" in text and "50.00" in text
    assert [ln for ln in text.splitlines() if ln.startswith("Gift card balance")] == [
        "Gift card balance" + " " * 19 + "100.00"
    ]


def test_a_gift_card_load_cannot_be_returned(session: CheckoutSession, store: Store) -> None:
    session.enter(ANNA)
    session.enter("MILK")
    session.enter("GIFT50")
    session.enter("GC0000000009")
    sale = session.commit()
    back = session.desk.commit_return(sale.seq, {"GIFT50": 1})
    assert isinstance(back, Notice) and back.refused
    assert back.text == (
        "GIFT50 loaded gift card GC0000000009: a gift card load cannot be returned; "
        "what it loaded stays on the card, which pays like money"
    )
    assert store.ledger.gift_card_balance("GC0000000009") == Money(5000, "PLN")
    assert not isinstance(session.desk.commit_return(sale.seq, {"MILK": 1}), Notice)


def test_a_sale_of_gift_cards_only_is_no_purchase(session: CheckoutSession, store: Store) -> None:
    # THIRD15: two purchases this month at HQ; a gift card sale is not the third.
    card = hq_sends_customer(store, "P1", purchases=10, month=2)
    session.enter(card)
    session.enter("GIFT50")
    session.enter("GC0000000009")
    q = session.quote()
    assert q.discount.minor == 0
    assert q.refusal("THIRD15") == "a sale of gift cards only is not a purchase"
    session.commit()
    session.enter(card)
    session.enter("SCARF")
    assert session.commit().quote.discount_by("THIRD15") == 885  # type: ignore[union-attr]
    # WELCOME50: a new customer's gift card sale is not their first purchase.
    new = hq_sends_customer(store, "P2", purchases=0)
    session.enter(new)
    session.enter("GIFT50")
    session.enter(NEW_CARD)
    first = session.commit()
    assert first.quote is not None and "WELCOME50" not in {a.rule for a in first.quote.awards}
    assert store.ledger.usage().get("quota:WELCOME50", 0) == 0
    session.enter(new)
    session.enter("MILK")
    milk = session.commit()
    assert milk.quote is not None and milk.quote.points_by("WELCOME50") == 50
