"""kassa's own error tree. Each error carries a human title for the cashier's dialog."""

from __future__ import annotations


class KassaError(Exception):
    """Base of every error kassa raises on purpose."""

    title = "Something went wrong"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title

    def for_cashier(self) -> str:
        """Return the one line the cashier reads."""
        return f"{self.title}: {self.detail}" if self.detail != self.title else self.title


class InvalidRuleset(KassaError):
    title = "Loyalty rules refused"


class StoreCorrupted(KassaError):
    title = "Local journal is damaged"


class SaleNotReady(KassaError):
    title = "The sale cannot be completed yet"


class UnknownProduct(KassaError):
    title = "Unknown product"


class ScannerUnavailable(KassaError):
    title = "Scanner not answering"


class PrinterUnavailable(KassaError):
    title = "Receipt printer not answering"


class HqUnreachable(KassaError):
    title = "HQ cannot be reached"


class HqProtocolError(KassaError):
    title = "HQ sent a reply kassa does not understand"


class ConfigError(KassaError):
    title = "Configuration error"
