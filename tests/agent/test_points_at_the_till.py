"""Every point accounted for at the till (issue 13): expired points, the tier a sale
reaches, a reward code entered twice, and a return of what a gift card paid."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from agent.codes import make_card_number
from agent.demo import RULESET
from agent.event_parts import NextTier
from agent.events import Return, Sale
from agent.money import Money
from agent.notice import CommittedSale
from agent.ruleset_reader import parse_ruleset
from agent.session import CheckoutSession
from agent.store import Store
from tests.agent.test_session_rules import ANNA, hq_sends, sell
from tests.conftest import TUESDAY

EWA = make_card_number(50)


def ewa(balance: int, expires_in: timedelta) -> dict[str, Any]:
    """A customer whose whole balance is one lot, expiring ``expires_in`` from now."""
    return {
        "customer_id": "E1",
        "card": EWA,
        "name": "Ewa",
        "tier": "Bronze",
        "balance": balance,
        "applied_seq": 0,
        "purchases_total": 4,
        "lots": [
            {
                "points": balance,
                "earned_at": (TUESDAY - timedelta(days=365)).isoformat(),
                "expires_at": (TUESDAY + expires_in).isoformat(),
            }
        ],
    }


# -- 5: expired points are not spendable at the till ----------------------------------------
@pytest.mark.parametrize(
    ("expires_in", "shown", "can_pay"),
    [
        (timedelta(days=-1), 0, False),  # expired yesterday: nothing to spend
        (timedelta(0), 0, False),  # expires now: gone
        (timedelta(days=1), 2415, True),  # expires tomorrow: still spendable
    ],
)
def test_expired_points_cannot_be_spent_at_the_till(
    session: CheckoutSession, store: Store, expires_in: timedelta, shown: int, can_pay: bool
) -> None:
    hq_sends(store, customers=[ewa(2415, expires_in)])
    assert not session.enter(EWA).refused
    assert session.balance() == shown
    session.enter("JACKET")
    notice = session.pay_with_points()
    assert notice.refused is not can_pay
    assert session.quote().points_redeemed == (2415 if can_pay else 0)


def test_unsynced_moves_count_beside_the_unexpired_lots(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, customers=[ewa(2415, timedelta(days=-1))])
    sale = sell(session, EWA, "COFFEE")  # earns 39 here, not yet synced
    assert sale.balance_after == 39
    session.enter(EWA)
    assert session.balance() == 39


# -- 6: the tier a customer holds after the sale --------------------------------------------
@pytest.mark.parametrize(
    ("items", "tier", "next_tier"),
    [
        (("MILK",), "Bronze", NextTier("Silver", 100000 - 82450)),  # not there yet
        (("JACKET",), "Silver", NextTier("Gold", 500000 - 131900)),  # crosses Silver's line
    ],
)
def test_the_sale_that_crosses_a_threshold_qualifies_the_customer(
    session: CheckoutSession,
    store: Store,
    items: tuple[str, ...],
    tier: str,
    next_tier: NextTier,
) -> None:
    sale = sell(session, ANNA, *items)  # Anna: Bronze, 820.00 qualifying spend so far
    event = store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    held = event.record.customer
    assert held is not None
    assert (held.tier, held.next_tier) == (tier, next_tier)


def test_no_next_tier_above_the_top_one(session: CheckoutSession, store: Store) -> None:
    sale = sell(session, make_card_number(3), "MILK")  # Ioana holds Gold
    event = store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    assert event.record.customer is not None
    assert (event.record.customer.tier, event.record.customer.next_tier) == ("Gold", None)


# -- 10: a reward code entered again claims one more unit, never "applied" for nothing -------
def test_a_reward_code_entered_again_claims_one_more_unit_while_there_is_one(
    session: CheckoutSession, store: Store
) -> None:
    doc = copy.deepcopy(RULESET)
    doc["version"] = 2
    doc["rules"].append(
        {"id": "FREE-MILK", "kind": "reward", "points": 500, "match": {"skus": ["MILK"]}}
    )
    store.catalogue.apply_snapshot(
        products=[], customers=[], ruleset=parse_ruleset(doc), cursor="3", received_at=TUESDAY
    )
    session.reset()
    session.enter(ANNA)
    session.enter("MILK", 2)
    assert session.enter("FREE-MILK").text == "FREE-MILK applied"
    assert session.enter("FREE-MILK").text == "FREE-MILK claimed 2 times: 1000 points"
    assert session.quote().reward_points == 1000 and session.quote().discount.minor == 900
    third = session.enter("FREE-MILK")  # no third MILK: refused, the two claims stay
    assert third.refused and third.text == "FREE-MILK refused: 3 claims, only 2 units to give"
    assert session.quote().reward_points == 1000


# -- 11: a return of what a gift card paid goes back onto the card --------------------------
@pytest.mark.parametrize(
    ("card_balance", "returns", "to_card", "cash"),
    [
        (5000, [("COFFEE", 3990, 0), ("MILK", 450, 0)], 4440, 0),  # the card paid it all
        (1000, [("COFFEE", 1000, 2990), ("MILK", 0, 450)], 1000, 3440),  # the card first
    ],
)
def test_a_return_of_lines_paid_by_gift_card_credits_the_card(
    session: CheckoutSession,
    store: Store,
    card_balance: int,
    returns: list[tuple[str, int, int]],
    to_card: int,
    cash: int,
) -> None:
    card = "GC0000000001"
    store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor="3",
        received_at=TUESDAY,
        gift_cards=[(card, Money(card_balance, "PLN"), 0)],
    )
    sale = sell(session, ANNA, "COFFEE", "MILK", card)
    left = max(0, card_balance - 4440)
    credited = paid_out = 0
    for sku, card_part, cash_part in returns:
        back = session.desk.commit_return(sale.seq, {sku: 1})
        assert isinstance(back, CommittedSale)
        event = store.ledger.sale_event(back.seq)
        assert event is not None and isinstance(event.record, Return)
        assert event.record.gift_card == ((card, card_part) if card_part else None)
        assert event.record.to_doc()["paid_money_minor"] == -cash_part
        credited += card_part
        paid_out += cash_part
    assert (credited, paid_out) == (to_card, cash)
    balance = store.ledger.gift_card_balance(card)
    assert balance is not None and balance.minor == left + to_card
