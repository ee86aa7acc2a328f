"""The cashier's entry line, which tells a person's typing from a keyboard-wedge scanner's.

A wedge scanner types a whole code in a few milliseconds a key; a person takes a
tenth of a second or more. A card number typed by hand identifies the customer but
does not let their points be spent without the one-time check (agent.session).

Enter ends an entry at once, in the order the keys came: Input's own Enter goes through
the key bindings, which a burst of keys overtakes (two scans read together from the
terminal became one code, "MILKSYRUP"). So the entry takes its Enter itself, posts
``Entered`` with what was typed up to it, and starts the next entry empty.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from agent.words import N_

SCANNER_KEY_GAP_S = 0.03  # faster than this between keys: a scanner typed it
# The entry's hints: selling, and in price-check mode (Ctrl+G).
HINT = N_("Card or SKU, Enter (3*MILK: three; -MILK: one off)")
PRICE_HINT = N_("Price check: scan or type a product (Ctrl+G ends)")


class EntryInput(Input):
    # Del removes the basket's selected row when nothing is typed (else the character);
    # Ctrl+E sets the selected line's quantity to what is typed (the app's keys).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete", "delete_or_remove", show=False),
        Binding("ctrl+e", "app.quantity", show=False),
    ]

    class Entered(Message):
        """One entry, ended by Enter: the text, and whether a person typed it."""

        def __init__(self, value: str, typed_by_hand: bool) -> None:
            super().__init__()
            self.value = value
            self.typed_by_hand = typed_by_hand

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._key_times: list[float] = []

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            value, self.value = self.value, ""
            self.post_message(self.Entered(value, self.take_typed_by_hand()))
            return
        if event.is_printable:
            self._key_times.append(time.monotonic())
        await super()._on_key(event)

    async def action_delete_or_remove(self) -> None:
        if self.value:
            self.action_delete_right()
        else:
            await self.run_action("app.remove_row")

    def take_typed_by_hand(self) -> bool:
        """Whether what was just submitted was typed by a person; starts afresh."""
        times, self._key_times = self._key_times, []
        if len(times) < 2:
            return True
        return (times[-1] - times[0]) / (len(times) - 1) >= SCANNER_KEY_GAP_S


def parse_entry(text: str) -> tuple[str, int]:
    """'3*MILK' or 'MILK*3' -> ('MILK', 3); anything else is a code with quantity 1."""
    left, sep, right = text.strip().partition("*")
    if sep:
        if left.isdigit():
            return right.strip(), int(left)
        if right.isdigit():
            return left.strip(), int(right)
    return text.strip(), 1
