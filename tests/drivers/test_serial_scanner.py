"""The serial scanner over loop:// and over a real pty pair, as a USB-serial scanner sends."""

from __future__ import annotations

import os
import queue
import socket
import time
from datetime import UTC, datetime

import pytest

from agent.errors import KassaError
from agent.model import Scan, Symbology
from drivers.serial_scanner import ScannerConfig, SerialScanner


def now() -> datetime:
    return datetime(2026, 11, 24, 9, tzinfo=UTC)


def collect(scanner: SerialScanner) -> tuple[queue.Queue[Scan], queue.Queue[KassaError]]:
    scans: queue.Queue[Scan] = queue.Queue()
    errors: queue.Queue[KassaError] = queue.Queue()
    scanner.start(scans.put, errors.put)
    return scans, errors


def test_reads_frames_from_a_pty_like_a_usb_serial_scanner() -> None:
    master, slave = os.openpty()
    scanner = SerialScanner(os.ttyname(slave), now)
    scans, _ = collect(scanner)
    try:
        assert scanner.opened.wait(5)
        os.write(master, b"29000000")
        time.sleep(0.05)  # a frame split across two USB packets
        os.write(master, b"00018\r\x00\xff\xfegarbage\rCOFFEE\r")
        got = [scans.get(timeout=5).text for _ in range(3)]
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)
    assert got[0] == "2900000000018"
    assert got[2] == "COFFEE"  # the good read after the garbage is not lost
    assert got[1].endswith("garbage")


def test_reads_from_a_pyserial_url() -> None:
    scanner = SerialScanner("loop://", now)
    scans, _ = collect(scanner)
    try:
        assert scanner.opened.wait(5)
        assert scanner._port is not None
        scanner._port.write(b"MILK\r")
        assert scans.get(timeout=5).text == "MILK"
    finally:
        scanner.stop()


def test_a_missing_port_is_reported_not_raised() -> None:
    scanner = SerialScanner("/dev/does-not-exist-kassa", now)
    _, errors = collect(scanner)
    try:
        err = errors.get(timeout=5)
    finally:
        scanner.stop()
    assert err.title == "Scanner not answering"


def test_without_a_terminator_the_quiet_line_ends_the_frame() -> None:
    master, slave = os.openpty()
    config = ScannerConfig(os.ttyname(slave), terminator=b"", inter_char_timeout_s=0.1)
    scanner = SerialScanner(config, now)
    scans, _ = collect(scanner)
    try:
        assert scanner.opened.wait(5)
        os.write(master, b"2900000")
        time.sleep(0.02)  # a pause shorter than the timeout: the same read
        os.write(master, b"000018")
        first = scans.get(timeout=5).text
        os.write(master, b"COFFEE")
        second = scans.get(timeout=5).text
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)
    assert (first, second) == ("2900000000018", "COFFEE")


def test_parity_prefix_and_aim_identifiers_are_configured() -> None:
    config = ScannerConfig("loop://", baudrate=19200, parity="E", prefix="#", aim=True)
    scanner = SerialScanner(config, now)
    scans, _ = collect(scanner)
    try:
        assert scanner.opened.wait(5)
        assert scanner._port is not None and scanner._port.parity == "E"
        assert scanner._port.baudrate == 19200
        scanner._port.write(b"#]E02900000000018\r#]Q1KQ1.C3\r")
        got = [scans.get(timeout=5) for _ in range(2)]
    finally:
        scanner.stop()
    assert [(s.symbology, s.text) for s in got] == [
        (Symbology.EAN13, "2900000000018"),
        (Symbology.QR, "KQ1.C3"),
    ]


def test_a_bad_parity_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="parity"):
        SerialScanner(ScannerConfig("loop://", parity="X"), now)


def test_a_scanner_unplugged_and_plugged_back_is_reopened() -> None:
    """socket:// is a scanner behind a serial server: the link dropping is an unplug."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    scanner = SerialScanner(f"socket://127.0.0.1:{port}", now)
    scans, errors = collect(scanner)
    try:
        conn, _ = server.accept()
        assert scanner.opened.wait(5)  # pyserial drains the socket as it opens it
        conn.sendall(b"MILK\r")
        assert scans.get(timeout=5).text == "MILK"
        conn.sendall(b"29000")  # the cable is pulled in the middle of a read
        conn.close()
        assert "reconnecting" in str(errors.get(timeout=5))
        conn, _ = server.accept()  # plugged back in: kassa reopens by itself
        assert scanner.opened.wait(5)
        conn.sendall(b"COFFEE\r")
        assert scans.get(timeout=5).text == "COFFEE"  # the cut frame was not glued on
        conn.close()
    finally:
        scanner.stop()
        server.close()
