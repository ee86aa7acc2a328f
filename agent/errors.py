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


class StoreBusy(KassaError):
    """Another writer held the till's database longer than the store waits."""

    title = N_("The till's database is busy: try again")


class StoreFull(KassaError):
    """The disk (or the database's size limit) is full: nothing new can be written."""

    title = N_("The till's disk is full: nothing new can be saved")


class StoreUnavailable(KassaError):
    """The database file cannot be opened, read or written (I/O error, missing folder)."""

    title = N_("The till's database cannot be reached")


class NotADatabase(KassaError):
    """A command was pointed at a path that holds no kassa database (missing, or other)."""

    title = N_("No kassa database there")


class StoreRefused(KassaError):
    """A write broke one of the database's constraints: it was not saved."""

    title = N_("The till's database refused a change")


class SaleNotReady(KassaError):
    title = N_("The sale cannot be completed yet")


class ScannerUnavailable(KassaError):
    title = N_("Scanner not answering")


class PrinterUnavailable(KassaError):
    title = N_("Receipt printer not answering")


class HqUnreachable(KassaError):
    title = N_("HQ cannot be reached")


class HqBusy(HqUnreachable):
    """HQ answered 503: up, but too busy to take this now; send again after its Retry-After."""

    title = N_("HQ is busy: sending again shortly")

    def __init__(self, detail: str = "", retry_after_s: float = 1.0) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class HqProtocolError(KassaError):
    title = N_("HQ sent a reply kassa does not understand")


class PageRefused(HqProtocolError):
    """HQ refused the snapshot page a till asked for (400): no pass of HQ's has it, as
    after HQ was restored from a backup. The till starts its pass again; any other fault
    on a page (a proxy's error page, a timeout) retries the same page."""


class ConfigError(KassaError):
    title = N_("Configuration error")


class InputError(KassaError):
    title = N_("Input refused")


class DocumentRefused(KassaError):
    title = N_("A document from HQ was refused")


class CurrencyMismatch(KassaError, ValueError):
    """Two amounts in different currencies were combined."""

    title = N_("Amounts in different currencies")


class BadBatch(KassaError):
    """A batch HQ refuses as a whole (malformed event, broken chain)."""

    title = N_("HQ refused a batch of events")
