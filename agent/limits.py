"""What a customer or a gift card may still spend here before HQ confirms it.

Measured at the floor of :mod:`agent.timefloor` (never before a time this terminal
has seen), on the store day of that floor, so a clock set back gains nothing.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from agent.model import Customer
from agent.money import Money
from agent.notice import Notice, done, refused
from agent.pricing.inputs import Usage
from agent.store import Store
from agent.timefloor import OfflineState


class OfflineLimits:
    """The offline policy applied to this terminal's own unconfirmed spending."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def state(self, now: datetime) -> OfflineState:
        return self.store.catalogue.offline_state(now)

    def day(self, now: datetime, tz: tzinfo) -> str:
        """The store day (YYYY-MM-DD in ``tz``) of the floor: a sale is written under it."""
        floor = self.state(now).now or now
        return floor.astimezone(tz).strftime("%Y-%m-%d")

    def usage(self, customer: Customer | None, now: datetime, tz: tzinfo, lifted: bool) -> Usage:
        """This terminal's counts for ``customer``, with the points they may still spend
        (no cap when ``lifted``: a manager lifted it, where HQ's policy allows that)."""
        state = self.state(now)
        floor = state.now or now
        cap = None if lifted and state.policy.manager_lift else state.policy.daily_cap(state.stale)
        day = floor.astimezone(tz).strftime("%Y-%m-%d")
        return self.store.ledger.usage_for(customer, day, cap)

    def gift_card_left(self, card: str, now: datetime, tz: tzinfo) -> int | None:
        """Minor units ``card`` may still pay here today before HQ confirms (None: no limit)."""
        state = self.state(now)
        cap = state.policy.gift_card_cap(state.stale)
        if cap is None:
            return None
        day = (state.now or now).astimezone(tz).strftime("%Y-%m-%d")
        return max(0, cap - self.store.ledger.gift_card_spent(card, day))


def present_gift_card(
    store: Store, limits: OfflineLimits, card: str, currency: str, now: datetime, tz: tzinfo
) -> Notice:
    """What the cashier reads when ``card`` is presented to pay in ``currency``: refused
    when unknown, empty, or spent here to HQ's offline limit; else what it may pay."""
    balance = store.ledger.gift_card_balance(card)
    if balance is None:
        return refused("Unknown gift card {card}", card=card)
    if balance.currency != currency or balance.minor <= 0:
        return refused(
            "Gift card {card} has no {currency} balance left", card=card, currency=currency
        )
    left = limits.gift_card_left(card, now, tz)
    if left is None or left >= balance.minor:
        return done("Gift card {card}: {balance} available", card=card, balance=balance)
    if left == 0:
        return refused(
            "Gift card {card} may pay nothing more here until HQ confirms "
            "its recent payments (offline limit)",
            card=card,
        )
    return done(
        "Gift card {card}: {balance} available, {left} of it here until HQ "
        "confirms its recent payments (offline limit)",
        card=card,
        balance=balance,
        left=Money(left, balance.currency),
    )
