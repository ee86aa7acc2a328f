"""A keyboard-wedge scanner read through evdev, grabbed so no other program sees it.

On a dedicated till the scanner's keystrokes must not reach the console or the
input that has focus: kassa grabs the device (EVIOCGRAB) and reads its key events
itself, mapped back through the scanner's keyboard layout. packaging/ holds the
udev rule that gives the scanner a stable name (/dev/kassa-scanner) and lets the
kassa user read it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from agent.errors import ScannerUnavailable
from agent.model import Scan, Symbology
from agent.ports import ErrorHandler, ScanHandler
from drivers.keymap import KeyDecoder
from drivers.threaded import ThreadedSource

EV_KEY = 1
REOPEN_DELAY_S = 1.0


class EvdevScanner(ThreadedSource):
    def __init__(
        self, path: str, now: Callable[[], datetime], layout: str = "us", grab: bool = True
    ) -> None:
        super().__init__()
        KeyDecoder(layout)  # refuse an unknown layout at start, not in the thread
        self.path = path
        self.layout = layout
        self.grab = grab
        self.name = f"scanner evdev:{path}"
        self._now = now

    def deliver(self, events: Iterable[tuple[int, int, int]], on_scan: ScanHandler) -> None:
        """Map (type, code, value) key events to scans until they run out or we stop."""
        decoder = KeyDecoder(self.layout)
        for ev_type, code, value in events:
            if self._stop.is_set():
                return
            if ev_type != EV_KEY:
                continue
            frame = decoder.feed(code, value)
            if frame is not None:
                on_scan(Scan(Symbology.UNKNOWN, frame, self.name, self._now()))

    def _run(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        import select

        import evdev

        while not self._stop.is_set():
            try:
                dev = evdev.InputDevice(self.path)
                if self.grab:
                    dev.grab()
            except OSError as exc:
                on_error(ScannerUnavailable(f"{self.path}: {exc}"))
                self._stop.wait(REOPEN_DELAY_S)
                continue
            try:
                self.deliver(self._events(dev, select.select), on_scan)
            except OSError as exc:  # unplugged
                on_error(ScannerUnavailable(f"{self.path}: {exc}; reconnecting"))
                self._stop.wait(REOPEN_DELAY_S)
            finally:
                with contextlib.suppress(OSError):  # already gone
                    dev.close()

    def _events(self, dev: Any, select: Callable[..., Any]) -> Iterator[tuple[int, int, int]]:
        """The device's events as (type, code, value), until we stop."""
        while not self._stop.is_set():
            if select([dev.fd], [], [], 0.2)[0]:
                for e in dev.read():
                    yield (e.type, e.code, e.value)
