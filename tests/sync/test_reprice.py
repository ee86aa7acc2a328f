"""HQ prices every sale and return again with the terminal's engine (issue 14): real sales
made through a CheckoutSession on a real Store, re-priced against an HqStore seeded
with the demo programme. Genuine sales (offline, with an older ruleset or customer
state too) reprice clean; each forged figure is a problem naming it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent import demo
from agent.clock import FixedClock, SequentialIds
from agent.codes import ean13_check_digit, make_card_number
from agent.demo import demo_store
from agent.documents import customer_from_doc, product_from_doc
from agent.event_parts import ReturnLine
from agent.events import Return, Sale
from agent.money import Money
from agent.notice import CommittedSale
from agent.pos_basket import add_pos_line
from agent.pricing.asked import PricedWith
from agent.ruleset import Ruleset
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.ingest import ingest
from sync.hq.reprice import Problem, reprice
from sync.hq.reprice_view import repriced, view_of
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from tests import fuzz
from tests.conftest import TUESDAY

ANNA, IVAN, IOANA, MAX = (make_card_number(i) for i in (1, 2, 3, 4))
CARD = "GC0000000001"
AT = "2026-11-24T09:00:00+00:00"


@pytest.fixture
def hq(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


def record(store: Store, seq: int) -> Sale | Return:
    event = store.ledger.sale_event(seq)
    assert event is not None and isinstance(event.record, Sale | Return)
    return event.record


def problems(hq: HqStore, rec: Sale | Return) -> list[Problem]:
    return reprice(rec, view_of(hq, "T1", rec))


def figures(hq: HqStore, rec: Sale | Return) -> set[str]:
    return {p.figure for p in problems(hq, rec)}


def sell(session: CheckoutSession, *entries: str, points: int | None = None) -> int:
    for e in entries:
        assert not session.enter(e).refused, e
    if points is not None:
        assert not session.pay_with_points(points).refused
    return session.commit().seq


def upload(hq: HqStore, store: Store) -> None:
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(1000)], AT)


def terminal_holds(
    store: Store,
    customers: tuple[dict[str, Any], ...] = (),
    ruleset: Ruleset | None = None,
    gift_cards: list[tuple[str, Money, int]] | None = None,
) -> None:
    """This terminal's snapshot now holds these (as if HQ, or a forger, had sent them)."""
    store.catalogue.apply_snapshot(
        products=[product_from_doc(dict(p, currency="PLN")) for p in demo.PRODUCTS],
        customers=[customer_from_doc(dict(c, applied_seq=0)) for c in customers],
        ruleset=ruleset,
        cursor="2",
        received_at=TUESDAY,
        gift_cards=gift_cards,
    )


def label(grams: int) -> str:
    """The scale label of ``grams`` of BEANS (item code 00042): 22 00042 WWWWW C."""
    body = f"2200042{grams:05d}"
    return body + str(ean13_check_digit(body))


def demo_customer(cid: str, **changes: Any) -> dict[str, Any]:
    return dict(next(c for c in demo.CUSTOMERS if c["customer_id"] == cid), **changes)


# -- genuine sales ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "points"),
    [
        ((ANNA, "COFFEE"), None),
        ((ANNA, "JACKET", "MILK", "MILK", "MILK"), 1200),
        ((IOANA, "SYRUP", "SYRUP20", "COFFEE"), 1000),  # her coupon, paying with points
        ((IVAN, "COFFEE", "AUTUMN15"), None),  # a promo code, Silver's discount out
        ((MAX, "FOG", "FOG", "SCARF"), None),  # first purchase: WELCOME50
        ((ANNA, "COFFEE", CARD), None),  # a gift card pays
        (("COFFEE", "MILK"), None),  # no customer
        ((IOANA, "COFFEE", "COFFEE", "SCARF", "FREECOFFEE", "FREECOFFEE"), None),  # claimed twice
        ((ANNA, "JACKET", "PCT20", "CIGS", "WINE"), None),  # a sale reward, exclusions
        ((ANNA, "GIFT50", "GC0000000777", "COFFEE"), None),  # a card sold and loaded
        (("GIFT50", "GC0000000778"), None),  # loads only: no purchase
        ((ANNA, label(750), label(750), label(1234), "COFFEE"), None),  # weighed
    ],
)
def test_a_genuine_sale_reprices_clean(
    hq: HqStore,
    session: CheckoutSession,
    store: Store,
    entries: tuple[str, ...],
    points: int | None,
) -> None:
    seq = sell(session, *entries, points=points)
    assert problems(hq, record(store, seq)) == []


def test_an_offline_sale_priced_with_the_ruleset_before_hqs_last_reprices_as_priced(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    seq = sell(session, IVAN, "COFFEE", "AUTUMN15")  # priced with v1: 15% off
    v2 = copy.deepcopy(demo.RULESET)
    v2["version"] = 2
    next(r for r in v2["rules"] if r["id"] == "AUTUMN15")["percent"] = "25"
    with hq.transaction():
        hq.publish_ruleset(v2)  # HQ published v2 since; the terminal had not heard
    sale = record(store, seq)
    assert sale.ruleset_version == 1 and problems(hq, sale) == []
    assert figures(hq, replace(sale, ruleset_version=2)) >= {"discount AUTUMN15"}
    assert figures(hq, replace(sale, ruleset_version=7)) == {"ruleset_version"}


def test_an_offline_sale_priced_with_an_older_customer_state_reprices_as_priced(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    seq = sell(session, ANNA, "JACKET", CARD, points=1500)  # Anna: Bronze, 3000 points
    with hq.transaction():  # since then, at HQ: spent elsewhere, Silver, the card used up
        hq.upsert_customer(demo_customer("C1", balance=200, tier="Silver"))
        hq.upsert_gift_card(CARD, 0, "PLN")
    assert problems(hq, record(store, seq)) == []


def test_a_line_at_the_price_before_hqs_last_change_is_accepted_above_both_not(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    seq = sell(session, ANNA, "COFFEE")  # at 39.90
    with hq.transaction():
        hq.upsert_product(dict(demo.PRODUCTS[0], price_minor=2990, currency="PLN"))
    sale = record(store, seq)
    assert problems(hq, sale) == []
    with hq.transaction():  # changed again: 39.90 is two prices ago
        hq.upsert_product(dict(demo.PRODUCTS[0], price_minor=2790, currency="PLN"))
    assert figures(hq, sale) == {"line COFFEE unit_minor"}


# -- forged records --------------------------------------------------------------------


@pytest.fixture
def genuine(session: CheckoutSession, store: Store) -> Sale:
    sale = record(store, sell(session, ANNA, "JACKET", "COFFEE", points=1000))
    assert isinstance(sale, Sale) and sale.points_earned > 0 and sale.points_redeemed == 1000
    return sale


def test_points_earned_raised_to_a_billion_is_a_problem_naming_it(
    hq: HqStore, genuine: Sale
) -> None:
    forged = replace(genuine, points_earned=1_000_000_000)
    (p,) = problems(hq, forged)
    assert (p.figure, p.claimed, p.hq) == ("points_earned", 1_000_000_000, genuine.points_earned)
    assert "points_earned" in str(p) and "1000000000" in str(p)


def test_a_negative_redemption_is_a_problem(hq: HqStore, genuine: Sale) -> None:
    assert problems(hq, replace(genuine, points_redeemed=-5000)) == [
        Problem("points_redeemed", -5000, 1000)
    ]
    asked = genuine.priced_with
    assert asked is not None  # ... and asked of the engine: it pays nothing with them
    forged_ask = replace(asked, tender=replace(asked.tender, redeem_points=-5000))
    forged = replace(genuine, points_redeemed=-5000, priced_with=forged_ask)
    assert "points_redeemed" in figures(hq, forged)


def test_a_discount_not_in_the_rules_is_a_problem(hq: HqStore, genuine: Sale) -> None:
    forged = replace(
        genuine,
        discounts=(*genuine.discounts, ("STAFF90", 40000)),
        discount_minor=genuine.discount_minor + 40000,
        total_minor=genuine.total_minor - 40000,
    )
    found = problems(hq, forged)
    assert Problem("discount STAFF90", 40000, 0) in found
    assert {"discount_minor", "total_minor"} <= {p.figure for p in found}


def test_a_line_priced_above_hqs_price_is_a_problem(hq: HqStore, genuine: Sale) -> None:
    jacket = genuine.lines[0]
    raised = replace(jacket, unit_minor=99900, amount_minor=99900)
    forged = replace(genuine, lines=(raised, *genuine.lines[1:]))
    assert Problem("line JACKET unit_minor", 99900, 49900) in problems(hq, forged)


def test_a_weighed_line_above_hqs_price_per_kg_or_its_weight_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sale = record(store, sell(session, ANNA, label(750)))
    assert isinstance(sale, Sale) and problems(hq, sale) == []
    (beans,) = sale.lines
    assert (beans.key, beans.unit_minor) == ("BEANS/750g", 6743)  # 89.90 a kg x 0.75 kg
    dearer = replace(beans, per_kg_minor=12990, unit_minor=9743, amount_minor=9743)
    assert Problem("line BEANS/750g per_kg_minor", 12990, 8990) in problems(
        hq, replace(sale, lines=(dearer,))
    )
    heavier = replace(beans, unit_minor=9000, amount_minor=9000)  # not 750 g at 89.90
    assert Problem("line BEANS/750g unit_minor", 9000, 6743) in problems(
        hq, replace(sale, lines=(heavier,))
    )


def test_points_spent_beyond_hqs_balance_and_the_offline_allowance_are_a_problem(
    hq: HqStore, genuine: Sale
) -> None:
    asked = genuine.priced_with
    assert asked is not None
    rich = replace(asked, balance=10**9, usage=replace(asked.usage, redeem_left=None))
    forged = replace(genuine, points_redeemed=20_000, priced_with=rich)
    assert Problem("points_redeemed", 20_000, "at most 8000") in problems(hq, forged)


def test_a_sale_priced_without_its_inputs_is_not_repriced(hq: HqStore, genuine: Sale) -> None:
    assert figures(hq, replace(genuine, priced_with=None)) == {"priced_with"}


def test_a_reward_taken_without_its_points_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sale = record(store, sell(session, IOANA, "COFFEE", "COFFEE", "FREECOFFEE", "FREECOFFEE"))
    assert isinstance(sale, Sale) and sale.reward_points == 3000
    asked = sale.priced_with
    assert asked is not None and asked.tender.claims == (("FREECOFFEE", 2),)
    assert problems(hq, sale) == []
    forged = replace(sale, reward_points=0, points_redeemed=sale.points_redeemed - 3000)
    assert {"reward_points", "points_redeemed"} <= figures(hq, forged)
    once = replace(asked, tender=replace(asked.tender, claims=()))  # claimed once, taken twice
    assert "discount FREECOFFEE" in figures(hq, replace(sale, priced_with=once))


def test_a_sale_claiming_to_be_loads_only_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sale = record(store, sell(session, MAX, "COFFEE"))
    assert isinstance(sale, Sale) and sale.priced_with is not None
    asked = sale.priced_with
    no_purchase = replace(asked, tender=replace(asked.tender, purchase=False))
    assert "priced_with.tender.purchase" in figures(hq, replace(sale, priced_with=no_purchase))


def test_a_tier_the_customer_never_had_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    # A forged snapshot makes Anna Gold here: the sale's figures are the engine's own
    # for a Gold customer, but HQ never gave her Gold nor does her spend reach it.
    terminal_holds(store, customers=(demo_customer("C1", tier="Gold"),))
    sale = record(store, sell(session, ANNA, "COFFEE"))
    assert isinstance(sale, Sale) and dict(sale.discounts).get("TIER")
    assert problems(hq, sale) == [Problem("tier", "Gold", "Bronze")]


def test_a_coupon_hq_never_issued_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    terminal_holds(store, customers=(demo_customer("C1", coupons={"SYRUP20": False}),))
    sale = record(store, sell(session, ANNA, "SYRUP", "SYRUP20"))
    assert isinstance(sale, Sale) and dict(sale.discounts).get("SYRUP20")
    assert problems(hq, sale) == [Problem("coupon SYRUP20", "issued", "never issued")]


@pytest.mark.parametrize(
    ("change", "figure"),
    [
        ({"country": "DE"}, "country"),
        ({"birthday": "1990-11-24"}, "birthday"),
        ({"segments": ["staff"]}, "segment staff"),
    ],
)
def test_a_country_birthday_or_segment_not_the_customers_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store, change: dict[str, Any], figure: str
) -> None:
    terminal_holds(store, customers=(demo_customer("C1", **change),))
    sale = record(store, sell(session, ANNA, "COFFEE"))
    assert figures(hq, sale) == {figure}


def test_a_gift_card_paying_beyond_its_balance_and_the_offline_allowance_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    # The card holds 50.00 at HQ; a terminal may let it pay 50.00 more before HQ confirms.
    terminal_holds(store, gift_cards=[(CARD, Money(1_000_000, "PLN"), 0)])
    sale = record(store, sell(session, ANNA, "COFFEE", CARD))
    assert isinstance(sale, Sale) and sale.gift_card == (CARD, 3990)
    assert problems(hq, sale) == []  # within the allowance: an offline sale may do it
    asked = sale.priced_with
    assert asked is not None
    tender = replace(asked.tender, gift_card_left_minor=None)
    forged = replace(
        sale,
        lines=(replace(sale.lines[0], qty=10, amount_minor=39900, money_minor=39900),),
        subtotal_minor=39900,
        total_minor=39900,
        gift_card=(CARD, 39900),
        paid_money_minor=0,
        priced_with=replace(asked, tender=tender),
    )
    assert Problem(f"gift_card {CARD}", 39900, "at most 10000") in problems(hq, forged)


# -- returns ---------------------------------------------------------------------------


def returned(session: CheckoutSession, store: Store, seq: int, units: dict[str, int]) -> Return:
    back = session.desk.commit_return(seq, units)
    assert isinstance(back, CommittedSale)
    rec = record(store, back.seq)
    assert isinstance(rec, Return)
    return rec


def test_a_genuine_return_reprices_clean_a_forged_one_not(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    seq = sell(session, ANNA, "COFFEE", "COFFEE", "JACKET", CARD, points=1000)
    first = returned(session, store, seq, {"COFFEE": 1})
    upload(hq, store)  # HQ holds the sale and the first return
    second = returned(session, store, seq, {"COFFEE": 1, "JACKET": 1})
    assert problems(hq, second) == []
    assert first.points_redeemed < 0 and second.points_earned < 0
    more = replace(second, points_redeemed=second.points_redeemed - 5000)
    assert Problem("points_redeemed", more.points_redeemed, second.points_redeemed) in (
        problems(hq, more)
    )
    line = second.lines[0]
    richer = replace(second, lines=(replace(line, money_minor=line.money_minor + 100000),))
    assert f"line {line.sku}" in figures(hq, richer)
    again = replace(second, lines=(ReturnLine("COFFEE", 2, 0, 0, 0),))  # three of two
    assert figures(hq, again) == {"lines"}
    assert figures(hq, replace(second, original_seq=999)) == {"original_seq"}


def test_a_return_crediting_a_gift_card_beyond_what_it_paid_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    seq = sell(session, ANNA, "COFFEE", "SCARF", CARD)  # the card pays 50.00 of 98.90
    upload(hq, store)
    back = returned(session, store, seq, {"SCARF": 1})
    assert back.gift_card == (CARD, 5000) and problems(hq, back) == []
    forged = replace(back, gift_card=(CARD, 5900))
    assert problems(hq, forged) == [Problem("gift_card amount_minor", 5900, 5000)]
    assert figures(hq, replace(back, gift_card=("GC0000000099", 100))) == {"gift_card GC0000000099"}


# -- every genuine sale reprices clean ---------------------------------------------------

SKUS = [str(p["sku"]) for p in demo.PRODUCTS if not p.get("loads_gift_card") and not p.get("unit")]


@pytest.fixture(scope="module")
def till(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CheckoutSession, HqStore]]:
    path = tmp_path_factory.mktemp("reprice")
    store = demo_store(path / "terminal.db")
    hq = HqStore(path / "hq.db")
    seed_demo(hq)
    yield CheckoutSession(store, FixedClock(TUESDAY), SequentialIds("p"), "T1", "Test"), hq
    store.close()


CARDS = iter(range(1000, 10**9))


@fuzz.fuzz(share=0.02)
@given(
    who=st.sampled_from([None, ANNA, IVAN, IOANA, MAX]),
    lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=5),
    codes=st.lists(
        st.sampled_from(["AUTUMN15", "SYRUP20", "FREECOFFEE", "TENOFF", "PCT20"]), max_size=4
    ),
    load=st.booleans(),
    grams=st.none() | st.integers(1, 99_999),
    points=st.none() | st.integers(0, 3000),
    card=st.booleans(),
    minutes=st.integers(0, 600),
    back=st.booleans(),
)
def test_every_genuine_sale_reprices_clean(
    till: tuple[CheckoutSession, HqStore],
    who: str | None,
    lines: list[tuple[str, int]],
    codes: list[str],
    load: bool,
    grams: int | None,
    points: int | None,
    card: bool,
    minutes: int,
    back: bool,
) -> None:
    fuzz.ran("hq reprice")
    session, hq = till
    session.reset()
    assert isinstance(session.clock, FixedClock)
    session.clock.advance(minutes=minutes)  # through happy hours, days and months
    if who is not None:
        session.enter(who)
    for sku, qty in lines:
        session.enter(sku, qty)
    if grams is not None:  # weighed coffee beans, by their scale label
        session.enter(label(grams))
    if load:  # a card sold here, loaded with the sale
        session.enter("GIFT50")
        session.enter(f"GC{next(CARDS):010d}")
    for code in codes:
        session.apply_code(code)
    if card:
        session.enter(CARD)
    if points is not None and who is not None:
        session.pay_with_points(points)
    store = session.store
    seq = session.commit().seq
    sale = record(store, seq)
    assert isinstance(sale, Sale) and problems(hq, sale) == []
    upload(hq, store)  # HQ now holds it, as after its ingest
    if back:
        ret = session.desk.commit_return(seq, {sale.lines[0].sku: 1})
        assert isinstance(ret, CommittedSale)
        assert problems(hq, record(store, ret.seq)) == []
        upload(hq, store)
    store.ledger.mark_acked(store.ledger.last_link()[0], session.clock.now())


def test_the_priced_with_block_reads_back_as_written(genuine: Sale) -> None:
    asked = genuine.priced_with
    assert asked is not None and asked.customer is not None
    assert PricedWith.from_doc(asked.to_doc()) == asked
    assert asked.customer.name == "" and asked.customer.phone == ""  # only what prices
    assert asked.balance == 3000 and asked.tender.redeem_points == 1000


def test_the_ingests_call_names_every_problem_or_none(
    hq: HqStore, store: Store, genuine: Sale
) -> None:
    event = store.ledger.sale_event(1)
    assert event is not None and repriced(hq, event) is None
    forged = replace(event, record=replace(genuine, points_earned=10**9, points_redeemed=-1))
    why = repriced(hq, forged)
    assert why is not None and why.count(";") == 1
    assert "points_earned" in why and "points_redeemed" in why


def test_an_offline_sale_priced_with_a_tier_or_segment_hq_has_since_taken_away_reprices_as_priced(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    # HQ made Anna Gold with a segment; the till took that in; HQ then lowered her to
    # Bronze and took the segment away (a downgrade, a campaign over) while the till,
    # offline, went on pricing with what it held: the sale is genuine.
    gold = demo_customer("C1", tier="Gold", segments=["staff"])
    with hq.transaction():
        hq.upsert_customer(gold, at=TUESDAY - timedelta(days=3))
    terminal_holds(store, customers=(gold,))
    sale = record(store, sell(session, ANNA, "COFFEE"))
    assert isinstance(sale, Sale) and dict(sale.discounts).get("TIER")
    with hq.transaction():
        hq.upsert_customer(demo_customer("C1"), at=TUESDAY - timedelta(hours=1))
    assert problems(hq, sale) == []
    # ... but not a month after HQ lowered her, nor a state she never had
    late = replace(sale, at=(TUESDAY + timedelta(days=31)).isoformat())
    assert figures(hq, late) >= {"tier", "segment staff"}
    with hq.transaction():
        hq.upsert_customer(demo_customer("C1"), at=TUESDAY)  # no change: nothing new kept
    assert problems(hq, sale) == []
    sent = hq.conn.execute("SELECT doc FROM hq_customers WHERE customer_id='C1'").fetchone()
    assert "was" in json.loads(sent[0])  # HQ keeps it ...
    from sync.hq.snapshot import snapshot

    snap = snapshot(hq, "T1", 0, 0, TUESDAY)
    assert all("was" not in c for c in snap["customers"])  # ... and no till is sent it


def test_a_tier_lowered_by_the_window_of_qualifying_spend_is_remembered_for_the_tills() -> None:
    from agent.ruleset_reader import parse_ruleset
    from sync.hq.spend import requalify

    doc = copy.deepcopy(demo.RULESET)
    doc["tier_qualification"] = dict(doc["tier_qualification"], lower=True)
    rs = parse_ruleset(doc)
    gold = {"tier": "Gold", "spend_base_minor": 0, "spend": [], "tier_spend_minor": 0}
    assert requalify(gold, TUESDAY, rs)
    assert gold["tier"] == rs.default_tier
    assert [(w["tier"], w["until"]) for w in gold["was"]] == [("Gold", TUESDAY.isoformat())]


# -- a line the till's catalogue lacks (issue 16) --------------------------------------


def test_a_sale_with_a_line_the_till_does_not_list_is_accepted_as_priced(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    """A POS's line kassa does not know (nor HQ) is sold at the POS's price and takes
    part in nothing; HQ prices it again so and accepts it, it is not quarantined."""
    assert not session.enter(ANNA).refused
    assert not session.enter("COFFEE").refused
    assert not add_pos_line(session, store.catalogue, "LOCAL-1", 2, 2500, "bakery").refused
    seq = session.commit().seq
    sale = record(store, seq)
    assert isinstance(sale, Sale)
    local = sale.lines[1]
    assert local.unlisted and local.points_earned == 0 and local.money_minor == 5000
    assert problems(hq, sale) == []
    results = ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(1000)], AT)
    assert [(r.status, r.reason) for r in results.results] == [("stored", "")]
    # the points HQ credits are the till's: COFFEE's alone
    row = hq.conn.execute(f"SELECT balance FROM hq_customers WHERE card='{ANNA}'").fetchone()
    assert sale.customer is not None and row[0] == sale.customer.balance_after


def test_a_line_said_unlisted_that_earns_or_is_discounted_is_a_problem(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    assert not session.enter(ANNA).refused
    assert not add_pos_line(session, store.catalogue, "LOCAL-1", 1, 10000, "premium").refused
    sale = record(store, session.commit().seq)
    assert isinstance(sale, Sale) and sale.points_earned == 0
    forged = replace(sale, lines=(replace(sale.lines[0], points_earned=100),), points_earned=100)
    assert "points_earned" in figures(hq, forged)
    listed = replace(sale, lines=(replace(sale.lines[0], unlisted=False),))
    assert "line LOCAL-1" in figures(hq, listed)  # HQ knows no such product
