"""`kassa quote`: price a basket file against a ruleset file, print the quote as JSON.

The customer file has the shape of a customer in HQ's snapshot (see the README), so
HQ staff can paste one in; the usage file holds this terminal's unsynced counts.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from agent.clock import Clock, parse_utc
from agent.errors import KassaError
from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing import Tender, Usage, quote
from agent.ruleset import load_ruleset
from sync.wire import parse_customer


class InputError(KassaError):
    title = "Input refused"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from None


def basket_from_json(doc: Any, currency: str) -> tuple[Basket, Tender]:
    """Return the basket and the tender (points, codes, gift card) from a basket document."""
    try:
        lines = tuple(
            Line(
                str(d["sku"]),
                str(d.get("name", d["sku"])),
                int(d.get("qty", 1)),
                Money(int(d["unit_minor"]), currency),
                str(d.get("category", "")),
            )
            for d in doc["lines"]
        )
        gift = doc.get("gift_card_balance_minor")
        tender = Tender(
            int(doc.get("redeem_points", 0)),
            frozenset(str(c) for c in doc.get("codes", [])),
            None if gift is None else int(gift),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"basket: {exc!r}") from None
    if any(ln.qty < 1 for ln in lines):
        raise InputError("basket: every qty must be 1 or more")
    return Basket(currency, lines), tender


def customer_from_json(doc: Any) -> tuple[Customer, Points]:
    """A customer in the snapshot's shape; card, name, balance and applied_seq may be left out."""
    if not isinstance(doc, dict):
        raise InputError("customer: must be an object")
    try:
        c = parse_customer({"card": "", "name": "", "applied_seq": 0, "balance": 0, **doc})
    except KassaError as exc:
        raise InputError(f"customer: {exc.detail}") from None
    return c, c.hq_balance


def usage_from_json(doc: Any) -> Usage:
    try:
        return Usage(
            unsynced_purchases=int(doc.get("unsynced_purchases", 0)),
            unsynced_month_purchases=int(doc.get("unsynced_month_purchases", 0)),
            quota_left={str(k): int(v) for k, v in doc.get("quota_left", {}).items()},
            used_codes=frozenset(str(c) for c in doc.get("used_codes", [])),
            rule_uses={str(k): int(v) for k, v in doc.get("rule_uses", {}).items()},
            redeem_left=None if doc.get("redeem_left") is None else int(doc["redeem_left"]),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputError(f"usage: {exc!r}") from None


def run_quote(
    ruleset_path: Path,
    basket_path: Path,
    customer_path: Path | None,
    usage_path: Path | None,
    at: str | None,
    clock: Clock,
    revoked: list[str] | None = None,
) -> dict[str, object]:
    """Return the quote as JSON data; raises KassaError for bad input files."""
    try:
        ruleset = load_ruleset(ruleset_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(exc)) from None
    basket, tender = basket_from_json(_read(basket_path), ruleset.currency)
    customer, balance = (None, None)
    if customer_path is not None:
        customer, balance = customer_from_json(_read(customer_path))
    usage = usage_from_json(_read(usage_path)) if usage_path else Usage()
    try:
        moment = parse_utc(at) if at else clock.now()
    except ValueError as exc:
        raise InputError(f"--at: {exc}") from None
    if revoked:
        ruleset = replace(ruleset, revoked=frozenset(revoked))
    return quote(basket, customer, balance, ruleset, usage, moment, tender).to_json()
