"""A barcode scanner on any pyserial URL: /dev/ttyACM0, a pty, loop://, socket://, spy://."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime

import serial

from agent.errors import ScannerUnavailable
from agent.model import Scan, Symbology
from agent.ports import ErrorHandler, ScanHandler
from drivers.framing import frame_text, split_frames

REOPEN_DELAY_S = 1.0
READ_TIMEOUT_S = 0.05


class SerialScanner:
    """Reads frames in a thread of its own and hands each one over as a Scan."""

    def __init__(
        self,
        url: str,
        now: Callable[[], datetime],
        baudrate: int = 9600,
        terminator: bytes = b"\r",
    ) -> None:
        self.url = url
        self.name = f"scanner {url}"
        self._now = now
        self._baudrate = baudrate
        self._terminator = terminator
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.Serial | None = None
        self.opened = threading.Event()

    def start(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(on_scan, on_error), name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close()

    def _close(self) -> None:
        if self._port is not None:
            # Already gone: closing a vanished port cannot fail the till.
            with contextlib.suppress(OSError, serial.SerialException):
                self._port.close()
            self._port = None

    def _run(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        rest = b""
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._port = serial.serial_for_url(
                        self.url, baudrate=self._baudrate, timeout=READ_TIMEOUT_S
                    )
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
                rest = b""
                on_error(ScannerUnavailable(f"{self.url}: {exc}; reconnecting"))
                self._stop.wait(REOPEN_DELAY_S)
                continue
            if not chunk:
                continue
            frames, rest = split_frames(rest + chunk, self._terminator)
            for frame in frames:
                on_scan(Scan(Symbology.UNKNOWN, frame_text(frame), self.name, self._now()))
