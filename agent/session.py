"""One checkout: identify, add lines, quote, pay with points, commit.

The session is the record of the sale while it is open; widgets only show it.
Every cashier action returns a Notice the cashier can read; nothing here raises
for a business refusal.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from agent.clock import Clock, IdFactory
from agent.codes import Classified, CodeKind, classify
from agent.codes import Refusal as CodeRefusal
from agent.errors import SaleNotReady
from agent.model import Basket, Customer
from agent.money import Points
from agent.pricing import Quote, Usage, quote
from agent.ruleset import Ruleset
from agent.store import LedgerMove, NewSale, Store

POINTS_LIFETIME = timedelta(days=365)
MAX_QTY = 999


class NoticeKind(enum.Enum):
    DONE = "done"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    text: str

    @property
    def refused(self) -> bool:
        return self.kind is NoticeKind.REFUSED


def done(text: str) -> Notice:
    return Notice(NoticeKind.DONE, text)


def refused(text: str) -> Notice:
    return Notice(NoticeKind.REFUSED, text)


@dataclass(frozen=True, slots=True)
class CommittedSale:
    seq: int
    sale_id: str
    quote: Quote
    balance_after: Points | None


class CheckoutSession:
    def __init__(
        self, store: Store, clock: Clock, ids: IdFactory, terminal_id: str, store_name: str
    ) -> None:
        self.store = store
        self.clock = clock
        self.ids = ids
        self.terminal_id = terminal_id
        self.store_name = store_name
        self.customer: Customer | None = None
        self.redeem_points = Points(0)
        self.basket = Basket("PLN")
        self._ruleset: Ruleset | None = None
        self.reset()

    def reset(self) -> None:
        """Start a fresh sale with the newest ruleset the store holds."""
        self._ruleset = self.store.ruleset()
        self.customer = None
        self.redeem_points = Points(0)
        currency = self._ruleset.currency if self._ruleset else "PLN"
        self.basket = Basket(currency)

    @property
    def ruleset(self) -> Ruleset | None:
        """The ruleset this sale is priced with; adopts the first one HQ sends."""
        if self._ruleset is None:
            self._ruleset = self.store.ruleset()
            if self._ruleset is not None and not self.basket.lines:
                self.basket = Basket(self._ruleset.currency)
        return self._ruleset

    def balance(self) -> Points | None:
        return None if self.customer is None else self.store.balance(self.customer)

    # -- cashier actions ---------------------------------------------------------
    def enter(self, text: str, qty: int = 1) -> Notice:
        """Act on a scanned or typed code: a card identifies, a product is added."""
        code = classify(text)
        if isinstance(code, CodeRefusal):
            return refused(code.reason)
        return self._act(code, qty)

    def _act(self, code: Classified, qty: int) -> Notice:
        if code.kind is CodeKind.CARD:
            return self.identify(code.value)
        return self.add(code.value, qty)

    def identify(self, card: str) -> Notice:
        customer = self.store.customer_by_card(card)
        if customer is None:
            return refused(f"Unknown card {card}: not in this store's customer list")
        self.customer = customer
        self.redeem_points = Points(0)
        return done(
            f"Customer {customer.name} ({customer.tier}), "
            f"balance {self.store.balance(customer)} points"
        )

    def add(self, code: str, qty: int = 1) -> Notice:
        if self.ruleset is None:
            return refused("No loyalty rules yet: waiting for the first download from HQ")
        if not 1 <= qty <= MAX_QTY:
            return refused(f"Quantity must be 1 to {MAX_QTY}")
        product = self.store.product(code)
        if product is None:
            return refused(f"Unknown product {code}")
        if product.price.currency != self.basket.currency:
            return refused(
                f"{product.sku} is priced in {product.price.currency}, "
                f"this till sells in {self.basket.currency}"
            )
        self.basket = self.basket.with_line(product, qty)
        self.redeem_points = Points(0)  # the cap depends on the basket: ask again
        return done(f"{product.name} x{qty}")

    def remove(self, sku: str) -> Notice:
        kept = tuple(ln for ln in self.basket.lines if ln.sku != sku)
        if len(kept) == len(self.basket.lines):
            return refused(f"{sku} is not in the basket")
        self.basket = Basket(self.basket.currency, kept)
        self.redeem_points = Points(0)
        return done(f"Removed {sku}")

    def pay_with_points(self, points: int | None = None) -> Notice:
        """Pay ``points`` (None: the most possible) of the sale with points."""
        if self.ruleset is None or self.customer is None:
            return refused("Identify the customer first")
        want = Points(self.quote().max_redeemable if points is None else points)
        if points is None and want == 0:
            return refused("Points cannot pay for this sale (balance or minimum not reached)")
        trial = self._quote(want)
        if trial.refusals:
            return refused(f"Points refused: {trial.refusals[0].reason}")
        self.redeem_points = want
        return done(f"{trial.points_redeemed} points pay {trial.points_value.format()}")

    # -- pricing and commit -----------------------------------------------------------
    def _quote(self, redeem: Points, balance: Points | None = None) -> Quote:
        ruleset = self.ruleset
        if ruleset is None:
            raise SaleNotReady("no loyalty rules held yet")
        return quote(
            self.basket,
            self.customer,
            self.balance() if balance is None else balance,
            ruleset,
            Usage(self.store.usage()),
            self.clock.now(),
            redeem,
        )

    def quote(self) -> Quote:
        """Return the current quote; raises SaleNotReady before the first ruleset."""
        return self._quote(self.redeem_points)

    def commit(self) -> CommittedSale:
        """Write the sale durably and return it; raises SaleNotReady for an empty basket."""
        if not self.basket.lines:
            raise SaleNotReady("the basket is empty")
        balance_before = self.balance()
        q = self._quote(self.redeem_points, balance_before)
        assert self._ruleset is not None
        at = q.at
        sale_id = self.ids.new_id()
        moves: list[LedgerMove] = []
        customer_doc: dict[str, object] | None = None
        if self.customer is not None:
            cid = self.customer.customer_id
            if q.points_redeemed:
                moves.append(LedgerMove(cid, "redeem", -q.points_redeemed))
            if q.points_earned:
                moves.append(LedgerMove(cid, "earn", q.points_earned, at + POINTS_LIFETIME))
            customer_doc = {
                "customer_id": cid,
                "card": self.customer.card,
                "balance_before": balance_before,
                "balance_after": q.balance_after,
            }
        body: dict[str, object] = {
            "sale_id": sale_id,
            "at": at.isoformat(),
            "currency": q.currency,
            "ruleset_version": self._ruleset.version,
            "lines": [
                {
                    "sku": ql.line.sku,
                    "name": ql.line.name,
                    "qty": ql.line.qty,
                    "unit_minor": ql.line.unit_price.minor,
                    "amount_minor": ql.line.amount.minor,
                    "discount_minor": ql.discount_minor,
                    "points_payment_minor": ql.points_payment_minor,
                    "money_minor": ql.money_minor,
                }
                for ql in q.lines
            ],
            "subtotal_minor": q.subtotal.minor,
            "discount_minor": q.discount.minor,
            "total_minor": q.total.minor,
            "points_redeemed": q.points_redeemed,
            "points_value_minor": q.points_value.minor,
            "paid_money_minor": q.to_pay.minor,
            "points_earned": q.points_earned,
            "awards": [{"rule": a.rule, "points": a.points} for a in q.awards],
            "customer": customer_doc,
        }
        committed = self.store.commit_sale(
            NewSale(
                sale_id=sale_id,
                at=at,
                body=body,
                customer_id=self.customer.customer_id if self.customer else None,
                currency=q.currency,
                total_minor=q.total.minor,
                paid_money_minor=q.to_pay.minor,
                points_earned=q.points_earned,
                points_redeemed=q.points_redeemed,
                moves=tuple(moves),
                usage=(),
            ),
            self.terminal_id,
        )
        result = CommittedSale(committed.seq, sale_id, q, q.balance_after)
        self.reset()
        return result
