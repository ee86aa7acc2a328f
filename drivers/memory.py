"""In-memory twins of the devices, for the tests, the simulator and training mode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from agent.errors import PrinterUnavailable
from agent.model import Scan, Symbology
from agent.ports import ErrorHandler, ScanHandler
from agent.receipt import Receipt
from agent.words import Words, say
from drivers.printer import PrinterConfig, render_receipt


class MemoryScanner:
    """A scanner you feed by hand: ``feed('2900000000018')`` delivers a Scan at once."""

    def __init__(self, now: Callable[[], datetime], name: str = "memory scanner") -> None:
        self.name = name
        self._now = now
        self._on_scan: ScanHandler | None = None

    def start(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        self._on_scan = on_scan

    def stop(self) -> None:
        self._on_scan = None

    def feed(self, text: str, symbology: Symbology = Symbology.UNKNOWN) -> None:
        if self._on_scan is not None:
            self._on_scan(Scan(symbology, text, self.name, self._now()))


class MemoryPrinter:
    """Keeps every job's ESC/POS bytes; ``failing`` makes it behave like a dead printer."""

    def __init__(self, config: PrinterConfig | None = None) -> None:
        self.name = "memory printer"
        self.config = config or PrinterConfig()
        self.jobs: list[bytes] = []
        self.failing: str | None = None

    def print_receipt(self, receipt: Receipt) -> bytes:
        if self.failing:
            state = say("{printer}: {state}", printer=self.name, state=Words(self.failing))
            raise PrinterUnavailable(f"{self.name}: {self.failing}", state)
        data = render_receipt(receipt, self.config)
        self.jobs.append(data)
        return data
