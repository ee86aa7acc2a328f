"""Keyboard-wedge scanners read as key events: key codes back to the characters typed.

Pure: Linux input key codes (linux/input-event-codes.h) in, frames of text out. A
scanner types its data and Enter; it types through a keyboard layout (set on the
scanner, matching the store's), so the same layout maps the codes back.
"""

from __future__ import annotations

ENTER_KEYS = {28, 96}  # KEY_ENTER, KEY_KPENTER
SHIFT_KEYS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
CAPSLOCK = 58
KEY_DOWN, KEY_UP, KEY_REPEAT = 1, 0, 2

_ROWS = {  # key code -> (plain, shifted) on a US keyboard
    **{c: (d, s) for c, d, s in zip(range(2, 12), "1234567890", "!@#$%^&*()", strict=True)},
    12: ("-", "_"),
    13: ("=", "+"),
    **{c: (ch, ch.upper()) for c, ch in zip(range(16, 26), "qwertyuiop", strict=True)},
    26: ("[", "{"),
    27: ("]", "}"),
    **{c: (ch, ch.upper()) for c, ch in zip(range(30, 39), "asdfghjkl", strict=True)},
    39: (";", ":"),
    40: ("'", '"'),
    41: ("`", "~"),
    43: ("\\", "|"),
    **{c: (ch, ch.upper()) for c, ch in zip(range(44, 51), "zxcvbnm", strict=True)},
    51: (",", "<"),
    52: (".", ">"),
    53: ("/", "?"),
    57: (" ", " "),
    # the numeric keypad (scanners set to "alt" or keypad mode type digits here)
    **{
        c: (d, d)
        for c, d in zip((71, 72, 73, 75, 76, 77, 79, 80, 81, 82), "7894561230", strict=True)
    },
    55: ("*", "*"),
    74: ("-", "-"),
    78: ("+", "+"),
    83: (".", "."),
    98: ("/", "/"),
}


def _layout(changes: dict[int, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    return {**_ROWS, **changes}


LAYOUTS: dict[str, dict[int, tuple[str, str]]] = {
    "us": _ROWS,
    "pl": _ROWS,  # Polish (programmer's): the US keys, AltGr adds the diacritics
    "de": _layout(  # QWERTZ
        {
            21: ("z", "Z"),
            44: ("y", "Y"),
            3: ("2", '"'),
            4: ("3", "§"),
            7: ("6", "&"),
            8: ("7", "/"),
            9: ("8", "("),
            10: ("9", ")"),
            11: ("0", "="),
            12: ("ß", "?"),
            53: ("-", "_"),
            51: (",", ";"),
            52: (".", ":"),
        }
    ),
    "fr": _layout(  # AZERTY: the top row types digits with Shift
        {
            **{
                c: (p, d) for c, p, d in zip(range(2, 12), "&é\"'(-è_çà", "1234567890", strict=True)
            },
            16: ("a", "A"),
            17: ("z", "Z"),
            30: ("q", "Q"),
            44: ("w", "W"),
            39: ("m", "M"),
            50: (",", "?"),
            51: (";", "."),
            52: (":", "/"),
        }
    ),
}


class KeyDecoder:
    """Turns key events into frames: feed each (code, value); Enter completes a frame."""

    def __init__(self, layout: str = "us") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"scanner.layout: one of {', '.join(sorted(LAYOUTS))}")
        self.keys = LAYOUTS[layout]
        self.shift = False
        self.caps = False
        self.buf: list[str] = []

    def feed(self, code: int, value: int) -> str | None:
        """Take one key event; return the frame when Enter ends one, else None."""
        if code in SHIFT_KEYS:
            self.shift = value != KEY_UP
            return None
        if value != KEY_DOWN:
            return None  # key up, autorepeat: a scanner types each character once
        if code == CAPSLOCK:
            self.caps = not self.caps
            return None
        if code in ENTER_KEYS:
            frame, self.buf = "".join(self.buf), []
            return frame or None
        pair = self.keys.get(code)
        if pair is None:
            self.buf.append("\ufffd")  # a key with no character: the frame gets refused
            return None
        plain, shifted = pair
        upper = self.shift != (self.caps and plain.isalpha())
        self.buf.append(shifted if upper else plain)
        return None
