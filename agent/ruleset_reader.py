"""Reading the ruleset document HQ publishes (format kassa-ruleset/2) into a Ruleset.

Validation names the offending field and says what is wrong; a refused document
never replaces the one the terminal holds. docs: see RULESET.md.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import datetime, time
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.clock import parse_utc
from agent.codes import Barcodes, Classified, CodeKind, Holds, LabelRange, classify
from agent.errors import InvalidRuleset
from agent.money import CURRENCY_EXPONENT, MAX_WHOLE
from agent.ruleset import (
    FORMAT,
    TIER_RULE,
    Allowed,
    Audience,
    Exclusion,
    Kind,
    Match,
    PayWithPoints,
    Rule,
    RuleIndex,
    Ruleset,
    Tier,
    TierQualification,
    TierStart,
    When,
)

_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,12})?")  # "15", "1.5": no sign, no exponent


class _Doc:
    """Reads fields of one JSON object, naming the path in every refusal."""

    def __init__(self, doc: object, path: str) -> None:
        if not isinstance(doc, dict):
            raise InvalidRuleset(f"{path}: must be an object")
        self.doc, self.path = doc, path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type, default: Any = ..., *, required: bool = False) -> Any:
        value = self.doc.get(key)
        if value is None:
            if required or default is ...:
                raise InvalidRuleset(f"{self.where(key)}: missing")
            return default
        bad_int = kind is int and (isinstance(value, bool) or not isinstance(value, int))
        if bad_int or (kind is not int and not isinstance(value, kind)):
            raise InvalidRuleset(f"{self.where(key)}: must be {_KIND_NAMES[kind]}, got {value!r}")
        if kind is int and value < 0:
            raise InvalidRuleset(f"{self.where(key)}: must not be negative")
        if kind is int and value > MAX_WHOLE:
            raise InvalidRuleset(f"{self.where(key)}: must be at most {MAX_WHOLE}")
        return value

    def decimal(self, key: str, default: str | None = None) -> Fraction:
        value = self.doc.get(key, default)
        if not isinstance(value, str):
            raise InvalidRuleset(
                f'{self.where(key)}: must be a decimal string such as "1.5", got {value!r}'
            )
        # Plain decimals only: Fraction would also take "1e999999999" and work out its
        # billion digits before anything could refuse it.
        if value.startswith("-") and _DECIMAL.fullmatch(value[1:]):
            raise InvalidRuleset(f"{self.where(key)}: must not be negative")
        if _DECIMAL.fullmatch(value) is None:
            raise InvalidRuleset(f"{self.where(key)}: not a decimal number: {value!r}")
        return Fraction(value)

    def names(self, key: str) -> frozenset[str]:
        value = self.get(key, list, [])
        if not all(isinstance(v, str) and v for v in value):
            raise InvalidRuleset(f"{self.where(key)}: must be a list of names")
        return frozenset(value)

    def sub(self, key: str) -> _Doc:
        return _Doc(self.doc.get(key, {}), self.where(key))


_KIND_NAMES = {
    int: "a whole number",
    str: "text",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


def _stamp(d: _Doc, key: str, tz: ZoneInfo) -> datetime | None:
    text = d.get(key, str, None)
    if text is None:
        return None
    try:
        return parse_utc(text).astimezone(tz)
    except ValueError as exc:
        raise InvalidRuleset(f"{d.where(key)}: {exc}") from None


def _clock(d: _Doc, key: str) -> tuple[time | None, time | None]:
    hours = d.get(key, list, None)
    if hours is None:
        return None, None
    try:
        start, end = (time.fromisoformat(h) for h in hours)
    except (ValueError, TypeError):
        raise InvalidRuleset(f'{d.where(key)}: must be ["HH:MM", "HH:MM"]') from None
    if start >= end:
        raise InvalidRuleset(f"{d.where(key)}: the window must end after it starts")
    return start, end


def _rule(d: _Doc, tz: ZoneInfo) -> Rule:
    rid = d.get("id", str, required=True)
    try:
        kind = Kind(d.get("kind", str, required=True))
    except ValueError:
        known = ", ".join(k.value for k in Kind if k is not Kind.TIER_DISCOUNT)
        raise InvalidRuleset(f"{d.where('kind')}: unknown kind; one of {known}") from None
    if kind is Kind.TIER_DISCOUNT:
        raise InvalidRuleset(f"{d.where('kind')}: tier discounts come from the tiers table")
    m, w, a = d.sub("match"), d.sub("when"), d.sub("customer")
    weekdays = w.get("weekdays", list, [])
    if not all(isinstance(x, int) and 1 <= x <= 7 for x in weekdays):
        raise InvalidRuleset(f"{w.where('weekdays')}: ISO weekdays 1 (Monday) to 7 (Sunday)")
    start, end = _clock(w, "hours")
    when = When(frozenset(weekdays), start, end, _stamp(w, "from", tz), _stamp(w, "to", tz))
    if when.valid_from and when.valid_to and when.valid_from >= when.valid_to:
        raise InvalidRuleset(f"{w.where('to')}: must be after {w.where('from')}")
    rule = Rule(
        id=rid,
        kind=kind,
        match=Match(m.names("skus"), m.names("categories")),
        when=when,
        audience=Audience(
            a.names("countries"),
            a.names("segments"),
            a.names("tiers"),
            a.get("birthday", bool, False),
            a.get("first_purchase", bool, False),
        ),
        priority=d.get("priority", int, 50),
        group=d.get("group", str, None),
        factor=d.decimal("factor", "1"),
        points=d.get("points", int, 0),
        cap_per_sale=d.get("cap_per_sale", int, None),
        percent=d.decimal("percent", "0"),
        amount_minor=d.get("amount_minor", int, 0),
        buy=d.get("buy", int, 0),
        get=d.get("get", int, 0),
        every=d.get("every", int, 0),
        min_basket_minor=d.get("min_basket_minor", int, 0),
        code=d.get("code", str, None),
        coupon=d.get("coupon", bool, False),
        quota=d.get("quota", bool, False),
        budget=d.get("budget", bool, False),
        limit_per_customer=d.get("limit_per_customer", int, None),
        combinable_with_codes=d.get("combinable_with_codes", bool, True),
        combinable_with_coupons=d.get("combinable_with_coupons", bool, True),
        max_discount_minor=d.get("max_discount_minor", int, None),
        without_customer=d.get("without_customer", bool, False),
    )
    _check_rule(rule, d)
    return rule


def _check_rule(r: Rule, d: _Doc) -> None:
    need = {
        Kind.MULTIPLIER: ("factor", r.factor > 0),
        Kind.BONUS_PER_UNIT: ("points", r.points > 0 and not r.match.whole_sale),
        Kind.BONUS_PER_SALE: ("points", r.points > 0),
        Kind.PERCENT_OFF: ("percent", 0 < r.percent <= 100),
        Kind.FIXED_OFF: ("amount_minor", r.amount_minor > 0),
        Kind.CHEAPEST_UNIT: ("percent", 0 < r.percent <= 100),
        Kind.BUY_X_GET_Y: ("buy", r.buy > 0 and r.get > 0 and not r.match.whole_sale),
        Kind.NTH_PURCHASE: ("every", r.every > 1 and 0 < r.percent <= 100),
        Kind.REWARD: ("points", r.points > 0 and not (r.free_product and r.match.whole_sale)),
    }
    name, ok = need[r.kind]
    if not ok:
        raise InvalidRuleset(f"{d.where(name)}: missing or out of range for a {r.kind.value} rule")
    if r.code and r.coupon:
        raise InvalidRuleset(f"{d.where('code')}: a rule is a promo code or a coupon, not both")
    if r.kind is Kind.REWARD and r.percent and r.amount_minor:
        raise InvalidRuleset(f"{d.where('percent')}: a reward is a percent or an amount off")
    if r.kind is Kind.REWARD and not 0 <= r.percent <= 100:
        raise InvalidRuleset(f"{d.where('percent')}: 0 to 100")
    if r.max_discount_minor is not None and (r.max_discount_minor <= 0 or not r.is_discount):
        raise InvalidRuleset(
            f"{d.where('max_discount_minor')}: a positive amount, on a rule that discounts"
        )
    if r.without_customer and (r.coupon or r.code is None or not r.is_discount):
        raise InvalidRuleset(
            f"{d.where('without_customer')}: only a promo code that discounts (not a coupon)"
        )
    code = r.entered_code
    read = classify(code) if code is not None else None
    if code is not None and not (
        isinstance(read, Classified) and read.kind is CodeKind.PRODUCT and read.value == code
    ):  # the till reads what the cashier enters as it reads a product code
        raise InvalidRuleset(
            f"{d.where('code' if r.code else 'id')}: {code!r} cannot be entered at a till, "
            "which reads codes in upper case (A-Z, 0-9, - _ .; at most 32)"
        )


_FLAGS = ("earn", "discount", "pay_with_points")


def _exclusions(d: _Doc) -> tuple[Exclusion, ...]:
    out = []
    for i, item in enumerate(d.get("exclusions", list, [])):
        e = _Doc(item, f"exclusions[{i}]")
        unknown = sorted(set(e.doc) - {"match", *_FLAGS})
        if unknown:
            raise InvalidRuleset(
                f"{e.where(unknown[0])}: unknown field; match, {', '.join(_FLAGS)}"
            )
        m = e.sub("match")
        if not isinstance(e.doc.get("match"), dict):
            raise InvalidRuleset(f"{e.where('match')}: missing (skus and/or categories)")
        unknown = sorted(set(m.doc) - {"skus", "categories"})
        if unknown:
            raise InvalidRuleset(f"{m.where(unknown[0])}: unknown field; skus, categories")
        match = Match(m.names("skus"), m.names("categories"))
        if match.whole_sale:
            raise InvalidRuleset(f"{m.where('skus')}: name at least one SKU or category")
        flags = [e.get(f, bool, True) for f in _FLAGS]
        out.append(Exclusion(match, Allowed(*flags)))
    return tuple(out)


def _index(rules: tuple[Rule, ...]) -> RuleIndex:
    by_sku: dict[str, list[Rule]] = defaultdict(list)
    by_cat: dict[str, list[Rule]] = defaultdict(list)
    whole: list[Rule] = []
    for r in rules:
        if r.match.whole_sale:
            whole.append(r)
        for s in r.match.skus:
            by_sku[s].append(r)
        for c in r.match.categories:
            by_cat[c].append(r)
    return RuleIndex(
        {k: tuple(v) for k, v in by_sku.items()},
        {k: tuple(v) for k, v in by_cat.items()},
        tuple(whole),
        {code: r for r in rules if (code := r.entered_code) is not None},
    )


def _tier_qualification(d: _Doc) -> TierQualification | None:
    if "tier_qualification" not in d.doc:
        return None
    q = d.sub("tier_qualification")
    window = q.get("window_days", int, required=True)
    if not 1 <= window <= 100 * 366:
        raise InvalidRuleset(f"{q.where('window_days')}: must be 1 to 36600 days")
    starts = q.get("starts", str, TierStart.NEXT_SALE.value)
    try:
        start = TierStart(starts)
    except ValueError:
        raise InvalidRuleset(
            f'{q.where("starts")}: must be "next_sale" or "this_sale", got {starts!r}'
        ) from None
    return TierQualification(window, start, q.get("lower", bool, False))


def parse_ruleset(doc: object) -> Ruleset:
    """Validate a ruleset document; return a Ruleset or raise InvalidRuleset naming the field."""
    d = _Doc(doc, "")
    if d.doc.get("format") != FORMAT:
        raise InvalidRuleset(f"format: must be {FORMAT!r}, got {d.doc.get('format')!r}")
    version = d.get("version", int, required=True)
    if version < 1:
        raise InvalidRuleset("version: must be 1 or more")
    currency = d.get("currency", str, required=True)
    if currency not in CURRENCY_EXPONENT:
        raise InvalidRuleset(f"currency: unknown ISO 4217 code {currency!r}")
    timezone = d.get("timezone", str, required=True)
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRuleset(f"timezone: unknown time zone {timezone!r}") from None
    tiers_doc = d.get("tiers", dict, required=True)
    if not tiers_doc:
        raise InvalidRuleset("tiers: at least one tier")
    tiers = {}
    for name in tiers_doc:
        t = d.sub("tiers").sub(name)
        qualify = t.get("qualify_minor", int, 0)
        if qualify < 0:
            raise InvalidRuleset(f"tiers.{name}.qualify_minor: must be >= 0")
        tier = Tier(name, t.decimal("earn_rate"), t.decimal("discount_percent", "0"), qualify)
        if tier.discount_percent > 100:
            raise InvalidRuleset(f"{t.where('discount_percent')}: at most 100")
        tiers[name] = tier
    default_tier = d.get("default_tier", str, next(iter(tiers)))
    if default_tier not in tiers:
        raise InvalidRuleset(f"default_tier: {default_tier!r} is not in tiers")
    td = d.sub("tier_discount")
    tier_rule = Rule(
        TIER_RULE,
        Kind.TIER_DISCOUNT,
        priority=td.get("priority", int, 50),
        group=td.get("group", str, None),
        combinable_with_coupons=td.get("combinable_with_coupons", bool, True),
    )
    rules_doc = d.get("rules", list, [])
    rules = tuple(_rule(_Doc(r, f"rules[{i}]"), tz) for i, r in enumerate(rules_doc))
    seen: set[str] = set()
    for i, r in enumerate(rules):
        if r.id in seen or r.id == TIER_RULE:
            raise InvalidRuleset(f"rules[{i}].id: {r.id!r} is used twice")
        seen.add(r.id)
    codes = [r.entered_code for r in rules if r.entered_code]
    if len(codes) != len(set(codes)):
        raise InvalidRuleset("rules: two rules are switched on by the same code")
    pwp = None
    if "pay_with_points" in d.doc:
        p = d.sub("pay_with_points")
        pwp = PayWithPoints(
            p.get("points", int, required=True),
            p.get("value_minor", int, required=True),
            p.get("min_points", int, 0),
            p.get("max_share_percent", int, 100),
        )
        if pwp.points <= 0 or pwp.value_minor <= 0:
            raise InvalidRuleset("pay_with_points: points and value_minor must be positive")
        if pwp.max_share_percent > 100:
            raise InvalidRuleset("pay_with_points.max_share_percent: must be 0 to 100")
    stacking, pts = d.sub("stacking"), d.sub("points")
    cap = (
        stacking.decimal("max_discount_percent") if "max_discount_percent" in stacking.doc else None
    )
    valid_from, valid_to = _stamp(d, "valid_from", tz), _stamp(d, "valid_to", tz)
    barcodes = _barcodes(d.sub("barcodes"))
    for i, r in enumerate(rules):  # a code the till would read as a card or a scale label
        read = classify(r.entered_code, barcodes) if r.entered_code else None
        if read is not None and (
            not isinstance(read, Classified) or read.kind is not CodeKind.PRODUCT
        ):
            raise InvalidRuleset(f"rules[{i}].code: {r.entered_code!r} is in a barcodes range")
    return Ruleset(
        version=version,
        currency=currency,
        timezone=timezone,
        tiers=tiers,
        default_tier=default_tier,
        rules=rules,
        pay_with_points=pwp,
        max_discount_percent=cap,
        expire_days=pts.get("expire_days", int, 365),
        expiring_soon_days=pts.get("expiring_soon_days", int, 30),
        tier_rule=tier_rule,
        tier_qualification=_tier_qualification(d),
        valid_from=valid_from,
        valid_to=valid_to,
        exclusions=_exclusions(d),
        index=_index(rules),
        document=dict(d.doc),
        barcodes=barcodes,
    )


def _prefix(d: _Doc, key: str, value: object) -> str:
    if not (
        isinstance(value, str) and value.isdigit() and value.isascii() and 1 <= len(value) <= 3
    ):
        raise InvalidRuleset(f"{d.where(key)}: a prefix is 1 to 3 digits, got {value!r}")
    if not value.startswith("2"):
        raise InvalidRuleset(f"{d.where(key)}: {value!r} is not in the in-store range (20-29)")
    return value


def _barcodes(d: _Doc) -> Barcodes:
    """The programme's card and scale label ranges (RULESET.md, "Barcodes")."""
    cards = tuple(_prefix(d, f"cards[{i}]", p) for i, p in enumerate(d.get("cards", list, ["29"])))
    labels: list[LabelRange] = []
    for i, doc in enumerate(d.get("labels", list, [])):
        ld = _Doc(doc, d.where(f"labels[{i}]"))
        prefix = _prefix(ld, "prefix", ld.get("prefix", str, required=True))
        item_digits = ld.get("item_digits", int, required=True)
        if not 1 <= item_digits <= 11 - len(prefix):
            raise InvalidRuleset(
                f"{ld.where('item_digits')}: 1 to {11 - len(prefix)}, so a value fits before "
                "the check digit"
            )
        try:
            holds = Holds(ld.get("holds", str, required=True))
        except ValueError:
            known = ", ".join(h.value for h in Holds)
            raise InvalidRuleset(f"{ld.where('holds')}: one of {known}") from None
        labels.append(LabelRange(prefix, item_digits, holds))
    named = [(f"cards[{i}]", p) for i, p in enumerate(cards)]
    named += [(f"labels[{i}].prefix", r.prefix) for i, r in enumerate(labels)]
    for n, (where, p) in enumerate(named):
        for other_where, other in named[:n]:
            if p.startswith(other) or other.startswith(p):
                raise InvalidRuleset(
                    f"{d.where(where)}: {p!r} overlaps {other!r} ({d.where(other_where)}): "
                    "a scanned number must be a card or a label, never both"
                )
    return Barcodes(cards, tuple(labels))


def load_ruleset(text: str) -> Ruleset:
    """Parse JSON text into a Ruleset; raises InvalidRuleset on bad JSON or content."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRuleset(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_ruleset(doc)
