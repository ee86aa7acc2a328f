"""kassa's own error tree. Each error carries a human title for the cashier's dialog."""

from __future__ import annotations

from agent.words import N_, Words, say


class KassaError(Exception):
    """Base of every error kassa raises on purpose."""

    title = N_("Something went wrong")

    def __init__(self, detail: str = "", detail_words: Words | None = None) -> None:
        """``detail``: what happened, for logs and the cashier; ``detail_words`` the same
        where it can be said in the cashier's language (a device's name stays as it is)."""
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.detail_words = detail_words

    def words(self) -> Words:
        """The one line the cashier reads, translatable: the title is, the detail may be."""
        if self.detail == self.title:
            return Words(self.title)
        return say(
            "{what}: {detail}", what=Words(self.title), detail=self.detail_words or self.detail
        )

    def for_cashier(self) -> str:
        """Return the one line the cashier reads."""
        return f"{self.title}: {self.detail}" if self.detail != self.title else self.title


class InvalidRuleset(KassaError):
    title = N_("Loyalty rules refused")


class StoreCorrupted(KassaError):
    title = N_("Local journal is damaged")


class SaleNotReady(KassaError):
    title = N_("The sale cannot be completed yet")


class UnknownProduct(KassaError):
    title = N_("Unknown product")


class ScannerUnavailable(KassaError):
    title = N_("Scanner not answering")


class PrinterUnavailable(KassaError):
    title = N_("Receipt printer not answering")


class HqUnreachable(KassaError):
    title = N_("HQ cannot be reached")


class HqProtocolError(KassaError):
    title = N_("HQ sent a reply kassa does not understand")


class ConfigError(KassaError):
    title = N_("Configuration error")


class InputError(KassaError):
    title = N_("Input refused")
