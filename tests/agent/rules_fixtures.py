"""Builders for the acceptance programme: catalogue, customers, moments in Warsaw time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.demo import PRODUCTS, RULESET
from agent.model import Basket, Customer, Line, PointLot
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.pricing.result import Quote
from agent.ruleset import Ruleset
from agent.ruleset_reader import parse_ruleset

WARSAW = ZoneInfo("Europe/Warsaw")
PROGRAMME: Ruleset = parse_ruleset(RULESET)
CATALOGUE = {p["sku"]: p for p in PRODUCTS}


def at(text: str) -> datetime:
    """A store-local moment, e.g. at('2026-11-24 10:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=WARSAW)


TUE_10 = at("2026-11-24 10:00")


def basket(*items: str | tuple[str, int]) -> Basket:
    lines = []
    for item in items:
        sku, qty = (item, 1) if isinstance(item, str) else item
        p = CATALOGUE[sku]
        lines.append(Line(sku, p["name"], qty, Money(p["price_minor"], "PLN"), p["category"]))
    return Basket("PLN", tuple(lines))


def customer(
    tier: str = "Bronze",
    balance: int = 0,
    *,
    country: str = "PL",
    birthday: date | None = None,
    purchases_total: int = 10,
    month: tuple[str, int] = ("", 0),
    coupons: dict[str, bool] | None = None,
    lots: tuple[PointLot, ...] = (),
    cid: str = "C1",
) -> Customer:
    return Customer(
        cid,
        "2900000000018",
        "Test",
        tier,
        Points(balance),
        country=country,
        birthday=birthday,
        lots=lots,
        coupons=tuple((coupons or {}).items()),
        purchases_total=purchases_total,
        month_purchases=month,
    )


def price(
    b: Basket,
    c: Customer | None,
    when: datetime = TUE_10,
    *,
    usage: Usage | None = None,
    tender: Tender | None = None,
    ruleset: Ruleset = PROGRAMME,
) -> Quote:
    return quote(b, c, c.hq_balance if c else None, ruleset, usage or Usage(), when, tender)


def lot_doc(points: int, earned: str) -> dict[str, Any]:
    """A point lot as HQ sends it: earned at ``earned`` (ISO, store time), expiring a
    year later."""
    e = datetime.fromisoformat(earned)
    return {
        "points": points,
        "earned_at": e.isoformat(),
        "expires_at": e.replace(year=e.year + 1).isoformat(),
    }
