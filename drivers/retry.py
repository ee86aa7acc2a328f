"""Second tries on a hard frame: a ladder of image fixes, tried only when the plain
decode reads nothing, stopping at the first read, within a time budget.

The ladder looks only where a code may be: ``regions`` finds the busiest patches of
the frame (edges packed together: a code, a phone's screen) on a quarter-size copy,
and each step works on a crop of the full-resolution grey image there, so a step
costs a few milliseconds, not a whole upscaled frame. The steps, cheapest first:

- ``upscale``: twice the size (bicubic): modules of 2-3 pixels become 4-6;
- ``sharpen``: an unsharp mask at the crop's size, against a blurred frame;
- ``upscale+sharpen``: both, for small modules out of focus;
- ``binarise``: an adaptive (local Gaussian) threshold of the upscaled and sharpened
  crop, for glare and uneven light that a global threshold cannot split;
- ``invert+binarise``: the same on the inverted crop, for a light code on a dark
  screen (an app in dark mode), which the threshold's bias splits the wrong way.

zxing-cpp reads each step's image, trying rotations and inverted codes itself; a
perspective guess of our own (warping the screen's quadrilateral square) read
nothing those steps miss on the generated set, so it is not a step.

Only symbologies that carry Reed-Solomon error correction are taken from a retry
(QR, Data Matrix, PDF417): a sharpened or thresholded frame can show a 1D reader
stripes that spell a plausible number, and a misread is worse than none.
What a retry reads goes through the same checks as any scan (a phone token's
signature, a card's check digit) before the till acts on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from agent.model import Symbology

_LOOK_SCALE = 4  # regions are found on a copy this many times smaller
_MAX_REGIONS = 2
_MIN_REGION_PX = 24  # a region's shorter side at full size, at least
_MAX_REGION_SHARE = 0.4  # a busier region than this share of the frame is texture
_FORMATS = {
    zxingcpp.BarcodeFormat.QRCode: Symbology.QR,
    zxingcpp.BarcodeFormat.DataMatrix: Symbology.DATAMATRIX,
    zxingcpp.BarcodeFormat.PDF417: Symbology.PDF417,
}
_READ_FORMATS = zxingcpp.BarcodeFormats(list(_FORMATS))


@dataclass(frozen=True, slots=True)
class Read:
    text: str
    symbology: Symbology
    step: str  # the ladder step whose image was read


def _upscale(grey: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))


def _unsharp(grey: np.ndarray, sigma: float, weight: float) -> np.ndarray:
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(grey, 1 + weight, blurred, -weight, 0))


def _sharpen(grey: np.ndarray) -> np.ndarray:
    return _unsharp(grey, 1.5, 1.5)


def _upscale_sharpen(grey: np.ndarray) -> np.ndarray:
    return _unsharp(_upscale(grey), 2.0, 2.0)


def _binarise(grey: np.ndarray) -> np.ndarray:
    return np.asarray(
        cv2.adaptiveThreshold(
            _upscale_sharpen(grey), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5
        )
    )


def _invert_binarise(grey: np.ndarray) -> np.ndarray:
    return _binarise(255 - grey)


STEPS: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("upscale", _upscale),
    ("sharpen", _sharpen),
    ("upscale+sharpen", _upscale_sharpen),
    ("binarise", _binarise),
    ("invert+binarise", _invert_binarise),
)


def regions(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Where a code may be in ``grey``: up to two boxes (x0, y0, x1, y1), largest first.

    Edges (a morphological gradient) on a quarter-size copy, split from the smooth
    background by Otsu's threshold, closed into blobs; each blob's box is widened by
    a quarter on every side (a code's quiet zone and a warp's corners). A flat frame
    has no region; nor has one busy all over (noise, a patterned cloth: a box larger
    than _MAX_REGION_SHARE of the frame), where a code would not be small enough to
    need a second try and every step would cost a whole upscaled frame.
    """
    height, width = grey.shape[:2]
    f = _LOOK_SCALE
    if width < 4 * f or height < 4 * f:
        return [(0, 0, width, height)]
    small = cv2.resize(grey, (width // f, height // f), interpolation=cv2.INTER_AREA)
    edges = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    if int(edges.max()) < 16:  # nothing but noise: no edge worth a second look
        return []
    _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:_MAX_REGIONS]:
        x, y, w, h = cv2.boundingRect(contour)
        if min(w, h) * f < _MIN_REGION_PX:
            continue
        mx, my = w // 4 + 2, h // 4 + 2
        x0, y0 = max(0, (x - mx) * f), max(0, (y - my) * f)
        x1, y1 = min(width, (x + w + mx) * f), min(height, (y + h + my) * f)
        if (x1 - x0) * (y1 - y0) <= _MAX_REGION_SHARE * width * height:
            boxes.append((x0, y0, x1, y1))
    return boxes


def read_checked(grey: np.ndarray) -> list[tuple[str, Symbology]]:
    """What zxing-cpp reads in ``grey``, only in symbologies with error correction."""
    return [
        (b.text, _FORMATS[b.format])
        for b in zxingcpp.read_barcodes(grey, formats=_READ_FORMATS)
        if b.valid and b.text and b.format in _FORMATS
    ]


def retry(
    grey: np.ndarray,
    budget_s: float,
    where: list[tuple[int, int, int, int]] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Read]:
    """Climb the ladder on ``grey`` (full resolution) until a step reads a code or
    ``budget_s`` has passed; a step is begun only within the budget (it may finish
    a few milliseconds after). ``where``: the regions to look in (default: ``regions``)."""
    deadline = clock() + budget_s
    for x0, y0, x1, y1 in regions(grey) if where is None else where:
        crop = np.ascontiguousarray(grey[y0:y1, x0:x1])
        for name, fix in STEPS:
            if clock() >= deadline:
                return []
            found = read_checked(fix(crop))
            if found:
                return [Read(text, sym, name) for text, sym in found]
    return []
