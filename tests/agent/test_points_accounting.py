"""Every point accounted for (issue 13): rewards and the cap, given-away units, the lots a
reward spends, paying with points in steps, gift cards, and a reason for every rule."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from agent.errors import InvalidRuleset
from agent.model import Basket, Customer, Line, PointLot
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.pricing.result import RULE_GIFT_CARD, RULE_PAY_POINTS, Quote
from agent.records import journal_lines
from agent.refunds import refund
from agent.ruleset import FORMAT, Ruleset
from agent.ruleset_reader import parse_ruleset

AT = datetime.fromisoformat("2026-11-24T10:00:00+01:00")
BASE: dict[str, Any] = {
    "format": FORMAT,
    "version": 1,
    "currency": "PLN",
    "timezone": "Europe/Warsaw",
    "points": {"expire_days": 365, "expiring_soon_days": 30},
    "tiers": {"Bronze": {"earn_rate": "1"}},
    "pay_with_points": {
        "points": 100,
        "value_minor": 100,
        "min_points": 500,
        "max_share_percent": 50,
    },
}
FREE_COFFEE = {"id": "FREE-COFFEE", "kind": "reward", "points": 1500, "match": {"skus": ["ESP"]}}
CAKE_HALF = {"id": "CAKE50", "kind": "percent_off", "percent": "50", "match": {"skus": ["CAKE"]}}
ESP, CAKE = ("ESP", 1, 800, "coffee"), ("CAKE", 1, 1200, "bakery")


def programme(rules: list[dict[str, Any]], **extra: Any) -> Ruleset:
    doc = copy.deepcopy(BASE)
    doc.update(extra)
    doc["rules"] = rules
    return parse_ruleset(doc)


def price(
    rs: Ruleset,
    items: list[tuple[str, int, int, str]],
    balance: int = 0,
    *,
    codes: tuple[str, ...] = (),
    redeem: int = 0,
    gift: int | None = None,
    lots: tuple[PointLot, ...] = (),
) -> Quote:
    lines = tuple(Line(s, s, q, Money(p, "PLN"), c) for s, q, p, c in items)
    customer = Customer("C1", "2900000000018", "Test", "Bronze", Points(balance), lots=lots)
    tender = Tender(redeem, frozenset(codes), gift)
    return quote(Basket("PLN", lines), customer, balance, rs, Usage(), AT, tender)


# -- 1 and 2: the sale's discount cap and rewards -------------------------------------------
@pytest.mark.parametrize(
    ("cap", "given", "points"),
    [
        ("20", 0, 0),  # the cap removes the reward: not a point charged
        ("50", 0, 0),  # the cap would cut it back: a reward is whole or not taken
        (None, 800, 1500),  # no cap: the whole coffee for its points
    ],
)
def test_a_reward_the_cap_removes_charges_no_points(
    cap: str | None, given: int, points: int
) -> None:
    stacking = {"stacking": {"max_discount_percent": cap}} if cap else {}
    rs = programme([CAKE_HALF, FREE_COFFEE], **stacking)
    q = price(rs, [ESP, CAKE], 2000, codes=("FREE-COFFEE",))
    assert q.discount_by("FREE-COFFEE") == given
    assert q.reward_points == points
    assert q.balance_after == 2000 - points + q.points_earned
    assert sum(d.points for d in q.discounts) == points
    if cap:
        assert "discount cap" in (q.refusal("FREE-COFFEE") or "")


def test_a_reward_the_cap_would_cut_back_is_not_taken_and_costs_nothing() -> None:
    # Half a coffee for the whole 1500 points is what no customer agreed to: a reward is
    # given whole for its points, or not taken at all, and the cashier reads why.
    rs = programme([CAKE_HALF, FREE_COFFEE], stacking={"max_discount_percent": "50"})
    q = price(rs, [ESP, CAKE], 2000, codes=("FREE-COFFEE",))
    assert q.discount_by("FREE-COFFEE") == 0 and q.reward_points == 0
    assert q.discount_by("CAKE50") == 600 and q.balance_after == 2000 + q.points_earned
    assert q.refusal("FREE-COFFEE") == (
        "not taken, no points charged: the sale's discount cap of 50% reached"
    )
    back = refund(journal_lines(q), {"ESP": 1})
    assert back.points_restored == 0


# -- 3: units given away earn no per-unit bonus ----------------------------------------------
PEN = {"id": "FREE-PEN", "kind": "reward", "points": 4, "match": {"skus": ["PEN"]}}
PEN3FOR2 = {"id": "PEN3FOR2", "kind": "buy_x_get_y", "buy": 2, "get": 1, "match": {"skus": ["PEN"]}}
PEN5 = {"id": "PEN5", "kind": "bonus_per_unit", "points": 5, "match": {"skus": ["PEN"]}}


@pytest.mark.parametrize(
    ("rules", "qty", "codes", "bonus"),
    [
        ([PEN5], 1, (), 5),  # a paid pen earns its bonus
        ([PEN, PEN5], 1, ("FREE-PEN",), 0),  # the free pen earns none
        ([PEN, PEN5], 2, ("FREE-PEN",), 5),  # one paid, one free
        ([PEN3FOR2, PEN5], 3, (), 10),  # two paid, the third given
    ],
)
def test_given_away_units_earn_no_bonus_per_unit(
    rules: list[dict[str, Any]], qty: int, codes: tuple[str, ...], bonus: int
) -> None:
    q = price(programme(rules), [("PEN", qty, 100, "office")], 10, codes=codes)
    assert q.points_by("PEN5") == bonus


def test_a_reward_never_pays_for_itself() -> None:
    q = price(programme([PEN, PEN5]), [("PEN", 1, 100, "office")], 10, codes=("FREE-PEN",))
    assert q.reward_points == 4
    assert q.balance_after is not None and q.balance_after < 10


# -- 4: the points a reward takes come from the oldest lots ---------------------------------
def test_reward_points_are_spent_from_the_oldest_lots() -> None:
    old = PointLot(Points(1500), AT.replace(year=2025), datetime.fromisoformat("2026-12-01T00:00Z"))
    new = PointLot(Points(1000), AT.replace(month=3), datetime.fromisoformat("2027-03-24T00:00Z"))
    rs = programme([FREE_COFFEE])
    q = price(rs, [ESP], 2500, codes=("FREE-COFFEE",), lots=(old, new))
    assert q.reward_points == 1500
    assert [(lot.earned_at, lot.points) for lot in q.lots_used] == [(old.earned_at, 1500)]
    assert q.expiring_soon == ()  # the old lot is spent: nothing of it left to announce


# -- 7: a code the till cannot read is refused when the ruleset is read ---------------------
@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"id": "TEN", "kind": "percent_off", "percent": "10", "code": "test_10pc"}, "code"),
        ({"id": "free-pen", "kind": "reward", "points": 4, "match": {"skus": ["PEN"]}}, "id"),
        ({"id": "gift1", "kind": "fixed_off", "amount_minor": 100, "coupon": True}, "id"),
    ],
)
def test_a_code_with_lower_case_letters_is_refused_by_validation(
    rule: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRuleset, match=rf"rules\[0\]\.{field}: .*upper case"):
        programme([rule])


def test_upper_case_codes_pass_validation() -> None:
    rs = programme([{"id": "TEN", "kind": "percent_off", "percent": "10", "code": "TEST_10PC"}])
    assert "TEST_10PC" in rs.codes()


# -- 8: a gift card for a sale with nothing left to pay -------------------------------------
def test_a_gift_card_on_a_sale_with_nothing_left_to_pay_is_not_called_empty() -> None:
    rs = programme([{"id": "ALL", "kind": "percent_off", "percent": "100"}])
    q = price(rs, [CAKE], gift=5000)
    assert q.gift_card.minor == 0 and q.to_pay.minor == 0
    assert q.refusal(RULE_GIFT_CARD) == "nothing is left to pay"
    empty = price(programme([]), [CAKE], gift=0)
    assert empty.refusal(RULE_GIFT_CARD) == "the gift card has no balance left"


# -- 9: fewer points than one step pays are refused with the step ---------------------------
@pytest.mark.parametrize(
    ("ask", "taken", "reason"),
    [
        (50, 0, "fewer than 100 points"),  # less than one step: refused, with the step
        (99, 0, "fewer than 100 points"),
        (100, 100, None),  # one step: 1 grosz
        (250, 200, None),  # whole steps only
    ],
)
def test_fewer_points_than_one_step_are_refused(ask: int, taken: int, reason: str | None) -> None:
    pwp = {"points": 100, "value_minor": 1, "min_points": 10, "max_share_percent": 50}
    q = price(programme([], pay_with_points=pwp), [CAKE], 1000, redeem=ask)
    assert q.points_redeemed == taken
    assert q.refusal(RULE_PAY_POINTS) == reason


# -- 10: a rule left with nothing to discount says so ---------------------------------------
@pytest.mark.parametrize(
    ("rules", "items", "refused"),
    [
        (  # the cake is already free: the fixed amount has nothing left to take off
            [
                {**CAKE_HALF, "percent": "100", "priority": 10},
                {
                    "id": "CAKE5",
                    "kind": "fixed_off",
                    "amount_minor": 500,
                    "match": {"skus": ["CAKE"]},
                },
            ],
            [CAKE],
            "CAKE5",
        ),
        ([PEN3FOR2], [("PEN", 1, 100, "office")], "PEN3FOR2"),  # one pen of three
    ],
)
def test_a_rule_with_nothing_to_discount_has_a_reason(
    rules: list[dict[str, Any]], items: list[tuple[str, int, int, str]], refused: str
) -> None:
    q = price(programme(rules), items)
    assert q.discount_by(refused) == 0
    assert q.refusal(refused) == "nothing left for it to discount"
