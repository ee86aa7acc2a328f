"""The tender step: the total due, cash (change shown large), card, gift card, points.

F10 on the sale opens it. The cashier types an amount (or nothing: all that is due)
and presses Enter for cash, F5 for a card, F6 for a gift card (then scans or types the
card: an amount typed first is the most it pays), F7 for points (a number of points
typed, or nothing: the most possible); F10 takes exact cash. The sale is committed the
moment the tenders cover it (:class:`agent.tendering.TenderStep`), and the screen then
keeps the total, the tenders and the change in view until the next sale begins (the
first scan or code typed, handed to the sale behind); Esc before that goes back to the
basket without committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Digits, Input, Static

from agent.codes import Classified, CodeKind, classify
from agent.i18n import Texts
from agent.money import Money
from agent.notice import CommittedSale, Notice, NoticeKind, done, refused
from agent.paid import TenderKind
from agent.pricing.result import Quote
from agent.tendering import TenderStep, amount_typed
from agent.words import N_

KEYS = N_("Enter cash (empty: exact)  F5 card  F6 gift card  F7 points  Esc back")
SALE_KEYS = ("ctrl+e", "ctrl+f", "ctrl+g", "ctrl+o", "ctrl+r", "delete")
DONE_KEYS = N_("Scan or type the next sale's first code  Esc closes")


def tender_text(step: TenderStep, t: Texts) -> str:
    """What the sale asks and what each tender paid, one row each."""
    if step.settled is not None and step.committed is not None:
        q = step.committed.quote
        assert q is not None
        rows = [_row(t("Sale {seq} saved", seq=step.committed.seq), None, t)]
        rows.append(_row(t("Total"), q.total, t))
        for p in step.settled.tenders:
            paid = Money(
                p.amount_minor if p.tendered_minor is None else p.tendered_minor, q.currency
            )
            rows.append(_row(t(NAMES[p.kind]), paid, t))
        return "\n".join(rows)
    q = step.till.quote()
    rows = [_row(t("Total"), q.total, t)]
    rows += _loyalty_rows(q, t)
    for p in step.handed.others:
        rows.append(_row(t(NAMES[p.kind]), Money(p.amount_minor, q.currency), t))
    if step.handed.cash_minor:
        rows.append(_row(t("Cash"), Money(step.handed.cash_minor, q.currency), t))
    return "\n".join(rows)


def _loyalty_rows(q: Quote, t: Texts) -> list[str]:
    rows = []
    if q.points_value.minor:
        label = t("Points ({points})", points=q.points_redeemed)
        rows.append(_row(label, q.points_value, t))
    if q.gift_card.minor:
        rows.append(_row(t("Gift card"), q.gift_card, t))
    return rows


def _row(label: str, amount: Money | None, t: Texts) -> str:
    return f"{label[:30]:<30}{t.money(amount) if amount is not None else '':>20}"


NAMES = {
    TenderKind.CASH: N_("Cash"),
    TenderKind.CARD: N_("Card"),
    TenderKind.GIFT_CARD: N_("Gift card"),
    TenderKind.POINTS: N_("Points"),
    TenderKind.OTHER: N_("Other"),
}


class TenderScreen(ModalScreen[str | None]):
    """The tender step of the session's sale; dismisses with the next sale's first code
    (typed after the sale was committed), or None."""

    DEFAULT_CSS = """
    TenderScreen { align: center middle; }
    #tender-box { width: 60; height: auto; border: thick $success; padding: 0 1; }
    #tender-big-label { text-style: bold; }
    #tender-big { color: $success; }
    #tender-message { height: auto; max-height: 2; }
    #tender-message.refused { background: $error; color: $text; }
    """
    TENDER_KEYS: ClassVar[dict[str, str]] = {
        "f5": "card",
        "f6": "gift_card",
        "f7": "points",
        "f10": "exact_cash",
    }
    # Every function key comes here: a tender's while the sale is paid (the sale's keys
    # do nothing then: F4 would clear it); once it is paid, the screen closes and the
    # key does what it does on the sale (F8 reprints, F6 the day's report...).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
        *(Binding(f"f{n}", f"key('f{n}')", show=False) for n in range(1, 13)),
        # The sale's own keys: nothing while paying (a park or a recall would leave the
        # tenders half taken); once paid, as the function keys.
        *(Binding(k, f"key('{k}')", show=False) for k in SALE_KEYS),
    ]

    def __init__(
        self, step: TenderStep, texts: Texts, sold: Callable[[CommittedSale], None]
    ) -> None:
        super().__init__()
        self.step = step
        self.t = texts
        self.sold = sold  # the app's part once the sale is committed (receipt, sync)
        self.gift_amount: Money | None = None  # typed before F6: the most the card pays

    def compose(self) -> ComposeResult:
        with Vertical(id="tender-box"):
            yield Static("", id="tender-lines", markup=False)
            yield Static("", id="tender-big-label", markup=False)
            yield Digits("", id="tender-big")
            yield Input(placeholder=self.t("Amount, then a tender key"), id="tender-entry")
            yield Static("", id="tender-message", markup=False)
            yield Static("", id="tender-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#tender-entry", Input).focus()
        if self.step.due().minor == 0:  # points or a gift card paid it all already
            failed = self.step.settle_now()
            if failed is not None:
                self.show(Notice(NoticeKind.REFUSED, failed))
            elif self.step.committed is not None:
                self.sold(self.step.committed)
        self.render_step()

    @property
    def done(self) -> bool:
        return self.step.committed is not None

    def render_step(self) -> None:
        t, step = self.t, self.step
        self.query_one("#tender-lines", Static).update(tender_text(step, t))
        if step.settled is not None:
            big_label, big = t("Change"), Money(step.settled.change_minor, step.currency)
            keys = t(DONE_KEYS)
        else:
            big_label, big, keys = t("To pay"), step.due(), t(KEYS)
        self.query_one("#tender-big-label", Static).update(f"{big_label}: {t.money(big)}")
        self.query_one("#tender-big", Digits).update(t.amount(big).replace("\xa0", " "))
        self.query_one("#tender-keys", Static).update(keys)

    def show(self, notice: Notice) -> None:
        msg = self.query_one("#tender-message", Static)
        msg.update(self.t.say(notice.words))
        msg.set_class(notice.refused, "refused")

    def _typed(self) -> str:
        entry = self.query_one("#tender-entry", Input)
        text, entry.value = entry.value.strip(), ""
        return text

    def _amount(self, text: str) -> Money | Notice | None:
        """The amount typed (None: nothing typed), or why it is no amount."""
        if not text:
            return None
        amount = amount_typed(text, self.step.currency)
        return amount or refused("{text}: not an amount", text=text)

    def _after(self, notice: Notice) -> None:
        """Show what a tender did; once the sale is committed, hand it to the app."""
        self.show(notice)
        if self.step.committed is not None:
            self.sold(self.step.committed)
        self.render_step()

    # -- tenders ----------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self._typed()
        if self.done:  # the next sale begins: its first code goes to the sale
            self.dismiss(text or None)
            return
        if self._gift_card_code(text):
            return
        amount = self._amount(text)
        if isinstance(amount, Notice):
            self.show(amount)
            return
        self._after(self.step.cash(amount))

    def _gift_card_code(self, text: str) -> bool:
        """A gift card typed or scanned: it pays (at most the amount given with F6)."""
        code = classify(text) if text else None
        if not isinstance(code, Classified) or code.kind is not CodeKind.GIFT_CARD:
            return False
        amount, self.gift_amount = self.gift_amount, None
        self._after(self.step.gift_card(code.value, amount))
        return True

    def scanned(self, text: str) -> bool:
        """A code scanned while the screen is up: a gift card pays, anything else waits
        for the payment (True: taken here); once the sale is committed, the screen
        closes and the code begins the next sale (False: the sale behind takes it)."""
        if self.done:
            self.dismiss(None)
            return False
        if not self._gift_card_code(text):
            self.show(refused("Finish the payment first (Esc goes back to the sale)"))
        return True

    def tender_exact_cash(self) -> None:
        self._typed()
        self._after(self.step.cash())

    def tender_card(self) -> None:
        amount = self._amount(self._typed())
        if isinstance(amount, Notice):
            self.show(amount)
            return
        self._after(self.step.card(amount))

    def tender_gift_card(self) -> None:
        text = self._typed()
        if self._gift_card_code(text):
            return
        amount = self._amount(text)
        if isinstance(amount, Notice):
            self.show(amount)
            return
        self.gift_amount = amount
        if amount is None:
            self.show(done("Scan or type the gift card: it pays what it can"))
        else:
            self.show(done("Scan or type the gift card: it pays {amount}", amount=amount))

    def tender_points(self) -> None:
        text = self._typed()
        if text and not (text.isdigit() and len(text) <= 9):
            self.show(refused("{text}: not a number of points", text=text))
            return
        self._after(self.step.points(int(text) if text else None))

    def action_back(self) -> None:
        if not self.done:
            self.step.cancel()
        self.dismiss(None)

    def action_key(self, key: str) -> None:
        if self.done:
            self.dismiss(None)
            self.app.simulate_key(key)
            return
        tender = self.TENDER_KEYS.get(key)
        if tender is None:
            self.app.bell()
            return
        getattr(self, f"tender_{tender}")()
