"""Printer status over DLE EOT, against a printer emulated on the far side of a pty."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.printing import print_sale
from agent.session import CheckoutSession
from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.printer import EscposPrinter, PrinterConfig, PrinterKind, code_pages
from drivers.printer_status import PrinterState, parse_status

OK, OFFLINE_BIT = 0x12, 0x08
COVER_OPEN, PAPER_END_STOP = 0x04, 0x20
PAPER_OUT, PAPER_LOW = 0x60, 0x0C


class SerialPrinterTwin:
    """The printer end of a pty: answers DLE EOT 1/2/4 with set bytes, keeps the rest."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.answers: dict[int, int] | None = {1: OK, 2: OK, 4: OK}  # None: a silent printer
        self.received = bytearray()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        pending = b""
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                pending += os.read(self.master, 4096)
            except OSError:
                return
            while b"\x10\x04" in pending and len(pending) >= pending.index(b"\x10\x04") + 3:
                at = pending.index(b"\x10\x04")
                self.received += pending[:at]
                n = pending[at + 2]
                pending = pending[at + 3 :]
                if self.answers is not None:
                    os.write(self.master, bytes([self.answers[n]]))
            if b"\x10" not in pending[-2:]:
                self.received += pending
                pending = b""

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def twin() -> Iterator[SerialPrinterTwin]:
    t = SerialPrinterTwin()
    yield t
    t.close()


def printer(twin: SerialPrinterTwin) -> EscposPrinter:
    return EscposPrinter(PrinterConfig(PrinterKind.SERIAL, twin.path, timeout_s=0.5))


@pytest.mark.parametrize(
    ("answers", "state"),
    [
        ({1: OK, 2: OK, 4: OK}, PrinterState.OK),
        ({1: OK | OFFLINE_BIT, 2: OK | COVER_OPEN, 4: OK}, PrinterState.COVER_OPEN),
        ({1: OK | OFFLINE_BIT, 2: OK | PAPER_END_STOP, 4: OK | PAPER_OUT}, PrinterState.PAPER_OUT),
        ({1: OK, 2: OK, 4: OK | PAPER_LOW}, PrinterState.PAPER_LOW),
        ({1: OK | OFFLINE_BIT, 2: OK, 4: OK}, PrinterState.OFFLINE),
        ({1: 0xFF, 2: 0x00, 4: 0x41}, PrinterState.UNKNOWN),  # not status bytes: line noise
        (None, PrinterState.UNKNOWN),  # no reply is never "OK"
    ],
)
def test_the_printer_says_how_it_is(
    twin: SerialPrinterTwin, answers: dict[int, int] | None, state: PrinterState
) -> None:
    twin.answers = answers
    assert printer(twin).status().state is state


def test_paper_out_keeps_the_job_and_the_reprint_prints(
    twin: SerialPrinterTwin, session: CheckoutSession, store: Store, clock: FixedClock
) -> None:
    session.enter("2900000000018")
    session.add("COFFEE")
    sale = session.commit()
    twin.answers = {1: OK | OFFLINE_BIT, 2: OK | PAPER_END_STOP, 4: OK | PAPER_OUT}
    outcome = print_sale(store, printer(twin), sale.seq, clock, "Sklep")
    assert outcome.error is not None and "out of paper" in outcome.error
    assert store.ledger.print_job(sale.seq) == ("failed", outcome.error)
    assert store.ledger.sales_count() == 1 and twin.received == b""  # the sale stands, nothing sent
    twin.answers = {1: OK, 2: OK, 4: OK}  # the cashier put a new roll in
    assert print_sale(store, printer(twin), sale.seq, clock, "Sklep").error is None
    deadline = 50
    while b"\x1dV" not in twin.received and deadline:
        select.select([], [], [], 0.05)
        deadline -= 1
    text = decode_escpos(bytes(twin.received), code_pages(PrinterConfig())).text
    assert "Balance" in text and store.ledger.print_job(sale.seq) == ("printed", None)


def test_a_silent_printer_is_still_tried(twin: SerialPrinterTwin, tmp_path: Path) -> None:
    from tests.drivers.test_printer import SMALL

    twin.answers = None
    p = printer(twin)
    assert p.status().state is PrinterState.UNKNOWN
    p.print_receipt(SMALL)  # many printers never answer DLE EOT: the data still goes


def test_status_bytes_are_parsed_without_a_printer() -> None:
    assert parse_status(None, None, None).state is PrinterState.UNKNOWN
    assert parse_status(OK, None, None).state is PrinterState.OK
    assert parse_status(OK, OK | 0x40, OK).state is PrinterState.ERROR
