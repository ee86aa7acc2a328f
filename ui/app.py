"""The Textual cashier app: one checkout screen, keyboard-first.

The app renders from the CheckoutSession; widgets only display. Scans arrive
from driver threads as CodeScanned messages; printing runs in a thread worker.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from agent.errors import KassaError, SaleNotReady
from agent.model import Scan
from agent.money import Money
from agent.printing import PrintOutcome, print_sale
from agent.session import CommittedSale, Notice
from agent.staff import Cashier, Role
from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.printer import PrinterConfig, code_pages
from ui.i18n import LANGUAGE_NAMES, Texts
from ui.screens import PinScreen
from ui.services import Services


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


def parse_entry(text: str) -> tuple[str, int]:
    """'3*MILK' or 'MILK*3' -> ('MILK', 3); anything else is a code with quantity 1."""
    left, sep, right = text.strip().partition("*")
    if sep:
        if left.isdigit():
            return right.strip(), int(left)
        if right.isdigit():
            return left.strip(), int(right)
    return text.strip(), 1


class CheckoutApp(App[None]):
    TITLE = "kassa"
    CSS = """
    #status { height: 1; background: $primary; color: $text; padding: 0 1; }
    #status.offline { background: $error; }
    #main { height: 1fr; }
    #left { width: 2fr; }
    #customer { height: 4; border: round $secondary; padding: 0 1; }
    #lines { height: 1fr; }
    #totals { height: 6; padding: 0 1; }
    #receipt-pane { width: 46; border: round $secondary; padding: 0 1; }
    #receipt { width: auto; }
    #message { height: 1; padding: 0 1; }
    #message.refused { background: $error; color: $text; }
    #keys { height: 1; background: $panel; color: $text; padding: 0 1; }
    #status.stale { background: $warning; }
    /* 80x24: the sale takes the whole width; the receipt preview needs a wider screen */
    Screen.-narrow #receipt-pane { display: none; }
    Screen.-narrow #totals { height: 7; }
    """
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 - as Textual declares it
    BINDING_TEXTS = (
        ("f2", "pay_points", "Pay max with points"),
        ("f4", "new_sale", "Clear sale"),
        ("f8", "reprint", "Reprint last"),
        ("f9", "language", "Language"),
        ("f10", "complete", "Complete sale"),
        ("f12", "lock", "Lock"),
        ("ctrl+q", "quit", "Quit"),
    )
    BINDINGS: ClassVar[list[BindingType]] = [Binding(k, a, d) for k, a, d in BINDING_TEXTS]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.session = services.session
        self.last_seq: int | None = None
        self.last_receipt_text = ""
        self.cashier: Cashier | None = None
        self.t = Texts(services.config.language)

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static("", id="customer", markup=False)
                yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
                yield Static("", id="totals", markup=False)
            with VerticalScroll(id="receipt-pane"):
                yield Static("", id="receipt", markup=False)
        yield Static("", id="message", markup=False)
        yield Input(id="entry")
        yield Static("", id="keys", markup=False)

    def on_mount(self) -> None:
        services = self.services
        self.apply_language(services.config.language)
        for source in services.code_sources:
            source.start(self._scanned, self._device_failed)
        if services.sync is not None:
            services.sync.start()
        self.set_interval(0.5, self.refresh_status)
        self.refresh_status()
        self.render_sale()
        self.query_one("#entry", Input).focus()
        if services.store.cashiers():
            self.action_lock()  # a till with staff set up opens signed out

    def apply_language(self, lang: str) -> None:
        """Show every screen text in ``lang`` (en, ru, pl, ro)."""
        self.t = t = Texts(lang)
        table = self.query_one("#lines", DataTable)
        table.clear(columns=True)
        table.add_columns(t("SKU"), t("Item"), t("Qty"), t("Amount"))
        self.query_one("#entry", Input).placeholder = t(
            "Scan or type a card or SKU (3*MILK for three), Enter"
        )
        keys = [f"{k.replace('ctrl+', '^').upper()} {t(d)}" for k, _, d in self.BINDING_TEXTS]
        self.query_one("#keys", Static).update("  ".join(keys))
        if not self.last_receipt_text:
            self.query_one("#receipt", Static).update(t("Receipt preview"))
        self.render_sale()
        self.refresh_status()

    def _scanned(self, scan: Scan) -> None:  # called from the scanner's thread
        self.post_message(CodeScanned(scan))

    def _device_failed(self, error: KassaError) -> None:  # called from a driver's thread
        self.post_message(DeviceFailed(error))

    def on_unmount(self) -> None:
        self.services.close()

    # -- rendering -----------------------------------------------------------------
    def refresh_status(self) -> None:
        services = self.services
        stats = services.store.outbox_stats()
        t = self.t
        stale = False
        if services.sync is None:
            text, offline = t("HQ: not configured"), True
        else:
            st = services.sync.status()
            offline, stale = st.state.value != "online", st.stale
            last = st.last_sync_at.strftime("%H:%M:%S") if st.last_sync_at else t("never")
            text = t("HQ: {state}  last sync {time}", state=t(st.state.value), time=last)
            if st.message and (offline or st.stale or st.skew_s is not None):
                text += f"  ({st.message[:90]})"
        waiting = t("sales waiting to sync: {n}", n=stats.pending)
        if stats.oldest_at is not None:
            age_min = int((services.clock.now() - stats.oldest_at).total_seconds() // 60)
            waiting += " " + t("(oldest {minutes} min)", minutes=age_min)
        who = f"  |  {self.cashier.name}" if self.cashier else ""
        status = self.query_one("#status", Static)
        status.update(f"{services.config.terminal_id}{who}  |  {waiting}  |  {text}")
        status.set_class(offline, "offline")
        status.set_class(stale and not offline, "stale")

    def render_sale(self) -> None:
        session, t = self.session, self.t
        customer = self.query_one("#customer", Static)
        if session.customer is None:
            customer.update(t("No customer: scan a loyalty card"))
        else:
            c = session.customer
            customer.update(
                f"{c.name}  [{c.tier}]  "
                + t("card")
                + f" …{c.card[-4:]}\n"
                + t("Balance: {points} points", points=session.balance())
            )
        table = self.query_one("#lines", DataTable)
        table.clear()
        totals = self.query_one("#totals", Static)
        if session.ruleset is None:
            totals.update(t("Waiting for loyalty rules and products from HQ…"))
            return
        q = session.quote()
        for ql in q.lines:
            table.add_row(ql.line.sku, ql.line.name, str(ql.line.qty), t.money(ql.line.amount))
        earned = ", ".join(f"{a.rule} +{a.points}" for a in q.awards) or t("none")
        text = ""
        if q.discounts:
            text += (
                t("Discounts")
                + ": "
                + ", ".join(
                    f"{d.rule} -{t.money(Money(d.amount_minor, q.currency))}" for d in q.discounts
                )
                + "\n"
            )
        text += t(
            "Total {total}   To pay {to_pay}", total=t.money(q.total), to_pay=t.money(q.to_pay)
        )
        text += "\n"
        if q.points_redeemed:
            value = t.money(q.points_value)
            text += t("Paid with points: {points} ({value})", points=q.points_redeemed, value=value)
            text += "\n"
        if q.gift_card.minor:
            text += t("Gift card: {value}", value=t.money(q.gift_card)) + "\n"
        text += t("Points this sale: {points} ({rules})", points=q.points_earned, rules=earned)
        if session.customer is not None:
            text += "   " + t("Max with points: {points}", points=q.max_redeemable)
        if q.refusals:
            text += "\n" + t("Not applied") + ": "
            text += "; ".join(f"{r.rule}: {r.reason}" for r in q.refusals[:3])
        totals.update(text)

    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None:
        msg = self.query_one("#message", Static)
        if isinstance(notice, Notice):
            refused, text = notice.refused, notice.text
        else:
            text = notice
        msg.update(text)
        msg.set_class(refused, "refused")

    # -- events -----------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "entry":
            return
        event.input.value = ""
        if not event.value.strip():
            return
        code, qty = parse_entry(event.value)
        self.notify_cashier(self.session.enter(code, qty))
        self.render_sale()

    def on_code_scanned(self, message: CodeScanned) -> None:
        if isinstance(self.screen, PinScreen):  # locked, or a manager is approving
            self.bell()
            return
        self.notify_cashier(self.session.enter(message.scan.text))
        self.render_sale()

    def on_device_failed(self, message: DeviceFailed) -> None:
        self.notify_cashier(message.error.for_cashier(), refused=True)

    def action_pay_points(self) -> None:
        self.notify_cashier(self.session.pay_with_points(None))
        self.render_sale()

    def action_new_sale(self) -> None:
        """Clear the sale; with lines in it, that is a void a manager approves."""
        if not self.session.basket.lines or not self.services.store.cashiers():
            self._void(None)
            return
        self.push_screen(
            PinScreen(
                self.services.store.cashiers,
                self.t,
                self.t("Void this sale: manager PIN (Esc cancels)"),
                role=Role.MANAGER,
                cancellable=True,
            ),
            self._void,
        )

    def _void(self, manager: Cashier | None) -> None:
        session = self.session
        if manager is not None:
            lines = [[ln.sku, ln.qty, ln.amount.minor] for ln in session.basket.lines]
            services = self.services
            services.store.commit_audit(
                {
                    "action": "void",
                    "cashier": self.cashier.cashier_id if self.cashier else None,
                    "approved_by": manager.cashier_id,
                    "customer": session.customer.customer_id if session.customer else None,
                    "lines": lines,
                },
                session.ids.new_id(),
                services.clock.now(),
                services.config.terminal_id,
            )
            if services.sync is not None:
                services.sync.wake()
        elif session.basket.lines and self.services.store.cashiers():
            self.notify_cashier(self.t("Void cancelled"))
            return
        session.reset()
        self.notify_cashier(self.t("New sale"))
        self.render_sale()

    def action_language(self) -> None:
        self.apply_language(self.t.next_language())
        self.notify_cashier(self.t("Language: {name}", name=LANGUAGE_NAMES[self.t.lang]))

    def action_lock(self) -> None:
        """Lock the till: nothing happens until a cashier signs in with a PIN."""
        if not self.services.store.cashiers():
            self.notify_cashier(self.t("No cashiers set up: kassa cashier add"), refused=True)
            return
        self.cashier = None
        self.push_screen(
            PinScreen(
                self.services.store.cashiers, self.t, self.t("Locked: sign in with your PIN")
            ),
            self._signed_in,
        )

    def _signed_in(self, cashier: Cashier | None) -> None:
        self.cashier = cashier
        if cashier is None:
            return
        if cashier.language:
            self.apply_language(cashier.language)
        role = self.t(cashier.role.value)
        self.notify_cashier(self.t("Signed in: {name} ({role})", name=cashier.name, role=role))
        self.refresh_status()

    def action_complete(self) -> None:
        try:
            sale: CommittedSale = self.session.commit()
        except SaleNotReady as exc:
            self.notify_cashier(exc.for_cashier(), refused=True)
            return
        self.last_seq = sale.seq
        self.notify_cashier(self.t("Sale {seq} saved. Printing the receipt…", seq=sale.seq))
        self.render_sale()
        if self.services.sync is not None:
            self.services.sync.wake()
        self.print_receipt(sale.seq)

    def action_reprint(self) -> None:
        if self.last_seq is None:
            self.notify_cashier(self.t("No receipt to reprint yet"), refused=True)
            return
        self.print_receipt(self.last_seq)

    @work(thread=True, exclusive=True, group="printer")
    def print_receipt(self, seq: int) -> None:
        # The printer thread reads through a connection of its own.
        store = Store.open(self.services.config.db_path)
        try:
            outcome = print_sale(
                store,
                self.services.printer,
                seq,
                self.services.clock,
                self.services.config.store_name,
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
                    error=outcome.error,
                ),
                refused=True,
            )
            return
        cfg: PrinterConfig = getattr(self.services.printer, "config", PrinterConfig())
        self.last_receipt_text = decode_escpos(outcome.data, code_pages(cfg)).text.rstrip()
        self.query_one("#receipt", Static).update(self.last_receipt_text)
        self.notify_cashier(self.t("Sale {seq} complete, receipt printed", seq=outcome.seq))
        self.refresh_status()
