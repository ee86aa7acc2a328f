"""Reading codes off images and a camera (a video file stands in for the device)."""

from __future__ import annotations

import json
import queue
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from barcode import EAN13, Code128
from barcode.writer import ImageWriter

from agent.errors import KassaError
from agent.model import Scan, Symbology
from drivers.camera import CameraConfig, CameraScanner, Debouncer
from drivers.decode import decode
from drivers.phone_images import FRAME_H, FRAME_W, Look, looks, phone_screen
from tests.sync.test_e2e import kassa

TOKEN_A = "KQ1.C3.1795447555.CusSpC4xRri_JXZQfPmZOQ." + "W" * 86
TOKEN_B = "KQ1.C1.1795447600.AAAAAAAAAAAAAAAAAAAAAA." + "Q" * 86


def now() -> datetime:
    return datetime(2026, 11, 24, 9, tzinfo=UTC)


def barcode_image(kind: type, data: str) -> np.ndarray:
    from io import BytesIO

    buf = BytesIO()
    kind(data, writer=ImageWriter()).write(buf)
    return cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)


@pytest.mark.parametrize("i", range(0, 12))
def test_phone_screens_with_mild_trouble_are_read(i: int) -> None:
    look = looks(12)[i]
    look = Look(max(look.module_px, 4), look.tilt, look.blur_sigma / 3, look.glare, look.moire)
    codes = decode(phone_screen(TOKEN_A, look, seed=i))
    assert [(c.text, c.symbology) for c in codes] == [(TOKEN_A, Symbology.QR)]


def test_loyalty_cards_as_ean13_and_code128_are_read() -> None:
    ean = decode(barcode_image(EAN13, "290000000001"), max_width=None)
    assert [(c.text, c.symbology) for c in ean] == [("2900000000018", Symbology.EAN13)]
    c128 = decode(barcode_image(Code128, "2900000000018"), max_width=None)
    assert [(c.text, c.symbology) for c in c128] == [("2900000000018", Symbology.CODE128)]


def test_an_image_without_a_code_reads_nothing() -> None:
    assert decode(np.full((720, 1280), 128, np.uint8)) == []


def test_the_same_code_within_the_window_is_one_scan() -> None:
    d = Debouncer(3.0)
    assert d.fresh("A", 0.0) and not d.fresh("A", 1.0) and not d.fresh("A", 2.9)
    assert d.fresh("B", 3.0) and d.fresh("A", 7.0)


def write_video(path: Path, segments: list[tuple[str | None, int]]) -> None:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30, (FRAME_W, FRAME_H))
    assert out.isOpened()
    for i, (text, n) in enumerate(segments):
        frame = (
            phone_screen(text, Look(module_px=6), seed=i)
            if text
            else np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
        )
        for _ in range(n):
            out.write(frame)
    out.release()


def test_a_camera_reports_each_code_held_up_once(tmp_path: Path) -> None:
    video = tmp_path / "counter.avi"
    write_video(video, [(None, 5), (TOKEN_A, 12), (None, 3), (TOKEN_B, 12), (TOKEN_A, 6)])
    cam = CameraScanner(CameraConfig(str(video), repeat_s=60), now)
    scans: queue.Queue[Scan] = queue.Queue()
    errors: queue.Queue[KassaError] = queue.Queue()
    cam.start(scans.put, errors.put)
    assert cam.finished.wait(60)
    cam.stop()
    got = [scans.get_nowait().text for _ in range(scans.qsize())]
    assert got == [TOKEN_A, TOKEN_B]  # A shown again within the window: not a new scan
    assert cam.frames == 38 and errors.empty()


def test_a_camera_that_cannot_be_opened_is_reported_not_raised(tmp_path: Path) -> None:
    cam = CameraScanner(CameraConfig(str(tmp_path / "no-such.avi")), now)
    errors: queue.Queue[KassaError] = queue.Queue()
    cam.start(lambda scan: None, errors.put)
    err = errors.get(timeout=10)
    cam.stop()
    assert "cannot be opened" in str(err)


def test_kassa_decode_prints_one_json_line_per_image(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "phone.png"), phone_screen(TOKEN_B, Look(), 3))
    cv2.imwrite(str(tmp_path / "card.png"), barcode_image(EAN13, "290000000001"))
    (tmp_path / "notes.txt").write_text("not an image")
    paths = [str(tmp_path / n) for n in ("phone.png", "card.png", "notes.txt")]
    out = kassa("decode", "--json", *paths)
    lines = [json.loads(ln) for ln in out.stdout.splitlines()]
    assert lines[0] == {"path": paths[0], "codes": [{"text": TOKEN_B, "symbology": "QR"}]}
    assert lines[1]["codes"] == [{"text": "2900000000018", "symbology": "EAN-13"}]
    assert lines[2]["codes"] == [] and "error" in lines[2]
    assert out.returncode == 1  # one of them was not an image
