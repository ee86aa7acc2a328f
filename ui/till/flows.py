"""The till's flows beyond ringing up a sale: returns, voids, enrolment, adjustments,
signing in and out, the day report and the status page.

A mixin of the cashier app (ui.till.app.CheckoutApp), which supplies the session, the
services, the texts and the rendering these flows call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from textual import work
from textual.app import App

from agent.day_report import day_report
from agent.errors import PrinterUnavailable
from agent.i18n import Texts
from agent.money import Money
from agent.notice import Notice
from agent.receipt import Receipt
from agent.session import CheckoutSession
from agent.staff import Cashier, Role
from ui.services import Services
from ui.till.panels import why_text
from ui.till.screens import (
    AdjustScreen,
    Enrolment,
    EnrolScreen,
    PinScreen,
    ReturnScreen,
    TextScreen,
)


class TillFlows(App[None]):
    services: Services
    session: CheckoutSession
    t: Texts
    cashier: Cashier | None
    last_seq: int | None

    # -- supplied by the app ---------------------------------------------------------
    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None:
        raise NotImplementedError

    def render_sale(self) -> None:
        raise NotImplementedError

    def refresh_status(self) -> None:
        raise NotImplementedError

    def apply_language(self, lang: str) -> None:
        raise NotImplementedError

    def print_receipt(self, seq: int) -> object:
        raise NotImplementedError

    # -- the flows ---------------------------------------------------------------------
    def ask_manager(self, title: str, then: Callable[[Cashier | None], None]) -> None:
        """Ask for a manager's PIN (``title`` is translated); ``then`` gets the manager or None."""
        screen = PinScreen(
            self.services.store.ledger.cashiers,
            self.t,
            self.t(title),
            role=Role.MANAGER,
            cancellable=True,
        )
        self.push_screen(screen, then)

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
            cur = str((self.session.store.ledger.sale_body(seq) or {}).get("currency", "PLN"))
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

    def action_new_sale(self) -> None:
        """Clear the sale; with lines in it, that is a void a manager approves."""
        if not self.session.basket.lines or not self.services.store.ledger.cashiers():
            self._void(None)
            return
        self.ask_manager("Void this sale: manager PIN (Esc cancels)", self._void)

    def _void(self, manager: Cashier | None) -> None:
        session = self.session
        if manager is not None:
            lines = [[ln.sku, ln.qty, ln.amount.minor] for ln in session.basket.lines]
            services = self.services
            services.store.ledger.commit_audit(
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
        elif session.basket.lines and self.services.store.ledger.cashiers():
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
        if not self.services.store.ledger.cashiers():
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

        self.ask_manager("Point adjustment: manager PIN (Esc cancels)", approved)

    def action_lift_limit(self) -> None:
        """A manager lifts the offline points limit for this sale, where HQ allows it."""
        if self.session.customer is None:
            self.notify_cashier(self.t("Identify the customer first"), refused=True)
            return

        def approved(manager: Cashier | None) -> None:
            if manager is not None:
                self.notify_cashier(self.session.lift_limit(manager.cashier_id))
                self.render_sale()

        self.ask_manager("Lift the points limit: manager PIN (Esc cancels)", approved)

    def action_lock(self) -> None:
        """Lock the till: nothing happens until a cashier signs in with a PIN."""
        if not self.services.store.ledger.cashiers():
            self.notify_cashier(self.t("No cashiers set up: kassa cashier add"), refused=True)
            return
        self.cashier = None
        self.push_screen(
            PinScreen(
                self.services.store.ledger.cashiers, self.t, self.t("Locked: sign in with your PIN")
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

    def action_day_report(self) -> None:
        rs, now, t = self.session.ruleset, self.services.clock.now(), self.t
        tz = rs.tz if rs else UTC
        day = now.astimezone(tz).strftime("%Y-%m-%d")
        report = day_report(self.services.store, day, rs.currency if rs else "PLN", now, tz)
        text = "\n".join(f"{label:<28}{value:>20}" for label, value in report.lines(t))
        text += "\n\n" + t("P prints it, Esc closes")
        store_texts = Texts(self.services.config.language)  # paper is in the store's language
        receipt = report.receipt(self.services.config.terminal_id, store_texts)

        def print_it() -> None:
            self.print_document(receipt)

        self.push_screen(TextScreen(text, print_it))

    @work(thread=True, group="printer")
    def print_document(self, receipt: Receipt) -> None:
        try:
            self.services.printer.print_receipt(receipt)
            text = self.t("Printed")
        except PrinterUnavailable as exc:
            text = self.t.say(exc.words())
        self.call_from_thread(self.notify_cashier, text)

    def action_explain(self) -> None:
        """Every discount and point of the sale, and every promotion that did not apply, why."""
        session, t = self.session, self.t
        if session.ruleset is None:
            self.notify_cashier(t("Waiting for loyalty rules and products from HQ…"), refused=True)
            return
        self.push_screen(TextScreen(why_text(session.quote(), t)))

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
        stats = services.store.ledger.outbox_stats()
        rows += ["", t("HQ")]
        if services.sync is not None:
            st = services.sync.status()
            last = st.last_sync_at.strftime("%Y-%m-%d %H:%M:%S") if st.last_sync_at else t("never")
            rows.append(
                "  " + t("HQ: {state}  last sync {time}", state=t(st.state.value), time=last)
            )
            if st.notes:
                rows.append(f"  {t.say_all(st.notes)[:72]}")
        rows.append("  " + t("sales waiting to sync: {n}", n=stats.pending))
        if stats.oldest_at is not None:
            rows.append(
                "  " + t("oldest waiting since {time}", time=stats.oldest_at.isoformat()[:19])
            )
        self.call_from_thread(self.push_screen, TextScreen("\n".join([*rows, "", t("Esc closes")])))
