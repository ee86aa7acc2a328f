"""A barcode scanner on any pyserial URL: /dev/ttyACM0, a pty, loop://, socket://, spy://."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import serial

from agent.errors import ScannerUnavailable
from agent.model import Scan, Symbology
from agent.ports import ErrorHandler, ScanHandler
from drivers.framing import Framer
from drivers.threaded import ThreadedSource

REOPEN_DELAY_S = 1.0
TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "NONE": b""}
PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    url: str = ""  # empty: keyboard wedge only (the scanner types into the input)
    baudrate: int = 9600
    parity: str = "N"  # N, E or O
    terminator: bytes = b"\r"  # b"": none, a frame ends when the line is quiet
    inter_char_timeout_s: float = 0.05  # the quiet that ends a frame without terminator
    prefix: str = ""  # a prefix the scanner is set to send, removed
    aim: bool = False  # the scanner sends AIM symbology identifiers (]E0, ]C0, ]Q1...)
    # A keyboard-wedge scanner read through evdev instead (e.g. /dev/kassa-scanner):
    evdev: str = ""
    layout: str = "us"  # the keyboard layout the scanner types through
    grab: bool = True  # no other program sees its keystrokes


class SerialScanner(ThreadedSource):
    """Reads frames in a thread of its own and hands each one over as a Scan.

    A port that fails (a scanner unplugged) is reported and reopened every second,
    so plugging it back in needs nothing from the cashier.
    """

    def __init__(self, config: ScannerConfig | str, now: Callable[[], datetime]) -> None:
        super().__init__()
        if isinstance(config, str):  # a URL with every other setting at its default
            config = ScannerConfig(url=config)
        if config.parity not in PARITIES:
            raise ValueError(f"scanner.parity: one of {', '.join(PARITIES)}")
        try:
            self._prefix = config.prefix.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError("scanner.prefix: characters a serial line carries (latin-1)") from None
        self.config = config
        self.url = config.url
        self.name = f"scanner {config.url}"
        self._now = now
        self._port: serial.Serial | None = None
        self.opened = threading.Event()

    def _closed(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._port is not None:
            # Already gone: closing a vanished port cannot fail the till.
            with contextlib.suppress(OSError, serial.SerialException):
                self._port.close()
            self._port = None

    def _open(self) -> serial.Serial:
        cfg = self.config
        return serial.serial_for_url(
            cfg.url,
            baudrate=cfg.baudrate,
            parity=PARITIES[cfg.parity],
            timeout=min(0.05, cfg.inter_char_timeout_s),
        )

    def _emit(self, reads: list[tuple[Symbology, str]], on_scan: ScanHandler) -> None:
        for symbology, text in reads:
            on_scan(Scan(symbology, text, self.name, self._now()))

    def _run(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        framer = Framer(self.config.terminator, self._prefix, self.config.aim)
        last_byte = time.monotonic()
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._port = self._open()
                    self.opened.set()
                except (OSError, serial.SerialException, ValueError) as exc:
                    on_error(ScannerUnavailable(f"{self.url}: {exc}"))
                    self._stop.wait(REOPEN_DELAY_S)
                    continue
            try:
                chunk = self._port.read(self._port.in_waiting or 1)
            except (OSError, serial.SerialException) as exc:
                self.opened.clear()
                self._close()
                framer.drop()  # a frame cut by the unplug is not completed by the next one
                on_error(ScannerUnavailable(f"{self.url}: {exc}; reconnecting"))
                self._stop.wait(REOPEN_DELAY_S)
                continue
            if not chunk:
                if time.monotonic() - last_byte >= self.config.inter_char_timeout_s:
                    self._emit(framer.quiet(), on_scan)  # no terminator: the quiet ends it
                continue
            last_byte = time.monotonic()
            self._emit(framer.feed(chunk), on_scan)
