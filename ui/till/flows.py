"""The till's flows beyond ringing up a sale: returns, voids, enrolment, adjustments,
signing in and out, the day report and the status page.

The cashier app (:class:`ui.till.app.CheckoutApp`) holds one :class:`TillFlows` and
hands it itself as the :class:`Till`: the session, the services, the texts, the screens
and the rendering these flows call. The app's keys call the flows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from functools import partial
from typing import Any, Protocol

from agent.day_report import day_report
from agent.errors import PrinterUnavailable
from agent.events import Audit
from agent.i18n import Texts
from agent.lockout import PinGuard
from agent.money import Money
from agent.notice import Notice
from agent.printing import last_receipt_seq
from agent.receipt import Receipt
from agent.session import CheckoutSession
from agent.staff import Cashier, Role
from agent.words import N_
from ui.services import Services
from ui.till.panels import why_text
from ui.till.screens import (
    AdjustScreen,
    EnrolForm,
    EnrolScreen,
    PinScreen,
    ReturnScreen,
    TextScreen,
)
from ui.till.status import on_screen

# The kinds of journal events, as the status page names them.
KINDS = {
    "sale": N_("sale"),
    "return": N_("return"),
    "audit": N_("audit entry"),
    "enrol": N_("enrolment"),
}


class Till(Protocol):
    """What the flows need of the cashier app."""

    services: Services
    session: CheckoutSession
    t: Texts
    cashier: Cashier | None
    last_seq: int | None

    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None: ...

    def render_sale(self) -> None: ...

    def refresh_status(self) -> None: ...

    def apply_language(self, lang: str) -> None: ...

    def print_receipt(self, seq: int, copy: bool = False) -> object: ...

    def ask(self, question: str, then: Callable[[bool], None]) -> None: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...

    def run_worker(
        self, work: Callable[[], None], *, thread: bool, group: str, exclusive: bool = False
    ) -> Any: ...


class TillFlows:
    """Returns, voids, enrolment, adjustments, signing in, the report and the status page."""

    def __init__(self, till: Till) -> None:
        self.till = till
        s = till.services
        self.pins = PinGuard(s.store, s.clock, s.session.ids, s.config.terminal_id)

    def signed_in_id(self) -> str | None:
        return self.till.cashier.cashier_id if self.till.cashier else None

    # -- the flows ---------------------------------------------------------------------
    def reprint(self, seq: int | None) -> None:
        """Reprint receipt ``seq``, or (None) the last one: found in the store after a
        restart too. A reprint is marked as a copy."""
        t, store = self.till.t, self.till.services.store
        if seq is not None and store.ledger.sale_event(seq) is None:
            self.till.notify_cashier(t("No receipt {seq} on this till", seq=seq), True)
            return
        seq = seq or self.till.last_seq or last_receipt_seq(store)
        if seq is None:
            self.till.notify_cashier(t("No receipt to reprint yet"), refused=True)
            return
        self.till.print_receipt(seq, copy=True)

    def ask_manager(self, title: str, then: Callable[[Cashier | None], None]) -> None:
        """Ask for a manager's PIN (``title`` is translated); ``then`` gets the manager or None."""
        screen = PinScreen(
            self.till.services.store.ledger.cashiers,
            self.till.t,
            self.till.t(title),
            role=Role.MANAGER,
            cancellable=True,
            guard=self.pins,
            signed_in=self.signed_in_id(),
        )
        self.till.push_screen(screen, then)

    def open_return(self, code: str) -> None:
        """The return of receipt ``code`` ("T1:7"): this till's sale, or another's from HQ."""
        terminal, _, number = code.partition(":")
        seq, desk = int(number), self.till.session.desk
        lines = desk.returnable(seq, terminal)
        if isinstance(lines, Notice):
            self.till.notify_cashier(lines)
            return
        t = self.till.t
        sale = desk.original(seq, terminal)
        cur = sale.currency if sale is not None else "PLN"

        def preview(units: dict[str, int]) -> str:
            r = desk.preview_return(seq, units, terminal)
            if isinstance(r, Notice):
                return r.text
            return t(
                "Money back {money}; points taken back {reversed}, points given back {restored}",
                money=t.money(Money(r.money_minor, cur)),
                reversed=r.points_reversed,
                restored=r.points_restored,
            )

        def returned(units: dict[str, int] | None) -> None:
            if units is None:
                self.till.notify_cashier(t("Return cancelled"))
                return
            result = desk.commit_return(seq, units, terminal)
            if isinstance(result, Notice):
                self.till.notify_cashier(result)
                return
            self.till.last_seq = result.seq
            self.till.notify_cashier(t("Return {seq} saved. Printing the receipt…", seq=result.seq))
            if self.till.services.sync is not None:
                self.till.services.sync.wake()
            self.till.print_receipt(result.seq)

        title = seq if terminal == self.till.session.terminal_id else code
        self.till.push_screen(ReturnScreen(title, lines, preview, t), returned)

    def new_sale(self) -> None:
        """Clear the sale; with lines in it, that is a void a manager approves."""
        if not self.till.session.basket.lines or not self.till.services.store.ledger.cashiers():
            self._void(None)
            return
        self.ask_manager("Void this sale: manager PIN (Esc cancels)", self._void)

    def _void(self, manager: Cashier | None) -> None:
        session = self.till.session
        if manager is not None:
            services = self.till.services
            services.store.ledger.commit_event(
                Audit(
                    at=services.clock.now().isoformat(),
                    action="void",
                    cashier=self.till.cashier.cashier_id if self.till.cashier else None,
                    approved_by=manager.cashier_id,
                    voided_for=session.customer.customer_id if session.customer else None,
                    voided_lines=tuple(
                        (ln.sku, ln.qty, ln.amount.minor) for ln in session.basket.lines
                    ),
                ),
                session.ids.new_id(),
                services.config.terminal_id,
            )
            if services.sync is not None:
                services.sync.wake()
        elif session.basket.lines and self.till.services.store.ledger.cashiers():
            self.till.notify_cashier(self.till.t("Void cancelled"))
            return
        session.reset()
        self.till.notify_cashier(self.till.t("New sale"))
        self.till.render_sale()

    def enrol(self) -> None:
        def submit(e: EnrolForm) -> Notice:
            return self.till.session.desk.enrol(e.name, e.card, e.terms, e.marketing, e.phone)

        def enrolled(notice: Notice | None) -> None:
            self.till.notify_cashier(notice or self.till.t("Enrolment cancelled"))
            if notice is not None and self.till.services.sync is not None:
                self.till.services.sync.wake()
            self.till.render_sale()

        self.till.push_screen(EnrolScreen(self.till.t, submit), enrolled)

    def adjust(self) -> None:
        """A manual point adjustment for the identified customer: a manager's, with a reason."""
        customer = self.till.session.customer
        if customer is None:
            self.till.notify_cashier(self.till.t("Identify the customer first"), refused=True)
            return
        if not self.till.services.store.ledger.cashiers():
            self.till.notify_cashier(
                self.till.t("No cashiers set up: kassa cashier add"), refused=True
            )
            return

        def approved(manager: Cashier | None) -> None:
            if manager is not None:
                self.till.push_screen(AdjustScreen(self.till.t, customer.name), adjusted(manager))

        def adjusted(manager: Cashier) -> Callable[[tuple[int, str] | None], None]:
            def done(result: tuple[int, str] | None) -> None:
                if result is None:
                    self.till.notify_cashier(self.till.t("Adjustment cancelled"))
                    return
                cashier = self.till.cashier.cashier_id if self.till.cashier else manager.cashier_id
                points, reason = result

                def adjust(yes: bool = True) -> None:
                    if not yes:
                        self.till.notify_cashier(self.till.t("Adjustment cancelled"))
                        return
                    desk = self.till.session.desk
                    notice = desk.adjust_points(points, reason, cashier, manager.cashier_id)
                    self.till.notify_cashier(notice)
                    if self.till.services.sync is not None:
                        self.till.services.sync.wake()
                    self.till.render_sale()

                policy = self.till.services.store.catalogue.offline_policy()
                if abs(points) <= policy.confirm_adjust_points:
                    adjust()
                    return
                question = self.till.t(
                    "Adjust the balance of {name} by {points}?",
                    name=customer.name,
                    points=f"{points:+d}",
                )
                self.till.ask(question, adjust)

            return done

        self.ask_manager("Point adjustment: manager PIN (Esc cancels)", approved)

    def lift_limit(self) -> None:
        """A manager lifts the offline points limit for this sale, where HQ allows it."""
        if self.till.session.customer is None:
            self.till.notify_cashier(self.till.t("Identify the customer first"), refused=True)
            return

        def approved(manager: Cashier | None) -> None:
            if manager is not None:
                self.till.notify_cashier(self.till.session.lift_limit(manager.cashier_id))
                self.till.render_sale()

        self.ask_manager("Lift the points limit: manager PIN (Esc cancels)", approved)

    def lock(self) -> None:
        """Lock the till: nothing happens until a cashier signs in with a PIN."""
        if not self.till.services.store.ledger.cashiers():
            self.till.notify_cashier(
                self.till.t("No cashiers set up: kassa cashier add"), refused=True
            )
            return
        self.till.cashier = None
        self.till.session.cashier = None
        self.till.push_screen(
            PinScreen(
                self.till.services.store.ledger.cashiers,
                self.till.t,
                self.till.t("Locked: sign in with your PIN"),
                guard=self.pins,
            ),
            self._signed_in,
        )

    def _signed_in(self, cashier: Cashier | None) -> None:
        self.till.cashier = cashier
        self.till.session.cashier = cashier.cashier_id if cashier else None
        if cashier is None:
            return
        if cashier.language:
            self.till.apply_language(cashier.language)
        role = self.till.t(cashier.role.value)
        self.till.notify_cashier(
            self.till.t("Signed in: {name} ({role})", name=cashier.name, role=role)
        )
        self.till.refresh_status()

    def day_report(self) -> None:
        rs, now, t = self.till.session.ruleset, self.till.services.clock.now(), self.till.t
        tz = rs.tz if rs else UTC
        day = now.astimezone(tz).strftime("%Y-%m-%d")
        report = day_report(self.till.services.store, day, rs.currency if rs else "PLN", now, tz)
        names = {c.cashier_id: c.name for c in self.till.services.store.ledger.cashiers()}
        text = report.text(t, tz, names) + "\n\n" + t("P prints it, Esc closes")
        store_texts = Texts(self.till.services.config.language)  # paper is in the store's language
        receipt = report.receipt(self.till.services.config.terminal_id, store_texts, tz)

        def print_it() -> None:
            self.print_document(receipt)

        self.till.push_screen(TextScreen(text, print_it))

    def print_document(self, receipt: Receipt) -> None:
        """Print ``receipt`` in the printer's worker thread; the cashier reads the outcome."""
        self.till.run_worker(partial(self._print, receipt), thread=True, group="printer")

    def _print(self, receipt: Receipt) -> None:
        try:
            self.till.services.printer.print_receipt(receipt)
            text = self.till.t("Printed")
        except PrinterUnavailable as exc:
            text = self.till.t.say(exc.words())
        self.till.call_from_thread(self.till.notify_cashier, text)

    def explain(self) -> None:
        """Every discount and point of the sale, and every promotion that did not apply, why."""
        session, t = self.till.session, self.till.t
        if session.ruleset is None:
            self.till.notify_cashier(
                t("Waiting for loyalty rules and products from HQ…"), refused=True
            )
            return
        self.till.push_screen(TextScreen(why_text(session.quote(), t)))

    def status(self) -> None:
        """The device and sync status page; the printer is asked in a worker thread."""
        self.till.run_worker(self._device_status, thread=True, group="status", exclusive=True)

    def _device_status(self) -> None:
        """Ask every device how it is (the printer may take a moment), then show it."""
        services, t = self.till.services, self.till.t
        rs = self.till.session.ruleset
        tz = rs.tz if rs else None  # the store's time, as on its receipts
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
            at = st.last_sync_at
            last = on_screen(at, tz, "%Y-%m-%d %H:%M:%S") if at is not None else t("never")
            rows.append(
                "  " + t("HQ: {state}  last sync {time}", state=t(st.state.value), time=last)
            )
            if st.notes:  # all of it: the status line may have had room for the start only
                rows.append(f"  {t.say_all(st.notes)}")
        rows.append("  " + t("sales waiting to sync: {n}", n=stats.pending))
        held = services.store.ledger.quarantined()
        if held:  # acknowledged, so never sent again: HQ's staff decide what becomes of them
            rows.append("  " + t("quarantined at HQ, not applied: {n}", n=len(held)))
            for q in held[-10:]:  # HQ's reason, in HQ's words
                kind = t(KINDS.get(q.kind, q.kind))
                rows.append(
                    "    " + t("{kind} {seq}: {reason}", kind=kind, seq=q.seq, reason=q.reason)
                )
        if stats.oldest_at is not None:
            rows.append(
                "  "
                + t(
                    "oldest waiting since {time}",
                    time=on_screen(stats.oldest_at, tz, "%Y-%m-%d %H:%M:%S"),
                )
            )
        self.till.call_from_thread(
            self.till.push_screen, TextScreen("\n".join([*rows, "", t("Esc closes")]))
        )
