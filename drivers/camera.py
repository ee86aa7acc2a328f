"""A camera as a code source: OpenCV VideoCapture on a device index or a video file.

Capture and decoding run in a worker thread; the checkout only receives Scans.
The same code seen again within ``repeat_s`` is reported once: a phone held in
front of the camera is one scan, not thirty a second.

A frame the plain decode reads nothing in, but that has a region worth a look, may
get the retry ladder (drivers/retry.py) within ``RetryBudget``: the ladder has at
most ``retry_share`` of the camera thread's time, in slots of ``retry_s`` on one
frame, so the frame rate holds (zxing-cpp keeps Python's lock while it reads: a
second thread would slow the plain decode as much).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np

from agent.errors import ScannerUnavailable
from agent.model import Scan
from agent.ports import ErrorHandler, ScanHandler
from drivers.decode import Code, grey_of, prepare, read_plain, retry_codes, unique
from drivers.threaded import ThreadedSource

REOPEN_DELAY_S = 1.0


@dataclass(frozen=True, slots=True)
class CameraConfig:
    source: str = ""  # "0" (a device index), "/dev/video2", or a video file; empty: none
    repeat_s: float = 3.0  # the same code within this many seconds is one scan
    width: int = 1280
    height: int = 720
    retry_share: float = 0.25  # at most this share of the camera's time on second tries
    retry_s: float = 0.1  # one frame's second tries stop after this long


class RetryBudget:
    """How much time the retry ladder may spend now: it earns ``share`` of every
    second the camera runs and spends what it takes; a hard frame gets a slot of
    ``slot_s`` whenever the ladder has a whole slot in hand (so some frames, not all).
    It starts with one: the first hard frame is tried at once."""

    def __init__(self, share: float, slot_s: float) -> None:
        self.share = share
        self.slot_s = slot_s
        self.credit = slot_s
        self.spent_s = 0.0  # all the ladder has taken (for `kassa bench`)

    def earn(self, elapsed_s: float) -> None:
        self.credit = min(self.credit + self.share * elapsed_s, 2 * self.slot_s)

    def grant(self) -> float:
        """The seconds a hard frame may have now: a slot, or 0 until one is earned."""
        return self.slot_s if self.share > 0 and self.credit >= self.slot_s else 0.0

    def spend(self, spent_s: float) -> None:
        self.credit -= spent_s
        self.spent_s += spent_s


def read_frame(
    frame: np.ndarray, budget: RetryBudget, clock: Callable[[], float] = time.perf_counter
) -> list[Code]:
    """The camera's decode of one frame (``decode(frame, thorough=False)``), and the
    retry ladder when that reads nothing and the budget grants a slot."""
    full = grey_of(frame)
    grey = prepare(full)
    codes = read_plain(grey, thorough=False)
    slot = budget.grant()
    if not codes and slot:
        t0 = clock()
        codes = retry_codes(full, grey, slot, clock)
        budget.spend(clock() - t0)
    return unique(codes)


class Debouncer:
    """Says whether a code is new: not seen within ``window_s`` (monotonic seconds)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._last: dict[str, float] = {}

    def fresh(self, text: str, now_s: float) -> bool:
        last = self._last.get(text)
        self._last = {k: t for k, t in self._last.items() if now_s - t < self.window_s}
        self._last[text] = now_s
        return last is None or now_s - last >= self.window_s


class CameraScanner(ThreadedSource):
    join_timeout_s = 5.0

    def __init__(self, config: CameraConfig, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.config = config
        self.name = f"camera {config.source}"
        self._now = now
        self.frames = 0  # frames read and decoded (for `kassa bench`)
        self.budget = RetryBudget(config.retry_share, config.retry_s)
        self.finished = threading.Event()  # a video file has been read to its end

    def _source(self) -> int | str:
        s = self.config.source
        return int(s) if s.isdigit() else s

    def _open(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self._source())
        if isinstance(self._source(), int):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        return cap

    def _run(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        debounce = Debouncer(self.config.repeat_s)
        budget = self.budget
        last = time.perf_counter()
        is_file = not isinstance(self._source(), int) and not str(self._source()).startswith(
            "/dev/"
        )
        while not self._stop.is_set():
            cap = self._open()
            if not cap.isOpened():
                on_error(ScannerUnavailable(f"{self.name}: cannot be opened"))
                self._stop.wait(REOPEN_DELAY_S)
                continue
            try:
                while not self._stop.is_set():
                    ok, frame = cap.read()
                    if not ok:
                        break
                    self.frames += 1
                    now_s = time.perf_counter()
                    budget.earn(now_s - last)
                    last = now_s
                    for code in read_frame(frame, budget):
                        if debounce.fresh(code.text, time.monotonic()):
                            on_scan(Scan(code.symbology, code.text, self.name, self._now()))
            finally:
                cap.release()
            if is_file:
                self.finished.set()
                return
            on_error(ScannerUnavailable(f"{self.name}: stopped delivering frames; reopening"))
            self._stop.wait(REOPEN_DELAY_S)
