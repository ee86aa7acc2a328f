"""The serial scanner over loop:// and over a real pty pair, as a USB-serial scanner sends."""

from __future__ import annotations

import os
import queue
import time
from datetime import UTC, datetime

from agent.errors import KassaError
from agent.model import Scan
from drivers.serial_scanner import SerialScanner


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
