"""A sale's record of what it was priced with: every field of Tender and Usage is written
and read back by its declared type, older bodies read without it, bad ones are refused."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, date, datetime

import pytest

from agent.model import Customer, PointLot
from agent.money import Points
from agent.pricing.asked import CODECS, PRICED_CUSTOMER, PricedWith
from agent.pricing.inputs import Tender, Usage

AT = datetime(2026, 11, 24, 9, tzinfo=UTC)


def full() -> PricedWith:
    return PricedWith(
        customer=Customer(
            "C1",
            "",
            "",
            "Silver",
            Points(0),
            country="PL",
            birthday=date(2000, 2, 29),
            lots=(PointLot(Points(120), AT, datetime(2027, 11, 24, tzinfo=UTC)),),
            segments=frozenset({"staff", "vip"}),
            coupons=(("SYRUP20", False), ("X", True)),
            purchases_total=12,
            month_purchases=("2026-11", 2),
            rule_uses=(("R", 1),),
            tier_spend_minor=82000,
        ),
        balance=3000,
        usage=Usage(1, 1, {"WELCOME50": 2}, frozenset({"SYRUP20"}), {"R": 1}, 500),
        tender=Tender(700, frozenset({"AUTUMN15"}), 5000, 2500),
        revoked=frozenset({"HAPPY3"}),
    )


def test_every_field_of_tender_usage_and_the_priced_customer_has_a_codec() -> None:
    declared = [f.type for cls in (Tender, Usage) for f in fields(cls)]
    declared += [f.type for f in fields(Customer) if f.name in PRICED_CUSTOMER]
    assert all(str(t) in CODECS for t in declared)


def test_it_reads_back_as_written_through_json() -> None:
    asked = full()
    assert PricedWith.from_doc(json.loads(json.dumps(asked.to_doc()))) == asked


def test_as_recorded_is_what_reads_back() -> None:
    asked = full()
    wordy = replace(
        asked,
        customer=replace(asked.customer, name="Anna", phone="48601", birthday=date(1990, 5, 1)),
    )
    assert PricedWith.from_doc(json.loads(json.dumps(wordy.to_doc()))) == wordy.as_recorded()
    assert wordy.as_recorded().customer == replace(asked.customer, birthday=date(2000, 5, 1))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"card": "2900000000018"},
        {"name": "Anna"},
        {"hq_balance": Points(5)},
        {"birthday": date(1996, 2, 29)},
        {"applied_seq": 3},
        {"allowance": Points(10)},
        {"phone": "48601"},
        {"app_keys": ("ab",)},
    ],
)
def test_as_recorded_of_what_is_recorded_already_is_equal(changes: dict[str, object]) -> None:
    """A sale's inputs as HQ reads them back are recorded already: as_recorded gives them
    back equal (HQ's record names them itself: sale_record's ``asked=``, so as_recorded
    keeps no identity shortcut); anything beyond what prices is dropped as before."""
    asked = full()
    given = replace(asked, customer=replace(asked.customer, **changes))
    recorded = given.as_recorded()
    assert recorded == asked
    assert recorded.customer == asked.customer and recorded.as_recorded() == recorded


def test_the_birthday_is_kept_without_its_year() -> None:
    doc = full().to_doc()
    assert doc["customer"]["birthday"] == "--02-29"
    assert "name" not in doc["customer"] and "phone" not in doc["customer"]


def test_a_body_before_it_or_before_a_field_reads() -> None:
    assert PricedWith.from_doc(None) is None
    doc = full().to_doc()
    del doc["tender"]["gift_card_left_minor"], doc["usage"]["redeem_left"]
    back = PricedWith.from_doc(doc)
    assert back is not None
    assert back.tender.gift_card_left_minor is None and back.usage.redeem_left is None


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [
        ("tender", "redeem_points", "7"),
        ("tender", "codes", "AUTUMN15"),
        ("usage", "quota_left", {"A": 1.5}),
        ("customer", "birthday", "1990-01-01"),
        ("customer", "coupons", [["X"]]),
        ("customer", "lots", [{"points": 1}]),
    ],
)
def test_a_bad_field_is_refused_naming_it(part: str, key: str, value: object) -> None:
    doc = full().to_doc()
    doc[part][key] = value
    with pytest.raises(ValueError, match=key):
        PricedWith.from_doc(doc)
