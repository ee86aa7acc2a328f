"""The Textual cashier app: one checkout screen, keyboard-first.

The app renders from the CheckoutSession; widgets only display. Scans arrive
from driver threads as CodeScanned messages; printing runs in a thread worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from agent.codes import Classified, CodeKind, classify
from agent.errors import KassaError
from agent.i18n import LANGUAGE_NAMES, Texts
from agent.model import Scan
from agent.notice import CommittedSale, Notice, NoticeKind
from agent.printing import PrintOutcome, print_sale
from agent.staff import Cashier
from agent.store import Store
from agent.tendering import TenderStep
from drivers.escpos_text import decode_escpos
from drivers.printer import PrinterConfig, code_pages
from ui.services import Services
from ui.till.basket_view import totals_lines
from ui.till.edits import TillEdits
from ui.till.entry import HINT, PRICE_HINT, EntryInput, parse_entry
from ui.till.flows import TillFlows
from ui.till.layout import CHECKOUT_CSS, HIGH_CONTRAST
from ui.till.panels import customer_text, why_text
from ui.till.pickers import PickScreen
from ui.till.screens import (
    AdjustScreen,
    ConfirmScreen,
    EnrolScreen,
    PinScreen,
    ReturnScreen,
    TextScreen,
)
from ui.till.status import status_line
from ui.till.tender import TenderScreen


class CodeScanned(Message):
    def __init__(self, scan: Scan) -> None:
        super().__init__()
        self.scan = scan


class DeviceFailed(Message):
    def __init__(self, error: KassaError) -> None:
        super().__init__()
        self.error = error


class ReceiptPrinted(Message):
    def __init__(self, outcome: PrintOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class CheckoutApp(App[None]):
    TITLE = "kassa"
    CSS = CHECKOUT_CSS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 - as Textual declares it
    BINDING_TEXTS = (  # short: at 80 columns every key fits in three rows, in each language
        ("f1", "explain", "Why"),
        ("f2", "pay_points", "Max points"),
        ("f3", "status", "Status"),
        ("f4", "new_sale", "Clear"),
        ("f5", "enrol", "Enrol"),
        ("f6", "day_report", "Report"),
        ("f7", "adjust", "Adjust"),
        ("f8", "reprint", "Reprint"),
        ("f9", "language", "Language"),
        ("f10", "complete", "Complete"),
        ("f11", "lift_limit", "Lift limit"),
        ("f12", "lock", "Lock"),
        ("delete", "remove_row", "Remove"),
        ("ctrl+e", "quantity", "Qty"),
        ("ctrl+f", "search", "Find"),
        ("ctrl+g", "price_check", "Price check"),
        ("ctrl+o", "park", "Park"),
        ("ctrl+r", "recall", "Recall"),
        ("ctrl+t", "contrast", "Contrast"),
        ("ctrl+q", "quit", "Quit"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(k, a, d) for k, a, d in BINDING_TEXTS),
        Binding("up", "move(-1)", show=False),  # the basket's selected row
        Binding("down", "move(1)", show=False),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.session = services.session
        self.last_seq: int | None = None
        self.last_receipt_text = ""
        self.cashier: Cashier | None = None
        self.t = Texts(services.config.language)
        self.flows = TillFlows(self)  # returns, voids, enrolment, adjustments, report, status
        self.edits = TillEdits(self)  # line edits, search, price check, park and recall

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static("", id="customer", markup=False)
                # Only the entry line takes keys: a wedge scanner's keystrokes reach the sale
                # whatever the cashier pressed before (Tab moves nowhere).
                table: DataTable[str] = DataTable(id="lines", cursor_type="row", zebra_stripes=True)
                table.can_focus = False
                yield table
                yield Static("", id="totals", markup=False)
            with Vertical(id="side"):  # a wide screen's: the customer, why, the receipt
                yield Static("", id="side-customer", markup=False)
                yield Static("", id="why", markup=False)
                with VerticalScroll(id="receipt-pane"):
                    yield Static("", id="receipt", markup=False)
        yield Static("", id="message", markup=False)
        yield EntryInput(id="entry")
        yield Static("", id="keys", markup=False)

    def on_mount(self) -> None:
        services = self.services
        self.register_theme(HIGH_CONTRAST)
        if services.config.high_contrast:
            self.theme = HIGH_CONTRAST.name
        self.apply_language(services.config.language)
        for source in services.code_sources:
            source.start(self._scanned, self._device_failed)
        if services.sync is not None:
            services.sync.start()
        self._status_timer = self.set_interval(0.5, self.refresh_status)
        self.refresh_status()
        self.render_sale()
        self.query_one("#entry", Input).focus()
        if services.store.ledger.cashiers():
            self.action_lock()  # a till with staff set up opens signed out

    def render_keys(self) -> None:
        """The key bar, wrapped between keys (never between a key and its label)."""
        width = max(20, self.size.width - 2)
        rows = [""]
        for key, _, label in self.BINDING_TEXTS:
            item = f"{key.replace('ctrl+', '^').upper()} {self.t(label)}"
            if rows[-1] and len(rows[-1]) + 2 + len(item) > width:
                rows.append("")
            rows[-1] += ("  " if rows[-1] else "") + item
        self.query_one("#keys", Static).update("\n".join(rows))

    def on_resize(self) -> None:
        self.render_keys()
        self.refresh_status()

    def apply_language(self, lang: str) -> None:
        """Show every screen text in ``lang`` (en, ru, pl, ro)."""
        self.t = t = Texts(lang)
        table = self.query_one("#lines", DataTable)
        table.clear(columns=True)
        table.add_columns(t("SKU"), t("Item"), t("Qty"), t("Amount"))
        self.show_entry_hint()
        self.render_keys()
        if not self.last_receipt_text:
            self.query_one("#receipt", Static).update(t("Receipt preview"))
        self.render_sale()
        self.refresh_status()

    def _scanned(self, scan: Scan) -> None:  # called from the scanner's thread
        self.post_message(CodeScanned(scan))

    def _device_failed(self, error: KassaError) -> None:  # called from a driver's thread
        self.post_message(DeviceFailed(error))

    def on_unmount(self) -> None:
        self._status_timer.stop()  # no tick may read a closed store or a gone screen
        self.services.close()

    # -- rendering -----------------------------------------------------------------
    def refresh_status(self) -> None:
        """The status line (ui.till.status), in the store's time zone, at the screen's width."""
        found = self.query("#status")
        if not found:  # the app is shutting down: its screen is gone
            return
        status = found.first(Static)
        services = self.services
        stats = services.store.ledger.outbox_stats()
        oldest_min = None
        if stats.oldest_at is not None:
            oldest_min = int((services.clock.now() - stats.oldest_at).total_seconds() // 60)
        who = services.config.terminal_id + (f" {self.cashier.name}" if self.cashier else "")
        rs = self.session.ruleset
        sync = services.sync.status() if services.sync is not None else None
        width = max(20, self.size.width - 2)  # the line's padding
        text, offline, stale = status_line(
            self.t, width, sync, stats.pending, oldest_min, who, rs.tz if rs else None
        )
        status.update(text)
        status.set_class(offline, "offline")
        status.set_class(stale and not offline, "stale")

    def render_sale(self) -> None:
        session, t = self.session, self.t
        if session.customer is None:
            who = t("No customer: scan a loyalty card")
        else:
            who = customer_text(session, t)
        self.query_one("#customer", Static).update(who)
        self.query_one("#side-customer", Static).update(who)
        totals = self.query_one("#totals", Static)
        if session.ruleset is None:
            self.query_one("#lines", DataTable).clear()
            totals.update(t("Waiting for loyalty rules and products from HQ…"))
            return
        q = session.quote()
        self.edits.show(self.query_one("#lines", DataTable), q)  # the selected row in view
        totals.update(totals_lines(q, session.customer is not None, t))
        self.query_one("#why", Static).update(why_text(q, t).rsplit("\n\n", 1)[0])

    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None:
        msg = self.query_one("#message", Static)
        if isinstance(notice, Notice):  # the session's words, in the cashier's language
            refused = notice.refused
            text = self.t.say(notice.words)
        else:
            text = notice
        msg.update(text)
        msg.set_class(refused, "refused")

    # -- events -----------------------------------------------------------------------
    def on_entry_input_entered(self, event: EntryInput.Entered) -> None:
        typed = event.typed_by_hand
        if not event.value.strip():
            return
        text = event.value.strip()
        if text.startswith("-"):  # -MILK, -2*MILK: take units off the basket
            self.notify_cashier(self.session.take_off(*parse_entry(text[1:])))
            self.render_sale()
            return
        if self.edits.checking_prices:  # priced, not sold
            self.edits.check_price(text)
            return
        self.take_code(*parse_entry(text), typed=typed)

    def on_code_scanned(self, message: CodeScanned) -> None:
        if isinstance(self.screen, PinScreen | AdjustScreen | ConfirmScreen):  # locked, busy
            self.bell()
            return
        if isinstance(self.screen, EnrolScreen):  # the new card, scanned into the form
            self.screen.query_one("#enrol-card", Input).value = message.scan.text
            return
        if isinstance(self.screen, TenderScreen) and self.screen.scanned(message.scan.text):
            return  # a gift card paying, or refused; else the paid sale's screen closed
        if isinstance(self.screen, ReturnScreen | TextScreen | PickScreen):
            self.screen.dismiss(None)  # a scan means the cashier moved on: back to the sale
        if self.edits.checking_prices:
            self.edits.check_price(message.scan.text)
            return
        self.take_code(message.scan.text, 1)

    def take_code(self, text: str, qty: int, typed: bool = False) -> None:
        """Act on a typed or scanned code; a receipt's QR opens its return; another
        customer's card on a sale under way is asked about first."""
        try:
            notice = self.session.enter(text, qty, typed)
        except KassaError as exc:  # the store refused: the sale stays as it was
            self.notify_cashier(self.t.say(exc.words()), refused=True)
            return
        self.notify_cashier(notice)
        if notice.kind is NoticeKind.ASK:
            self.ask(self.t.say(notice.words), self._second_card)
            return
        code = classify(text)
        if not notice.refused and isinstance(code, Classified) and code.kind is CodeKind.RECEIPT:
            self.flows.open_return(code.value)
        self.render_sale()

    def _second_card(self, replace: bool) -> None:
        session = self.session
        self.notify_cashier(session.replace_customer() if replace else session.keep_customer())
        self.render_sale()

    def ask(self, question: str, then: Callable[[bool], None]) -> None:
        """Ask the cashier ``question`` (already translated); ``then`` gets the answer."""
        self.push_screen(ConfirmScreen(question, self.t), lambda yes: then(bool(yes)))

    async def action_quit(self) -> None:
        """Quit; with a sale open, only once the cashier has said so (it is not saved)."""
        lines = len(self.session.basket.lines)
        if not lines:
            self.exit()
            return

        def answered(yes: bool) -> None:
            if yes:
                self.exit()

        question = self.t("A sale is open and not saved: quit anyway?")
        self.ask(question, answered)

    def on_device_failed(self, message: DeviceFailed) -> None:
        self.notify_cashier(self.t.say(message.error.words()), refused=True)

    def action_pay_points(self) -> None:
        """F2: the points typed in the entry, or the most possible with nothing typed."""
        if self.edits.pay_points(self.entry_text()):
            self.query_one("#entry", Input).value = ""

    def action_contrast(self) -> None:
        """Switch between the usual colours and black, white and yellow for bright shops."""
        self.theme = "textual-dark" if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

    def action_language(self) -> None:
        self.apply_language(self.t.next_language())
        self.notify_cashier(self.t("Language: {name}", name=LANGUAGE_NAMES[self.t.lang]))

    def action_complete(self) -> None:
        """The tender step (ui.till.tender): the sale is committed once it is paid."""
        try:
            step = TenderStep.begin(self.session)
        except KassaError as exc:  # not ready: the sale stays open
            self.notify_cashier(self.t.say(exc.words()), refused=True)
            return
        self.push_screen(TenderScreen(step, self.t, self.sold), self._tendered)

    def _tendered(self, first_code: str | None) -> None:
        self.render_sale()
        if first_code:  # typed on the paid sale's screen: the next sale's first code
            self.take_code(*parse_entry(first_code), typed=True)

    def sold(self, sale: CommittedSale) -> None:
        """A sale was committed (paid): its receipt, and the upload asked for now."""
        self.last_seq = sale.seq
        self.notify_cashier(self.t("Sale {seq} saved. Printing the receipt…", seq=sale.seq))
        self.render_sale()
        if self.services.sync is not None:
            self.services.sync.wake()
        self.print_receipt(sale.seq)

    def action_reprint(self) -> None:
        """Reprint the last receipt, or the one whose number is typed in the entry."""
        entry = self.query_one("#entry", Input)
        typed = entry.value.strip()
        if typed.isdigit():
            entry.value = ""
        self.flows.reprint(int(typed) if typed.isdigit() else None)

    @work(thread=True, exclusive=True, group="printer")
    def print_receipt(self, seq: int, copy: bool = False) -> None:
        # The printer thread reads through a connection of its own.
        store = Store.open(self.services.config.db_path)
        try:
            outcome = print_sale(
                store,
                self.services.printer,
                seq,
                self.services.clock,
                self.services.config.store_name,
                Texts(self.services.config.language),  # the store's language, not the cashier's
                copy,
            )
        finally:
            store.close()
        self.post_message(ReceiptPrinted(outcome))

    def on_receipt_printed(self, message: ReceiptPrinted) -> None:
        outcome = message.outcome
        if outcome.data is None:
            self.notify_cashier(
                self.t(
                    "Sale {seq} is saved, receipt not printed: {error}. F8 reprints.",
                    seq=outcome.seq,
                    error=outcome.error_words or outcome.error,
                ),
                refused=True,
            )
            return
        cfg: PrinterConfig = getattr(self.services.printer, "config", PrinterConfig())
        self.last_receipt_text = decode_escpos(outcome.data, code_pages(cfg)).text.rstrip()
        self.query_one("#receipt", Static).update(self.last_receipt_text)
        self.notify_cashier(self.t("Sale {seq} complete, receipt printed", seq=outcome.seq))
        self.refresh_status()

    # -- keys that start a flow (ui.till.flows) ----------------------------------------
    def action_new_sale(self) -> None:
        self.flows.new_sale()

    def action_enrol(self) -> None:
        self.flows.enrol()

    def action_adjust(self) -> None:
        self.flows.adjust()

    def action_lift_limit(self) -> None:
        self.flows.lift_limit()

    def action_lock(self) -> None:
        self.flows.lock()

    def action_day_report(self) -> None:
        self.flows.day_report()

    def action_explain(self) -> None:
        self.flows.explain()

    def action_status(self) -> None:
        self.flows.status()

    # -- the basket's keys (ui.till.edits) -------------------------------------------
    def entry_text(self) -> str:
        return self.query_one("#entry", Input).value

    def action_move(self, step: int) -> None:
        self.edits.move(step)

    def action_remove_row(self) -> None:
        self.edits.remove()

    def action_quantity(self) -> None:
        if self.edits.quantity(self.entry_text()):
            self.query_one("#entry", Input).value = ""

    def action_search(self) -> None:
        typed, self.query_one("#entry", Input).value = self.entry_text(), ""
        self.edits.search(typed)

    def action_price_check(self) -> None:
        checking = self.edits.toggle_price_check()
        self.query_one("#message", Static).set_class(checking, "price-check")
        self.show_entry_hint()

    def show_entry_hint(self) -> None:  # for the mode the till is in, in its language
        checking = self.edits.checking_prices
        self.query_one("#entry", Input).placeholder = self.t(PRICE_HINT if checking else HINT)

    def action_park(self) -> None:
        self.edits.park()

    def action_recall(self) -> None:
        self.edits.recall()
