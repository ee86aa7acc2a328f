"""Decode ESC/POS bytes back to the text a customer reads (pure; no printer here).

Tests and the receipt preview use this to check what was printed, per code page.
Commands are skipped by their length; an unknown command is an error, so a test
notices bytes it cannot account for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS = 0x1B, 0x1D, 0x1C

# ESC commands with a fixed number of parameter bytes.
_ESC_ARGS = {
    0x40: 0,
    0x74: 1,
    0x45: 1,
    0x2D: 1,
    0x61: 1,
    0x21: 1,
    0x4D: 1,
    0x64: 1,
    0x47: 1,
    0x7B: 1,
    0x32: 0,
    0x33: 1,
    0x70: 3,
    0x4A: 1,
    0x52: 1,
    0x56: 1,
}
_GS_ARGS = {0x21: 1, 0x42: 1, 0x62: 1, 0x48: 1, 0x68: 1, 0x77: 1, 0x66: 1, 0x4C: 2, 0x57: 2}


def python_codec(name: str) -> str:
    """Map a python-escpos code page name ('CP866', 'ISO_8859-2') to a Python codec."""
    return name.lower().replace("iso_", "iso").replace("_", "-")


@dataclass(frozen=True, slots=True)
class Raster:
    """A GS v 0 raster image: ``width_bytes`` * 8 dots wide, one bit a dot, 1 = black."""

    width_bytes: int
    height: int
    data: bytes


@dataclass
class Decoded:
    text: str
    qr_codes: list[str] = field(default_factory=list)
    images: int = 0
    cuts: int = 0
    rasters: list[Raster] = field(default_factory=list)


def decode_escpos(
    data: bytes, code_pages: dict[int, str], forgets_code_page: bool = False
) -> Decoded:
    """Return the text in ``data``; ``code_pages`` maps ESC t slots to code page names.

    With ``forgets_code_page`` it reads as the cheap printers do that fall back to
    slot 0 at every reset (ESC @) and print mode change (ESC !): what such a printer
    prints is what a customer reads.
    """
    out: list[str] = []
    qrs: list[str] = []
    rasters: list[Raster] = []
    images = cuts = 0
    default = python_codec(code_pages.get(0, "CP437"))
    codec = default
    run = bytearray()

    def flush() -> None:
        if run:
            out.append(run.decode(codec, errors="replace"))
            run.clear()

    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == ESC and i + 1 < n:
            cmd = data[i + 1]
            if cmd not in _ESC_ARGS:
                raise ValueError(f"unknown command ESC 0x{cmd:02x} at byte {i}")
            if cmd == 0x74:
                flush()
                slot = data[i + 2]
                if slot not in code_pages:
                    raise ValueError(f"code page slot {slot} not in the printer profile")
                codec = python_codec(code_pages[slot])
            elif cmd == 0x64:
                flush()
                out.append("\n" * data[i + 2])
            elif cmd in (0x40, 0x21) and forgets_code_page:
                flush()
                codec = default
            i += 2 + _ESC_ARGS[cmd]
        elif b == GS and i + 1 < n:
            cmd = data[i + 1]
            if cmd == 0x56:  # cut: GS V m, or GS V m n for m >= 65
                cuts += 1
                i += 3 if data[i + 2] < 65 else 4
            elif cmd == 0x28 and data[i + 2] == 0x6B:  # GS ( k pL pH cn fn ...
                length = data[i + 3] + 256 * data[i + 4]
                payload = data[i + 5 : i + 5 + length]
                if payload[:2] == b"1P":  # store QR data: cn=49 fn=80 m=48
                    qrs.append(payload[3:].decode("utf-8", errors="replace"))
                i += 5 + length
            elif cmd == 0x76 and data[i + 2] == 0x30:  # GS v 0 m xL xH yL yH raster
                flush()
                width = data[i + 4] + 256 * data[i + 5]
                height = data[i + 6] + 256 * data[i + 7]
                images += 1
                rasters.append(Raster(width, height, data[i + 8 : i + 8 + width * height]))
                i += 8 + width * height
            elif cmd in _GS_ARGS:
                i += 2 + _GS_ARGS[cmd]
            else:
                raise ValueError(f"unknown command GS 0x{cmd:02x} at byte {i}")
        elif b in (0x0A, 0x0D) or b >= 0x20:
            if b != 0x0D:
                run.append(b)
            i += 1
        else:
            i += 1  # other control bytes carry no text
    flush()
    return Decoded("".join(out), qrs, images, cuts, rasters)
