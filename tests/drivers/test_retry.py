"""The retry ladder on hard frames: each step reads a generated frame the plain decode
misses; nothing is read where there is no code, and nothing wrong anywhere."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import pytest
from barcode import Code39
from barcode.writer import ImageWriter

from agent.errors import KassaError
from agent.model import Scan, Symbology
from drivers.camera import CameraConfig, CameraScanner, RetryBudget, read_frame
from drivers.decode import decode
from drivers.phone_images import FRAME_H, FRAME_W, Look, looks, phone_screen
from drivers.retry import STEPS, regions, retry
from tests.drivers.test_camera import now
from tests.sync.test_e2e import kassa

TOKEN = "KQ1.C3.1795447555.CusSpC4xRri_JXZQfPmZOQ." + "W" * 86
PLENTY_S = 60.0  # a budget no step reaches on any machine: these tests assert reads


def generated(i: int, dark: bool = False) -> tuple[str, np.ndarray]:
    """Image ``i`` of `kassa bench`'s generated set of 120 (ui/tools/bench_devices.py);
    ``dark``: the same phone with its app in dark mode (not in the set)."""
    text = f"{TOKEN[:-3]}{i:03d}"
    return text, phone_screen(text, replace(looks(120)[i], dark=dark), seed=i)


def grey(image: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))


# The first step of the ladder that reads each frame; the steps before it do not.
HARD = {
    "upscale": 102,  # 2-pixel modules under glare
    "sharpen": 46,  # 2-pixel modules, tilted and out of focus
    "upscale+sharpen": 91,  # the same, further tilted
    "binarise": 48,  # 2-pixel modules, out of focus, under glare
    "invert+binarise": 48,  # the same in dark mode
}
DARK = {"invert+binarise"}


def test_every_step_of_the_ladder_has_a_hard_frame_here() -> None:
    assert list(HARD) == [name for name, _ in STEPS]


@pytest.mark.parametrize("step", list(HARD))
def test_a_ladder_step_reads_a_hard_frame_the_plain_decode_misses(step: str) -> None:
    text, image = generated(HARD[step], dark=step in DARK)
    assert decode(image, max_width=None) == []  # zxing-cpp and pyzbar, full size
    reads = retry(grey(image), PLENTY_S)
    assert [(r.text, r.symbology, r.step) for r in reads] == [(text, Symbology.QR, step)]
    codes = decode(image, max_width=None, retry_s=PLENTY_S)  # `kassa decode`
    assert [(c.text, c.symbology, c.step) for c in codes] == [(text, Symbology.QR, step)]
    camera = decode(image, thorough=False, retry_s=PLENTY_S)  # a camera frame given a slot
    assert [c.text for c in camera] == [text]


@pytest.mark.parametrize("i", [HARD["upscale"], HARD["sharpen"], HARD["upscale+sharpen"]])
def test_a_hard_phone_in_dark_mode_is_read_too(i: int) -> None:
    text, image = generated(i, dark=True)
    assert decode(image, max_width=None) == []
    assert [c.text for c in decode(image, max_width=None, retry_s=PLENTY_S)] == [text]


def garbage() -> Iterator[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    yield "noise", rng.integers(0, 256, (FRAME_H, FRAME_W), dtype=np.uint8)
    yield (
        "coarse noise",
        cv2.resize(
            rng.integers(0, 256, (FRAME_H // 6, FRAME_W // 6), dtype=np.uint8),
            (FRAME_W, FRAME_H),
            interpolation=cv2.INTER_NEAREST,
        ),
    )
    yield "checkerboard", ((np.indices((FRAME_H, FRAME_W)) // 3).sum(0) % 2 * 255).astype(np.uint8)
    yield "stripes", np.tile(((np.arange(FRAME_W) // 4) % 2 * 255).astype(np.uint8), (FRAME_H, 1))
    blank = grey(phone_screen("x", Look(module_px=6), seed=2))
    ys, xs = np.nonzero(blank < 128)
    screen = blank.copy()  # the phone with its screen lit and the code painted over
    screen[blank < 128] = 235
    screen[: ys.min()], screen[ys.max() :] = blank[: ys.min()], blank[ys.max() :]
    screen[:, : xs.min()], screen[:, xs.max() :] = blank[:, : xs.min()], blank[:, xs.max() :]
    yield "phone without code", screen
    yield "flat", np.full((FRAME_H, FRAME_W), 90, np.uint8)


@pytest.mark.parametrize("name", [n for n, _ in garbage()])
def test_a_garbage_frame_reads_nothing(name: str) -> None:
    image = dict(garbage())[name]
    assert retry(image, PLENTY_S) == []
    middle = (FRAME_W // 2 - 200, FRAME_H // 2 - 200, FRAME_W // 2 + 200, FRAME_H // 2 + 200)
    assert retry(image, PLENTY_S, where=[middle]) == []  # every step on the garbage
    assert decode(image, max_width=None, retry_s=PLENTY_S) == []
    assert read_frame(image, RetryBudget(1.0, PLENTY_S)) == []


# The generated set's frames no step reads (too small, too blurred, washed out by
# glare): the whole ladder runs on each, and must read nothing rather than a wrong code.
UNREAD = [65, 72, 75, 84, 85, 101, 108, 116, 117]


@pytest.mark.parametrize("i", UNREAD)
def test_the_whole_ladder_on_a_lost_frame_reads_nothing_wrong(i: int) -> None:
    text, image = generated(i)
    assert {r.text for r in retry(grey(image), PLENTY_S)} <= {text}


def test_a_retry_takes_only_codes_that_correct_errors() -> None:
    buf = BytesIO()
    Code39("KASSA42", writer=ImageWriter(), add_checksum=False).write(buf)
    image = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [c.text for c in decode(image, max_width=None)] == ["KASSA42"]  # plain: read
    assert retry(image, PLENTY_S) == []  # Code 39 carries no check: never from a retry


def test_the_ladder_stops_when_its_budget_is_spent() -> None:
    _, image = generated(HARD["binarise"])
    ticks = iter(range(1000))
    steps_begun = retry(grey(image), 2.5, clock=lambda: float(next(ticks)))
    # the clock moves one second a look: the deadline (0 + 2.5) passes after two steps
    assert steps_begun == [] and next(ticks) == 4  # 1 at the start, 3 checks
    assert retry(grey(image), 0.0) == []


def test_the_retry_budget_grants_a_slot_from_its_share_of_the_time() -> None:
    budget = RetryBudget(share=0.25, slot_s=0.1)
    assert budget.grant() == 0.1  # the first hard frame is tried at once
    budget.spend(0.1)
    assert budget.grant() == 0.0
    budget.earn(0.2)
    assert budget.grant() == 0.0  # 0.05 s earned
    budget.earn(0.2)
    assert budget.grant() == 0.1
    budget.spend(0.12)  # a step may end a little after the slot
    budget.earn(0.4)
    assert budget.grant() == 0.0  # the overrun is paid back first
    budget.earn(100.0)  # a long quiet spell banks at most two slots
    assert budget.credit == pytest.approx(0.2)
    assert RetryBudget(0.0, 0.1).grant() == 0.0  # retries off


def test_the_ladder_keeps_to_its_share_of_the_cameras_time() -> None:
    """Frames of 10 ms, every one hard, each retry taking its whole slot and more:
    the retries' time stays within the share (plus the slots it may bank)."""
    budget = RetryBudget(share=0.25, slot_s=0.1)
    elapsed = retried = 0.0
    for _ in range(1000):
        budget.earn(0.01)
        elapsed += 0.01
        if slot := budget.grant():
            budget.spend(slot * 1.2)
            budget.earn(slot * 1.2)
            elapsed += slot * 1.2
            retried += slot * 1.2
    assert retried <= 0.25 * elapsed + 0.3 and retried > 0.2 * elapsed


def test_a_camera_frame_gets_the_ladder_only_with_a_slot() -> None:
    text, image = generated(HARD["sharpen"])
    spent = RetryBudget(0.25, 0.1)
    spent.spend(0.1)
    assert read_frame(image, spent) == []  # no slot in hand: the plain decode only
    granted = RetryBudget(1.0, PLENTY_S)
    assert [c.text for c in read_frame(image, granted)] == [text]
    assert granted.credit < PLENTY_S  # what the ladder took was spent


def test_a_camera_reads_a_phone_only_its_retries_read(tmp_path: Path) -> None:
    text, image = generated(HARD["upscale+sharpen"])
    assert decode(image, thorough=False) == []
    video = tmp_path / "far.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 30, (FRAME_W, FRAME_H))
    for _ in range(30):
        out.write(image)
    out.release()
    cam = CameraScanner(CameraConfig(str(video), repeat_s=60, retry_s=PLENTY_S), now)
    scans: queue.Queue[Scan] = queue.Queue()
    errors: queue.Queue[KassaError] = queue.Queue()
    cam.start(scans.put, errors.put)
    assert cam.finished.wait(120)
    cam.stop()
    assert [scans.get_nowait().text for _ in range(scans.qsize())] == [text]
    assert errors.empty()


def test_regions_find_the_phone_and_nothing_on_a_flat_or_noisy_frame() -> None:
    _, image = generated(HARD["upscale"])
    (x0, y0, x1, y1), *_ = regions(grey(image))
    dark = np.nonzero(grey(image)[y0:y1, x0:x1] < 60)  # the bezel and the modules
    assert dark[0].size > 1000
    assert regions(np.full((FRAME_H, FRAME_W), 90, np.uint8)) == []
    noise = np.random.default_rng(1).integers(0, 256, (FRAME_H, FRAME_W), dtype=np.uint8)
    # busy all over: texture, not a code to look closer at; at most a speck of it
    assert all((x1 - x0) * (y1 - y0) < FRAME_W * FRAME_H / 100 for x0, y0, x1, y1 in regions(noise))


def test_kassa_decode_reads_a_hard_photo(tmp_path: Path) -> None:
    text, image = generated(HARD["binarise"])
    cv2.imwrite(str(tmp_path / "hard.png"), image)
    out = kassa("decode", str(tmp_path / "hard.png"))
    assert out.stdout.strip() == f"{tmp_path / 'hard.png'}: QR: {text}"
    assert out.returncode == 0
