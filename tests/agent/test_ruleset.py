from __future__ import annotations

import copy
from typing import Any

import pytest

from agent.errors import InvalidRuleset
from agent.ruleset import load_ruleset, parse_ruleset
from sync.demo import RULESET


def broken(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(RULESET)
    for path, value in changes.items():
        target = doc
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return doc


def test_demo_ruleset_is_valid() -> None:
    rs = parse_ruleset(RULESET)
    assert rs.version == 1 and rs.currency == "PLN"
    assert rs.rate_for("Silver") * 2 == 3


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (broken(version=None), "version: missing"),
        (broken(version="2"), "version: must be a whole number"),
        (broken(currency="XXX"), "currency: unknown"),
        (broken(timezone="Mars/Olympus"), "timezone: unknown"),
        (broken(earn__tier_rates={"Gold": 2.0}), "earn.tier_rates.Gold"),
        (broken(pay_with_points__max_share_percent=150), "max_share_percent"),
        (broken(format="other"), "format:"),
    ],
)
def test_malformed_ruleset_is_refused_naming_the_field(doc: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRuleset) as exc:
        parse_ruleset(doc)
    assert field in exc.value.detail


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidRuleset, match="not valid JSON"):
        load_ruleset("{version: 1")
