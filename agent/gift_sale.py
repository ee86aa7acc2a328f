"""Gift cards sold and topped up at the till: a line that loads the card scanned with it.

The cashier scans a product that loads a gift card (HQ's product document says
``loads_gift_card``; GIFT50), then the card (``GC`` and ten digits): the card is bound
to one unit of that line. The line's price is loaded onto the card when the sale is
committed, as a gift card move of this terminal, so the card pays here at once, before
HQ has heard of the load. A sale with a unit that has no card yet cannot be paid.

A card scanned while every load unit has its card pays the sale instead
(:func:`use_gift_card`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Protocol

from agent.clock import Clock
from agent.errors import SaleNotReady
from agent.event_parts import GiftLoad
from agent.limits import OfflineLimits, present_gift_card
from agent.model import Basket, Line, Product
from agent.money import Money
from agent.notice import Notice, also, done, refused
from agent.pricing.result import Quote
from agent.ruleset import Ruleset
from agent.store import Store
from agent.store.entries import GiftCardMove
from agent.words import Words, say


def to_load() -> Words:
    """What the till says while a line waits for the card it loads."""
    return say("scan the gift card to load")


@dataclass(frozen=True, slots=True)
class Loads:
    """The products of a sale that load a gift card, and the cards bound to their units
    in the order they were scanned: (SKU, card), one per unit."""

    skus: frozenset[str] = frozenset()
    cards: tuple[tuple[str, str], ...] = ()

    def added(self, product: Product | None) -> tuple[Loads, Words | None]:
        """These loads once ``product`` is in the basket, and what the till says then."""
        if product is None or not product.loads_gift_card:
            return self, None
        return Loads(self.skus | {product.sku}, self.cards), to_load()

    def fitted(self, basket: Basket) -> Loads:
        """These loads after units were taken off: the cards bound last go first."""
        qty = {ln.sku: ln.qty for ln in basket.lines}
        kept: list[tuple[str, str]] = []
        for sku, card in self.cards:
            if sum(1 for s, _ in kept if s == sku) < qty.get(sku, 0):
                kept.append((sku, card))
        return Loads(self.skus, tuple(kept))

    def waiting(self, basket: Basket) -> Line | None:
        """The first line with a unit that has no card yet, or None."""
        for ln in basket.lines:
            if ln.sku in self.skus and sum(1 for s, _ in self.cards if s == ln.sku) < ln.qty:
                return ln
        return None

    def purchase(self, basket: Basket) -> bool:
        """False for a basket of gift card loads only (and lines not in the till's
        catalogue, which count toward nothing): it is no purchase."""
        return any(ln.sku not in self.skus and not ln.unlisted for ln in basket.lines)

    def bound(self, card: str) -> bool:
        return any(c == card for _, c in self.cards)


class Till(Protocol):
    """What a gift card scan needs of the sale (the checkout session)."""

    store: Store
    clock: Clock
    basket: Basket
    gift_card: str | None
    loads: Loads

    @property
    def ruleset(self) -> Ruleset | None: ...

    @property
    def limits(self) -> OfflineLimits: ...


def use_gift_card(till: Till, card: str) -> Notice:
    """Let ``card`` pay the sale: refused when unknown, empty, or spent to its offline
    limit."""
    tz = till.ruleset.tz if till.ruleset else UTC
    now = till.clock.now()
    notice = present_gift_card(till.store, till.limits, card, till.basket.currency, now, tz)
    if not notice.refused:
        till.gift_card = card
    return notice


def scanned(till: Till, card: str) -> Notice:
    """A gift card scanned: bound to a load unit still without one, else it pays."""
    loads, basket = till.loads, till.basket
    line = loads.waiting(basket)
    if line is None:
        if loads.bound(card):
            return refused(
                "Gift card {card} is loaded by this sale: it can pay from the next sale",
                card=card,
            )
        return use_gift_card(till, card)
    if loads.bound(card):
        return refused("Gift card {card} is already loaded by this sale", card=card)
    if till.gift_card == card:
        return refused("Gift card {card} pays this sale: scan another card to load", card=card)
    held = till.store.ledger.gift_card_balance(card)
    if held is not None and held.currency != basket.currency:
        return refused(
            "Gift card {card} holds {currency}, this till sells in {till}",
            card=card,
            currency=held.currency,
            till=basket.currency,
        )
    till.loads = Loads(loads.skus, (*loads.cards, (line.sku, card)))
    bound = done(
        "Gift card {card}: {amount} is loaded onto it when the sale is paid",
        card=card,
        amount=line.unit_price,
    )
    return also(bound, to_load() if till.loads.waiting(basket) else None)


def ready(loads: Loads, basket: Basket) -> None:
    """Raise SaleNotReady while a load unit has no card."""
    line = loads.waiting(basket)
    if line is not None:
        words = say("{name}: scan the gift card it loads before the sale is paid", name=line.name)
        raise SaleNotReady(str(words), words)


def gift_loads(store: Store, loads: Loads, basket: Basket) -> tuple[GiftLoad, ...]:
    """The loads of a sale as its record carries them, each card's balance after it."""
    price = {ln.sku: ln.unit_price for ln in basket.lines}
    out = []
    for sku, card in loads.cards:
        held = store.ledger.gift_card_balance(card) or Money(0, basket.currency)
        amount = price[sku].minor
        out.append(GiftLoad(sku, card, amount, held.minor + amount))
    return tuple(out)


def card_moves(
    q: Quote, paying: str | None, loaded: tuple[GiftLoad, ...]
) -> tuple[GiftCardMove, ...]:
    """The gift card moves of a sale: what the paying card paid, then each load."""
    paid = (GiftCardMove(paying, -q.gift_card.minor),) if paying and q.gift_card.minor else ()
    return paid + tuple(GiftCardMove(g.card, g.amount_minor) for g in loaded)
