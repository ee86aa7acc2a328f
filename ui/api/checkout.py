"""The agent API's checkout: each call drives the cashier app's own session and desk.

Every call builds a fresh :class:`agent.session.CheckoutSession` over the till's store
and does what a cashier would: identify, add the POS's lines, enter codes, present a
gift card, ask to pay with points; then quotes (a calculation: nothing is written),
commits, or returns lines through ``session.desk``. Pricing, limits, the offline policy
and the commit are the session's, never a copy. Writes are idempotent by the POS's key:
the key is written in the transaction of the sale it made (:mod:`agent.store.pos_writes`).

One lock serialises the calls: the session and the store's connection are one
cashier's at a time, and a key is looked up and written under it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from agent.card_only import CardLookup, is_card_only
from agent.clock import Clock, IdFactory
from agent.codes import CodeKind, classify
from agent.codes import Refusal as CodeRefusal
from agent.errors import SaleNotReady
from agent.events import Return, Sale
from agent.foreign import SaleSource
from agent.gift_sale import scanned
from agent.i18n import Texts
from agent.model import Customer
from agent.notice import Notice, NoticeKind, refused
from agent.paid import Paid, TenderKind
from agent.pos_basket import add_pos_line
from agent.pricing.eligibility import offline_limit_words
from agent.scale import barcodes_of
from agent.session import TYPED_NUMBER, CheckoutSession
from agent.store import Store
from agent.store.pos_writes import PosWrite, PosWrites
from agent.tendering import Handed, settle
from agent.tokens import TokenPolicy
from ui.api import replies
from ui.api.shapes import BadRequest, BasketAsk, CommitAsk, Tender, WhoAsks

IDENTIFIED_FOR_S = 30 * 60  # an identification serves the POS's sale this long
MAX_IDENTIFIED = 10_000


class Refused(BadRequest):
    """A call the till refuses for a reason a cashier reads (in the reply's language)."""

    def __init__(self, field: str, why: str, status: int) -> None:
        super().__init__(field, why, status)


@dataclass(frozen=True, slots=True)
class Identified:
    customer: Customer
    confirmed: bool
    until: datetime


@dataclass
class Till:
    """What the agent's checkout is built from (the composition root hands it over)."""

    store: Store
    clock: Clock
    ids: IdFactory
    terminal_id: str
    store_name: str
    language: str = "en"
    width: int = 42
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    card_lookup: CardLookup | None = None
    sales_source: SaleSource | None = None
    wake: Callable[[], None] | None = None  # the sync worker's wake(), after a write
    sold: Callable[[int], None] | None = None  # a sale committed: its seq (to print it)


def body_hash(doc: dict[str, Any]) -> str:
    """sha256 of the request body's canonical JSON: the same body, however it was spaced."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class AgentCheckout:
    """The calls of the agent API over one till."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.writes = PosWrites(till.store.file)
        self.lock = threading.Lock()
        self._identified: dict[str, Identified] = {}

    def session(self) -> CheckoutSession:
        t = self.till
        s = CheckoutSession(t.store, t.clock, t.ids, t.terminal_id, t.store_name)
        s.token_policy = t.tokens
        s.card_lookup = t.card_lookup
        s.desk.foreign.source = t.sales_source
        return s

    # -- identify ---------------------------------------------------------------------
    def identify(self, who: WhoAsks, lang: str) -> dict[str, Any]:
        """The customer panel, and a handle the POS names the customer by in calculate
        and commit (a phone's QR token identifies once)."""
        t = Texts(lang)
        with self.lock:
            s = self.session()
            notice = self._who(s, who)
            if s.customer is None or notice.refused:
                return {
                    "identified": False,
                    "identification": None,
                    "customer": None,
                    "message": t.say(notice.words),
                    "refusals": [replies.reason("customer", notice.words, t)],
                }
            handle = secrets.token_urlsafe(16)
            until = self.till.clock.now() + timedelta(seconds=IDENTIFIED_FOR_S)
            self._keep(handle, Identified(s.customer, s.confirmed, until))
            doc, why = self._panel(s, t)
            return {
                "identified": True,
                "identification": handle,
                "expires_at": until.isoformat(),
                "customer": doc,
                "message": t.say(notice.words),
                "refusals": why,
            }

    def _keep(self, handle: str, found: Identified) -> None:
        now = self.till.clock.now()
        if len(self._identified) >= MAX_IDENTIFIED:
            self._identified = {k: v for k, v in self._identified.items() if v.until > now}
            while len(self._identified) >= MAX_IDENTIFIED:  # the oldest go first
                del self._identified[next(iter(self._identified))]
        self._identified[handle] = found

    def _who(self, s: CheckoutSession, who: WhoAsks) -> Notice:
        """Identify the customer on ``s`` as the till would; a notice says how it went."""
        if who.token is not None:
            return s.identify_token(who.token)
        if who.phone is not None:
            return s.identify_phone(who.phone if who.phone.startswith("+") else "+" + who.phone)
        if who.card is not None:
            code = classify(who.card, barcodes_of(s.ruleset))
            if isinstance(code, CodeRefusal):
                return Notice(NoticeKind.REFUSED, code.words)
            if code.kind is not CodeKind.CARD:
                return refused("{card}: not a loyalty card number", card=who.card)
            return s.identify(code.value, typed=who.typed)
        found = self._identified.get(who.identification or "")
        if found is None or found.until <= self.till.clock.now():
            raise BadRequest(
                "body.customer.identification", "unknown or expired: identify again", 422
            )
        customer = found.customer
        if not is_card_only(customer):  # as HQ's latest snapshot has them now
            customer = self.till.store.catalogue.customer(customer.customer_id) or customer
        return s.identified(customer, found.confirmed)

    def _panel(self, s: CheckoutSession, t: Texts) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The customer panel, and why less than the balance may be spent now: in the
        cashier app's words (:func:`offline_limit_words`, :data:`TYPED_NUMBER`), from one
        read of this till's counts (the points left today and the codes used)."""
        customer = s.customer
        assert customer is not None
        now = self.till.clock.now()
        balance = s.store.catalogue.balance(customer, now)
        rs = s.ruleset
        tz = rs.tz if rs else now.tzinfo
        assert tz is not None
        usage = s.limits.usage(customer, now, tz, False)
        why = []
        spendable = max(0, int(balance))
        if usage.redeem_left is not None and usage.redeem_left < spendable:
            spendable = usage.redeem_left
            why.append(replies.reason("points", offline_limit_words(spendable), t))
        if not s.confirmed:
            spendable = 0
            why.append(replies.reason("points", TYPED_NUMBER, t))
        if is_card_only(customer):
            spendable = 0
        coupons = [c for c, was in customer.coupons if not was and c not in usage.used_codes]
        return replies.panel(customer, balance, spendable, s.confirmed, coupons), why

    # -- calculate ----------------------------------------------------------------------
    def _priced(self, ask: BasketAsk, t: Texts) -> tuple[CheckoutSession, list[dict[str, Any]]]:
        """A session holding the POS's basket, and what of the POS's asks was refused."""
        s = self.session()
        out: list[dict[str, Any]] = []
        if s.ruleset is None:
            raise Refused("ruleset", t("Waiting for loyalty rules and products from HQ…"), 503)
        if ask.customer is not None:
            notice = self._who(s, ask.customer)
            if notice.refused:
                out.append(replies.reason("customer", notice.words, t))
        catalogue = s.store.catalogue
        for i, ln in enumerate(ask.lines):
            notice = add_pos_line(
                s, catalogue, ln.code, ln.qty, ln.unit_minor, ln.category, ln.name
            )
            if notice.refused:
                out.append(replies.reason(f"lines[{i}]", notice.words, t))
        if ask.gift_card is not None:
            code = classify(ask.gift_card, barcodes_of(s.ruleset))
            if isinstance(code, CodeRefusal) or code.kind is not CodeKind.GIFT_CARD:
                notice = refused("Unknown gift card {card}", card=ask.gift_card)
            else:
                notice = scanned(s, code.value)
            if notice.refused:
                out.append(replies.reason("gift_card", notice.words, t))
        for i, code_text in enumerate(ask.codes):
            if not s.basket.lines:
                break
            notice = s.apply_code(code_text.upper())
            if notice.refused:
                out.append(replies.reason(f"codes[{i}]", notice.words, t))
        if (ask.points or ask.most_points) and s.basket.lines:
            notice = s.pay_with_points(None if ask.most_points else ask.points)
            if notice.refused:
                out.append(replies.reason("points", notice.words, t))
        return s, out

    def calculate(self, ask: BasketAsk, lang: str) -> dict[str, Any]:
        """The basket priced as the till would price it now: a dry run, nothing written."""
        t = Texts(lang)
        with self.lock:
            s, refusals = self._priced(ask, t)
            if not s.basket.lines:
                raise Refused("body.lines", _joined(refusals), 422)
            doc = replies.calculation(s.quote(), t, refusals)
            if s.customer is not None:
                doc["customer"], _ = self._panel(s, t)
            else:
                doc["customer"] = None
            return doc

    # -- commit -------------------------------------------------------------------------
    def replay(self, pos: str, key: str, digest: str, kind: str) -> PosWrite | None:
        """The write ``key`` made already, or None; refused when the key was used with
        another body, or for another kind of call."""
        found = self.writes.by_key(pos, key)
        if found is None:
            return None
        if found.body_hash != digest or found.kind != kind:
            raise BadRequest(
                "header.Idempotency-Key",
                f"already used for another request ({found.kind} {found.receipt_id})",
                422,
            )
        return found

    def commit(
        self, pos: str, key: str, digest: str, ask: CommitAsk, lang: str
    ) -> tuple[int, dict[str, Any]]:
        """Commit the POS's sale, once per key: (201, the sale) the first time, (200, the
        same sale) for the same key and body again."""
        t = Texts(lang)
        with self.lock:
            found = self.replay(pos, key, digest, "sale")
            if found is not None:
                return 200, self._sale_doc(found, replayed=True)
            other = self.writes.by_receipt(pos, "sale", ask.receipt_id)
            if other is not None:
                raise BadRequest(
                    "body.receipt_id",
                    f"committed already under another key (sale {other.seq})",
                    409,
                )
            s, refusals = self._priced(ask.basket, t)
            if not s.basket.lines:
                raise Refused("body.lines", _joined(refusals), 422)
            handed = pos_handed(ask.tenders) if ask.tenders else None
            if handed is not None:  # the tenders are laid out as the till's own (settle)
                try:
                    settle(s.quote(), handed)
                except SaleNotReady as exc:
                    raise BadRequest(
                        "body.tenders", f"{exc.detail}: calculate again", 409
                    ) from None
            tenders = [{"kind": x.kind, "amount_minor": x.amount_minor} for x in ask.tenders]
            note = PosWrite(pos, key, digest, "sale", ask.receipt_id, 0, {"tenders": tenders})
            kept = Kept(self.writes, note)
            with self.till.store.ledger.writing_with(kept):
                try:
                    done = s.commit(handed)
                except SaleNotReady as exc:
                    raise Refused("body.lines", t.say(exc.words()), 422) from None
            self.woken()
            if self.till.sold is not None:
                self.till.sold(done.seq)
            w, record = kept.written()
            assert isinstance(record, Sale) and w.seq == done.seq
            tid = self.till.terminal_id
            return 201, replies.sale_reply(record, tid, w.seq, w.receipt_id, w.doc, False)

    def _sale_doc(self, w: PosWrite, replayed: bool) -> dict[str, Any]:
        event = self.till.store.ledger.sale_event(w.seq)
        assert event is not None and isinstance(event.record, Sale)
        return replies.sale_reply(
            event.record, self.till.terminal_id, w.seq, w.receipt_id, w.doc, replayed
        )

    def return_doc(self, w: PosWrite, replayed: bool) -> dict[str, Any]:
        event = self.till.store.ledger.sale_event(w.seq)
        assert event is not None and isinstance(event.record, Return)
        return replies.return_reply(
            event.record, self.till.terminal_id, w.seq, w.receipt_id, replayed, w.kind
        )

    def woken(self) -> None:
        if self.till.wake is not None:
            self.till.wake()

    def sale_of(self, pos: str, receipt_id: str, t: Texts) -> PosWrite:
        sale = self.writes.by_receipt(pos, "sale", receipt_id)
        if sale is None:
            raise Refused(
                "path.receipt_id",
                t("No sale with receipt {receipt} from this POS", receipt=receipt_id),
                404,
            )
        return sale

    # -- the loyalty block -------------------------------------------------------------
    def block(
        self, pos: str, kind: str, receipt_id: str, lang: str | None, width: int | None
    ) -> dict[str, Any]:
        """The loyalty block of the POS's sale (or return) ``receipt_id`` to print."""
        t = Texts(lang or self.till.language)
        with self.lock:
            w = self.writes.by_receipt(pos, kind, receipt_id)
            if w is None:
                raise Refused(
                    "path.receipt_id",
                    t("No sale with receipt {receipt} from this POS", receipt=receipt_id),
                    404,
                )
            event = self.till.store.ledger.sale_event(w.seq)
            assert event is not None and isinstance(event.record, Sale | Return)
            return replies.loyalty_block(
                event.record, self.till.terminal_id, w.seq, t, width or self.till.width
            )


def pos_handed(tenders: tuple[Tender, ...]) -> Handed:
    """A POS's tenders as the till's: its cash and card as such, any other kind of its
    own as OTHER under its name; each at what it pays (the POS gives its own change)."""
    cash = sum(x.amount_minor for x in tenders if x.kind == TenderKind.CASH)
    others = tuple(
        Paid(TenderKind.CARD, x.amount_minor)
        if x.kind == TenderKind.CARD
        else Paid(TenderKind.OTHER, x.amount_minor, None, x.kind)
        for x in tenders
        if x.kind != TenderKind.CASH
    )
    return Handed(cash, others, exact=True)


def at_seq(w: PosWrite, seq: int) -> PosWrite:
    return PosWrite(w.pos, w.key, w.body_hash, w.kind, w.receipt_id, seq, w.doc)


class Kept:
    """A POS's write, noted by its key inside the transaction of the sale or return it
    made (:meth:`agent.store.ledger.Ledger.writing_with`), and that record, to answer with."""

    def __init__(self, writes: PosWrites, note: PosWrite) -> None:
        self.writes = writes
        self.note = note
        self._written: tuple[PosWrite, Sale | Return] | None = None

    def __call__(self, seq: int, record: Sale | Return) -> None:
        w = at_seq(self.note, seq)
        self.writes.note(w)
        self._written = (w, record)

    def written(self) -> tuple[PosWrite, Sale | Return]:
        assert self._written is not None, "no sale was committed"
        return self._written


def _joined(refusals: list[dict[str, Any]]) -> str:
    """Why no line of a basket could be sold: each line's reason, in the reply's language."""
    return "; ".join(str(r["reason"]) for r in refusals) or "no line could be sold"
