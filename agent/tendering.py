"""How a sale is paid: its tenders (cash, card, gift card, points), as the sale records them.

Points and a gift card are pricing's (steps 7 and 8 of agent/RULESET.md's "Order of
application"): the quote says what they pay. What is left, ``to_pay``, is paid with
money the customer hands over: cash (change given back from what exceeds the rest),
card, or a POS's own kind of tender. :func:`settle` is the one place that lays a
sale's tenders out, for the cashier app's tender step and the agent API's commit alike;
the session records what it returns on the sale (:func:`finished`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from agent.errors import KassaError, SaleNotReady
from agent.events import Sale
from agent.gift_sale import Till as GiftTill
from agent.gift_sale import ready, use_gift_card
from agent.money import Money, Points
from agent.notice import CommittedSale, Notice, also, done, refused
from agent.paid import Paid, TenderKind
from agent.pricing.result import Quote
from agent.store import Store
from agent.words import Words, say

HQ_STATE_KEY = "hq_reachable"  # the meta the sync worker keeps: "1" reachable, "0" not


@dataclass(frozen=True, slots=True)
class Handed:
    """The money handed over for a sale: all the cash (change included) and the other
    tenders (card, a POS's own), each at what it pays. ``exact``: the sum must be what
    is due, no change (a POS gives its own change and says what each tender paid)."""

    cash_minor: int = 0
    others: tuple[Paid, ...] = ()
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Settled:
    tenders: tuple[Paid, ...]
    change_minor: int


def loyalty_tenders(q: Quote) -> tuple[Paid, ...]:
    """What points and a gift card pay of the sale priced by ``q``."""
    out = []
    if q.points_value.minor:
        out.append(Paid(TenderKind.POINTS, q.points_value.minor))
    if q.gift_card.minor:
        out.append(Paid(TenderKind.GIFT_CARD, q.gift_card.minor))
    return tuple(out)


def still_due(q: Quote, handed: Handed) -> Money:
    """What is left to pay of ``q`` after ``handed`` (never below zero)."""
    paid = handed.cash_minor + sum(p.amount_minor for p in handed.others)
    return Money(max(0, q.to_pay.minor - paid), q.currency)


def settle(q: Quote, handed: Handed) -> Settled:
    """The tenders of the sale priced by ``q`` paid with ``handed``, and the change.

    Raises SaleNotReady (with the cashier's words) when the tenders do not cover what is
    due, when a card or other tender pays more than what is due (only cash gives
    change), or, ``exact``, when they add up to other than what is due.
    """
    due, cur = q.to_pay.minor, q.currency
    others = sum(p.amount_minor for p in handed.others)
    if handed.exact and handed.cash_minor + others != due:
        raise SaleNotReady(
            f"tenders add up to {handed.cash_minor + others}, the sale asks {due}",
            say(
                "the tenders add up to {paid}, the sale asks {due}",
                paid=Money(handed.cash_minor + others, cur),
                due=Money(due, cur),
            ),
        )
    if others > due:
        raise SaleNotReady(
            f"card tenders {others} exceed {due} due",
            say(
                "a card pays at most what is due ({due}); only cash gives change",
                due=Money(due, cur),
            ),
        )
    cash = due - others
    if handed.cash_minor < cash:
        raise SaleNotReady(
            f"{cash - handed.cash_minor} still due",
            say("{due} is still to pay", due=Money(cash - handed.cash_minor, cur)),
        )
    tenders = list(loyalty_tenders(q))
    merged: dict[tuple[TenderKind, str | None], int] = {}
    for p in handed.others:
        merged[(p.kind, p.label)] = merged.get((p.kind, p.label), 0) + p.amount_minor
    tenders += [Paid(k, a, None, label) for (k, label), a in merged.items() if a]
    if handed.cash_minor:
        tenders.append(Paid(TenderKind.CASH, cash, None if handed.exact else handed.cash_minor))
    return Settled(tuple(tenders), handed.cash_minor - cash)


def hq_reachable(store: Store) -> bool | None:
    """Whether HQ was reachable when the sync worker last tried it (None: not known)."""
    held = store.file.get_meta(HQ_STATE_KEY)
    return None if held is None else held == "1"


def note_hq_reachable(store: Store, reachable: bool) -> None:
    """Keep what the sync worker found of HQ, for the sales committed until it tries again."""
    if hq_reachable(store) is not reachable:
        with store.file.atomic():
            store.file.set_meta(HQ_STATE_KEY, "1" if reachable else "0")


def finished(record: Sale, q: Quote, store: Store, handed: Handed | None) -> Sale:
    """``record`` with its tenders (``handed``; None: not said, as tills before tenders
    wrote) and whether HQ was reachable as it was made."""
    online = hq_reachable(store)
    if handed is None:
        return replace(record, hq_reachable=online)
    s = settle(q, handed)
    return replace(record, tenders=s.tenders, change_minor=s.change_minor, hq_reachable=online)


class Till(GiftTill, Protocol):
    """What the tender step needs of the sale (the checkout session)."""

    gift_card_most: int | None
    redeem_points: Points
    points_request: tuple[int | None] | None

    def quote(self) -> Quote: ...

    def pay_with_points(self, points: int | None = None) -> Notice: ...

    def commit(self, handed: Handed | None = None) -> CommittedSale: ...


def amount_typed(text: str, currency: str) -> Money | None:
    """``12.50`` or ``12,50`` as money; None for anything else (a code, a negative)."""
    try:
        m = Money.parse(text.strip().replace(",", "."), currency)
    except ValueError:
        return None
    return m if 0 < m.minor <= MAX_TENDER_MINOR else None


MAX_TENDER_MINOR = 10**9  # 10,000,000.00: far above anything handed over at a till


class TenderStep:
    """The tender step of one sale: cash (change from what exceeds the rest), card, gift
    card and points, in any split. Points and the gift card are the session's pricing
    (what the quote says they pay); cash and card are the money :func:`settle` lays out.
    The sale is committed as soon as the tenders cover it (:attr:`committed`); until
    then :meth:`cancel` puts the sale back as it was when the step began."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.handed = Handed()
        self.committed: CommittedSale | None = None
        self.settled: Settled | None = None
        self._before = (
            till.redeem_points,
            till.points_request,
            till.gift_card,
            till.gift_card_most,
        )

    @classmethod
    def begin(cls, till: Till) -> TenderStep:
        """The tender step of ``till``'s sale; raises SaleNotReady while it cannot be paid
        (an empty basket, a gift card load without its card, no rules from HQ yet)."""
        if not till.basket.lines:
            raise SaleNotReady("the basket is empty", say("the basket is empty"))
        ready(till.loads, till.basket)
        till.quote()
        return cls(till)

    @property
    def currency(self) -> str:
        return self.till.quote().currency

    def due(self) -> Money:
        """What is still to pay (after points, gift card and the money handed so far)."""
        return still_due(self.till.quote(), self.handed)

    def cash(self, amount: Money | None = None) -> Notice:
        """Cash handed over: ``amount`` (None: exactly what is still due)."""
        due = self.due()
        amount = amount or due
        if amount.minor <= 0:
            return refused("Nothing is left to pay")
        self.handed = replace(self.handed, cash_minor=self.handed.cash_minor + amount.minor)
        return self._then(done("Cash {amount}", amount=amount))

    def card(self, amount: Money | None = None) -> Notice:
        """A card pays ``amount`` (None: all that is still due); never more than is due."""
        due = self.due()
        amount = amount or due
        if amount.minor <= 0:
            return refused("Nothing is left to pay")
        if amount.minor > due.minor:
            return refused("A card pays at most what is due ({due})", due=due)
        others = (*self.handed.others, Paid(TenderKind.CARD, amount.minor))
        self.handed = replace(self.handed, others=others)
        return self._then(done("Card {amount}", amount=amount))

    def gift_card(self, card: str, amount: Money | None = None) -> Notice:
        """Gift card ``card`` pays ``amount`` (None: all it can) of what is still due."""
        t = self.till
        due = self.due()
        if due.minor <= 0:
            return refused("Nothing is left to pay")
        if amount is not None and amount.minor > due.minor:
            return refused("A gift card pays at most what is due ({due})", due=due)
        if t.gift_card is not None and t.gift_card != card:
            return refused("Gift card {card} pays this sale already", card=t.gift_card)
        paid_before = t.quote().gift_card.minor
        most = paid_before + (due.minor if amount is None else amount.minor)
        was = (t.gift_card, t.gift_card_most)
        notice = use_gift_card(t, card)
        if notice.refused:
            return notice
        t.gift_card_most = most
        q = t.quote()
        if q.gift_card.minor <= paid_before:
            t.gift_card, t.gift_card_most = was
            return refused("Gift card {card} pays nothing more", card=card)
        paid = Money(q.gift_card.minor - paid_before, q.currency)
        return self._then(done("Gift card {card} pays {amount}", card=card, amount=paid))

    def points(self, points: int | None = None) -> Notice:
        """Points pay ``points`` (None: the most possible) of the sale, through the
        session's points payment; never more than what the money handed leaves due."""
        t = self.till
        was = (t.redeem_points, t.points_request)
        notice = t.pay_with_points(points)
        if notice.refused:
            return notice
        others = sum(p.amount_minor for p in self.handed.others)
        if t.quote().to_pay.minor < others:  # a card was charged for more than this leaves
            t.redeem_points, t.points_request = was
            return refused("Points would pay part of what a card paid already")
        return self._then(notice)

    def _then(self, notice: Notice) -> Notice:
        """After a tender: commit the sale once the tenders cover it."""
        if self.due().minor > 0:
            return notice
        return also(notice, self.settle_now())

    def settle_now(self) -> Words | None:
        """Commit the sale with the tenders given (it is covered); says what failed."""
        try:
            sale = self.till.commit(self.handed)
        except KassaError as exc:  # the store refused: the step stays open
            return exc.words()
        self.committed = sale
        assert sale.quote is not None
        self.settled = settle(sale.quote, self.handed)
        return None

    def cancel(self) -> None:
        """Back to the basket: the points and gift card asked in this step are dropped."""
        t = self.till
        t.redeem_points, t.points_request, t.gift_card, t.gift_card_most = self._before
