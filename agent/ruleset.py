"""The ruleset document HQ publishes, parsed and validated.

This is the foundation format: earning per money paid by tier, and paying with
points at a rate. Validation names the offending field and what is wrong; a
refused document never replaces the one the terminal holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.errors import InvalidRuleset
from agent.money import CURRENCY_EXPONENT

FORMAT = "kassa-ruleset/1"


@dataclass(frozen=True, slots=True)
class PayWithPoints:
    points: int  # this many points ...
    value_minor: int  # ... pay this many minor units
    min_points: int
    max_share_percent: int


@dataclass(frozen=True, slots=True)
class Ruleset:
    version: int
    currency: str
    timezone: str
    tier_rates: dict[str, Fraction]  # points per one major unit paid
    default_rate: Fraction
    pay_with_points: PayWithPoints | None
    document: dict[str, Any]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rate_for(self, tier: str) -> Fraction:
        return self.tier_rates.get(tier, self.default_rate)


def _field(doc: dict[str, Any], path: str, kind: type, *, required: bool = True) -> Any:
    value = doc.get(path.rsplit(".", 1)[-1])
    if value is None:
        if required:
            raise InvalidRuleset(f"{path}: missing")
        return None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidRuleset(f"{path}: must be a whole number, got {value!r}")
    if kind is not int and not isinstance(value, kind):
        raise InvalidRuleset(f"{path}: must be {kind.__name__}, got {type(value).__name__}")
    return value


def _rate(value: object, path: str) -> Fraction:
    if not isinstance(value, str):
        raise InvalidRuleset(f'{path}: must be a decimal string such as "1.5", got {value!r}')
    try:
        rate = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise InvalidRuleset(f"{path}: not a decimal number: {value!r}") from None
    if rate < 0:
        raise InvalidRuleset(f"{path}: must not be negative")
    return rate


def parse_ruleset(doc: object) -> Ruleset:
    """Validate a ruleset document; return a Ruleset or raise InvalidRuleset naming the field."""
    if not isinstance(doc, dict):
        raise InvalidRuleset("ruleset: must be a JSON object")
    if doc.get("format") != FORMAT:
        raise InvalidRuleset(f"format: must be {FORMAT!r}, got {doc.get('format')!r}")
    version = _field(doc, "version", int)
    if version < 1:
        raise InvalidRuleset("version: must be 1 or more")
    currency = _field(doc, "currency", str)
    if currency not in CURRENCY_EXPONENT:
        raise InvalidRuleset(f"currency: unknown ISO 4217 code {currency!r}")
    timezone = _field(doc, "timezone", str)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRuleset(f"timezone: unknown time zone {timezone!r}") from None
    earn = _field(doc, "earn", dict)
    default_rate = _rate(earn.get("default_rate", "1"), "earn.default_rate")
    tiers_doc = earn.get("tier_rates", {})
    if not isinstance(tiers_doc, dict):
        raise InvalidRuleset("earn.tier_rates: must be an object of tier name to rate")
    tier_rates = {str(k): _rate(v, f"earn.tier_rates.{k}") for k, v in tiers_doc.items()}
    pwp_doc = doc.get("pay_with_points")
    pwp = None
    if pwp_doc is not None:
        if not isinstance(pwp_doc, dict):
            raise InvalidRuleset("pay_with_points: must be an object")
        pwp = PayWithPoints(
            points=_field(pwp_doc, "pay_with_points.points", int),
            value_minor=_field(pwp_doc, "pay_with_points.value_minor", int),
            min_points=_field(pwp_doc, "pay_with_points.min_points", int),
            max_share_percent=_field(pwp_doc, "pay_with_points.max_share_percent", int),
        )
        if pwp.points <= 0 or pwp.value_minor <= 0:
            raise InvalidRuleset("pay_with_points: points and value_minor must be positive")
        if not 0 <= pwp.max_share_percent <= 100:
            raise InvalidRuleset("pay_with_points.max_share_percent: must be 0 to 100")
        if pwp.min_points < 0:
            raise InvalidRuleset("pay_with_points.min_points: must not be negative")
    return Ruleset(version, currency, timezone, tier_rates, default_rate, pwp, doc)


def load_ruleset(text: str) -> Ruleset:
    """Parse JSON text into a Ruleset; raises InvalidRuleset on bad JSON or content."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRuleset(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_ruleset(doc)
