"""Pure byte framing for serial scanners: no port in here."""

from __future__ import annotations

from agent.model import Symbology

MAX_FRAME = 512

# AIM symbology identifiers (ISO/IEC 15424): "]" + code character + modifier. Scanners
# send them ahead of the data when configured to; the code character names the symbology.
AIM_CODES: dict[str, Symbology] = {
    "E": Symbology.EAN13,  # ]E0 EAN-13 (and UPC-A as EAN-13), ]E4 EAN-8: see the modifier
    "C": Symbology.CODE128,  # ]C0 Code 128, ]C1 GS1-128
    "A": Symbology.CODE39,
    "I": Symbology.ITF,
    "Q": Symbology.QR,
    "d": Symbology.DATAMATRIX,
    "L": Symbology.PDF417,
}


def split_frames(buf: bytes, terminator: bytes = b"\r") -> tuple[list[bytes], bytes]:
    """Split ``buf`` into complete frames and the unterminated rest.

    CR, LF and CRLF all end a frame when ``terminator`` is CR or LF, so a scanner
    configured either way is read right. With no terminator (b"") nothing ends a
    frame here: the reader ends it when the line goes quiet. A rest longer than
    MAX_FRAME bytes with no terminator is line noise: it is returned as a frame of
    its own (the core refuses it) so the next good read is not lost behind it.
    """
    if not terminator:
        if len(buf) > MAX_FRAME:
            return [buf], b""
        return [], buf
    if terminator in (b"\r", b"\n", b"\r\n"):
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        terminator = b"\n"
    *frames, rest = buf.split(terminator)
    out = [f for f in frames if f]
    if len(rest) > MAX_FRAME:
        out.append(rest)
        rest = b""
    return out, rest


def frame_text(frame: bytes) -> str:
    """Return a frame as text; latin-1 never fails, so garbage reaches the core to be refused."""
    return frame.decode("latin-1")


def read_frame(frame: bytes, prefix: bytes = b"", aim: bool = False) -> tuple[Symbology, str]:
    """Return the symbology and the data of one frame.

    A configured ``prefix`` is removed where present. With ``aim``, a leading AIM
    identifier (``]E0``, ``]C0``, ``]Q1``...) is removed and names the symbology; a
    frame without one is still read, as UNKNOWN, so a rescan is never needed.
    """
    if prefix and frame.startswith(prefix):
        frame = frame[len(prefix) :]
    symbology = Symbology.UNKNOWN
    if aim and len(frame) >= 3 and frame[:1] == b"]":
        code, modifier = chr(frame[1]), chr(frame[2])
        if code in AIM_CODES:
            symbology = AIM_CODES[code]
            if code == "E" and modifier == "4":
                symbology = Symbology.EAN8
            frame = frame[3:]
    return symbology, frame_text(frame)


class Framer:
    """A scanner's byte stream in, its reads out: framing and reading together, no port.

    ``feed`` takes the bytes as they arrive, in any chunks, and returns the reads they
    complete; ``quiet`` says the line went quiet (which ends a frame when the scanner
    sends no terminator); ``drop`` forgets a frame cut by an unplugged cable, so the
    next read is not glued onto it.
    """

    def __init__(self, terminator: bytes = b"\r", prefix: bytes = b"", aim: bool = False) -> None:
        self.terminator = terminator
        self.prefix = prefix
        self.aim = aim
        self.rest = b""

    def feed(self, chunk: bytes) -> list[tuple[Symbology, str]]:
        frames, self.rest = split_frames(self.rest + chunk, self.terminator)
        return [read_frame(f, self.prefix, self.aim) for f in frames]

    def quiet(self) -> list[tuple[Symbology, str]]:
        if self.terminator or not self.rest:
            return []
        frame, self.rest = self.rest, b""
        return [read_frame(frame, self.prefix, self.aim)]

    def drop(self) -> None:
        self.rest = b""
