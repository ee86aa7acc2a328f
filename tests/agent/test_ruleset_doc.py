"""Every worked example in agent/RULESET.md runs here: the documentation cannot drift."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.codes import Classified, classify
from agent.documents import product_from_doc
from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender
from agent.pricing.result import Quote
from agent.quote_input import customer_from_json, usage_from_json
from agent.records import journal_lines
from agent.refunds import refund
from agent.ruleset import FORMAT, Ruleset
from agent.ruleset_reader import parse_ruleset
from agent.scale import labelled_line
from agent.tiers import after_sale, tiered_quote

DOC = Path(__file__).resolve().parents[2] / "agent" / "RULESET.md"
BASE: dict[str, Any] = {
    "format": FORMAT,
    "version": 1,
    "currency": "PLN",
    "timezone": "Europe/Warsaw",
    "tiers": {
        "Bronze": {"earn_rate": "1"},
        "Silver": {"earn_rate": "1.5", "discount_percent": "5"},
        "Gold": {"earn_rate": "2", "discount_percent": "10"},
    },
    "pay_with_points": {
        "points": 100,
        "value_minor": 100,
        "min_points": 500,
        "max_share_percent": 50,
    },
}


def examples() -> list[tuple[str, dict[str, Any]]]:
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"### (.+?)\n\n```json\n(.+?)\n```", text, flags=re.S)
    return [(title, json.loads(body)) for title, body in found]


def run(ex: dict[str, Any]) -> tuple[Quote, dict[str, Any], dict[str, Any]]:
    """The quote of an example, what it expects, and where the customer stood towards
    the tiers (the tier the sale is priced at, the one held after it, the one reached)."""
    doc = copy.deepcopy(BASE)
    doc.update(ex.get("ruleset", {}))
    doc["rules"] = ex["rules"]
    rs = parse_ruleset(doc)
    if ex.get("revoked"):
        rs = replace(rs, revoked=frozenset(ex["revoked"]))
    customer: Customer | None = None
    balance: Points | None = None
    if ex.get("customer", {}) is not None:  # null: a sale with no identified customer
        customer, balance = customer_from_json(
            {"customer_id": "C1", "tier": "Bronze", "purchases_total": 5, **ex.get("customer", {})}
        )
    claims = ex.get("claims", {})
    lines = tuple(Line(s, s, q, Money(p, "PLN"), c) for s, q, p, c in ex["basket"])
    lines += tuple(_scanned(code, rs, ex.get("products", [])) for code in ex.get("scan", []))
    at = datetime.fromisoformat(ex.get("at", "2026-11-24T10:00:00+01:00"))
    tender = Tender(
        ex.get("redeem_points", 0),
        frozenset(ex.get("codes", [])) | set(claims),
        ex.get("gift_card_balance_minor"),
        claims=tuple(claims.items()),
    )
    usage = usage_from_json(ex.get("usage", {}))
    q, st = tiered_quote(
        lambda c: quote(Basket("PLN", lines), c, balance, rs, usage, at, tender),
        customer,
        rs,
        ex.get("unsynced_spend_minor", 0),  # this terminal's sales HQ has not applied
    )
    if st is None:  # no customer: no tier
        assert customer is None
        return q, ex["expect"], {}
    after = after_sale(st, q, rs)
    tiers = {
        "tier": st.tier,
        "tier_after": after.tier,
        "new_tier": None if after.new_tier is None else asdict(after.new_tier),
    }
    return q, ex["expect"], tiers


def _scanned(code: str, rs: Ruleset, products: list[dict[str, Any]]) -> Line:
    """The line the till makes of a scale label ``code``, with these products."""
    read = classify(code, rs.barcodes)
    assert isinstance(read, Classified) and read.label is not None, (code, read)
    found = [p for p in map(product_from_doc, products) if p.item_code == read.label.item_code]
    line = labelled_line(found[0], code, read.label, 1)
    assert isinstance(line, Line), line
    return line


def test_the_document_has_an_example_for_every_mechanic() -> None:
    titles = " | ".join(t for t, _ in examples()).lower()
    for mechanic in (
        "tier",
        "multiplier",
        "happy hours",
        "date range",
        "segment",
        "birthday",
        "per unit",
        "per sale",
        "percent off",
        "fixed amount",
        "cheapest unit",
        "5th purchase",
        "buy 2",
        "coupon",
        "promo code",
        "paying with points",
        "reward",
        "gift card",
        "exclusive",
        "cap",
        "quota",
        "budget",
        "kill switch",
        "expiring",
        "returning",
        "exclusion",
        "maximum discount per rule",
        "without a customer",
        "free product",
        "sale reward",
        "scale label",
        "tier qualification",
    ):
        assert mechanic in titles, mechanic


@pytest.mark.parametrize(("title", "ex"), examples(), ids=[t for t, _ in examples()])
def test_worked_example(title: str, ex: dict[str, Any]) -> None:
    q, expect, tiers = run(ex)
    got: dict[str, Any] = {
        "total_minor": q.total.minor,
        "points_earned": q.points_earned,
        "to_pay_minor": q.to_pay.minor,
        "points_redeemed": q.points_redeemed,
        "reward_points": q.reward_points,
        "gift_card_minor": q.gift_card.minor,
        "balance_after": q.balance_after,
        "discounts": {d.rule: d.amount_minor for d in q.discounts},
        "awards": {a.rule: a.points for a in q.awards},
        "refusals": {r.rule: r.reason for r in q.refusals},
        "line_discounts": [ql.discount_minor for ql in q.lines],
        "line_points_payment": [ql.points_payment_minor for ql in q.lines],
        "line_excluded": [str(ql.excluded) if ql.excluded else None for ql in q.lines],
        "usage_deltas": dict(q.usage_deltas),
        "lots_used": [lot.points for lot in q.lots_used],
        "expiring_soon": [p for p, _ in q.expiring_soon],
        "lines": [[ql.line.key, ql.line.amount.minor] for ql in q.lines],
    }
    if "return" in ex:
        r = refund(journal_lines(q), ex["return"])
        got["refund"] = {
            "points_reversed": r.points_reversed,
            "points_restored": r.points_restored,
            "money_minor": r.money_minor,
        }
    got.update(tiers)
    for key, want in expect.items():
        if key in ("discounts", "refusals", "usage_deltas"):  # the named rules, others may exist
            assert {k: got[key].get(k) for k in want} == want, (title, key, got[key])
        else:
            assert got[key] == want, (title, key, got[key])
