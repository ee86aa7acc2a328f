"""Printing a committed sale's receipt: a fault never undoes or blocks the sale."""

from __future__ import annotations

from dataclasses import dataclass, replace

from agent.clock import Clock
from agent.errors import PrinterUnavailable
from agent.i18n import Texts
from agent.ports import ReceiptPrinter
from agent.receipt import Receipt, ReceiptLine, Style, build_receipt
from agent.store import Store
from agent.words import Words, say


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    seq: int
    data: bytes | None  # the bytes sent, None when the printer failed
    error: str | None
    error_words: Words | None = None  # the error, in words a screen translates


def print_sale(
    store: Store,
    printer: ReceiptPrinter,
    seq: int,
    clock: Clock,
    store_name: str,
    texts: Texts | None = None,
    copy: bool = False,
) -> PrintOutcome:
    """Print (or reprint) the receipt of sale ``seq``, built from its journal row, in
    the language of ``texts`` (the terminal's, not the cashier's: it is the customer's).

    ``copy``: a reprint, marked as a copy at its top and bottom (a customer or an
    auditor must never take it for a second sale).

    Returns the outcome and records it on the sale's print job; a printer fault is
    recorded and returned, never raised, so the job stays pending for a reprint.
    """
    event = store.ledger.sale_event(seq)
    if event is None:
        why = say("no sale {seq} on this terminal", seq=seq)
        return PrintOutcome(seq, None, str(why), why)
    try:
        receipt = build_receipt(event, store_name, texts, store.catalogue.timezone())
        if copy:
            receipt = marked_copy(receipt, texts or Texts("en"))
        data = printer.print_receipt(receipt)
    except PrinterUnavailable as exc:
        store.ledger.set_print_status(seq, "failed", exc.for_cashier(), clock.now())
        return PrintOutcome(seq, None, exc.for_cashier(), exc.words())
    store.ledger.set_print_status(seq, "printed", None, clock.now())
    return PrintOutcome(seq, data, None)


def marked_copy(receipt: Receipt, t: Texts) -> Receipt:
    """``receipt`` marked as a copy: under its title and after its last line."""
    mark = ReceiptLine(t("*** COPY ***"), Style.BOLD)
    head, rest = receipt.lines[:1], receipt.lines[1:]
    return replace(receipt, lines=(*head, mark, *rest, mark))


def last_receipt_seq(store: Store) -> int | None:
    """The seq of this till's last sale or return, from its journal (after a restart too)."""
    row = store.conn.execute(
        "SELECT MAX(seq) FROM journal WHERE kind IN ('sale', 'return')"
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
