"""Receipts as exact ESC/POS bytes, decoded back to what the customer reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.errors import PrinterUnavailable
from agent.printing import print_sale
from agent.receipt import Receipt, ReceiptLine, Style
from agent.session import CheckoutSession
from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.memory import MemoryPrinter
from drivers.printer import EscposPrinter, PrinterConfig, PrinterKind, code_pages, render_receipt

SMALL = Receipt((ReceiptLine("Shop", Style.TITLE), ReceiptLine("MILK x1", right="4.50")), "T1:1")


def test_receipt_bytes_are_exact() -> None:
    data = render_receipt(SMALL, PrinterConfig(width_chars=20))
    assert data == (
        b"\x1b@"
        b"\x1b!\x00\x1b!\x00\x1b!\x10\x1bE\x01\x1bt\x00Shop\n"
        # The code page is selected again after every mode change (ESC !): printers
        # forget it there, and python-escpos alone would not send it again.
        b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00\x1bt\x00MILK x1         4.50\n"
        b"\x1b!\x00\x1b!\x00\x1b!\x00\x1bE\x00"
        b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x04\x1d(k\x03\x001E0"
        b"\x1d(k\x07\x001P0T1:1\x1d(k\x03\x001Q0"
        b"\x1bd\x06\x1dV\x00"
    )


def test_decoding_gives_back_text_qr_and_cut() -> None:
    cfg = PrinterConfig(width_chars=20)
    decoded = decode_escpos(render_receipt(SMALL, cfg), code_pages(cfg))
    assert decoded.text.splitlines()[:2] == ["Shop", "MILK x1         4.50"]
    assert decoded.qr_codes == ["T1:1"] and decoded.cuts == 1


def test_a_sale_receipt_shows_the_balance(
    session: CheckoutSession, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    session.enter("2900000000018")
    session.add("COFFEE")
    sale = session.commit()
    cfg = PrinterConfig(PrinterKind.FILE, str(tmp_path / "receipt.bin"))
    outcome = print_sale(store, EscposPrinter(cfg), sale.seq, clock, "Test store")
    assert outcome.error is None
    text = decode_escpos((tmp_path / "receipt.bin").read_bytes(), code_pages(cfg)).text
    assert "Receipt T1:1" in text
    assert "Points earned" in text and "39" in text
    assert [ln for ln in text.splitlines() if ln.startswith("Balance")] == [
        "Balance" + " " * 27 + "3039 pts"
    ]
    job = store.ledger.print_job(sale.seq)
    assert job is not None and job[0] == "printed"


def test_a_printer_fault_keeps_the_sale_and_the_job_for_reprint(
    session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    session.enter("2900000000018")
    session.add("MILK")
    sale = session.commit()
    printer = MemoryPrinter()
    printer.failing = "paper out"
    outcome = print_sale(store, printer, sale.seq, clock, "Test store")
    assert outcome.data is None and outcome.error is not None and "paper out" in outcome.error
    job = store.ledger.print_job(sale.seq)
    assert job is not None and job[0] == "failed"
    assert store.ledger.sales_count() == 1 and store.ledger.outbox_stats().pending == 1
    printer.failing = None
    assert print_sale(store, printer, sale.seq, clock, "Test store").error is None
    assert len(printer.jobs) == 1


def test_an_unreachable_printer_device_is_a_printer_fault(tmp_path: Path) -> None:
    serial_printer = EscposPrinter(PrinterConfig(PrinterKind.SERIAL, "/dev/no-such-printer"))
    net_printer = EscposPrinter(PrinterConfig(PrinterKind.NETWORK, "127.0.0.1:1", timeout_s=0.5))
    usb_printer = EscposPrinter(PrinterConfig(PrinterKind.USB, "0416:5011", timeout_s=0.5))
    for printer in (serial_printer, net_printer, usb_printer):
        with pytest.raises(PrinterUnavailable):
            printer.print_receipt(SMALL)
