"""Modal screens that pick one thing: a product from a search, a parked sale to recall.

Up/Down move the choice, Enter takes it, Esc cancels; they dismiss with the chosen
item's id (a SKU, a parked sale's id) or None. The items are the caller's; a search
screen asks for them again whenever the cashier's text changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from agent.i18n import Texts

Item = tuple[str, str]  # (id, the row shown)
SHOWN = 12  # rows of items on screen at once (80x24 has room for them and the frame)


class PickScreen(ModalScreen[str | None]):
    """Choose one of ``items``; with ``find``, a search field gives the items."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    #pick-box { width: 78; height: auto; max-height: 22; border: thick $primary; padding: 0 1; }
    #pick-query { height: 1; border: none; background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("escape", "cancel", show=False),
    ]

    def __init__(
        self,
        title: str,
        texts: Texts,
        items: list[Item] | None = None,
        find: Callable[[str], list[Item]] | None = None,
        query: str = "",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.t = texts
        self.find = find
        self.query_text = query
        self.items = items if items is not None else []
        self.cursor = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box"):
            yield Static(self.title_text, id="pick-title", markup=False)
            if self.find is not None:
                yield Input(self.query_text, placeholder=self.t("Name or code"), id="pick-query")
            yield Static("", id="pick-items", markup=False)
            yield Static(self.t("Up/Down choose, Enter takes it, Esc cancels"), markup=False)

    def on_mount(self) -> None:
        if self.find is not None:
            self.query_one("#pick-query", Input).focus()
            self.items = self.find(self.query_text)
        self.render_items()

    def render_items(self) -> None:
        if not self.items:
            text = self.t("Nothing found") if self.find is not None else self.t("None")
            self.query_one("#pick-items", Static).update(text)
            return
        first = max(0, min(self.cursor - SHOWN + 1, len(self.items) - SHOWN))
        rows = [
            ("> " if i == self.cursor else "  ") + shown
            for i, (_, shown) in enumerate(self.items)
            if first <= i < first + SHOWN
        ]
        self.query_one("#pick-items", Static).update("\n".join(rows))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.find is not None:
            self.items = self.find(event.value)
            self.cursor = 0
            self.render_items()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # a search is never a code for the sale behind this screen
        self.action_take()

    def key_enter(self) -> None:  # a list without a search field
        if self.find is None:
            self.action_take()

    def action_move(self, step: int) -> None:
        if self.items:
            self.cursor = max(0, min(len(self.items) - 1, self.cursor + step))
            self.render_items()

    def action_take(self) -> None:
        if self.items:
            self.dismiss(self.items[self.cursor][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
