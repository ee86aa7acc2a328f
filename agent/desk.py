"""Beside selling: enrolling a customer, a manager's point adjustment, and returns.

A :class:`CounterDesk` works at one :class:`Counter` (the checkout session holds one
as ``session.desk``): its store, clock, ids and identified customer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from agent.clock import Clock, IdFactory, parse_utc
from agent.codes import CodeKind, classify, is_phone_number
from agent.codes import Refusal as CodeRefusal
from agent.events import Audit, Enrolment, Sale
from agent.foreign import Held, own_returned
from agent.foreign_desk import ForeignReturns
from agent.model import Customer
from agent.money import Points
from agent.notice import CommittedSale, Notice, done, refused
from agent.privacy import phone_digits, phone_hash, seal
from agent.records import return_record, to_gift_card
from agent.refunds import RefundQuote, refund
from agent.ruleset import Ruleset
from agent.scale import barcodes_of
from agent.store import Store
from agent.store.entries import GiftCardMove, LedgerMove, NewSale
from agent.tiers import returned_qualifying_minor
from agent.words import points_of


class Counter(Protocol):
    """What the desk needs of the sale it works beside (the checkout session)."""

    store: Store
    clock: Clock
    ids: IdFactory
    terminal_id: str
    customer: Customer | None
    cashier: str | None  # who is signed in at the till

    @property
    def ruleset(self) -> Ruleset | None: ...

    def balance(self) -> Points | None: ...

    def identified(self, customer: Customer, confirmed: bool = True) -> Notice: ...


class CounterDesk:
    """Enrolment, adjustments and returns at one counter."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.foreign = ForeignReturns(counter)  # receipts of other tills, through HQ

    # -- enrolment --------------------------------------------------------------------------
    def enrol(self, name: str, card: str, terms: bool, marketing: bool, phone: str = "") -> Notice:
        """Enrol a new customer on a new card, with the least data and explicit consents.

        ``name`` is the name the customer wants to be greeted by. A phone number is kept
        here only as HQ's keyed hash, and travels to HQ sealed (:mod:`agent.privacy`).

        Consent to the programme's terms is required; consent to marketing is separate
        and optional (GDPR, 152-FZ). The customer can be identified here at once; HQ
        receives the enrolment with the next upload and makes the customer its own.
        """
        code = classify(card, barcodes_of(self.counter.ruleset))
        if isinstance(code, CodeRefusal) or code.kind is not CodeKind.CARD:
            return refused("{card}: not a loyalty card number", card=card)
        if self.counter.store.catalogue.customer_by_card(code.value) is not None:
            return refused("Card {card} already belongs to a customer", card=code.value)
        if not name.strip():
            return refused("The name the customer wants to be called is needed")
        if not terms:
            return refused("The customer must accept the programme's terms to join")
        phone_key, seal_key = self.counter.store.catalogue.hq_keys()
        if phone.strip() and not is_phone_number(phone):
            return refused("{text}: not a phone number with its country code", text=phone.strip())
        if phone.strip() and (phone_key is None or seal_key is None):
            return refused("No phone number before this till has heard from HQ: enrol without it")
        rs = self.counter.ruleset
        now = self.counter.clock.now()
        customer = Customer(
            customer_id=f"{self.counter.terminal_id}-{self.counter.ids.new_id()}",
            card=code.value,
            name=name.strip(),
            tier=rs.default_tier if rs else "",
            hq_balance=Points(0),
            # the number only as HQ's keyed hash here, and sealed for HQ in the event
            phone=phone_hash(phone_key, phone) if phone_key and phone.strip() else "",
        )
        self.counter.store.ledger.commit_event(
            Enrolment(
                at=now.isoformat(),
                customer_id=customer.customer_id,
                card=customer.card,
                name=customer.name,
                tier=customer.tier,
                phone=None,
                terms=True,
                marketing=marketing,
                phone_sealed=seal(seal_key, "+" + phone_digits(phone))
                if seal_key and phone.strip()
                else None,
            ),
            self.counter.ids.new_id(),
            self.counter.terminal_id,
            new_customer=customer,
        )
        return self.counter.identified(customer)

    # -- overrides ------------------------------------------------------------------------
    def adjust_points(self, points: int, reason: str, cashier: str, manager: str) -> Notice:
        """Correct the identified customer's balance by ``points``, with a manager's approval
        and a reason; journalled as an audit event that HQ applies to its balance."""
        if self.counter.customer is None:
            return refused("Identify the customer first")
        if points == 0 or not reason.strip():
            return refused("An adjustment needs points other than 0 and a reason")
        most = self.counter.store.catalogue.offline_policy().max_adjust_points
        if abs(points) > most:
            return refused("At most {most} points in one adjustment (HQ's policy)", most=most)
        self.counter.store.ledger.commit_event(
            Audit(
                at=self.counter.clock.now().isoformat(),
                action="adjust_points",
                cashier=cashier,
                approved_by=manager,
                reason=reason.strip(),
                points=points,
                customer_id=self.counter.customer.customer_id,
            ),
            self.counter.ids.new_id(),
            self.counter.terminal_id,
        )
        return done(
            "{sign}{points} for {name}: balance {balance}",
            sign="+" if points > 0 else "-",
            points=points_of(abs(points)),
            name=self.counter.customer.name,
            balance=self.counter.balance(),
        )

    # -- returns ------------------------------------------------------------------------
    def receipt(self, code: str) -> Notice:
        """A receipt's QR ("T9:1") scanned: its lines can be chosen, or why not. A
        receipt of another till is asked of HQ (:mod:`agent.foreign`)."""
        terminal, _, seq = code.partition(":")
        if terminal == self.counter.terminal_id:
            return done("Receipt {seq}: choose the lines to return", seq=seq)
        found = self._sale(int(seq), terminal, fresh=True)
        if isinstance(found, Notice):
            return found
        return done(
            "Receipt {code} of till {terminal}, from HQ: choose the lines to return",
            code=code,
            terminal=terminal,
        )

    def _sale(self, seq: int, terminal: str | None = None, fresh: bool = False) -> Held | Notice:
        """Sale ``seq`` of this till, or of ``terminal`` as HQ holds it (asked again when
        ``fresh``: before a return is written), with what was returned of it before."""
        if terminal is not None and terminal != self.counter.terminal_id:
            return self.foreign.held(terminal, seq, fresh)
        event = self.counter.store.ledger.sale_event(seq)
        if event is None or not isinstance(event.record, Sale):
            return refused("No sale {seq} on this terminal", seq=seq)
        sale, elsewhere = event.record, self.foreign.elsewhere(seq, fresh)
        return Held(sale, own_returned(self.counter.store.ledger, seq, sale, elsewhere))

    def ask_hq(self, seq: int, terminal: str | None = None) -> None:
        """Ask HQ once what it holds of sale ``seq`` (another till's, or the returns made
        of this till's at others), and keep the answer (or that none came) for the
        return about to be written with ``fresh=False``."""
        if terminal is not None and terminal != self.counter.terminal_id:
            self.foreign.held(terminal, seq, fresh=True)
        else:
            self.foreign.elsewhere(seq, fresh=True)

    def original(self, seq: int, terminal: str | None = None) -> Sale | None:
        """The sale a return under way takes lines of (another till's: as HQ gave it)."""
        held = self._sale(seq, terminal)
        return None if isinstance(held, Notice) else held.sale

    def returnable(
        self, seq: int, terminal: str | None = None, fresh: bool = True
    ) -> list[tuple[str, str, int]] | Notice:
        """The lines of sale ``seq`` (of ``terminal``, when another till's) that can still
        be returned: (key, name, units left); the key is the SKU, and ``SKU/tag`` for a
        scale label's line (``BEANS/750g``). HQ is asked again unless not ``fresh`` (its
        answer was just fetched)."""
        held = self._sale(seq, terminal, fresh=fresh)  # a return begins: HQ's latest
        if isinstance(held, Notice):
            return held
        units = held.returned.units
        left = [(ln.key, ln.name, ln.qty - units.get(ln.key, 0)) for ln in held.sale.lines]
        return [x for x in left if x[2] > 0] or refused("Sale {seq} was returned in full", seq=seq)

    def preview_return(
        self, seq: int, returns: dict[str, int], terminal: str | None = None
    ) -> RefundQuote | Notice:
        """Price returning ``returns`` (SKU -> units) of sale ``seq``, or say why not."""
        held = self._sale(seq, terminal)
        return held if isinstance(held, Notice) else self._priced(held, returns)

    def _priced(self, held: Held, returns: dict[str, int]) -> RefundQuote | Notice:
        loaded = {g.sku: g.card for g in held.sale.gift_loads}
        for sku in sorted(returns.keys() & loaded.keys()):  # the card keeps what it loaded
            return refused(
                "{sku} loaded gift card {card}: a gift card load cannot be returned; "
                "what it loaded stays on the card, which pays like money",
                sku=sku,
                card=loaded[sku],
            )
        r = refund(held.sale.lines, returns, held.returned.units)
        if r.refusals:
            return refused("Return refused: {why}", why=r.refusals)
        return r

    def commit_return(
        self, seq: int, returns: dict[str, int], terminal: str | None = None, fresh: bool = True
    ) -> CommittedSale | Notice:
        """Write a return of lines of sale ``seq`` (of ``terminal``, when another till's)
        durably; the balance may go negative. HQ is asked again first unless not
        ``fresh`` (its answer was just fetched, :meth:`ask_hq`)."""
        held = self._sale(seq, terminal, fresh=fresh)
        if isinstance(held, Notice):
            return held
        r = self._priced(held, returns)
        if isinstance(r, Notice):
            return r
        original = held.sale
        catalogue = self.counter.store.catalogue
        cid = original.customer_id
        customer = catalogue.customer(cid) if cid is not None else None
        at = self.counter.clock.now()
        before = catalogue.balance(customer, at) if customer else None
        event_id = self.counter.ids.new_id()
        was = held.returned
        to_card = to_gift_card(original, r.money_minor, was.to_card_minor)
        record = return_record(
            r, event_id, at.isoformat(), original, seq, before, to_card, was.points_restored
        )
        record = replace(
            record, cashier=self.counter.cashier, original_terminal_id=held.terminal_id
        )
        card = (
            (GiftCardMove(original.gift_card[0], to_card),)
            if original.gift_card and to_card
            else ()
        )
        moves = []
        if customer is not None:
            for lot in record.restored_lots:  # each back to its lot, with its expiry
                expires = parse_utc(lot.expires_at) if lot.expires_at else None
                moves.append(LedgerMove(customer.customer_id, "restore", lot.points, expires))
            if r.points_reversed:  # after them, as HQ applies it
                moves.append(LedgerMove(customer.customer_id, "reverse", -r.points_reversed))
        rs = self.counter.ruleset
        committed = self.counter.store.ledger.commit_sale(
            NewSale(
                sale_id=event_id,
                at=at,
                record=record,
                customer_id=customer.customer_id if customer else None,
                currency=original.currency,
                total_minor=-r.money_minor,
                paid_money_minor=to_card - r.money_minor,  # the cash paid out
                points_earned=-r.points_reversed,
                points_redeemed=-r.points_restored,
                moves=tuple(moves),
                usage=(),
                # another till's sale: its returns are found by the journal's bodies
                original_seq=None if held.terminal_id else seq,
                returned=() if held.terminal_id else tuple(sorted(returns.items())),
                day=at.astimezone(rs.tz).strftime("%Y-%m-%d") if rs else "",
                gift_card_moves=card,
                qualifying_minor=returned_qualifying_minor(r.lines, original.lines, rs),
            ),
            self.counter.terminal_id,
        )
        cust = record.customer
        after = None if cust is None or cust.balance_after is None else Points(cust.balance_after)
        return CommittedSale(committed.seq, event_id, None, after)
