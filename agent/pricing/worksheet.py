"""One quote's working state: what is left of each line, the discounts and refusals so far.

Built and discarded inside :func:`agent.pricing.engine.quote`; the functions of
:mod:`~agent.pricing.eligibility`, :mod:`~agent.pricing.discounts`,
:mod:`~agent.pricing.paying` and :mod:`~agent.pricing.earning` read and change it.
"""

from __future__ import annotations

from datetime import datetime

from agent.model import Basket, Customer
from agent.pricing.inputs import Tender, Usage
from agent.pricing.result import Discount, Refusal
from agent.ruleset import EVERYTHING, Match, Rule, Ruleset
from agent.words import Words


class Worksheet:
    """One quote's working state; pricing a sale changes it step by step."""

    def __init__(
        self,
        basket: Basket,
        customer: Customer | None,
        ruleset: Ruleset,
        usage: Usage,
        at: datetime,
        tender: Tender,
        balance: int = 0,
        explain: bool = True,
    ) -> None:
        # Points left for rewards, then for paying: the balance, or less where HQ's
        # offline policy limits what may be spent before HQ confirms it.
        left = usage.redeem_left
        self.limited = left is not None and left < balance
        self.balance = min(balance, left) if left is not None and balance > 0 else balance
        self.reward_points = 0
        # False: nobody reads this quote's words (HQ pricing a sale again compares its
        # figures only): refusals are not kept, discounts and awards carry NO_WORDS.
        self.explain = explain
        self.basket, self.customer, self.rs = basket, customer, ruleset
        self.usage, self.at, self.tender = usage, at, tender
        self.local = at.astimezone(ruleset.tz)
        self.lines = basket.lines
        self.amount = [ln.unit_price.minor * ln.qty for ln in self.lines]
        self.rem = list(self.amount)
        self.keys = [ln.sku for ln in self.lines]  # tie-breaks: order-independent splits
        self.refusals: list[Refusal] = []
        self.refused: set[str] = set()  # the rules of refusals: each refused once
        self.discounts: list[Discount] = []
        self.applied: list[Rule] = []
        self.groups_taken: dict[str, str] = {}
        # Per line, what the programme's exclusions let it take part in (computed once).
        self.allowed = [ruleset.allowed(ln.sku, ln.category, ln.unlisted) for ln in self.lines]
        self.excluding = any(a is not EVERYTHING and a != EVERYTHING for a in self.allowed)
        self.capped_from: dict[str, int] = {}  # rule id -> what its own cap cut it from
        self.reward_cost: dict[str, int] = {}  # reward id -> points its offer costs
        self.reward_units: dict[str, list[int]] = {}  # free-product reward -> units per line
        # Per line, its exact share of the points the sale earns (a return takes it back
        # rounded up, never more than the sale earned): the parts (numerator, denominator)
        # added up once, by earning.share_up.
        self.points_share: list[list[tuple[int, int]]] = [[] for _ in self.lines]
        # rule id -> the lines it touches (discounts.scope): fixed once exclusions are read.
        self.scopes: dict[str, list[int]] = {}
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        for i, ln in enumerate(self.lines):
            self.by_sku.setdefault(ln.sku, []).append(i)
            self.by_category.setdefault(ln.category, []).append(i)

    def matching(self, match: Match) -> list[int]:
        """Indexes of the lines ``match`` names, in basket order (every line: whole sale)."""
        if match.whole_sale:
            return list(range(len(self.lines)))
        found: set[int] = set()
        for sku in match.skus:
            found.update(self.by_sku.get(sku, ()))
        for category in match.categories:
            found.update(self.by_category.get(category, ()))
        return sorted(found)

    def discountable(self) -> list[int]:
        """Indexes of the lines that may take a discount."""
        return [i for i, a in enumerate(self.allowed) if a.discount]

    def eligible_minor(self) -> int:
        """What the lines that may take a discount still cost (minimum baskets count it)."""
        return sum(m for m, a in zip(self.rem, self.allowed, strict=True) if a.discount)

    def refuse(self, rule: str, words: Words) -> None:
        if self.explain and rule not in self.refused:
            self.refused.add(rule)
            self.refusals.append(Refusal(rule, words))
