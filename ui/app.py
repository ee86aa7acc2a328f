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
from textual.theme import Theme
from textual.widgets import DataTable, Input, Static

from agent.codes import Classified, CodeKind, classify
from agent.day_report import day_report
from agent.errors import KassaError, PrinterUnavailable, SaleNotReady
from agent.model import Scan
from agent.money import Money
from agent.printing import PrintOutcome, print_sale
from agent.receipt import Receipt
from agent.session import CommittedSale, Notice
from agent.staff import Cashier, Role
from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.printer import PrinterConfig, code_pages
from ui.entry import EntryInput
from ui.i18n import LANGUAGE_NAMES, Texts
from ui.screens import (
    AdjustScreen,
    Enrolment,
    EnrolScreen,
    PinScreen,
    ReturnScreen,
    TextScreen,
)
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


# Black, white and pure colours: readable in sunlight and for weaker eyes.
HIGH_CONTRAST = Theme(
    name="kassa-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    warning="#FFA500",
    error="#FF3030",
    success="#00FF00",
    dark=True,
)


class CheckoutApp(App[None]):
    TITLE = "kassa"
    CSS = """
    #status { height: 1; background: $primary; color: $text; padding: 0 1; }
    #status.offline { background: $error; }
    #main { height: 1fr; }
    #left { width: 2fr; }
    #customer { height: 5; border: round $secondary; padding: 0 1; }
    #lines { height: 1fr; }
    #totals { height: 6; padding: 0 1; }
    #receipt-pane { width: 46; border: round $secondary; padding: 0 1; }
    #receipt { width: auto; }
    #message { height: 1; padding: 0 1; }
    #message.refused { background: $error; color: $text; }
    #keys { height: auto; max-height: 2; background: $panel; color: $text; padding: 0 1; }
    #status.stale { background: $warning; }
    /* 80x24: the sale takes the whole width; the receipt preview needs a wider screen */
    Screen.-narrow #receipt-pane { display: none; }
    Screen.-narrow #totals { height: 7; }
    """
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 - as Textual declares it
    BINDING_TEXTS = (
        ("f2", "pay_points", "Pay max with points"),
        ("f3", "status", "Status"),
        ("f4", "new_sale", "Clear sale"),
        ("f5", "enrol", "Enrol"),
        ("f6", "day_report", "Day report"),
        ("f7", "adjust", "Adjust points"),
        ("f8", "reprint", "Reprint last"),
        ("f9", "language", "Language"),
        ("f10", "complete", "Complete sale"),
        ("f12", "lock", "Lock"),
        ("ctrl+t", "contrast", "Contrast"),
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
            customer.update(self.customer_panel())
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

    def customer_panel(self) -> str:
        """Name, tier, balance, what expires soon, the next tier, unused personal coupons."""
        session, t = self.session, self.t
        c = session.customer
        assert c is not None
        rows = [f"{c.name}  [{c.tier}]  " + t("card") + f" …{c.card[-4:]}"]
        balance = t("Balance: {points} points", points=session.balance())
        rs = session.ruleset
        soon = session.quote().expiring_soon if rs is not None else ()
        if soon:
            points, when = soon[0]
            balance += "   " + t("{points} expire {day}", points=points, day=when.date())
        rows.append(balance)
        extra = []
        nxt = rs.next_tier(c.tier, c.tier_spend_minor) if rs is not None else None
        if nxt is not None:
            missing = t.money(Money(nxt[1], rs.currency if rs else "PLN"))
            extra.append(t("{tier} after {money} more", tier=nxt[0], money=missing))
        coupons = [code for code, used in c.coupons if not used]
        if coupons:
            extra.append(t("Coupons: {codes}", codes=", ".join(coupons)))
        if extra:
            rows.append("   ".join(extra))
        return "\n".join(rows)

    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None:
        msg = self.query_one("#message", Static)
        if isinstance(notice, Notice):  # the session's words, in the cashier's language
            refused = notice.refused
            text = (
                self.t(notice.template, **dict(notice.params)) if notice.template else notice.text
            )
        else:
            text = notice
        msg.update(text)
        msg.set_class(refused, "refused")

    # -- events -----------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "entry":
            return
        event.input.value = ""
        typed = event.input.take_typed_by_hand() if isinstance(event.input, EntryInput) else True
        if not event.value.strip():
            return
        self.take_code(*parse_entry(event.value), typed=typed)

    def on_code_scanned(self, message: CodeScanned) -> None:
        if isinstance(self.screen, PinScreen):  # locked, or a manager is approving
            self.bell()
            return
        if isinstance(self.screen, EnrolScreen):  # the new card, scanned into the form
            self.screen.query_one("#enrol-card", Input).value = message.scan.text
            return
        if isinstance(self.screen, ReturnScreen | TextScreen):
            self.screen.dismiss(None)  # a scan means the cashier moved on: back to the sale
        self.take_code(message.scan.text, 1)

    def take_code(self, text: str, qty: int, typed: bool = False) -> None:
        """Act on a typed or scanned code; a receipt's QR opens its return."""
        notice = self.session.enter(text, qty, typed)
        self.notify_cashier(notice)
        code = classify(text)
        if not notice.refused and isinstance(code, Classified) and code.kind is CodeKind.RECEIPT:
            self.open_return(int(code.value.partition(":")[2]))
        self.render_sale()

    def open_return(self, seq: int) -> None:
        lines = self.session.returnable(seq)
        if isinstance(lines, Notice):
            self.notify_cashier(lines)
            return
        t = self.t

        def preview(units: dict[str, int]) -> str:
            r = self.session.preview_return(seq, units)
            if isinstance(r, Notice):
                return r.text
            cur = str((self.session.store.sale_body(seq) or {}).get("currency", "PLN"))
            return t(
                "Money back {money}; points taken back {reversed}, points given back {restored}",
                money=t.money(Money(r.money_minor, cur)),
                reversed=r.points_reversed,
                restored=r.points_restored,
            )

        def returned(units: dict[str, int] | None) -> None:
            if units is None:
                self.notify_cashier(t("Return cancelled"))
                return
            result = self.session.commit_return(seq, units)
            if isinstance(result, Notice):
                self.notify_cashier(result)
                return
            self.last_seq = result.seq
            self.notify_cashier(t("Return {seq} saved. Printing the receipt…", seq=result.seq))
            if self.services.sync is not None:
                self.services.sync.wake()
            self.print_receipt(result.seq)

        self.push_screen(ReturnScreen(seq, lines, preview, t), returned)

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

    def action_enrol(self) -> None:
        def submit(e: Enrolment) -> Notice:
            return self.session.enrol(e.name, e.card, e.terms, e.marketing, e.phone)

        def enrolled(notice: Notice | None) -> None:
            self.notify_cashier(notice or self.t("Enrolment cancelled"))
            if notice is not None and self.services.sync is not None:
                self.services.sync.wake()
            self.render_sale()

        self.push_screen(EnrolScreen(self.t, submit), enrolled)

    def action_adjust(self) -> None:
        """A manual point adjustment for the identified customer: a manager's, with a reason."""
        customer = self.session.customer
        if customer is None:
            self.notify_cashier(self.t("Identify the customer first"), refused=True)
            return
        if not self.services.store.cashiers():
            self.notify_cashier(self.t("No cashiers set up: kassa cashier add"), refused=True)
            return

        def approved(manager: Cashier | None) -> None:
            if manager is not None:
                self.push_screen(AdjustScreen(self.t, customer.name), adjusted(manager))

        def adjusted(manager: Cashier) -> Callable[[tuple[int, str] | None], None]:
            def done(result: tuple[int, str] | None) -> None:
                if result is None:
                    self.notify_cashier(self.t("Adjustment cancelled"))
                    return
                cashier = self.cashier.cashier_id if self.cashier else manager.cashier_id
                notice = self.session.adjust_points(*result, cashier, manager.cashier_id)
                self.notify_cashier(notice)
                if self.services.sync is not None:
                    self.services.sync.wake()
                self.render_sale()

            return done

        self.push_screen(
            PinScreen(
                self.services.store.cashiers,
                self.t,
                self.t("Point adjustment: manager PIN (Esc cancels)"),
                role=Role.MANAGER,
                cancellable=True,
            ),
            approved,
        )

    def action_contrast(self) -> None:
        """Switch between the usual colours and black, white and yellow for bright shops."""
        self.theme = "textual-dark" if self.theme == HIGH_CONTRAST.name else HIGH_CONTRAST.name

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
        """Reprint the last receipt, or the one whose number is typed in the entry."""
        entry = self.query_one("#entry", Input)
        typed = entry.value.strip()
        if typed.isdigit():
            entry.value = ""
            if self.services.store.sale_body(int(typed)) is None:
                self.notify_cashier(self.t("No receipt {seq} on this till", seq=typed), True)
                return
            self.print_receipt(int(typed))
            return
        if self.last_seq is None:
            self.notify_cashier(self.t("No receipt to reprint yet"), refused=True)
            return
        self.print_receipt(self.last_seq)

    def action_day_report(self) -> None:
        rs, now, t = self.session.ruleset, self.services.clock.now(), self.t
        tz = rs.tz if rs else None
        day = now.astimezone(tz).strftime("%Y-%m-%d")
        report = day_report(self.services.store, day, rs.currency if rs else "PLN", now)
        text = "\n".join(f"{t(label):<28}{value:>20}" for label, value in report.lines())
        text += "\n\n" + t("P prints it, Esc closes")
        receipt = report.receipt(self.services.config.terminal_id)

        def print_it() -> None:
            self.print_document(receipt)

        self.push_screen(TextScreen(text, print_it))

    @work(thread=True, group="printer")
    def print_document(self, receipt: Receipt) -> None:
        try:
            self.services.printer.print_receipt(receipt)
            text = self.t("Printed")
        except PrinterUnavailable as exc:
            text = exc.for_cashier()
        self.call_from_thread(self.notify_cashier, text)

    def action_status(self) -> None:
        self.device_status()

    @work(thread=True, exclusive=True, group="status")
    def device_status(self) -> None:
        """Ask every device how it is (the printer may take a moment), then show it."""
        services, t = self.services, self.t
        rows = [t("Devices")]
        for source in services.code_sources:
            rows.append(f"  {source.name}")
        if not services.code_sources:
            rows.append("  " + t("keyboard wedge only"))
        status = getattr(services.printer, "status", None)
        printer = status().state.value if callable(status) else t("in memory")
        rows.append(f"  {services.printer.name}: {t(printer)}")
        stats = services.store.outbox_stats()
        rows += ["", "HQ"]
        if services.sync is not None:
            st = services.sync.status()
            last = st.last_sync_at.strftime("%Y-%m-%d %H:%M:%S") if st.last_sync_at else t("never")
            rows.append(
                "  " + t("HQ: {state}  last sync {time}", state=t(st.state.value), time=last)
            )
            if st.message:
                rows.append(f"  {st.message[:72]}")
        rows.append("  " + t("sales waiting to sync: {n}", n=stats.pending))
        if stats.oldest_at is not None:
            rows.append(
                "  " + t("oldest waiting since {time}", time=stats.oldest_at.isoformat()[:19])
            )
        self.call_from_thread(self.push_screen, TextScreen("\n".join([*rows, "", t("Esc closes")])))

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
