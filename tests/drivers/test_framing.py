from __future__ import annotations

import pytest

from drivers.framing import MAX_FRAME, split_frames


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
