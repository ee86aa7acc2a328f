"""A camera as a code source: OpenCV VideoCapture on a device index or a video file.

Capture and decoding run in a worker thread; the checkout only receives Scans.
The same code seen again within ``repeat_s`` is reported once: a phone held in
front of the camera is one scan, not thirty a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import cv2

from agent.errors import ScannerUnavailable
from agent.model import Scan
from agent.ports import ErrorHandler, ScanHandler
from drivers.decode import decode
from drivers.threaded import ThreadedSource

REOPEN_DELAY_S = 1.0


@dataclass(frozen=True, slots=True)
class CameraConfig:
    source: str = ""  # "0" (a device index), "/dev/video2", or a video file; empty: none
    repeat_s: float = 3.0  # the same code within this many seconds is one scan
    width: int = 1280
    height: int = 720


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
                    for code in decode(frame, thorough=False):
                        if debounce.fresh(code.text, time.monotonic()):
                            on_scan(Scan(code.symbology, code.text, self.name, self._now()))
            finally:
                cap.release()
            if is_file:
                self.finished.set()
                return
            on_error(ScannerUnavailable(f"{self.name}: stopped delivering frames; reopening"))
            self._stop.wait(REOPEN_DELAY_S)
