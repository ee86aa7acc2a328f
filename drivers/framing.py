"""Pure byte framing for serial scanners: no port in here."""

from __future__ import annotations

MAX_FRAME = 512


def split_frames(buf: bytes, terminator: bytes = b"\r") -> tuple[list[bytes], bytes]:
    """Split ``buf`` into complete frames and the unterminated rest.

    CR, LF and CRLF all end a frame when ``terminator`` is CR or LF, so a scanner
    configured either way is read right. A rest longer than MAX_FRAME bytes with
    no terminator is line noise: it is returned as a frame of its own (the core
    refuses it) so the next good read is not lost behind it.
    """
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
