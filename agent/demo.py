"""The demo programme: the acceptance catalogue and rules, a few customers, a gift card.

One module that HQ's seeding (:mod:`sync.hq.seed`), the tests and the benchmarks all
use; :func:`demo_store` gives a terminal's store holding it, as if HQ had sent it
(of the customers, only what HQ sends a terminal: :func:`agent.privacy.for_terminal`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.codes import make_card_number
from agent.documents import customer_from_doc, product_from_doc
from agent.money import Money
from agent.privacy import for_terminal, seal_public_hex
from agent.ruleset import FORMAT
from agent.ruleset_reader import parse_ruleset
from agent.signing import public_key_hex
from agent.store import Store

PRODUCTS: list[dict[str, Any]] = [
    {
        "sku": "COFFEE",
        "name": "Coffee beans 1 kg",
        "price_minor": 3990,
        "category": "coffee",
        "barcode": "5901234123457",
    },
    {
        "sku": "MILK",
        "name": "Milk 1 l",
        "price_minor": 450,
        "category": "dairy",
        "barcode": "5900000000017",
    },
    {
        "sku": "SYRUP",
        "name": "Vanilla syrup",
        "price_minor": 1800,
        "category": "syrup",
        "barcode": None,
    },
    {
        "sku": "JACKET",
        "name": "Jacket",
        "price_minor": 49900,
        "category": "premium",
        "barcode": None,
    },
    {
        "sku": "SCARF",
        "name": "Scarf",
        "price_minor": 5900,
        "category": "accessories",
        "barcode": None,
    },
    {
        "sku": "FOG",
        "name": "Fog machine fluid",
        "price_minor": 8900,
        "category": "effects",
        "barcode": None,
    },
    {
        "sku": "CIGS",
        "name": "Cigarettes",
        "price_minor": 1850,
        "category": "tobacco",
        "barcode": None,
    },
    {
        "sku": "WINE",
        "name": "Red wine 0.75 l",
        "price_minor": 4500,
        "category": "alcohol",
        "barcode": None,
    },
    {
        "sku": "GIFT50",
        "name": "Gift card 50",
        "price_minor": 5000,
        "category": "giftcard",
        "barcode": None,
        "loads_gift_card": True,  # selling it loads 50.00 onto the card scanned with it
    },
    {
        "sku": "BEANS",
        "name": "Coffee beans, weighed",
        "price_minor": 8990,  # per kg: sold by its scale label, 22 00042 WWWWW C
        "unit": "kg",
        "item_code": "00042",
        "category": "coffee",
        "barcode": None,
    },
]

CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_id": "C1",
        "phone": "+48601000001",
        "card": make_card_number(1),
        "name": "Anna Kowalska",
        "tier": "Bronze",
        "country": "PL",
        "balance": 3000,
        "purchases_total": 12,
        "tier_spend_minor": 82000,
    },
    {
        "customer_id": "C2",
        "phone": "+79161000002",
        "card": make_card_number(2),
        "name": "Иван Петров",
        "greeting": "Ваня",  # the name he chose to be greeted by
        "tier": "Silver",
        "country": "RU",
        "balance": 450,
        "purchases_total": 3,
    },
    {
        "customer_id": "C3",
        "phone": "+40721000003",
        "card": make_card_number(3),
        "name": "Ioana Popescu",
        "tier": "Gold",
        "country": "RO",
        "balance": 12000,
        "purchases_total": 40,
        "coupons": {"SYRUP20": False},
    },
    {
        "customer_id": "C4",
        "phone": "+4915100000004",
        "card": make_card_number(4),
        "name": "Max Müller",
        "tier": "Bronze",
        "country": "DE",
        "balance": 0,
        "purchases_total": 0,
    },
]


def demo_app_key(customer_id: str) -> bytes:
    """The demo customer's phone-app private key (Ed25519, raw): fixed, for the demo only."""
    return hashlib.sha256(f"kassa-demo-app:{customer_id}".encode()).digest()


# HQ's keys as a demo store holds them (agent.privacy): fixed, for the demo only (a
# real HQ makes its own: `kassa demo`'s HQ does).
DEMO_PHONE_KEY = hashlib.sha256(b"kassa-demo-phone-key").hexdigest()


def demo_seal_key() -> bytes:
    """The X25519 private key a demo store's enrolments seal phone numbers to."""
    return hashlib.sha256(b"kassa-demo-seal-key").digest()


for _c in CUSTOMERS:  # HQ registered each demo customer's app key
    _c["app_keys"] = [public_key_hex(demo_app_key(str(_c["customer_id"])))]

# The acceptance programme (../shared/acceptance/rules.md) in kassa's own format.
RULESET: dict[str, Any] = {
    "format": FORMAT,
    "version": 1,
    "currency": "PLN",
    "timezone": "Europe/Warsaw",
    "points": {"expire_days": 365, "expiring_soon_days": 30},
    "tiers": {
        "Bronze": {"earn_rate": "1"},
        "Silver": {"earn_rate": "1.5", "discount_percent": "5", "qualify_minor": 100000},
        "Gold": {"earn_rate": "2", "discount_percent": "10", "qualify_minor": 500000},
    },
    "default_tier": "Bronze",
    # Qualifying spend: money paid in the last 365 days; a tier reached applies from the
    # next sale, and HQ never lowers a tier.
    "tier_qualification": {"window_days": 365, "starts": "next_sale"},
    "tier_discount": {"priority": 20, "group": "sale-percent", "combinable_with_coupons": True},
    "pay_with_points": {
        "points": 100,
        "value_minor": 100,
        "min_points": 500,
        "max_share_percent": 50,
    },
    # Loyalty cards are EAN-13 numbers starting 29; the scales print 22 IIIII WWWWW C.
    "barcodes": {
        "cards": ["29"],
        "labels": [{"prefix": "22", "item_digits": 5, "holds": "weight_g"}],
    },
    "rules": [
        {
            "id": "PREMIUM2",
            "kind": "multiplier",
            "factor": "2",
            "match": {"categories": ["premium"]},
        },
        {
            "id": "HAPPY3",
            "kind": "multiplier",
            "factor": "3",
            "when": {"weekdays": [1, 2, 3, 4, 5], "hours": ["16:00", "18:00"]},
        },
        {
            "id": "DE-MONDAY",
            "kind": "multiplier",
            "factor": "2",
            "when": {"weekdays": [1]},
            "customer": {"countries": ["DE"]},
        },
        {"id": "BIRTHDAY2", "kind": "multiplier", "factor": "2", "customer": {"birthday": True}},
        {"id": "THIRD15", "kind": "nth_purchase", "every": 3, "percent": "15", "priority": 30},
        {
            "id": "AUTUMN15",
            "kind": "percent_off",
            "percent": "15",
            "code": "AUTUMN15",
            "priority": 20,
            "group": "sale-percent",
            "max_discount_minor": 4000,
            "without_customer": True,
        },
        {
            "id": "FOG10",
            "kind": "bonus_per_unit",
            "points": 10,
            "cap_per_sale": 100,
            "match": {"skus": ["FOG"]},
            "combinable_with_codes": False,
        },
        {
            "id": "WELCOME50",
            "kind": "bonus_per_sale",
            "points": 50,
            "customer": {"first_purchase": True},
            "quota": True,
        },
        {
            "id": "SYRUP20",
            "kind": "percent_off",
            "percent": "20",
            "coupon": True,
            "match": {"categories": ["syrup"]},
        },
        {
            "id": "MILK3FOR2",
            "kind": "buy_x_get_y",
            "buy": 2,
            "get": 1,
            "match": {"skus": ["MILK"]},
            "when": {"hours": ["07:00", "11:00"]},
        },
        # Rewards bought with points (R23-R25b): a free COFFEE per claim, or one of two
        # sale discounts (a sale takes at most one of them).
        {"id": "FREECOFFEE", "kind": "reward", "points": 1500, "match": {"skus": ["COFFEE"]}},
        {
            "id": "TENOFF",
            "kind": "reward",
            "points": 1000,
            "amount_minor": 1000,
            "min_basket_minor": 5000,
            "group": "reward-sale",
        },
        {
            "id": "PCT20",
            "kind": "reward",
            "points": 2500,
            "percent": "20",
            "max_discount_minor": 3000,
            "group": "reward-sale",
        },
    ],
    # Tobacco and gift cards take part in nothing; alcohol earns but takes no discount.
    "exclusions": [
        {
            "match": {"categories": ["tobacco", "giftcard"]},
            "earn": False,
            "discount": False,
            "pay_with_points": False,
        },
        {
            "match": {"categories": ["alcohol"]},
            "earn": True,
            "discount": False,
            "pay_with_points": False,
        },
    ],
}
# card -> balance in minor units (GC0000000009: a new card, loaded at the till by GIFT50)
GIFT_CARDS: dict[str, int] = {"GC0000000001": 5000, "GC0000000009": 0}
# Quotas HQ grants each terminal for quota-limited rules.
QUOTAS: dict[str, int] = {"WELCOME50": 3}

# The demo's terminals share this fixed, public secret (far below the 128 bits
# `kassa hq add-terminal` asks of a real one): for loopback demos and tests only.
DEMO_SECRET = "demo"
DEMO_TERMINALS = [f"T{i}" for i in range(1, 17)]

# When a demo store received its programme: a Tuesday, 10:00 in Warsaw.
RECEIVED_AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def demo_store(path: Path, extra_customers: int = 0) -> Store:
    """A terminal's store at ``path`` holding the demo programme, as if HQ had sent it.

    ``extra_customers`` adds that many Bronze customers (C1000...) to the demo ones.
    """
    extra = [
        {
            "customer_id": f"C{1000 + i}",
            "card": make_card_number(1000 + i),
            "name": f"Bench {i}",
            "tier": "Bronze",
            "balance": 5000,
        }
        for i in range(extra_customers)
    ]
    store = Store.open(path)
    store.catalogue.apply_snapshot(
        products=[product_from_doc(dict(p, currency="PLN")) for p in PRODUCTS],
        customers=[
            customer_from_doc(dict(for_terminal(c, DEMO_PHONE_KEY), applied_seq=0))
            for c in CUSTOMERS + extra
        ],
        ruleset=parse_ruleset(RULESET),
        cursor="1",
        received_at=RECEIVED_AT,
        quotas=QUOTAS,
        gift_cards=[(card, Money(minor, "PLN"), 0) for card, minor in GIFT_CARDS.items()],
        hq_keys=(DEMO_PHONE_KEY, seal_public_hex(demo_seal_key())),
    )
    return store
