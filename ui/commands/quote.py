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
from agent.errors import InputError
from agent.pricing.engine import quote
from agent.pricing.inputs import Usage
from agent.quote_input import basket_from_json, customer_from_json, usage_from_json
from agent.ruleset_reader import load_ruleset


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: {exc}") from None


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
