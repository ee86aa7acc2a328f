"""`kassa quote`: price a basket file against a ruleset file, print the quote as JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from agent.clock import Clock, parse_utc
from agent.errors import KassaError
from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing import Usage, quote
from agent.ruleset import load_ruleset


class InputError(KassaError):
    title = "Input refused"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from None


def basket_from_json(doc: Any, currency: str) -> tuple[Basket, Points]:
    """Return the basket and the points to pay with from a basket document."""
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
        return Basket(currency, lines), Points(int(doc.get("redeem_points", 0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"basket: {exc!r}") from None


def customer_from_json(doc: Any) -> tuple[Customer, Points]:
    try:
        bday = doc.get("birthday")
        c = Customer(
            customer_id=str(doc["customer_id"]),
            card=str(doc.get("card", "")),
            name=str(doc.get("name", "")),
            tier=str(doc.get("tier", "")),
            hq_balance=Points(int(doc.get("balance", 0))),
            country=str(doc.get("country", "")),
            birthday=date.fromisoformat(bday) if bday else None,
        )
        return c, c.hq_balance
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"customer: {exc!r}") from None


def run_quote(
    ruleset_path: Path,
    basket_path: Path,
    customer_path: Path | None,
    usage_path: Path | None,
    at: str | None,
    clock: Clock,
) -> dict[str, object]:
    """Return the quote as JSON data; raises KassaError for bad input files."""
    try:
        ruleset = load_ruleset(ruleset_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(exc)) from None
    basket, redeem = basket_from_json(_read(basket_path), ruleset.currency)
    customer, balance = (None, None)
    if customer_path is not None:
        customer, balance = customer_from_json(_read(customer_path))
    usage = Usage({str(k): int(v) for k, v in _read(usage_path).items()}) if usage_path else Usage()
    try:
        moment = parse_utc(at) if at else clock.now()
    except ValueError as exc:
        raise InputError(f"--at: {exc}") from None
    return quote(basket, customer, balance, ruleset, usage, moment, redeem).to_json()
