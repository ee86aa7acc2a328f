"""Modal screens: signing in with a PIN, and a manager's approval of an override."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from agent.staff import Cashier, Role, pin_matches
from ui.i18n import Texts


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
    ) -> None:
        super().__init__()
        self.cashiers = cashiers
        self.t = texts
        self.title_text = title
        self.role = role
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Static(self.title_text, id="pin-title", markup=False)
            yield Input(password=True, placeholder=self.t("PIN, then Enter"), id="pin")
            yield Static("", id="pin-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # a PIN is never a code for the sale behind this screen
        pin = event.value.strip()
        event.input.value = ""
        for c in self.cashiers():
            if (self.role is None or c.role is self.role) and pin_matches(c, pin):
                self.dismiss(c)
                return
        wanted = self.t("Wrong PIN") if self.role is None else self.t("Not a manager's PIN")
        self.query_one("#pin-error", Static).update(wanted)

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)
