"""`kassa quote`: price a basket file against a ruleset file, print the quote as JSON.

The customer file has the shape of a customer in HQ's snapshot (see the README), so
HQ staff can paste one in; the usage file holds this terminal's unsynced counts (and
``unsynced_spend_minor``: the qualifying money of its sales HQ has not applied).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from agent.clock import Clock, parse_utc
from agent.errors import InputError
from agent.pricing.engine import quote
from agent.pricing.inputs import Usage
from agent.quote_input import basket_from_json, customer_from_json, usage_from_json
from agent.ruleset_reader import load_ruleset
from agent.tiers import after_sale, tiered_quote


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
    usage_doc = _read(usage_path) if usage_path else {}
    usage = usage_from_json(usage_doc) if usage_path else Usage()
    unsynced = usage_doc.get("unsynced_spend_minor", 0) if isinstance(usage_doc, dict) else 0
    if not isinstance(unsynced, int) or isinstance(unsynced, bool):
        raise InputError("usage: unsynced_spend_minor must be a whole number")
    try:
        moment = parse_utc(at) if at else clock.now()
    except ValueError as exc:
        raise InputError(f"--at: {exc}") from None
    if revoked:
        ruleset = replace(ruleset, revoked=frozenset(revoked))
    q, st = tiered_quote(
        lambda c: quote(basket, c, balance, ruleset, usage, moment, tender),
        customer,
        ruleset,
        unsynced,
    )
    out = q.to_json()
    if st is not None:  # the tier the sale is priced at, and where it leaves the customer
        after = after_sale(st, q, ruleset)
        out["tier"] = {
            "hq_tier": st.hq_tier,
            "qualifying_spend_minor": st.spend_minor,
            "priced_at": st.tier,
            "held_after": after.tier,
            "new_tier": None if after.new_tier is None else asdict(after.new_tier),
        }
    return out
