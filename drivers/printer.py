"""Receipts through python-escpos: rendered once to bytes, sent to file, serial or network."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import serial
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, File, Network, Serial

from agent.errors import PrinterUnavailable
from agent.receipt import Receipt, Style
from drivers.escpos_text import Decoded, decode_escpos


class PrinterKind(enum.Enum):
    FILE = "file"
    SERIAL = "serial"
    NETWORK = "network"


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    kind: PrinterKind = PrinterKind.FILE
    target: str = "receipt.bin"  # path, serial device, or host:port
    width_chars: int = 42  # 80 mm paper, font A; 58 mm paper is 32
    profile: str = "default"
    baudrate: int = 9600
    timeout_s: float = 3.0


def _dummy(config: PrinterConfig) -> Dummy:
    return Dummy(profile=config.profile)


def code_pages(config: PrinterConfig) -> dict[int, str]:
    """Return the printer profile's code page slots (ESC t n -> name)."""
    pages = _dummy(config).profile.profile_data["codePages"]
    return {int(k): str(v) for k, v in pages.items()}


def render_receipt(receipt: Receipt, config: PrinterConfig) -> bytes:
    """Return the receipt as ESC/POS bytes for the configured printer profile."""
    p = _dummy(config)
    p.hw("INIT")
    width = config.width_chars
    for line in receipt.lines:
        if line.style is Style.RULE:
            p.text("-" * width + "\n")
            continue
        title = line.style is Style.TITLE
        p.set(bold=line.style is not Style.NORMAL, double_height=title, normal_textsize=not title)
        text = line.text
        if line.right:
            gap = max(1, width - len(text) - len(line.right))
            text = f"{text}{' ' * gap}{line.right}"
        p.text(text + "\n")
    p.set(bold=False, normal_textsize=True)
    if receipt.qr:
        p.qr(receipt.qr, native=True, size=4)
    p.cut()
    return bytes(p.output)


def decode_receipt(data: bytes, config: PrinterConfig) -> Decoded:
    return decode_escpos(data, code_pages(config))


class EscposPrinter:
    """A real receipt printer; every library or OS fault becomes PrinterUnavailable."""

    def __init__(self, config: PrinterConfig) -> None:
        self.config = config
        self.name = f"printer {config.kind.value}:{config.target}"

    def print_receipt(self, receipt: Receipt) -> bytes:
        data = render_receipt(receipt, self.config)
        self.send(data)
        return data

    def send(self, data: bytes) -> None:
        cfg = self.config
        try:
            if cfg.kind is PrinterKind.FILE:
                Path(cfg.target).parent.mkdir(parents=True, exist_ok=True)
                dev = File(devfile=cfg.target, auto_flush=True)
            elif cfg.kind is PrinterKind.SERIAL:
                dev = Serial(devfile=cfg.target, baudrate=cfg.baudrate, timeout=cfg.timeout_s)
            else:
                host, _, port = cfg.target.rpartition(":")
                dev = Network(host=host, port=int(port or 9100), timeout=cfg.timeout_s)
            dev.open()
            try:
                dev._raw(data)
            finally:
                dev.close()
        except (OSError, serial.SerialException, EscposError, ValueError) as exc:
            raise PrinterUnavailable(f"{self.name}: {exc}") from exc
