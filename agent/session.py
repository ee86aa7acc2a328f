"""One checkout: identify, add lines, quote, pay with points, commit.

The session is the record of the sale while it is open; widgets only show it.
Every cashier action returns a Notice the cashier can read; nothing here raises
for a business refusal. Enrolment, adjustments and returns are the desk's
(``session.desk``, :mod:`agent.desk`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from agent.card_only import CardLookup, unknown_card
from agent.clock import Clock, IdFactory
from agent.code_entry import apply_code, take_back
from agent.codes import Classified, CodeKind, Label, classify, is_phone_number
from agent.codes import Refusal as CodeRefusal
from agent.desk import CounterDesk
from agent.errors import SaleNotReady
from agent.gift_sale import Loads, card_moves, gift_loads, ready, scanned
from agent.limits import OfflineLimits
from agent.model import MAX_QTY, Basket, Customer, Line
from agent.money import Points
from agent.notice import CommittedSale, Notice, NoticeKind, also, done, refused
from agent.point_lots import lot_expiry
from agent.pricing.engine import quote
from agent.pricing.inputs import Standing, Tender
from agent.pricing.result import Quote
from agent.records import sale_record
from agent.ruleset import Ruleset
from agent.scale import added, barcodes_of, basket_line, basket_units
from agent.store import Store
from agent.store.entries import LedgerMove, NewSale
from agent.tendering import Handed, finished
from agent.tiers import qualifying_minor, tiered_quote, unsynced_minor
from agent.tokens import TokenPolicy, TokenRefusal, check_token, parse_token
from agent.words import Words, points_of, say

TYPED_NUMBER = say(  # why points wait (the till's words, and the agent API's panel's)
    "Identified by a typed number: points are spent once the customer shows "
    "the code in their app (scan it)"
)


@dataclass(frozen=True, slots=True)
class _Priced:
    """A quote and everything it was computed from, so commit can tell whether it still holds."""

    inputs: tuple[object, ...]
    data_version: int
    quote: Quote
    tiers: Standing | None = None  # where the customer stood towards the tiers


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
        self.codes: frozenset[str] = frozenset()
        self.gift_card: str | None = None
        self.basket = Basket("PLN")
        self._ruleset: Ruleset | None = None
        self._priced: _Priced | None = None
        self.token_policy = TokenPolicy()
        self.confirmed = True  # how the customer was identified allows spending points
        self.cashier: str | None = None  # who is signed in: their sales and returns say so
        self.desk = CounterDesk(self)  # enrolment, adjustments and returns beside the sale
        self.card_lookup: CardLookup | None = None  # HQ asked about a card not held here
        self.reset()

    def reset(self) -> None:
        """Start a fresh sale with the newest ruleset the store holds."""
        self._ruleset = self.store.catalogue.ruleset()
        self.customer = None
        self.redeem_points = Points(0)
        # What the cashier asked to pay with points: (None,) the most possible, (n,) n
        # points; asked again whenever the basket changes, never dropped unsaid.
        self.points_request: tuple[int | None] | None = None
        self.waiting_customer: tuple[Customer, bool] | None = None  # a second card, to confirm
        self.codes = frozenset()
        self.claims: tuple[tuple[str, int], ...] = ()  # rewards claimed more than once
        self.gift_card = None
        self.gift_card_most: int | None = None  # the most the card pays (None: all it can)
        self.loads = Loads()  # the lines that load a gift card, and the cards bound to them
        currency = self._ruleset.currency if self._ruleset else "PLN"
        self.basket = Basket(currency)
        self._priced = None
        self.limit_lifted_by: str | None = None
        self.last_sku: str | None = None  # the line the cashier changed last (screens follow it)

    @property
    def limits(self) -> OfflineLimits:
        """What may be spent before HQ confirms it (in the store the session uses now)."""
        return OfflineLimits(self.store)

    @property
    def ruleset(self) -> Ruleset | None:
        """The ruleset this sale is priced with; adopts the first one HQ sends."""
        if self._ruleset is None:
            self._ruleset = self.store.catalogue.ruleset()
            if self._ruleset is not None and not self.basket.lines:
                self.basket = Basket(self._ruleset.currency)
        return self._ruleset

    def balance(self) -> Points | None:
        return (
            None
            if self.customer is None
            else self.store.catalogue.balance(self.customer, self.clock.now())
        )

    # -- cashier actions ---------------------------------------------------------
    def enter(self, text: str, qty: int = 1, typed: bool = False) -> Notice:
        """Act on a scanned or typed code: card, gift card, promo code or coupon, product.

        ``typed``: a person keyed it in (not a scanner): a card or a phone number typed
        identifies the customer, but points wait for the one-time check if the policy
        asks for one. A phone number is typed with its country code: +48 601 234 567,
        and is one however fast it came (pasted): it identifies without confirming.
        """
        if text.strip().startswith("+") and (typed or is_phone_number(text)):
            return self.identify_phone(text)
        code = classify(text, barcodes_of(self.ruleset))
        if isinstance(code, CodeRefusal):
            return Notice(NoticeKind.REFUSED, code.words)
        return self._act(code, qty, typed)

    def _act(self, code: Classified, qty: int, typed: bool = False) -> Notice:
        if code.kind is CodeKind.CARD:
            return self.identify(code.value, typed)
        if code.kind is CodeKind.TOKEN:
            return self.identify_token(code.value)
        if code.kind is CodeKind.RECEIPT:  # this till's, or another's through HQ
            return self.desk.receipt(code.value)
        if code.kind is CodeKind.GIFT_CARD:  # loaded by a line waiting for it, or paying
            return scanned(self, code.value)
        if self.ruleset is not None and code.value in self.ruleset.codes():
            return self.apply_code(code.value)
        return self.add(code.value, qty, code.label)

    def identify(self, card: str, typed: bool = False) -> Notice:
        customer = self.store.catalogue.customer_by_card(card)
        if customer is None:
            return unknown_card(self, card, typed)  # asked of HQ, or sold to as a card
        return self.identified(customer, confirmed=not typed)

    def identify_phone(self, text: str) -> Notice:
        digits = "".join(ch for ch in text if ch.isdigit())
        if not 8 <= len(digits) <= 15:
            return refused("{text}: not a phone number with its country code", text=text.strip())
        customer = self.store.catalogue.customer_by_phone(digits)
        if customer is None:
            return refused("No customer with phone +{digits} in this store's list", digits=digits)
        return self.identified(customer, confirmed=False)

    def identified(self, customer: Customer, confirmed: bool = True) -> Notice:
        """The customer of this sale; another customer's card on a sale already under way
        is asked about first (:meth:`replace_customer`, :meth:`keep_customer`)."""
        held = self.customer
        under_way = bool(self.basket.lines or self.points_request or self.codes)
        if held is not None and held.customer_id != customer.customer_id and under_way:
            self.waiting_customer = (customer, confirmed)
            return Notice(
                NoticeKind.ASK,
                say(
                    "{old} is on this sale: replace with {new}? "
                    "The points payment and codes asked for {old} are dropped",
                    old=held.name,
                    new=customer.name,
                ),
            )
        return self._take_customer(customer, confirmed)

    def replace_customer(self) -> Notice:
        """The cashier confirmed: the card scanned last names the sale's customer."""
        if self.waiting_customer is None:
            return refused("No other customer is waiting")
        customer, confirmed = self.waiting_customer
        self.waiting_customer = None
        self.codes, self.claims = frozenset(), ()
        return self._take_customer(customer, confirmed)

    def keep_customer(self) -> Notice:
        """The cashier declined: the sale keeps its customer."""
        self.waiting_customer = None
        name = self.customer.name if self.customer else ""
        return done("{name} stays on this sale", name=name)

    def _take_customer(self, customer: Customer, confirmed: bool) -> Notice:
        self.customer = customer
        self.waiting_customer = None
        self.points_request = None
        self.redeem_points = Points(0)
        self.limit_lifted_by = None  # a lift was for the customer it was asked for
        # A typed number proves nothing: points wait for the one-time check if asked for.
        self.confirmed = confirmed or not self.store.catalogue.offline_policy().typed_check
        found = {"name": customer.name, "tier": customer.tier}
        points = points_of(self.store.catalogue.balance(customer, self.clock.now()))
        if self.confirmed:
            return done("Customer {name} ({tier}), balance {points}", **found, points=points)
        return done(
            "Customer {name} ({tier}), balance {points}; "
            "to spend points, scan the code in the customer's app",
            **found,
            points=points,
        )

    def identify_token(self, text: str) -> Notice:
        """Identify by a phone QR token: genuine, fresh, and never seen here before."""
        token = parse_token(text)
        if isinstance(token, TokenRefusal):
            return Notice(NoticeKind.REFUSED, token.words)
        customer = self.store.catalogue.customer(token.customer_id)
        if customer is None:
            return refused("Phone code of a customer not in this store's customer list")
        now = self.clock.now()
        why = check_token(token, customer.app_keys, now, self.token_policy)
        if why is not None:
            return Notice(NoticeKind.REFUSED, why.words)
        keep_s = 2 * (self.token_policy.lifetime_s + self.token_policy.skew_s)
        if not self.store.catalogue.use_token(customer.customer_id, token.nonce, now, keep_s):
            return refused("Phone code already used: ask the customer to refresh it")
        return self.identified(customer)

    def add(self, code: str, qty: int = 1, label: Label | None = None) -> Notice:
        if self.ruleset is None:
            return refused("No loyalty rules yet: waiting for the first download from HQ")
        if not 1 <= qty <= MAX_QTY:
            return refused("Quantity must be 1 to {most}", most=MAX_QTY)
        units = basket_units(self.store.catalogue, code, qty, label)
        return units if isinstance(units, Notice) else self.add_units(units)

    def add_units(self, units: Line) -> Notice:
        """Put ``units`` in the basket: a scan's, or a line a POS sent (agent.pos_basket)."""
        qty = units.qty
        if units.unit_price.currency != self.basket.currency:
            return refused(
                "{sku} is priced in {currency}, this till sells in {till}",
                sku=units.sku,
                currency=units.unit_price.currency,
                till=self.basket.currency,
            )
        held = sum(ln.qty for ln in self.basket.lines if ln.key == units.key)
        if held + qty > MAX_QTY:  # a line, however it grew, stays within what a till sells
            return refused("Quantity must be 1 to {most}", most=MAX_QTY)
        self.basket = self.basket.with_units(units)
        self.last_sku = units.key
        self.loads, to_load = self.loads.added(self.store.catalogue.product(units.sku))
        return also(also(added(units), to_load), self._points_again())

    def take_off(self, code: str, qty: int = 1) -> Notice:
        """Take ``qty`` units of a line off the basket (a scan made by mistake, a customer
        who changed their mind); the last unit takes the line away. A code or reward
        entered in this sale is taken back (a reward: one claim)."""
        if code.upper() in self.codes:
            return take_back(self, code.upper())
        line = basket_line(self.basket, self.store.catalogue, code, self.ruleset)
        if line is None:
            return refused("{sku} is not in the basket", sku=code)
        if not 1 <= qty <= line.qty:
            return refused("Only {qty} of {sku} in the basket", qty=line.qty, sku=line.key)
        self.basket = self.basket.with_units(replace(line, qty=-qty))
        self.loads, self.last_sku = self.loads.fitted(self.basket), line.key
        if qty == line.qty:
            return also(done("Removed {sku}", sku=line.key), self._points_again())
        taken = done(
            "{sku}: {qty} taken off, {left} left", sku=line.key, qty=qty, left=line.qty - qty
        )
        return also(taken, self._points_again())

    def _points_again(self) -> Words | None:
        """The basket changed, and with it what points may pay: the payment the cashier
        asked for is asked again; what changed is said, never dropped unsaid."""
        self.redeem_points = Points(0)
        if self.points_request is None:
            return None
        (asked,) = self.points_request
        again = self.pay_with_points(asked)
        if again.refused:
            self.points_request = None
            return say("the points payment was removed ({why})", why=again.words)
        return say("points payment now: {what}", what=again.words)

    def apply_code(self, code: str) -> Notice:
        """Apply a promo code, coupon or reward (again: one more claim); says why not."""
        return apply_code(self, code)

    def pay_with_points(self, points: int | None = None) -> Notice:
        """Pay ``points`` (None: the most possible) of the sale with points."""
        if self.ruleset is None or self.customer is None:
            return refused("Identify the customer first")
        if not self.confirmed:
            return Notice(NoticeKind.REFUSED, TYPED_NUMBER)
        want = Points(self.quote().max_redeemable if points is None else points)
        if points is None and want == 0:
            limit = self.quote().spend_limit
            if limit:
                return refused("Points refused: {reason}", reason=limit)
            return refused("Points cannot pay for this sale (balance or minimum not reached)")
        trial = self._quote(want)
        reason = trial.refusal_words("PAY-WITH-POINTS")
        if reason:
            return refused("Points refused: {reason}", reason=reason)
        self.redeem_points = want
        self.points_request = (points,)
        return done(
            "{points} pay {value}",
            points=points_of(trial.points_redeemed),
            value=trial.points_value,
        )

    # -- pricing and commit -----------------------------------------------------------
    def stale(self, now: datetime) -> bool:
        """True when the last snapshot from HQ is older than its policy allows."""
        return self.limits.state(now).stale

    def lift_limit(self, manager: str) -> Notice:
        """Let this sale spend points beyond the offline cap, if HQ's policy allows it."""
        if self.customer is None:
            return refused("Identify the customer first")
        if not self.store.catalogue.offline_policy().manager_lift:
            return refused("HQ's policy does not let a manager lift the points limit")
        self.limit_lifted_by = manager
        self._priced = None
        return done("Points limit lifted for this sale by {manager}", manager=manager)

    def _inputs(self, redeem: int) -> tuple[object, ...]:
        return (
            self.basket,
            self.customer,
            redeem,
            self.codes,
            self.claims,
            (self.gift_card, self.gift_card_most),
            self._ruleset,
            self.limit_lifted_by,
        )

    def _still_valid(self, priced: _Priced | None) -> Quote | None:
        """The last quote shown, if nothing it depends on has changed since.

        Its inputs are the same, no other connection (the sync thread) has committed
        since (balances, usage, quotas, revocations), and the clock is in the same
        minute: rule windows are whole minutes, so the sale is priced as shown.
        """
        if priced is None or priced.inputs != self._inputs(self.redeem_points):
            return None
        if priced.data_version != self.store.file.data_version():
            return None
        now, at = self.clock.now(), priced.quote.at
        if now < at or now.replace(second=0, microsecond=0) != at.replace(second=0, microsecond=0):
            return None
        return priced.quote

    def _quote(self, redeem: int) -> Quote:
        ruleset = self.ruleset
        if ruleset is None:
            raise SaleNotReady("no loyalty rules held yet", say("no loyalty rules held yet"))
        version = self.store.file.data_version()
        now, tz = self.clock.now(), ruleset.tz
        gift = self.store.ledger.gift_card_balance(self.gift_card) if self.gift_card else None
        left = self.limits.gift_card_left(self.gift_card, now, tz) if self.gift_card else None
        purchase = self.loads.purchase(self.basket)
        most = self.gift_card_most if gift else None
        tender = Tender(
            redeem, self.codes, gift.minor if gift else None, left, self.claims, purchase, most
        )
        usage = self.limits.usage(self.customer, now, tz, self.limit_lifted_by is not None)
        customer, have = self.customer, None
        if customer is not None:  # priced with its lots as this terminal's moves left them
            customer, have = self.store.catalogue.as_held(customer, now)
        q, tiers = tiered_quote(
            lambda c: quote(self.basket, c, have, ruleset, usage, now, tender),
            customer,
            ruleset,
            unsynced_minor(self.store.ledger, self.customer, ruleset, now),
        )
        if redeem == self.redeem_points:
            self._priced = _Priced(self._inputs(redeem), version, q, tiers)
        return q

    def quote(self) -> Quote:
        """Return the current quote; raises SaleNotReady before the first ruleset."""
        return self._still_valid(self._priced) or self._quote(self.redeem_points)

    def commit(self, handed: Handed | None = None) -> CommittedSale:
        """Write the sale paid with ``handed`` (agent.tendering) durably and return it;
        raises SaleNotReady for an empty basket, or tenders that do not pay it."""
        if not self.basket.lines:
            raise SaleNotReady("the basket is empty", say("the basket is empty"))
        ready(self.loads, self.basket)  # every load line has its card
        # Pricing again is work already done when the screen showed the total: reuse
        # that quote while nothing it depends on has changed.
        q = self.quote()
        rs = self._ruleset
        assert rs is not None
        sale_id = self.ids.new_id()
        moves: list[LedgerMove] = []
        if self.customer is not None and self.customer.customer_id:  # not a card alone
            cid = self.customer.customer_id
            spent = q.points_redeemed + q.reward_points
            if spent:
                moves.append(LedgerMove(cid, "redeem", -spent))
            if q.points_earned:
                expires = lot_expiry(q.at, rs.expire_days, rs.tz)
                moves.append(LedgerMove(cid, "earn", q.points_earned, expires))
        loaded = gift_loads(self.store, self.loads, self.basket)
        applied = {d.rule for d in q.discounts}
        codes = sorted(c for c in self.codes if rs.codes()[c].id in applied)
        st = self._priced.tiers if self._priced is not None and self._priced.quote is q else None
        record = sale_record(q, sale_id, rs, self.customer, codes, self.gift_card, st)
        # A lifted limit is outside the bound: HQ sees who lifted it.
        record = replace(
            record, limit_lifted_by=self.limit_lifted_by, gift_loads=loaded, cashier=self.cashier
        )
        record = finished(record, q, self.store, handed)  # its tenders, HQ reachable or not
        committed = self.store.ledger.commit_sale(
            NewSale(
                sale_id=sale_id,
                at=q.at,
                record=record,
                customer_id=self.customer.customer_id or None if self.customer else None,
                currency=q.currency,
                total_minor=q.total.minor,
                paid_money_minor=q.to_pay.minor,
                points_earned=q.points_earned,
                points_redeemed=q.points_redeemed + q.reward_points,
                moves=tuple(moves),
                usage=q.usage_deltas,
                day=self.limits.day(q.at, rs.tz),  # never a day before one already reached
                gift_card_moves=card_moves(q, self.gift_card, loaded),
                purchase=record.purchase,
                qualifying_minor=qualifying_minor(q.lines, rs),
            ),
            self.terminal_id,
        )
        result = CommittedSale(committed.seq, sale_id, q, q.balance_after)
        self.reset()
        return result
