"""The loyalty programme as values: rules, tiers, paying with points, and the ruleset
that holds them (format kassa-ruleset/2, read by :mod:`agent.ruleset_reader`).

The ruleset indexes its rules by what they match (SKU, category, or the whole
sale), so a quote looks only at rules that can touch its basket. docs: see RULESET.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, time
from fractions import Fraction
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from agent.codes import DEFAULT_BARCODES, Barcodes
from agent.words import Words, say

FORMAT = "kassa-ruleset/2"
TIER_RULE = "TIER"


class Kind(enum.Enum):
    MULTIPLIER = "multiplier"
    BONUS_PER_UNIT = "bonus_per_unit"
    BONUS_PER_SALE = "bonus_per_sale"
    PERCENT_OFF = "percent_off"
    FIXED_OFF = "fixed_off"
    CHEAPEST_UNIT = "cheapest_unit"
    BUY_X_GET_Y = "buy_x_get_y"
    NTH_PURCHASE = "nth_purchase"
    REWARD = "reward"  # bought with points: a free unit, or an amount or percent off
    TIER_DISCOUNT = "tier_discount"  # synthesised from the tiers table


DISCOUNTS = {
    Kind.PERCENT_OFF,
    Kind.FIXED_OFF,
    Kind.CHEAPEST_UNIT,
    Kind.BUY_X_GET_Y,
    Kind.NTH_PURCHASE,
    Kind.TIER_DISCOUNT,
    Kind.REWARD,
}


@dataclass(frozen=True, slots=True)
class Match:
    """Which lines a rule touches; empty means the whole sale."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    @property
    def whole_sale(self) -> bool:
        return not self.skus and not self.categories

    def matches(self, sku: str, category: str) -> bool:
        return self.whole_sale or sku in self.skus or category in self.categories


@dataclass(frozen=True, slots=True)
class Allowed:
    """What a line may take part in, as the programme's exclusions say (all by default)."""

    earn: bool = True
    discount: bool = True
    pay_with_points: bool = True

    def also(self, other: Allowed) -> Allowed:
        """What both allow."""
        return Allowed(
            self.earn and other.earn,
            self.discount and other.discount,
            self.pay_with_points and other.pay_with_points,
        )


EVERYTHING = Allowed()
NOTHING = Allowed(earn=False, discount=False, pay_with_points=False)  # an unlisted line


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Lines (by SKU or category) that earn no points, take no discount or cannot be
    paid with points: tobacco, gift cards, deposits, alcohol."""

    match: Match
    allowed: Allowed


@dataclass(frozen=True, slots=True)
class When:
    """When a rule applies, in the store's time zone."""

    weekdays: frozenset[int] = frozenset()  # ISO: 1 = Monday ... 7 = Sunday
    start: time | None = None  # daily window [start, end)
    end: time | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def refusal(self, local: datetime) -> Words | None:
        """Return why the rule is off at ``local`` (store time), or None when it is on."""
        if self.valid_from and local < self.valid_from:
            return say("not started yet")
        if self.valid_to and local >= self.valid_to:
            return say("ended")
        if self.weekdays and local.isoweekday() not in self.weekdays:
            return say("not on this day")
        if self.start is not None and self.end is not None:
            now = local.time()  # naive: the wall clock time of ``local``
            if not self.start <= now < self.end:
                return _outside(self.start, self.end)
        return None


@lru_cache(maxsize=256)
def _outside(start: time, end: time) -> Words:
    """Why a rule is off outside its daily window (the same words every time: made once)."""
    return say("outside its hours ({start}-{end})", start=f"{start:%H:%M}", end=f"{end:%H:%M}")


@dataclass(frozen=True, slots=True)
class Audience:
    """Which customers a rule is for; empty fields do not restrict."""

    countries: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    birthday: bool = False
    first_purchase: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: Kind
    match: Match = Match()
    when: When = When()
    audience: Audience = Audience()
    priority: int = 50
    group: str | None = None  # exclusive group: one rule of a group applies
    factor: Fraction = Fraction(1)  # multiplier
    points: int = 0  # bonus points
    cap_per_sale: int | None = None  # bonus points cap
    percent: Fraction = Fraction(0)
    amount_minor: int = 0
    buy: int = 0
    get: int = 0
    every: int = 0  # nth purchase
    min_basket_minor: int = 0
    code: str | None = None  # generic promo code the cashier enters
    coupon: bool = False  # personal coupon HQ issued to one customer (code = rule id)
    quota: bool = False  # limited by a quota HQ grants to each terminal
    budget: bool = False  # total discount limited by a budget HQ grants to each terminal
    limit_per_customer: int | None = None
    combinable_with_codes: bool = True
    combinable_with_coupons: bool = True
    max_discount_minor: int | None = None  # the most this rule takes off one sale
    without_customer: bool = False  # a promo code that applies to an anonymous sale too
    # What follows from the fields above, worked out once (a quote asks them of every
    # candidate rule): see __post_init__.
    free_product: bool = field(init=False, repr=False, compare=False)
    entered_code: str | None = field(init=False, repr=False, compare=False)
    is_discount: bool = field(init=False, repr=False, compare=False)
    line_level: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = self.kind
        # A reward giving one matching unit per claim (not an amount or percent off).
        free = kind is Kind.REWARD and not self.percent and not self.amount_minor
        object.__setattr__(self, "free_product", free)
        # The code that switches this rule on, if it needs one.
        code = self.id if self.coupon or kind is Kind.REWARD else self.code
        object.__setattr__(self, "entered_code", code)
        object.__setattr__(self, "is_discount", kind in DISCOUNTS)
        # Line discounts apply before rewards and sale discounts (rewards: their own stages).
        line = kind in (Kind.BUY_X_GET_Y, Kind.CHEAPEST_UNIT) or (
            kind in (Kind.PERCENT_OFF, Kind.FIXED_OFF) and not self.match.whole_sale
        )
        object.__setattr__(self, "line_level", line)


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    earn_rate: Fraction
    discount_percent: Fraction = Fraction(0)
    qualify_minor: int = 0  # qualifying spend (as HQ counts it) from which a customer holds it


class TierStart(enum.Enum):
    """When a tier reached by a sale's qualifying spend starts to price sales."""

    NEXT_SALE = "next_sale"  # the crossing sale earns at the old tier
    THIS_SALE = "this_sale"  # the crossing sale itself is priced at the new tier


@dataclass(frozen=True, slots=True)
class TierQualification:
    """How qualifying spend moves a customer between tiers (docs: RULESET.md)."""

    window_days: int | None = None  # spend counts this many days; None: it never ages
    starts: TierStart = TierStart.NEXT_SALE
    lower: bool = False  # HQ lowers a tier when spend falls out of the window


@dataclass(frozen=True, slots=True)
class PayWithPoints:
    points: int  # this many points ...
    value_minor: int  # ... pay this many minor units
    min_points: int
    max_share_percent: int


CANDIDATES_KEPT = 4096  # baskets' (SKUs, categories) a RuleIndex keeps the candidates of


@dataclass(frozen=True, slots=True)
class RuleIndex:
    by_sku: dict[str, tuple[Rule, ...]]
    by_category: dict[str, tuple[Rule, ...]]
    whole_sale: tuple[Rule, ...]
    codes: dict[str, Rule]  # code a cashier enters -> the rule it switches on
    # The candidates of the baskets' SKUs and categories seen so far (the index never
    # changes, so neither do they); emptied when it grows past CANDIDATES_KEPT.
    seen: dict[tuple[frozenset[str], frozenset[str]], tuple[Rule, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def candidates(self, skus: set[str], categories: set[str]) -> list[Rule]:
        """Rules that can touch a basket with these SKUs and categories, in apply order."""
        key = (frozenset(skus), frozenset(categories))
        got = self.seen.get(key)
        if got is None:
            found: dict[str, Rule] = {r.id: r for r in self.whole_sale}
            for s in skus:
                found.update((r.id, r) for r in self.by_sku.get(s, ()))
            for c in categories:
                found.update((r.id, r) for r in self.by_category.get(c, ()))
            got = tuple(sorted(found.values(), key=lambda r: (r.priority, r.id)))
            if len(self.seen) >= CANDIDATES_KEPT:
                self.seen.clear()
            self.seen[key] = got
        return list(got)


@dataclass(frozen=True, slots=True)
class Ruleset:
    version: int
    currency: str
    timezone: str
    tiers: dict[str, Tier]
    default_tier: str
    rules: tuple[Rule, ...]
    pay_with_points: PayWithPoints | None
    max_discount_percent: Fraction | None
    expire_days: int
    expiring_soon_days: int
    tier_rule: Rule
    # None: the terminal prices at HQ's tier only, and HQ's spend never ages.
    tier_qualification: TierQualification | None = None
    revoked: frozenset[str] = field(default=frozenset(), compare=False)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    exclusions: tuple[Exclusion, ...] = ()
    index: RuleIndex = field(default=RuleIndex({}, {}, (), {}), repr=False, compare=False)
    document: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    barcodes: Barcodes = DEFAULT_BARCODES  # the in-store ranges: loyalty cards, scale labels
    # The exclusions by SKU and by category, so a line looks up two keys (built here).
    excluded_by: tuple[dict[str, Allowed], dict[str, Allowed]] = field(
        init=False, repr=False, compare=False
    )

    # The time zone's object, made once (a quote reads the local time in it).
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))
        by_sku: dict[str, Allowed] = {}
        by_category: dict[str, Allowed] = {}
        for e in self.exclusions:
            for s in e.match.skus:
                by_sku[s] = by_sku.get(s, EVERYTHING).also(e.allowed)
            for c in e.match.categories:
                by_category[c] = by_category.get(c, EVERYTHING).also(e.allowed)
        object.__setattr__(self, "excluded_by", (by_sku, by_category))

    @property
    def tz(self) -> ZoneInfo:
        return self.zone

    def tier(self, name: str) -> Tier:
        return self.tiers.get(name, self.tiers[self.default_tier])

    def tier_held(self, tier: str, spend_minor: int) -> str:
        """The tier held with ``spend_minor`` of qualifying spend: the highest one it
        reaches, never below ``tier`` (losing a tier is HQ's business, not a sale's)."""
        held = self.tier(tier).qualify_minor
        reached = [t for t in self.tiers.values() if held < t.qualify_minor <= spend_minor]
        return max(reached, key=lambda t: t.qualify_minor).name if reached else tier

    def tier_reached(self, spend_minor: int) -> str:
        """The highest tier ``spend_minor`` of qualifying spend reaches (the lowest tier
        when it reaches none)."""
        reached = [t for t in self.tiers.values() if t.qualify_minor <= spend_minor]
        lowest = min(self.tiers.values(), key=lambda t: t.qualify_minor)
        return max(reached, key=lambda t: t.qualify_minor, default=lowest).name

    def next_tier(self, tier: str, spend_minor: int) -> tuple[str, int] | None:
        """The next tier up from the one held (``tier``, or the higher one ``spend_minor``
        qualifies for) and the spend still missing for it, or None."""
        held = self.tier(self.tier_held(tier, spend_minor)).qualify_minor
        above = sorted(
            (t.qualify_minor, t.name) for t in self.tiers.values() if t.qualify_minor > held
        )
        if not above:
            return None
        need, name = above[0]
        return name, max(0, need - spend_minor)

    def exclusion_for(self, sku: str, category: str) -> Allowed:
        """What a line of ``sku`` in ``category`` may take part in: every exclusion that
        matches it takes away what it forbids (nothing matches: everything allowed)."""
        by_sku, by_category = self.excluded_by
        a, b = by_sku.get(sku), by_category.get(category)
        if a is None or b is None:
            return a or b or EVERYTHING
        return a.also(b)

    def allowed(self, sku: str, category: str, unlisted: bool) -> Allowed:
        """:meth:`exclusion_for` a line; a line not in the till's catalogue takes part in
        nothing."""
        return NOTHING if unlisted else self.exclusion_for(sku, category)

    def rate_for(self, tier: str) -> Fraction:
        return self.tier(tier).earn_rate

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def codes(self) -> dict[str, Rule]:
        """Every code a cashier may enter, to the rule it switches on (built once)."""
        return self.index.codes
