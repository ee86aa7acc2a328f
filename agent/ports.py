"""The small protocols the core talks to; drivers and sync implement them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agent.errors import KassaError
from agent.model import Scan
from agent.receipt import Receipt

ScanHandler = Callable[[Scan], None]
ErrorHandler = Callable[[KassaError], None]


class CodeSource(Protocol):
    """Something that reads codes: a serial scanner, a camera, a test twin."""

    name: str

    def start(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        """Begin delivering scans (from a thread of its own, if it has one)."""
        ...

    def stop(self) -> None:
        """Stop delivering scans and release the device."""
        ...


class ReceiptPrinter(Protocol):
    name: str

    def print_receipt(self, receipt: Receipt) -> bytes:
        """Print ``receipt``; return the bytes sent; raise PrinterUnavailable on a fault."""
        ...
