from __future__ import annotations

import pytest

from agent.model import Symbology
from drivers.framing import MAX_FRAME, read_frame, split_frames


@pytest.mark.parametrize("term", [b"\r", b"\n", b"\r\n"])
def test_frames_split_on_any_line_ending(term: bytes) -> None:
    frames, rest = split_frames(b"2900000000018" + term + b"COFFEE" + term + b"MIL", b"\r")
    assert frames == [b"2900000000018", b"COFFEE"]
    assert rest == b"MIL"


def test_a_partial_frame_waits_for_the_rest() -> None:
    frames, rest = split_frames(b"29000000", b"\r")
    assert (frames, rest) == ([], b"29000000")
    frames, rest = split_frames(rest + b"00018\r", b"\r")
    assert frames == [b"2900000000018"]


def test_endless_noise_is_cut_so_the_next_read_survives() -> None:
    noise = bytes(range(1, 10)) * (MAX_FRAME // 5)
    frames, rest = split_frames(noise, b"\r")
    assert len(frames) == 1 and rest == b""
    frames, _ = split_frames(rest + b"COFFEE\r", b"\r")
    assert frames == [b"COFFEE"]


def test_without_a_terminator_only_endless_noise_is_cut_here() -> None:
    assert split_frames(b"2900000000018", b"") == ([], b"2900000000018")
    frames, rest = split_frames(b"x" * (MAX_FRAME + 1), b"")
    assert len(frames) == 1 and rest == b""


@pytest.mark.parametrize(
    ("frame", "prefix", "aim", "expected"),
    [
        (b"]E02900000000018", b"", True, (Symbology.EAN13, "2900000000018")),
        (b"]E459012341", b"", True, (Symbology.EAN8, "59012341")),
        (b"]C0GC0000000001", b"", True, (Symbology.CODE128, "GC0000000001")),
        (b"]Q1KQ1.C3.1.x", b"", True, (Symbology.QR, "KQ1.C3.1.x")),
        (b"]d2ABC", b"", True, (Symbology.DATAMATRIX, "ABC")),
        (b"COFFEE", b"", True, (Symbology.UNKNOWN, "COFFEE")),  # AIM off on the scanner
        (b"]E0123", b"", False, (Symbology.UNKNOWN, "]E0123")),  # AIM not configured
        (b"#]E02900000000018", b"#", True, (Symbology.EAN13, "2900000000018")),
        (b"MILK", b"#", False, (Symbology.UNKNOWN, "MILK")),  # prefix missing: still read
        (b"]Z9XYZ", b"", True, (Symbology.UNKNOWN, "]Z9XYZ")),  # unknown identifier kept
    ],
)
def test_prefix_and_aim_identifiers_are_read_off(
    frame: bytes, prefix: bytes, aim: bool, expected: tuple[Symbology, str]
) -> None:
    assert read_frame(frame, prefix, aim) == expected
