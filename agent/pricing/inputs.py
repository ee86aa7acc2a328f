"""What a quote is asked beyond the basket, the customer and the ruleset.

The terminal's own counts (``Usage``) and how the customer pays (``Tender``), which
:func:`agent.pricing.engine.quote` takes; a record or a screen needs only these.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Usage:
    """What this terminal knows beyond HQ's snapshot: its own unsynced counts and quotas."""

    unsynced_purchases: int = 0  # this customer's purchases here HQ has not applied
    unsynced_month_purchases: int = 0  # ... of them in the month of the sale
    quota_left: dict[str, int] = field(default_factory=dict)  # rule id -> uses left here
    used_codes: frozenset[str] = frozenset()  # coupons this customer used here, unsynced
    rule_uses: dict[str, int] = field(default_factory=dict)  # unsynced uses of limited rules
    # Points this customer may still spend here before HQ confirms (None: no limit).
    redeem_left: int | None = None


@dataclass(frozen=True, slots=True)
class Tender:
    """How the customer wants to pay and which codes the cashier entered."""

    redeem_points: int = 0
    codes: frozenset[str] = frozenset()
    gift_card_balance_minor: int | None = None  # a presented gift card's balance
    # What the card may still pay here before HQ confirms it (HQ's offline policy; None:
    # no limit).
    gift_card_left_minor: int | None = None
    # Rewards claimed more than once: (rule id, claims); a reward id among ``codes``
    # and not here is claimed once.
    claims: tuple[tuple[str, int], ...] = ()
    # False for a sale of gift card loads only: no purchase for the rules counting them.
    purchase: bool = True
    # The most the cashier asked the gift card to pay (a typed amount; None: all it can).
    gift_card_most_minor: int | None = None

    def claims_of(self, rule_id: str) -> int:
        """How many times the cashier claimed the reward ``rule_id`` in this sale."""
        n = dict(self.claims).get(rule_id, 0)
        return n if n > 0 else int(rule_id in self.codes)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a customer stands towards the tiers as a sale is priced (worked out by
    :mod:`agent.tiers`; a sale records it with what it was priced with)."""

    hq_tier: str  # the tier HQ sent
    spend_minor: int | None  # qualifying spend before the sale; None: HQ sent no figure
    before: str  # the tier held before the sale: HQ's, or the higher one the spend reaches
    tier: str  # the tier the sale is priced at (``before``, or the one it reaches itself)
