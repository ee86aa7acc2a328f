"""Tier qualification at the till (issue 13, R28): the tier a sale is priced at is the
higher of HQ's tier and the tier reached by the qualifying spend before it (HQ's figure
plus this terminal's unsynced sales); the programme says when a tier reached starts."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from agent.clock import FixedClock
from agent.codes import make_card_number
from agent.demo import RULESET
from agent.documents import customer_from_doc, product_from_doc
from agent.errors import InvalidRuleset
from agent.event_parts import NewTier, NextTier
from agent.events import Sale
from agent.i18n import Texts
from agent.money import Money
from agent.notice import CommittedSale
from agent.receipt import build_receipt
from agent.ruleset import TierQualification, TierStart
from agent.ruleset_reader import parse_ruleset
from agent.session import CheckoutSession
from agent.store import Store
from agent.tiers import after_sale, qualifying_minor, tiered_quote
from tests.agent.rules_fixtures import PROGRAMME, basket, customer, price
from tests.agent.test_session_rules import sell
from tests.conftest import TUESDAY

RITA = make_card_number(60)
# Sold at 176.47, the 3rd purchase of the month pays 150.00 (THIRD15: 26.47 off).
BOOTS = {"sku": "BOOTS", "name": "Boots", "price_minor": 17647, "category": "shoes"}


def rita(**extra: Any) -> dict[str, Any]:
    """R28's customer: Bronze, 800.00 qualifying spend at HQ, no purchase this month."""
    return {
        "customer_id": "R1",
        "card": RITA,
        "name": "Rita",
        "tier": "Bronze",
        "balance": 0,
        "applied_seq": 0,
        "purchases_total": 7,
        "month_purchases": ["2026-10", 3],
        "tier_spend_minor": 80000,
        **extra,
    }


def hq_sends(store: Store, ruleset: dict[str, Any] | None = None, **extra: Any) -> None:
    store.catalogue.apply_snapshot(
        products=[product_from_doc(dict(BOOTS, currency="PLN"))],
        customers=[customer_from_doc(rita(**extra))],
        ruleset=None if ruleset is None else parse_ruleset(ruleset),
        cursor="2",
        received_at=TUESDAY,
    )


def programme(**tiers: Any) -> dict[str, Any]:
    doc = copy.deepcopy(RULESET)
    doc["version"] = 2
    if tiers:
        doc["tier_qualification"] = tiers
    else:
        del doc["tier_qualification"]
    return doc


def record(store: Store, sale: CommittedSale) -> Sale:
    event = store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    return event.record


def receipt_text(store: Store, sale: CommittedSale, lang: str = "en") -> str:
    event = store.ledger.sale_event(sale.seq)
    assert event is not None
    return build_receipt(event, "Sklep", Texts(lang)).plain()


# -- R28 at the till, with a real store -------------------------------------------------------
def test_R28_the_sale_that_reaches_silver_earns_at_bronze_and_the_next_one_is_silver(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, month_purchases=["2026-11", 2])  # HQ knows 2 purchases this month
    unsynced = sell(session, RITA, "BOOTS")  # the 3rd purchase this month, not yet at HQ
    assert unsynced.quote is not None
    assert unsynced.quote.discount_by("THIRD15") == 2647 and unsynced.quote.to_pay.minor == 15000

    jacket = sell(session, RITA, "JACKET")  # 800.00 + 150.00 before it: still Bronze
    q = jacket.quote
    assert q is not None
    assert q.points_earned == 998 and q.discount_by("TIER") == 0 and q.total.minor == 49900
    held = record(store, jacket).customer
    assert held is not None
    assert held.tier == "Silver"  # held after it ...
    assert held.new_tier == NewTier("Silver", 144900, this_sale=False)  # ... from the next sale
    assert held.next_tier == NextTier("Gold", 500000 - 144900)
    assert "Silver from the next purchase (qualifying 1,449.00)" in receipt_text(store, jacket)

    coffee = sell(session, RITA, "COFFEE")  # 1,449.00 before it, still unsynced: Silver
    q = coffee.quote
    assert q is not None
    assert q.discount_by("TIER") == 200 and q.total.minor == 3790 and q.points_earned == 56
    held = record(store, coffee).customer
    assert held is not None and (held.tier, held.new_tier) == ("Silver", None)
    assert "from the next purchase" not in receipt_text(store, coffee)


def test_the_receipt_says_the_new_tier_in_the_terminal_language(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, tier_spend_minor=95000)
    jacket = sell(session, RITA, "JACKET")
    amount = Texts("pl").amount(Money(144900, "PLN"))
    want = f"Poziom Silver od następnego zakupu (obrót kwalifikujący {amount})"
    assert want in receipt_text(store, jacket, "pl")


# -- what counts, and what does not ----------------------------------------------------------
def test_points_paid_are_not_qualifying_spend(session: CheckoutSession, store: Store) -> None:
    hq_sends(store, balance=30000, tier_spend_minor=95000)
    session.enter(RITA)
    session.enter("SCARF")  # 59.00: 950.00 + 59.00 would reach Silver ...
    assert not session.pay_with_points(1000).refused  # ... but 10.00 is paid with points
    assert qualifying_minor(session.quote().lines, PROGRAMME) == 4900
    sale = session.commit()
    held = record(store, sale).customer
    assert held is not None and (held.tier, held.new_tier) == ("Bronze", None)
    assert held.next_tier == NextTier("Silver", 100000 - 99900)


def test_a_return_takes_its_money_back_out_of_the_unsynced_spend(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store)
    jacket = sell(session, RITA, "JACKET")  # reaches Silver ...
    assert isinstance(session.desk.commit_return(jacket.seq, {"JACKET": 1}), CommittedSale)
    coffee = sell(session, RITA, "COFFEE")  # ... and gives it back with the jacket
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 0


def test_unsynced_sales_older_than_the_window_do_not_count(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    hq_sends(store, ruleset=programme(window_days=30))
    session.reset()
    sell(session, RITA, "JACKET")  # 1,299.00, still not at HQ ...
    clock.advance(days=31)  # ... a month later
    coffee = sell(session, RITA, "COFFEE")
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 0


def test_hq_synced_sales_are_not_counted_twice(session: CheckoutSession, store: Store) -> None:
    hq_sends(store)
    sell(session, RITA, "JACKET")
    hq_sends(store, applied_seq=1, tier_spend_minor=80000)  # HQ applied it, its window
    coffee = sell(session, RITA, "COFFEE")  # ... left 800.00 (say it lost the rest)
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 0


def test_a_customer_without_a_spend_figure_keeps_hqs_tier(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, tier_spend_minor=None)
    sell(session, RITA, "JACKET", "JACKET", "JACKET")
    coffee = sell(session, RITA, "COFFEE")
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 0
    held = record(store, coffee).customer
    assert held is not None and (held.tier, held.new_tier, held.next_tier) == ("Bronze", None, None)


def test_the_till_never_lowers_hqs_tier(session: CheckoutSession, store: Store) -> None:
    hq_sends(store, tier="Gold", tier_spend_minor=0)
    coffee = sell(session, RITA, "COFFEE")
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 399


def test_starting_with_the_sale_that_reaches_the_tier(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, ruleset=programme(window_days=365, starts="this_sale"))
    session.reset()
    jacket = sell(session, RITA, "JACKET")
    q = jacket.quote
    assert q is not None
    assert q.discount_by("TIER") == 2495 and q.points_earned == 1422  # Silver: 5 %, 1.5 x 2
    held = record(store, jacket).customer
    assert held is not None and held.tier == "Silver"
    assert held.new_tier == NewTier("Silver", 80000 + 47405, this_sale=True)
    assert "Silver from this purchase (qualifying 1,274.05)" in receipt_text(store, jacket)


def test_a_programme_without_the_settings_prices_at_hqs_tier(
    session: CheckoutSession, store: Store
) -> None:
    hq_sends(store, ruleset=programme())
    session.reset()
    jacket = sell(session, RITA, "JACKET")
    coffee = sell(session, RITA, "COFFEE")
    assert coffee.quote is not None and coffee.quote.discount_by("TIER") == 0
    held = record(store, jacket).customer
    assert held is not None and (held.tier, held.new_tier) == ("Silver", None)  # as before


# -- pure: the standing and the crossing -------------------------------------------------------
def test_this_sale_judges_the_crossing_at_the_old_tier() -> None:
    """955.00 + 45.00 at Bronze reaches 1,000.00; at Silver the basket pays 42.75, 997.75
    in all: the sale is priced at Silver all the same (its lower price does not undo the
    crossing it made), and the customer holds Silver after it."""
    rs = replace(PROGRAMME, tier_qualification=TierQualification(365, TierStart.THIS_SALE))
    c = replace(customer("Bronze"), tier_spend_minor=95500)
    b = basket(("SYRUP", 2), ("MILK", 2))  # 45.00
    q, st = tiered_quote(lambda x: price(b, x, ruleset=rs), c, rs, 0)
    assert st is not None and (st.before, st.tier) == ("Bronze", "Silver")
    assert q.discount_by("TIER") == 225 and qualifying_minor(q.lines, rs) == 4275
    after = after_sale(st, q, rs)
    assert after.tier == "Silver" and after.new_tier == NewTier("Silver", 99775, this_sale=True)


def test_next_sale_prices_the_crossing_sale_at_the_old_tier() -> None:
    c = replace(customer("Bronze"), tier_spend_minor=95500)
    q, st = tiered_quote(lambda x: price(basket("SCARF"), x), c, PROGRAMME, 0)
    assert st is not None and st.tier == "Bronze" and q.discount_by("TIER") == 0
    assert after_sale(st, q, PROGRAMME).new_tier == NewTier("Silver", 101400, this_sale=False)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"starts": "next_sale"}, "tier_qualification.window_days: missing"),
        ({"window_days": 0}, "tier_qualification.window_days: must be 1 to 36600 days"),
        ({"window_days": "365"}, "tier_qualification.window_days: must be a whole number"),
        ({"window_days": 365, "starts": "later"}, "tier_qualification.starts: must be"),
        ({"window_days": 365, "lower": "yes"}, "tier_qualification.lower: must be true or false"),
        ([365], "tier_qualification: must be an object"),
    ],
)
def test_the_settings_are_validated_naming_the_field(settings: object, field: str) -> None:
    doc = copy.deepcopy(RULESET)
    doc["tier_qualification"] = settings
    with pytest.raises(InvalidRuleset) as err:
        parse_ruleset(doc)
    assert str(err.value).startswith(field)


def test_the_demo_programme_counts_a_year_and_starts_with_the_next_sale() -> None:
    assert PROGRAMME.tier_qualification == TierQualification(365, TierStart.NEXT_SALE, False)
    assert parse_ruleset(programme()).tier_qualification is None


def test_lines_that_earn_no_points_are_no_qualifying_spend() -> None:
    # rules.md: "excluded categories do not count": CIGS (tobacco) earns nothing, so
    # only COFFEE's 39.90 counts; WINE earns (it only takes no discount), so it counts.
    q = price(basket("COFFEE", "CIGS", "WINE"), customer(balance=0))
    assert qualifying_minor(q.lines, PROGRAMME) == 3990 + 4500
