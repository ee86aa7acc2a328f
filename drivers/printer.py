"""Receipts through python-escpos: rendered once to bytes, sent to file, serial or network."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

import serial

from agent.errors import PrinterUnavailable
from agent.receipt import Receipt, Style, fit
from agent.words import Words, say
from drivers import escpos_cache
from drivers.escpos_text import python_codec
from drivers.printer_status import PrinterStatus, query_status

escpos_cache.prepare()  # before escpos is imported: its profiles from a kept pickle

from escpos.exceptions import Error as EscposError  # noqa: E402
from escpos.magicencode import Encoder  # noqa: E402
from escpos.printer import Dummy, File, Network, Serial, Usb  # noqa: E402


class PrinterKind(enum.Enum):
    FILE = "file"
    SERIAL = "serial"
    NETWORK = "network"
    USB = "usb"  # through libusb (pyusb), target "VID:PID" in hex; /dev/usb/lp0 is a file


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    kind: PrinterKind = PrinterKind.FILE
    target: str = "receipt.bin"  # path, serial device, or host:port
    width_chars: int = 42  # 80 mm paper, font A; 58 mm paper is 32
    profile: str = "default"
    baudrate: int = 9600
    timeout_s: float = 3.0
    # The code page every line is printed in ("CP866", "CP1251", "CP852", "CP1250"...);
    # empty: python-escpos picks one per character run from the profile's pages.
    code_page: str = ""
    # Per-printer override of code page slots (name -> ESC t n), for printers that
    # number them differently from their profile: (("CP866", 59),).
    code_page_slots: tuple[tuple[str, int], ...] = ()


# Characters no printer code page holds, and what is printed instead. Romanian ș and ț
# (comma below) print as ş and ţ (cedilla), which CP852, CP1250 and ISO 8859-2 hold.
SUBSTITUTES = str.maketrans(
    # Babel's money has no-break spaces (39,90 zł): paper has plain ones.
    {"ș": "ş", "Ș": "Ş", "ț": "ţ", "Ț": "Ţ", "₽": "руб.", "\u00a0": " ", "\u202f": " "}
)
# Stand-ins for characters that some code pages lack (used only where the page does).
FALLBACKS = {
    "«": '"',
    "»": '"',
    "„": '"',
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "…": "...",
    "–": "-",
    "—": "-",
    "№": "N",
    "€": "EUR",
}


def printable(text: str, code_page: str = "") -> str:
    """Return ``text`` as the printer can print it in ``code_page`` (empty: any page).

    ș/ț become ş/ţ, ₽ "руб." and no-break spaces plain ones everywhere; quotes, dashes
    and the like become ASCII where the chosen page lacks them, rather than the printer's "?".
    """
    text = text.translate(SUBSTITUTES)
    if not code_page:
        return text
    codec = python_codec(code_page)
    out = []
    for ch in text:
        try:
            ch.encode(codec)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(FALLBACKS.get(ch, ch))
    return "".join(out)


def code_pages(config: PrinterConfig) -> dict[int, str]:
    """Return the printer's code page slots (ESC t n -> name), overrides applied."""
    pages = {
        int(k): str(v)
        for k, v in Dummy(profile=config.profile).profile.profile_data["codePages"].items()
    }
    for name, slot in config.code_page_slots:
        for k in [k for k, v in pages.items() if v == name]:
            del pages[k]  # the page lives in the overriding slot only
        pages[slot] = name
    return pages


def _dummy(config: PrinterConfig) -> Dummy:
    p = Dummy(profile=config.profile)
    if config.code_page_slots or config.code_page:
        by_name = {v: k for k, v in sorted(code_pages(config).items(), reverse=True)}
        if config.code_page and config.code_page not in by_name:
            raise ValueError(
                f"printer.code_page {config.code_page} is not in profile {config.profile}"
            )
        p.magic.encoder = Encoder({k: v for k, v in by_name.items() if k != "Unknown"})
    return p


def _select_code_page(p: Dummy, config: PrinterConfig) -> None:
    """Select the code page again: printers forget it at a reset or a mode change.

    python-escpos 3.1 remembers the page it last selected and does not send ESC t
    again, so text after ESC @ or ESC ! would print in the printer's default page.
    """
    p.magic.encoding = None
    if config.code_page:
        p.magic.force_encoding(config.code_page)


def render_receipt(receipt: Receipt, config: PrinterConfig) -> bytes:
    """Return the receipt as ESC/POS bytes for the configured printer profile.

    Raises ValueError for a code page the printer's profile does not have.
    """
    p = _dummy(config)
    p.hw("INIT")
    _select_code_page(p, config)
    width = config.width_chars
    for line in receipt.lines:
        if line.style is Style.RULE:
            p.text("-" * width + "\n")
            continue
        title = line.style is Style.TITLE
        p.set(bold=line.style is not Style.NORMAL, double_height=title, normal_textsize=not title)
        _select_code_page(p, config)
        text, right = (
            printable(line.text, config.code_page),
            printable(line.right, config.code_page),
        )
        for row in fit(text, right, width):
            p.text(row + "\n")
    p.set(bold=False, normal_textsize=True)
    if receipt.qr:
        p.qr(receipt.qr, native=p.profile.supports("qrCode"), size=4)
    p.cut()
    return bytes(p.output)


class EscposPrinter:
    """A real receipt printer; every library or OS fault becomes PrinterUnavailable."""

    def __init__(self, config: PrinterConfig) -> None:
        self.config = config
        self.name = f"printer {config.kind.value}:{config.target}"

    def status(self) -> PrinterStatus:
        """Ask the printer how it is (UNKNOWN when it does not say)."""
        cfg = self.config
        return query_status(cfg.kind.value, cfg.target, cfg.baudrate, min(cfg.timeout_s, 0.5))

    def print_receipt(self, receipt: Receipt) -> bytes:
        """Print ``receipt``; raises PrinterUnavailable when the printer says it cannot.

        A printer that does not answer the status query is still tried: many report
        nothing, and the send itself fails if it is really gone.
        """
        data = render_receipt(receipt, self.config)
        if self.config.kind is not PrinterKind.FILE:
            st = self.status()
            if not st.state.can_print:
                raise PrinterUnavailable(
                    f"{self.name}: {st.detail}",
                    say("{printer}: {state}", printer=self.name, state=Words(st.state.value)),
                )
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
            elif cfg.kind is PrinterKind.USB:
                vid, _, pid = cfg.target.partition(":")
                dev = Usb(int(vid, 16), int(pid, 16), timeout=int(cfg.timeout_s * 1000))
            else:
                host, _, port = cfg.target.rpartition(":")
                dev = Network(host=host, port=int(port or 9100), timeout=cfg.timeout_s)
            dev.open()
            try:
                dev._raw(data)
            finally:
                dev.close()
        except (OSError, serial.SerialException, EscposError, ValueError, RuntimeError) as exc:
            # RuntimeError: python-escpos without pyusb, or libusb missing
            raise PrinterUnavailable(f"{self.name}: {exc}") from exc
