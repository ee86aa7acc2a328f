"""Real-time printer status over DLE EOT (ESC/POS): paper, cover, offline, or unknown.

``parse_status`` is pure; ``query_status`` is the one place that asks a port. No
reply, or a reply that is not a status byte, is UNKNOWN: never "OK".
"""

from __future__ import annotations

import contextlib
import enum
import socket
from dataclasses import dataclass

import serial

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, PAPER = 1, 2, 4  # DLE EOT n


class PrinterState(enum.Enum):
    OK = "ok"
    PAPER_LOW = "paper low"
    PAPER_OUT = "paper out"
    COVER_OPEN = "cover open"
    OFFLINE = "offline"
    ERROR = "error"
    UNKNOWN = "unknown"  # no reply: the printer may be off, unplugged, or not ESC/POS

    @property
    def can_print(self) -> bool:
        """False when printing now is known to fail; UNKNOWN is tried (and may fail)."""
        return self in (PrinterState.OK, PrinterState.PAPER_LOW, PrinterState.UNKNOWN)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    state: PrinterState
    detail: str = ""


def _is_status(b: int) -> bool:
    return b & 0x93 == 0x12  # bits 1 and 4 set, 0 and 7 clear, in every status byte


def parse_status(printer: int | None, cause: int | None, paper: int | None) -> PrinterStatus:
    """Read the replies to DLE EOT 1, 2 and 4 (None: no reply)."""
    replies = [b for b in (printer, cause, paper) if b is not None]
    if not replies or not all(_is_status(b) for b in replies):
        return PrinterStatus(PrinterState.UNKNOWN, "no status reply from the printer")
    if cause is not None and cause & 0x04:
        return PrinterStatus(PrinterState.COVER_OPEN, "the cover is open")
    if (paper is not None and paper & 0x60) or (cause is not None and cause & 0x20):
        return PrinterStatus(PrinterState.PAPER_OUT, "out of paper")
    if cause is not None and cause & 0x40:
        return PrinterStatus(PrinterState.ERROR, "the printer reports an error")
    if printer is not None and printer & 0x08:
        return PrinterStatus(PrinterState.OFFLINE, "the printer is offline")
    if paper is not None and paper & 0x0C:
        return PrinterStatus(PrinterState.PAPER_LOW, "paper running low")
    return PrinterStatus(PrinterState.OK)


class _Link:
    """A serial port or a TCP socket, asked one byte at a time."""

    def __init__(self, kind: str, target: str, baudrate: int, timeout_s: float) -> None:
        self._serial: serial.Serial | None = None
        self._sock: socket.socket | None = None
        if kind == "serial":
            self._serial = serial.serial_for_url(target, baudrate=baudrate, timeout=timeout_s)
        else:
            host, _, port = target.rpartition(":")
            self._sock = socket.create_connection((host, int(port or 9100)), timeout_s)

    def ask(self, n: int) -> int | None:
        if self._serial is not None:
            self._serial.write(DLE_EOT + bytes([n]))
            got = self._serial.read(1)
        else:
            assert self._sock is not None
            self._sock.sendall(DLE_EOT + bytes([n]))
            try:
                got = self._sock.recv(1)
            except TimeoutError:
                got = b""
        return got[0] if got else None

    def close(self) -> None:
        with contextlib.suppress(OSError, serial.SerialException):
            if self._serial is not None:
                self._serial.close()
            if self._sock is not None:
                self._sock.close()


def query_status(
    kind: str, target: str, baudrate: int = 9600, timeout_s: float = 0.5
) -> PrinterStatus:
    """Ask a serial or network printer for its status; a file target is UNKNOWN."""
    if kind not in ("serial", "network"):
        return PrinterStatus(PrinterState.UNKNOWN, f"a {kind} printer is not asked for its status")
    try:
        link = _Link(kind, target, baudrate, timeout_s)
    except (OSError, serial.SerialException, ValueError) as exc:
        return PrinterStatus(PrinterState.UNKNOWN, f"cannot reach the printer: {exc}")
    try:
        first = link.ask(PRINTER)  # a printer that ignores DLE EOT is not asked twice more
        replies = [first] + (
            [link.ask(n) for n in (OFFLINE_CAUSE, PAPER)] if first is not None else [None] * 2
        )
    except (OSError, serial.SerialException) as exc:
        return PrinterStatus(PrinterState.UNKNOWN, f"the printer stopped answering: {exc}")
    finally:
        link.close()
    return parse_status(*replies)
