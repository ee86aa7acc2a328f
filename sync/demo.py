"""The demo programme HQ seeds: the acceptance catalogue, a few customers, a ruleset."""

from __future__ import annotations

from typing import Any

from agent.codes import make_card_number
from agent.ruleset import FORMAT

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
]

CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_id": "C1",
        "card": make_card_number(1),
        "name": "Anna Kowalska",
        "tier": "Bronze",
        "country": "PL",
        "balance": 3000,
    },
    {
        "customer_id": "C2",
        "card": make_card_number(2),
        "name": "Иван Петров",
        "tier": "Silver",
        "country": "RU",
        "balance": 450,
    },
    {
        "customer_id": "C3",
        "card": make_card_number(3),
        "name": "Ioana Popescu",
        "tier": "Gold",
        "country": "RO",
        "balance": 12000,
    },
    {
        "customer_id": "C4",
        "card": make_card_number(4),
        "name": "Max Müller",
        "tier": "Bronze",
        "country": "DE",
        "balance": 0,
    },
]

RULESET: dict[str, Any] = {
    "format": FORMAT,
    "version": 1,
    "currency": "PLN",
    "timezone": "Europe/Warsaw",
    "earn": {"default_rate": "1", "tier_rates": {"Bronze": "1", "Silver": "1.5", "Gold": "2"}},
    "pay_with_points": {
        "points": 100,
        "value_minor": 100,
        "min_points": 500,
        "max_share_percent": 50,
    },
}

DEMO_SECRET = "demo"
DEMO_TERMINALS = [f"T{i}" for i in range(1, 17)]
