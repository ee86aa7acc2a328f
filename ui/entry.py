"""The cashier's entry line, which tells a person's typing from a keyboard-wedge scanner's.

A wedge scanner types a whole code in a few milliseconds a key; a person takes a
tenth of a second or more. A card number typed by hand identifies the customer but
does not let their points be spent without the one-time check (agent.session).
"""

from __future__ import annotations

import time

from textual import events
from textual.widgets import Input

SCANNER_KEY_GAP_S = 0.03  # faster than this between keys: a scanner typed it


class EntryInput(Input):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._key_times: list[float] = []

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable:
            self._key_times.append(time.monotonic())
        await super()._on_key(event)

    def take_typed_by_hand(self) -> bool:
        """Whether what was just submitted was typed by a person; starts afresh."""
        times, self._key_times = self._key_times, []
        if len(times) < 2:
            return True
        return (times[-1] - times[0]) / (len(times) - 1) >= SCANNER_KEY_GAP_S
