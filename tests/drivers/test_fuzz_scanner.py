"""Fuzz: whatever bytes a scanner line carries, framing never raises, never loses a byte,
reads the same however the bytes are chunked, and the serial scanner's thread lives on.

Size and seed: :mod:`tests.fuzz`.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import KassaError
from agent.model import Scan, Symbology
from drivers.framing import MAX_FRAME, Framer, read_frame, split_frames
from drivers.serial_scanner import ScannerConfig, SerialScanner
from tests.fuzz import fuzz, ran

LINE_ENDS = (b"\r", b"\n", b"\r\n")
terminators = st.sampled_from([*LINE_ENDS, b"", b"\x03", b"\x1d\x04"])
line_bytes = st.one_of(
    st.binary(max_size=2 * MAX_FRAME),
    st.lists(
        st.sampled_from([b"\r", b"\n", b"]E0", b"]Q1", b"]", b"#", b"2900000000018", b"\xff\x00"]),
        max_size=40,
    ).map(b"".join),
)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in pairwise(points)]


@fuzz()
@given(line_bytes, terminators, st.binary(max_size=3), st.booleans())
def test_split_frames_loses_nothing_and_raises_nothing(
    data: bytes, terminator: bytes, prefix: bytes, aim: bool
) -> None:
    ran("split_frames/read_frame(bytes)")
    frames, rest = split_frames(data, terminator)
    assert all(frames) and all(isinstance(f, bytes) for f in frames)
    if terminator in LINE_ENDS:
        expected = data.replace(b"\r", b"").replace(b"\n", b"")
    else:
        expected = data.replace(terminator, b"") if terminator else data
    assert b"".join(frames) + rest == expected  # every byte kept, in order
    assert len(rest) <= MAX_FRAME
    for frame in frames:
        symbology, text = read_frame(frame, prefix, aim)
        assert isinstance(symbology, Symbology) and isinstance(text, str)


@fuzz()
@given(line_bytes, st.sampled_from(LINE_ENDS), st.lists(st.integers(0, 4 * MAX_FRAME)))
def test_the_reads_do_not_depend_on_how_the_bytes_arrive(
    data: bytes, terminator: bytes, cuts: list[int]
) -> None:
    ran("Framer.feed(bytes in chunks)")
    at_once = Framer(terminator, b"#", aim=True)
    whole = at_once.feed(data)
    chunked = Framer(terminator, b"#", aim=True)
    pieces = [read for chunk in _chunks(data, cuts) for read in chunked.feed(chunk)]
    longest = max((len(s) for s in data.replace(b"\n", b"\r").split(b"\r")), default=0)
    if longest <= MAX_FRAME:  # only endless noise is cut where a chunk happens to end
        assert pieces == whole and chunked.rest == at_once.rest
    assert chunked.quiet() == []  # with a terminator, quiet ends nothing


@pytest.fixture(scope="module")
def loop_scanner() -> Iterator[tuple[SerialScanner, queue.Queue[Scan], queue.Queue[KassaError]]]:
    scanner = SerialScanner(
        ScannerConfig("loop://", prefix="#", aim=True), lambda: datetime(2026, 11, 24, tzinfo=UTC)
    )
    scans: queue.Queue[Scan] = queue.Queue()
    errors: queue.Queue[KassaError] = queue.Queue()
    scanner.start(scans.put, errors.put)
    assert scanner.opened.wait(5)
    yield scanner, scans, errors
    scanner.stop()


@fuzz(share=0.2)
@given(line_bytes, st.integers(0, 10**9))
def test_the_serial_scanner_reads_on_after_any_bytes(
    loop_scanner: tuple[SerialScanner, queue.Queue[Scan], queue.Queue[KassaError]],
    data: bytes,
    n: int,
) -> None:
    ran("SerialScanner(loop://, bytes)")
    scanner, scans, errors = loop_scanner
    assert scanner._port is not None
    marker = f"END{n}"
    scanner._port.write(data + b"\r" + marker.encode() + b"\r")
    while (scan := scans.get(timeout=5)).text != marker:
        assert isinstance(scan.text, str)
    assert errors.empty()
    assert scanner._thread is not None and scanner._thread.is_alive()


def test_a_prefix_no_serial_line_carries_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="prefix"):
        SerialScanner(ScannerConfig("loop://", prefix="№"), lambda: datetime.now(UTC))
