from __future__ import annotations

import copy
from typing import Any

import pytest

from agent.demo import RULESET
from agent.errors import InvalidRuleset
from agent.ruleset import Allowed
from agent.ruleset_reader import load_ruleset, parse_ruleset


def broken(**changes: Any) -> dict[str, Any]:
    """The demo programme with one change: path parts joined by __, rules by index."""
    doc = copy.deepcopy(RULESET)
    for path, value in changes.items():
        target: Any = doc
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[int(p[1:])] if p.startswith("r") and p[1:].isdigit() else target[p]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return doc


def test_the_acceptance_programme_is_valid() -> None:
    rs = parse_ruleset(RULESET)
    assert rs.version == 1 and rs.currency == "PLN" and len(rs.rules) == 13
    assert rs.rate_for("Silver") * 2 == 3 and rs.rate_for("Unknown") == 1
    assert set(rs.codes()) == {"AUTUMN15", "SYRUP20", "FREECOFFEE", "TENOFF", "PCT20"}


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (broken(version=None), "version: missing"),
        (broken(version="2"), "version: must be a whole number"),
        (broken(currency="XXX"), "currency: unknown"),
        (broken(timezone="Mars/Olympus"), "timezone: unknown"),
        (broken(tiers__Gold={"earn_rate": 2.0}), "tiers.Gold.earn_rate: must be a decimal"),
        (broken(pay_with_points__max_share_percent=150), "max_share_percent"),
        (broken(format="kassa-ruleset/1"), "format:"),
        (broken(rules__r0__kind="triple"), "rules[0].kind: unknown kind"),
        (broken(rules__r0__factor="-2"), "rules[0].factor: must not be negative"),
        (broken(rules__r1__when={"hours": ["18:00", "16:00"]}), "rules[1].when.hours"),
        (broken(rules__r1__when={"weekdays": [0, 8]}), "rules[1].when.weekdays"),
        (broken(rules__r6__match={}), "rules[6].points"),
        (broken(rules__r9__buy=0), "rules[9].buy"),
        (broken(rules__r2__id="PREMIUM2"), "rules[2].id: 'PREMIUM2' is used twice"),
        (broken(rules__r4__percent="150"), "rules[4].every"),
        (broken(default_tier="Platinum"), "default_tier"),
        (broken(rules__r5__coupon=True), "rules[5].code: a rule is a promo code or a coupon"),
        (broken(barcodes="29"), "barcodes: must be an object"),
        (broken(barcodes__cards=["2a"]), "barcodes.cards[0]: a prefix is 1 to 3 digits"),
        (broken(barcodes__cards=["19"]), "barcodes.cards[0]: '19' is not in the in-store range"),
        (broken(barcodes__labels=[{"item_digits": 5}]), "barcodes.labels[0].prefix: missing"),
        (
            broken(barcodes__labels=[{"prefix": "22", "item_digits": 10, "holds": "weight_g"}]),
            "barcodes.labels[0].item_digits: 1 to 9",
        ),
        (
            broken(barcodes__labels=[{"prefix": "22", "item_digits": 5, "holds": "litres"}]),
            "barcodes.labels[0].holds: one of weight_g, price_minor",
        ),
        (
            broken(barcodes__labels=[{"prefix": "29", "item_digits": 5, "holds": "weight_g"}]),
            "barcodes.labels[0].prefix: '29' overlaps '29' (barcodes.cards[0])",
        ),
        (
            broken(barcodes__cards=["2"]),
            "barcodes.labels[0].prefix: '22' overlaps '2' (barcodes.cards[0])",
        ),
        (
            broken(rules__r5__code="2200042007502"),
            "rules[5].code: '2200042007502' is in a barcodes",
        ),
    ],
)
def test_malformed_ruleset_is_refused_naming_the_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRuleset) as exc:
        parse_ruleset(doc)
    assert field in exc.value.detail


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidRuleset, match="not valid JSON"):
        load_ruleset("{version: 1")


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (broken(exclusions={"tobacco": False}), "exclusions: must be a list"),
        (broken(exclusions__r0__earn="no"), "exclusions[0].earn: must be true or false"),
        (broken(exclusions__r1__match=None), "exclusions[1].match: missing"),
        (broken(exclusions__r1__match={}), "exclusions[1].match.skus: name at least one"),
        (broken(exclusions__r0__match__categories=[""]), "exclusions[0].match.categories"),
        (broken(exclusions__r0__match__brands=["x"]), "exclusions[0].match.brands: unknown"),
        (broken(exclusions__r0__discounts=False), "exclusions[0].discounts: unknown field"),
        (broken(rules__r5__max_discount_minor=0), "rules[5].max_discount_minor"),
        (broken(rules__r5__max_discount_minor="40"), "rules[5].max_discount_minor: must be"),
        (broken(rules__r0__max_discount_minor=100), "rules[0].max_discount_minor"),
        (broken(rules__r5__without_customer="yes"), "rules[5].without_customer: must be"),
        (broken(rules__r8__without_customer=True), "rules[8].without_customer"),
        (broken(rules__r10__match=None), "rules[10].points: missing or out of range"),
        (broken(rules__r11__percent="5"), "rules[11].percent: a reward is a percent or an"),
        (broken(rules__r12__percent="120"), "rules[12].percent"),
    ],
)
def test_malformed_new_mechanics_are_refused_naming_the_field(
    doc: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRuleset) as exc:
        parse_ruleset(doc)
    assert field in exc.value.detail


def test_exclusion_for_combines_every_exclusion_that_matches() -> None:
    rs = parse_ruleset(RULESET)
    assert rs.exclusion_for("CIGS", "tobacco") == Allowed(False, False, False)
    assert rs.exclusion_for("WINE", "alcohol") == Allowed(True, False, False)
    assert rs.exclusion_for("COFFEE", "coffee") == Allowed()
    doc = copy.deepcopy(RULESET)
    doc["exclusions"].append({"match": {"skus": ["WINE"]}, "earn": False})
    assert parse_ruleset(doc).exclusion_for("WINE", "alcohol") == Allowed(False, False, False)
    assert parse_ruleset(dict(RULESET, exclusions=[])).exclusion_for("CIGS", "tobacco") == (
        Allowed()
    )
