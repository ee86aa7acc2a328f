"""The rules engine through the checkout session and the real SQLite store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from agent.clock import FixedClock, SequentialIds
from agent.code_entry import take_back
from agent.codes import make_card_number
from agent.documents import customer_from_doc
from agent.events import Return
from agent.notice import CommittedSale, Notice
from agent.session import CheckoutSession
from agent.store import Store
from tests.agent.rules_fixtures import lot_doc
from tests.conftest import TUESDAY

ANNA, IOANA = make_card_number(1), make_card_number(3)


def hq_sends(
    store: Store, customers: Sequence[dict[str, Any]] = (), revoked: list[str] | None = None
) -> None:
    """Apply what HQ would send: these customers (in the snapshot's shape) and revocations."""
    store.catalogue.apply_snapshot(
        products=[],
        customers=[customer_from_doc(c) for c in customers],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
        revoked=revoked,
    )


def sell(session: CheckoutSession, card: str | None, *items: str) -> CommittedSale:
    if card:
        assert not session.enter(card).refused
    for item in items:
        notice = session.enter(item)
        assert not notice.refused, notice.text
    return session.commit()


def test_R11_welcome_quota_is_counted_by_the_store(session: CheckoutSession, store: Store) -> None:
    new = [
        {
            "customer_id": f"N{i}",
            "card": make_card_number(100 + i),
            "name": f"New {i}",
            "tier": "Bronze",
            "balance": 0,
            "applied_seq": 0,
            "purchases_total": 0,
        }
        for i in range(4)
    ]
    hq_sends(store, customers=new)
    earned = [sell(session, c["card"], "MILK").quote for c in new]
    assert [q.points_earned if q else None for q in earned] == [54, 54, 54, 4]
    last = earned[3]
    assert last is not None
    assert last.refusal("WELCOME50") == "quota at this terminal used up"
    assert store.ledger.usage()["quota:WELCOME50"] == 3
    assert store.ledger.outbox_stats().pending == 4  # all four sales completed


def test_R12_coupon_once_then_refused_in_plain_words(session: CheckoutSession) -> None:
    sale = sell(session, IOANA, "COFFEE", "SYRUP", "SYRUP20")
    assert sale.quote is not None and sale.quote.discount_by("SYRUP20") == 360
    session.enter(IOANA)
    session.enter("SYRUP")
    assert session.enter("SYRUP20").text == "SYRUP20 refused: coupon already used"
    session.reset()
    session.enter(ANNA)
    session.enter("SYRUP")
    assert session.enter("SYRUP20").text == ("SYRUP20 refused: coupon not issued to this customer")
    assert session.apply_code("WINTER99").text == "Unknown code WINTER99"


def test_promo_code_entered_by_the_cashier(session: CheckoutSession) -> None:
    session.enter(IOANA)
    session.enter("SCARF")
    session.enter("FOG")
    assert session.enter("AUTUMN15").text == "AUTUMN15 applied"
    q = session.quote()
    assert q.discount_by("AUTUMN15") == 2220 and q.points_earned == 251


def test_R13_return_through_the_store(session: CheckoutSession, store: Store) -> None:
    hq_sends(
        store,
        customers=[
            {
                "customer_id": "Z",
                "card": make_card_number(200),
                "name": "Zero",
                "tier": "Bronze",
                "balance": 0,
                "applied_seq": 0,
                "purchases_total": 4,
            }
        ],
    )
    sale = sell(session, make_card_number(200), "JACKET", "SCARF")
    assert sale.balance_after == 1057
    preview = session.desk.preview_return(sale.seq, {"SCARF": 1})
    assert not isinstance(preview, Notice)
    assert preview.points_reversed == 59
    back = session.desk.commit_return(sale.seq, {"SCARF": 1})
    assert isinstance(back, CommittedSale) and back.balance_after == 998
    customer = store.catalogue.customer("Z")
    assert customer is not None and store.catalogue.balance(customer, session.clock.now()) == 998
    again = session.desk.commit_return(sale.seq, {"SCARF": 1})
    assert not isinstance(again, CommittedSale)
    assert "SCARF: 0 of 1 can still be returned" in again.text
    assert store.ledger.verify() is None


def test_R13b_return_flags_a_negative_balance(session: CheckoutSession, store: Store) -> None:
    hq_sends(
        store,
        customers=[
            {
                "customer_id": "Z",
                "card": make_card_number(200),
                "name": "Zero",
                "tier": "Bronze",
                "balance": 0,
                "applied_seq": 0,
                "purchases_total": 4,
            }
        ],
    )
    sale = sell(session, make_card_number(200), "JACKET", "SCARF")
    session.enter(make_card_number(200))
    session.add("COFFEE")
    session.pay_with_points(1000)
    session.commit()  # spends 1000 of the 1057, earns 29: balance 86
    hq_sends(
        store,
        customers=[
            {
                "customer_id": "Z",
                "card": make_card_number(200),
                "name": "Zero",
                "tier": "Bronze",
                "balance": 20,
                "applied_seq": 2,
                "purchases_total": 6,
            }
        ],
    )
    back = session.desk.commit_return(sale.seq, {"JACKET": 1})
    assert isinstance(back, CommittedSale) and back.balance_after == -978
    event = store.ledger.sale_event(back.seq)
    assert event is not None and isinstance(event.record, Return)
    assert event.record.flags == ("negative_balance",)
    assert event.record.points_earned == -998


def test_R16_revocation_from_hq_stops_the_campaign(store: Store) -> None:
    hq_sends(store, revoked=["HAPPY3"])
    thursday_1710 = datetime(2026, 11, 26, 16, 10, tzinfo=UTC)
    session = CheckoutSession(store, FixedClock(thursday_1710), SequentialIds("r"), "T1", "S")
    session.enter(make_card_number(2))  # Ivan, Silver
    session.add("JACKET")
    q = session.quote()
    assert q.points_earned == 1422 and q.refusal("HAPPY3") == "revoked by HQ"


def test_R17_gift_card_pays_and_its_balance_follows(session: CheckoutSession, store: Store) -> None:
    sale = sell(session, ANNA, "COFFEE", "MILK", "GC0000000001")
    assert sale.quote is not None and sale.quote.gift_card.minor == 4440
    assert sale.quote.points_earned == 44
    balance = store.ledger.gift_card_balance("GC0000000001")
    assert balance is not None and balance.minor == 560
    assert session.enter("GC0000000002").text == "Unknown gift card GC0000000002"


# -- second programme additions: claims at the till, codes without a customer ---------------
def bronze(cid: str, n: int, balance: int, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": cid,
        "card": make_card_number(n),
        "name": cid,
        "tier": "Bronze",
        "balance": balance,
        "applied_seq": 0,
        "purchases_total": 4,
        **extra,
    }


def test_R24_a_second_claim_the_balance_cannot_cover_is_refused(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, customers=[bronze("R24", 224, 2000)])
    session.enter(make_card_number(224))
    session.enter("COFFEE", 2)
    assert session.enter("FREECOFFEE").text == "FREECOFFEE applied"
    second = session.enter("FREECOFFEE")
    assert second.refused
    assert second.text == "FREECOFFEE refused: claim 2 needs 1500 points, 500 points left"
    sale = session.commit()
    q = sale.quote
    assert q is not None and q.discount_by("FREECOFFEE") == 3990 and q.total.minor == 3990
    assert (q.reward_points, q.points_earned, sale.balance_after) == (1500, 39, 539)
    customer = store.catalogue.customer("R24")
    assert customer is not None and store.catalogue.balance(customer, session.clock.now()) == 539


def test_R24b_two_claims_of_a_free_coffee(session: CheckoutSession, store: Store) -> None:
    hq_sends(store, customers=[bronze("R24B", 225, 3000)])
    session.enter(make_card_number(225))
    session.enter("COFFEE", 2)
    session.enter("FREECOFFEE")
    assert session.enter("FREECOFFEE").text == "FREECOFFEE claimed 2 times: 3000 points"
    sale = session.commit()
    assert sale.quote is not None and sale.quote.discount.minor == 7980
    assert (sale.quote.total.minor, sale.quote.points_earned, sale.balance_after) == (0, 0, 0)


def test_a_claim_taken_back_gives_its_points_back(session: CheckoutSession) -> None:
    session.enter(ANNA)  # 3000 points
    session.enter("COFFEE", 2)
    session.enter("FREECOFFEE")
    session.enter("FREECOFFEE")
    assert session.quote().reward_points == 3000
    assert take_back(session, "FREECOFFEE").text == "FREECOFFEE: one claim taken back, 1 left"
    assert session.quote().reward_points == 1500
    assert take_back(session, "FREECOFFEE").text == "FREECOFFEE taken off the sale"
    assert session.quote().reward_points == 0 and session.quote().discount.minor == 0
    assert take_back(session, "FREECOFFEE").refused
    session.enter("FREECOFFEE")
    session.enter("AUTUMN15")
    assert session.take_off("FREECOFFEE").text == "FREECOFFEE taken off the sale"
    assert session.take_off("autumn15").text == "AUTUMN15 taken off the sale"
    assert session.quote().discount.minor == 0 and session.codes == frozenset()
    assert session.take_off("COFFEE").text == "COFFEE: 1 taken off, 1 left"


def test_R30_anonymous_sale_takes_autumn15_and_refuses_a_coupon(
    session: CheckoutSession,
) -> None:
    session.enter("SCARF")
    assert session.enter("AUTUMN15").text == "AUTUMN15 applied"
    coupon = session.enter("SYRUP20")
    assert coupon.refused and coupon.text == (
        "SYRUP20 refused: a personal coupon needs the customer"
    )
    sale = session.commit()
    assert sale.quote is not None and sale.quote.discount_by("AUTUMN15") == 885
    assert sale.quote.total.minor == 5015 and sale.quote.points_earned == 0


def test_R27_the_till_offers_only_unexpired_points(session: CheckoutSession, store: Store) -> None:
    lots = [lot_doc(300, "2025-11-20T10:00:00+01:00"), lot_doc(800, "2026-06-01T10:00:00+02:00")]
    hq_sends(store, customers=[bronze("R27", 227, 1100, lots=lots)])
    session.enter(make_card_number(227))
    session.enter("JACKET")
    assert session.quote().max_redeemable == 800
    assert session.pay_with_points().text == "800 points pay 8.00 PLN"
    sale = session.commit()
    assert sale.quote is not None and sale.quote.to_pay.minor == 49100
    assert (sale.quote.points_earned, sale.balance_after) == (982, 982)


def test_R23_pct20_claimed_at_the_till_spends_the_oldest_lot_first(
    session: CheckoutSession, store: Store
) -> None:
    lots = [
        {
            "points": 1000,
            "earned_at": "2025-12-15T10:00:00+01:00",
            "expires_at": "2026-12-15T10:00:00+01:00",
        },
        {
            "points": 2000,
            "earned_at": "2026-06-01T10:00:00+02:00",
            "expires_at": "2027-06-01T10:00:00+02:00",
        },
    ]
    hq_sends(store, customers=[bronze("R23", 223, 3000, lots=lots)])
    session.enter(make_card_number(223))
    session.enter("JACKET")
    assert session.enter("PCT20").text == "PCT20 applied"
    sale = session.commit()
    q = sale.quote
    assert q is not None and q.discount_by("PCT20") == 3000 and q.total.minor == 46900
    assert [lot.points for lot in q.lots_used] == [1000, 1500] and q.reward_points == 2500
    assert (q.points_earned, sale.balance_after) == (938, 1438)


def test_R25_and_R25b_ten_off_at_the_till(session: CheckoutSession, store: Store) -> None:
    hq_sends(store, customers=[bronze("R25", 225_0, 1200), bronze("R25B", 225_1, 1200)])
    session.enter(make_card_number(225_0))
    session.enter("SCARF")
    assert session.enter("TENOFF").text == "TENOFF applied"
    sale = session.commit()
    assert sale.quote is not None and sale.quote.total.minor == 4900
    assert (sale.quote.reward_points, sale.quote.points_earned, sale.balance_after) == (
        1000,
        49,
        249,
    )
    session.enter(make_card_number(225_1))
    session.enter("SYRUP", 2)
    session.enter("CIGS")
    refused = session.enter("TENOFF")
    assert refused.refused and refused.text == (
        "TENOFF refused: minimum basket 50.00 PLN not reached: the lines that may take a "
        "discount come to 36.00 PLN"
    )
    sale = session.commit()
    assert sale.quote is not None and sale.quote.total.minor == 5450
    assert (sale.quote.points_earned, sale.balance_after) == (36, 1236)
