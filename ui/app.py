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
from textual.widgets import DataTable, Footer, Input, Static

from agent.errors import KassaError, SaleNotReady
from agent.model import Scan
from agent.money import Money
from agent.printing import PrintOutcome, print_sale
from agent.session import CommittedSale, Notice
from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.printer import PrinterConfig, code_pages
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
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "pay_points", "Pay max with points"),
        Binding("f4", "new_sale", "Clear sale"),
        Binding("f8", "reprint", "Reprint last"),
        Binding("f10", "complete", "Complete sale"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.session = services.session
        self.last_seq: int | None = None
        self.last_receipt_text = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static("No customer: scan a loyalty card", id="customer", markup=False)
                yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
                yield Static("", id="totals", markup=False)
            with VerticalScroll(id="receipt-pane"):
                yield Static("Receipt preview", id="receipt", markup=False)
        yield Static("", id="message", markup=False)
        yield Input(placeholder="Scan or type a card or SKU (3*MILK for three), Enter", id="entry")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#lines", DataTable)
        table.add_columns("SKU", "Item", "Qty", "Amount")
        services = self.services
        for source in services.code_sources:
            source.start(self._scanned, self._device_failed)
        if services.sync is not None:
            services.sync.start()
        self.set_interval(0.5, self.refresh_status)
        self.refresh_status()
        self.render_sale()
        self.query_one("#entry", Input).focus()

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
        if services.sync is None:
            text, offline = "HQ: not configured", True
        else:
            st = services.sync.status()
            offline = st.state.value != "online"
            last = st.last_sync_at.strftime("%H:%M:%S") if st.last_sync_at else "never"
            text = f"HQ: {st.state.value}  last sync {last}"
            if st.message and (offline or st.stale or st.skew_s is not None):
                text += f"  ({st.message[:90]})"
            offline = offline or st.stale
        waiting = f"sales waiting to sync: {stats.pending}"
        if stats.oldest_at is not None:
            age_min = int((services.clock.now() - stats.oldest_at).total_seconds() // 60)
            waiting += f" (oldest {age_min} min)"
        status = self.query_one("#status", Static)
        status.update(f"{services.config.terminal_id}  |  {waiting}  |  {text}")
        status.set_class(offline, "offline")

    def render_sale(self) -> None:
        session = self.session
        customer = self.query_one("#customer", Static)
        if session.customer is None:
            customer.update("No customer: scan a loyalty card")
        else:
            c = session.customer
            customer.update(
                f"{c.name}  [{c.tier}]  card …{c.card[-4:]}\nBalance: {session.balance()} points"
            )
        table = self.query_one("#lines", DataTable)
        table.clear()
        totals = self.query_one("#totals", Static)
        if session.ruleset is None:
            totals.update("Waiting for loyalty rules and products from HQ…")
            return
        q = session.quote()
        for ql in q.lines:
            table.add_row(ql.line.sku, ql.line.name, str(ql.line.qty), ql.line.amount.format())
        earned = ", ".join(f"{a.rule} +{a.points}" for a in q.awards) or "none"
        text = ""
        if q.discounts:
            text += (
                "Discounts: "
                + ", ".join(
                    f"{d.rule} -{Money(d.amount_minor, q.currency).format()}" for d in q.discounts
                )
                + "\n"
            )
        text += f"Total {q.total}   To pay {q.to_pay}\n"
        if q.points_redeemed:
            text += f"Paid with points: {q.points_redeemed} ({q.points_value.format()})\n"
        if q.gift_card.minor:
            text += f"Gift card: {q.gift_card.format()}\n"
        text += f"Points this sale: {q.points_earned} ({earned})"
        if session.customer is not None:
            text += f"   Max with points: {q.max_redeemable}"
        if q.refusals:
            text += "\nNot applied: " + "; ".join(f"{r.rule}: {r.reason}" for r in q.refusals[:3])
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
        event.input.value = ""
        if not event.value.strip():
            return
        code, qty = parse_entry(event.value)
        self.notify_cashier(self.session.enter(code, qty))
        self.render_sale()

    def on_code_scanned(self, message: CodeScanned) -> None:
        self.notify_cashier(self.session.enter(message.scan.text))
        self.render_sale()

    def on_device_failed(self, message: DeviceFailed) -> None:
        self.notify_cashier(message.error.for_cashier(), refused=True)

    def action_pay_points(self) -> None:
        self.notify_cashier(self.session.pay_with_points(None))
        self.render_sale()

    def action_new_sale(self) -> None:
        self.session.reset()
        self.notify_cashier("New sale")
        self.render_sale()

    def action_complete(self) -> None:
        try:
            sale: CommittedSale = self.session.commit()
        except SaleNotReady as exc:
            self.notify_cashier(exc.for_cashier(), refused=True)
            return
        self.last_seq = sale.seq
        self.notify_cashier(f"Sale {sale.seq} saved. Printing the receipt…")
        self.render_sale()
        if self.services.sync is not None:
            self.services.sync.wake()
        self.print_receipt(sale.seq)

    def action_reprint(self) -> None:
        if self.last_seq is None:
            self.notify_cashier("No receipt to reprint yet", refused=True)
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
                f"Sale {outcome.seq} is saved, receipt not printed: {outcome.error}. F8 reprints.",
                refused=True,
            )
            return
        cfg: PrinterConfig = getattr(self.services.printer, "config", PrinterConfig())
        self.last_receipt_text = decode_escpos(outcome.data, code_pages(cfg)).text.rstrip()
        self.query_one("#receipt", Static).update(self.last_receipt_text)
        self.notify_cashier(f"Sale {outcome.seq} complete, receipt printed")
        self.refresh_status()
