"""A card this till does not hold: asked of HQ, or sold to as a card-only customer.

The till holds only some of the chain's customers. A valid card it does not hold is
looked up at HQ (a :class:`CardLookup`, with a short timeout); the customer HQ names is
kept in the store as a snapshot customer is. Offline, HQ slow, or a card HQ does not
know either: the sale goes on for the card alone. It earns by the programme's base
tier, spends no points and takes no personal coupons; its record names the card with
no customer id (``""``), and HQ credits the points to the card's customer when the
sale arrives, or holds them for the card until it is enrolled.
"""

from __future__ import annotations

from typing import Protocol

from agent.model import Customer
from agent.money import Points
from agent.notice import Notice, NoticeKind, done
from agent.ruleset import Ruleset
from agent.store import Store

CARD_ONLY = ""  # the customer id of a card-only customer: none


class CardLookup(Protocol):
    """HQ asked about one card: the customer holding it, or None (unknown at HQ, HQ
    unreachable or slower than the lookup's timeout: the sale does not wait)."""

    def customer_by_card(self, card: str) -> Customer | None: ...


class Identifies(Protocol):
    """What this module needs of the checkout session."""

    store: Store
    card_lookup: CardLookup | None

    @property
    def ruleset(self) -> Ruleset | None: ...

    def identified(self, customer: Customer, confirmed: bool = True) -> Notice: ...


def is_card_only(customer: Customer | None) -> bool:
    return customer is not None and customer.customer_id == CARD_ONLY


def card_only(card: str, ruleset: Ruleset | None) -> Customer:
    """The customer of a sale known by its card alone, at the programme's base tier."""
    tier = ruleset.default_tier if ruleset else ""
    return Customer(customer_id=CARD_ONLY, card=card, name=card, tier=tier, hq_balance=Points(0))


def unknown_card(session: Identifies, card: str, typed: bool) -> Notice:
    """Identify by ``card``, which this till does not hold (its format already checked)."""
    lookup = session.card_lookup
    found = lookup.customer_by_card(card) if lookup is not None else None
    if found is not None and found.card == card and found.customer_id != CARD_ONLY:
        session.store.catalogue.keep_customer(found)  # held from now on, as a snapshot's
        return session.identified(found, confirmed=not typed)
    customer = card_only(card, session.ruleset)
    notice = session.identified(customer, confirmed=not typed)
    if notice.kind is not NoticeKind.DONE:
        return notice  # another customer is on the sale: the cashier is asked first
    return done(
        "Card {card} is not known here yet: the sale earns {tier} points, which HQ "
        "credits to the card; no points can be spent and no personal coupons used",
        card=card,
        tier=customer.tier,
    )
