"""The till's modal screens: a PIN (signing in, a manager's approval), a page of text, a
return's lines, a point adjustment, the enrolment form, and a yes-or-no question."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Static

from agent.i18n import Texts
from agent.lockout import PinGuard
from agent.notice import Notice
from agent.pin_check import PinVerdict, check_pin
from agent.staff import Cashier, Role


class PinScreen(ModalScreen[Cashier | None]):
    """Asks for a PIN; dismisses with the cashier it belongs to (None: cancelled).

    With ``role`` = MANAGER only a manager's PIN is taken (an override's approval).
    """

    DEFAULT_CSS = """
    PinScreen { align: center middle; }
    #pin-box { width: 50; height: auto; border: thick $primary; padding: 1 2; }
    #pin-error { color: $error; height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self,
        cashiers: Callable[[], list[Cashier]],
        texts: Texts,
        title: str,
        role: Role | None = None,
        cancellable: bool = False,
        guard: PinGuard | None = None,
        signed_in: str | None = None,
    ) -> None:
        super().__init__()
        self.cashiers = cashiers
        self.t = texts
        self.title_text = title
        self.role = role
        self.cancellable = cancellable
        self.guard = guard  # wrong PINs counted, and the wait after too many enforced
        self.signed_in = signed_in  # who is at the till (for the lockout's audit event)

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Static(self.title_text, id="pin-title", markup=False)
            yield Input(password=True, placeholder=self.t("PIN, then Enter"), id="pin")
            yield Static("", id="pin-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()
        self.closed()  # still closed from before (the app was restarted): say so at once

    def closed(self) -> bool:
        """True (and says for how long) while too many wrong PINs keep the entry closed."""
        wait = self.guard.wait_s() if self.guard is not None else 0
        if wait:
            self.show(self.t("Too many wrong PINs: wait {seconds} s", seconds=wait))
        return wait > 0

    def show(self, text: str) -> None:
        self.query_one("#pin-error", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # a PIN is never a code for the sale behind this screen
        pin = event.value.strip()
        event.input.value = ""
        if self.closed():  # not even the right PIN is looked at before the wait is over
            return
        checked = check_pin(
            self.cashiers(), pin, self.guard, role=self.role, signed_in=self.signed_in
        )
        if checked.store_error is not None:  # a store that cannot keep the count: said
            self.show(self.t.say(checked.store_error.words()))
        if checked.verdict is PinVerdict.ACCEPTED:
            self.dismiss(checked.cashier)
            return
        if checked.verdict is PinVerdict.NOT_OF_ROLE:  # a colleague's own PIN: no guess
            self.show(self.t("Not a manager's PIN"))
            return
        if checked.store_error is None:
            self.show(self.t("Wrong PIN") if self.role is None else self.t("Not a manager's PIN"))
        self.closed()

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)


class ReturnScreen(ModalScreen[dict[str, int] | None]):
    """Choose the units of an earlier sale to return, seeing the point reversal first.

    Up/Down pick a line, +/- change its units, F10 returns them, Esc cancels. The
    preview (money back, points reversed and restored) is the session's, recomputed
    on every change; the screen only shows it.
    """

    DEFAULT_CSS = """
    ReturnScreen { align: center middle; }
    #return-box { width: 76; height: auto; border: thick $warning; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("plus,equals_sign", "units(1)", show=False),
        Binding("minus", "units(-1)", show=False),
        Binding("f10", "confirm", show=False),
        Binding("escape", "cancel", show=False),
    ]

    def __init__(
        self,
        seq: int | str,  # a sale of this till, or another till's receipt ("T1:7")
        lines: list[tuple[str, str, int]],
        preview: Callable[[dict[str, int]], str],
        texts: Texts,
    ) -> None:
        super().__init__()
        self.seq = seq
        self.lines = lines
        self.units = {sku: 0 for sku, _, _ in lines}  # nothing, to start with: the cashier picks
        self.cursor = 0
        self.preview = preview
        self.t = texts

    def compose(self) -> ComposeResult:
        with Vertical(id="return-box"):
            yield Static("", id="return-body", markup=False)

    def on_mount(self) -> None:
        self.render_return()

    def render_return(self) -> None:
        t = self.t
        rows = [t("Return from sale {seq}", seq=self.seq), ""]
        for i, (sku, name, left) in enumerate(self.lines):
            mark = ">" if i == self.cursor else " "
            rows.append(f"{mark} {sku:<10} {name[:34]:<34} {self.units[sku]:>3} / {left}")
        rows += ["", self.preview(self.chosen()), "", t("Up/Down, +/- units, F10 return, Esc")]
        self.query_one("#return-body", Static).update("\n".join(rows))

    def chosen(self) -> dict[str, int]:
        return {sku: n for sku, n in self.units.items() if n > 0}

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(self.lines)
        self.render_return()

    def action_units(self, step: int) -> None:
        sku, _, left = self.lines[self.cursor]
        self.units[sku] = max(0, min(left, self.units[sku] + step))
        self.render_return()

    def action_confirm(self) -> None:
        if self.chosen():
            self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextScreen(ModalScreen[None]):
    """A page of text (device status, end-of-day report); Esc closes, P prints if it can."""

    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    #text-box { width: 78; height: auto; max-height: 22; border: thick $primary; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("p", "print_page", show=False),
    ]

    def __init__(self, text: str, on_print: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.text = text
        self.on_print = on_print

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-box"):  # arrows and Page Up/Down scroll a long page
            yield Static(self.text, markup=False)

    def on_mount(self) -> None:
        self.query_one("#text-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_print_page(self) -> None:
        if self.on_print is not None:
            self.on_print()
            self.dismiss(None)


POINTS_TYPED = re.compile(r"[+-]?[0-9]{1,9}")


class AdjustScreen(ModalScreen[tuple[int, str] | None]):
    """A manual point adjustment: points (+500, -200) and the reason; Esc cancels."""

    DEFAULT_CSS = """
    AdjustScreen { align: center middle; }
    #adjust-box { width: 60; height: auto; border: thick $warning; padding: 1 2; }
    #adjust-error { color: $error; height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, texts: Texts, customer: str) -> None:
        super().__init__()
        self.t = texts
        self.customer = customer

    def compose(self) -> ComposeResult:
        with Vertical(id="adjust-box"):
            yield Static(self.t("Adjust the points of {name}", name=self.customer), markup=False)
            yield Input(placeholder=self.t("Points, e.g. +500 or -200"), id="adjust-points")
            yield Input(placeholder=self.t("Reason (required)"), id="adjust-reason")
            yield Static("", id="adjust-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#adjust-points", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "adjust-points":
            self.query_one("#adjust-reason", Input).focus()
            return
        text = self.query_one("#adjust-points", Input).value.strip()
        reason = self.query_one("#adjust-reason", Input).value.strip()
        # A sign and at most nine digits: a card number scanned into the field is no amount.
        points = int(text) if POINTS_TYPED.fullmatch(text) else 0
        if points == 0 or not reason:
            self.query_one("#adjust-error", Static).update(
                self.t("Points other than 0 and a reason, please")
            )
            return
        self.dismiss((points, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class EnrolForm:
    name: str
    phone: str
    card: str
    terms: bool
    marketing: bool


class EnrolScreen(ModalScreen[Notice | None]):
    """Enrol a customer: the least data, a new card, and two separate consents.

    ``submit`` does the enrolment; a refusal stays on the form with its reason, so
    nothing the cashier typed is lost.
    """

    DEFAULT_CSS = """
    EnrolScreen { align: center middle; }
    #enrol-box { width: 70; height: auto; border: thick $success; padding: 0 2; }
    #enrol-error { color: $error; height: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("f10", "submit", show=False),
    ]

    def __init__(self, texts: Texts, submit: Callable[[EnrolForm], Notice]) -> None:
        super().__init__()
        self.t = texts
        self.submit = submit

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical(id="enrol-box"):
            yield Static(t("New customer: Tab moves, F10 enrols, Esc cancels"), markup=False)
            yield Input(placeholder=t("Name the customer wants to be called"), id="enrol-name")
            yield Input(placeholder=t("Phone (optional)"), id="enrol-phone")
            yield Input(placeholder=t("Scan the new card"), id="enrol-card")
            yield Checkbox(t("Accepts the programme's terms (required)"), id="enrol-terms")
            yield Checkbox(t("Agrees to marketing messages (optional)"), id="enrol-marketing")
            yield Static("", id="enrol-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#enrol-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter moves on; nothing here is a code for the sale behind
        self.focus_next()

    def show_error(self, text: str) -> None:
        self.query_one("#enrol-error", Static).update(text)

    def action_submit(self) -> None:
        notice = self.submit(
            EnrolForm(
                self.query_one("#enrol-name", Input).value,
                self.query_one("#enrol-phone", Input).value,
                self.query_one("#enrol-card", Input).value.strip(),
                self.query_one("#enrol-terms", Checkbox).value,
                self.query_one("#enrol-marketing", Checkbox).value,
            )
        )
        if notice.refused:
            self.show_error(notice.text)
        else:
            self.dismiss(notice)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question the cashier answers: Enter (or Y) yes, Esc (or N) no."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    #confirm-box { width: 64; height: auto; border: thick $warning; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "answer(True)", show=False),
        Binding("y", "answer(True)", show=False),
        Binding("escape", "answer(False)", show=False),
        Binding("n", "answer(False)", show=False),
    ]

    def __init__(self, question: str, texts: Texts) -> None:
        super().__init__()
        self.question = question
        self.t = texts

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, markup=False)
            yield Static("")
            yield Static(self.t("Enter: yes   Esc: no"), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
