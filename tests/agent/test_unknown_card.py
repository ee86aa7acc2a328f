"""A card this till does not hold (issue 15): asked of HQ, or sold to as a card alone."""

from __future__ import annotations

from agent.card_only import CARD_ONLY
from agent.codes import make_card_number
from agent.events import Sale
from agent.model import Customer
from agent.money import Points
from agent.receipt import build_receipt
from agent.session import CheckoutSession

NEW_CARD = make_card_number(777)  # valid, held by no customer of this till


class FakeLookup:
    """HQ as the session sees it: a dict of cards, or unreachable (None for all)."""

    def __init__(self, known: dict[str, Customer] | None = None) -> None:
        self.known = known or {}
        self.asked: list[str] = []

    def customer_by_card(self, card: str) -> Customer | None:
        self.asked.append(card)
        return self.known.get(card)


def test_a_card_found_at_hq_is_identified_and_kept_in_the_store(
    session: CheckoutSession,
) -> None:
    hq = Customer("C-NEW", NEW_CARD, "Nina", "silver", Points(500))
    session.card_lookup = FakeLookup({NEW_CARD: hq})
    said = session.enter(NEW_CARD)
    assert said.text == "Customer Nina (silver), balance 500 points"
    assert session.store.catalogue.customer_by_card(NEW_CARD) is not None
    session.reset()
    session.card_lookup = FakeLookup()  # held now: HQ is not asked again
    assert session.enter(NEW_CARD).text.startswith("Customer Nina")
    assert session.card_lookup.asked == []


def test_offline_an_unknown_card_earns_at_the_base_tier_and_spends_nothing(
    session: CheckoutSession,
) -> None:
    session.card_lookup = FakeLookup()  # HQ unreachable, slow, or the card unknown there
    said = session.enter(NEW_CARD)
    assert not said.refused
    assert "no points can be spent and no personal coupons" in said.text
    session.add("COFFEE")
    q = session.quote()
    assert q.points_earned > 0
    assert session.pay_with_points(None).refused
    committed = session.commit()
    event = session.store.ledger.sale_event(committed.seq)
    assert event is not None
    record = event.record
    assert isinstance(record, Sale) and record.customer is not None
    assert (record.customer.customer_id, record.customer.card) == (CARD_ONLY, NEW_CARD)
    assert record.points_earned == q.points_earned
    assert session.store.catalogue.customer_by_card(NEW_CARD) is None  # nothing invented


def test_the_receipt_says_the_points_will_be_credited_to_the_card(
    session: CheckoutSession,
) -> None:
    session.enter(NEW_CARD)
    session.add("COFFEE")
    committed = session.commit()
    event = session.store.ledger.sale_event(committed.seq)
    assert event is not None
    text = "\n".join(ln.text for ln in build_receipt(event, "S").lines)
    assert f"Points will be credited to card {NEW_CARD[-4:]}" in text


def test_scanner_garbage_is_still_refused(session: CheckoutSession) -> None:
    session.card_lookup = FakeLookup()
    bad = NEW_CARD[:-1] + str((int(NEW_CARD[-1]) + 1) % 10)  # wrong check digit
    assert session.enter(bad).refused
    assert session.customer is None
