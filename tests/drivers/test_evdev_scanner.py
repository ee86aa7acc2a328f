"""Keyboard-wedge scanners read through evdev: key events back to text, per layout.

The device end (open, grab, read) needs a real input device; the events it yields
are fed here exactly as evdev delivers them: (EV_KEY, code, value) with value 1 for
a press, 0 for a release, 2 for autorepeat, and other event types between them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.model import Scan
from drivers.evdev_scanner import EV_KEY, EvdevScanner
from drivers.keymap import KeyDecoder

EV_SYN, EV_MSC = 0, 4
SHIFT = 42
ENTER, KPENTER = 28, 96
# US key codes of the characters a scanner types
CODES = {**{str(d): 2 + (d - 1) % 10 for d in range(10)}, "G": 34, "C": 46, "K": 37, "Q": 16}
CODES.update({"-": 12, ".": 52, "Z": 44, "Y": 21, "A": 30, "M": 50})


def typed(text: str, shifted: str = "", enter: int = ENTER) -> list[tuple[int, int, int]]:
    """The events a US-layout scanner sends typing ``text`` (capitals with Shift)."""
    out: list[tuple[int, int, int]] = []
    for ch in text:
        code = CODES[ch.upper()]
        shift = ch.isupper() or ch in shifted
        if shift:
            out.append((EV_KEY, SHIFT, 1))
        out += [(EV_MSC, 4, 458782), (EV_KEY, code, 1), (EV_SYN, 0, 0), (EV_KEY, code, 0)]
        if shift:
            out.append((EV_KEY, SHIFT, 0))
    return [*out, (EV_KEY, enter, 1), (EV_KEY, enter, 0)]


def now() -> datetime:
    return datetime(2026, 11, 24, 9, tzinfo=UTC)


def read(events: list[tuple[int, int, int]], layout: str = "us") -> list[str]:
    scans: list[Scan] = []
    EvdevScanner("/dev/kassa-scanner", now, layout).deliver(events, scans.append)
    return [s.text for s in scans]


def test_a_card_and_a_gift_card_typed_by_the_scanner() -> None:
    events = typed("2900000000018") + typed("GC0000000001", enter=KPENTER)
    assert read(events) == ["2900000000018", "GC0000000001"]


def test_autorepeat_and_releases_type_nothing() -> None:
    events = [(EV_KEY, 3, 1), (EV_KEY, 3, 2), (EV_KEY, 3, 2), (EV_KEY, 3, 0), (EV_KEY, 28, 1)]
    assert read(events) == ["2"]


def test_the_scanners_layout_maps_keys_back() -> None:
    # A German scanner types "Y" with the key a US keyboard calls Z, and "-" with "/".
    de = [(EV_KEY, SHIFT, 1), (EV_KEY, 44, 1), (EV_KEY, SHIFT, 0), (EV_KEY, 53, 1)]
    assert read([*de, (EV_KEY, 28, 1)], "de") == ["Y-"]
    # A French (AZERTY) scanner types digits with Shift held.
    fr = [(EV_KEY, SHIFT, 1), (EV_KEY, 3, 1), (EV_KEY, 4, 1), (EV_KEY, SHIFT, 0), (EV_KEY, 3, 1)]
    assert read([*fr, (EV_KEY, 28, 1)], "fr") == ["23é"]


def test_a_key_with_no_character_spoils_the_frame_for_the_core_to_refuse() -> None:
    frame = read([(EV_KEY, 59, 1), (EV_KEY, 3, 1), (EV_KEY, 28, 1)])  # F1, then 2
    assert frame == ["\ufffd2"]


def test_capslock_and_an_empty_enter() -> None:
    d = KeyDecoder()
    assert d.feed(28, 1) is None  # Enter alone is not a scan
    d.feed(58, 1)  # Caps Lock on
    for code in (34, 46, 3):
        d.feed(code, 1)
    assert d.feed(28, 1) == "GC2"


def test_an_unknown_layout_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="layout"):
        EvdevScanner("/dev/x", now, "klingon")


def test_a_missing_device_is_reported_not_raised() -> None:
    import queue

    errors: queue.Queue[object] = queue.Queue()
    scanner = EvdevScanner("/dev/no-such-kassa-scanner", now)
    scanner.start(lambda s: None, errors.put)
    err = errors.get(timeout=5)
    scanner.stop()
    assert "no-such-kassa-scanner" in str(err)
