"""Reading codes in images: pure (an array in, codes out); no camera in here.

zxing-cpp reads first; pyzbar is the second opinion when zxing-cpp finds nothing
(it reads some damaged EAN-13 that zxing-cpp misses). ``prepare`` turns a camera
frame into what the decoders read fastest: one grey channel, at most MAX_WIDTH wide.
When both read nothing, ``retry_s`` gives the hard frame a ladder of second tries
(drivers/retry.py) at full resolution, within that many seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from agent.model import Symbology
from drivers.retry import regions, retry

MAX_WIDTH = 960  # a phone screen held to the camera stays readable at this width
RETRY_MAX_WIDTH = 1920  # the ladder's steps work on crops of a frame at most this wide
PHOTO_RETRY_S = 2.0  # `kassa decode`: a photo's ladder may take this long

_ZXING = {
    "EAN13": Symbology.EAN13,
    "EAN8": Symbology.EAN8,
    "UPCA": Symbology.UPCA,
    "Code128": Symbology.CODE128,
    "Code39": Symbology.CODE39,
    "ITF": Symbology.ITF,
    "QRCode": Symbology.QR,
    "DataMatrix": Symbology.DATAMATRIX,
    "PDF417": Symbology.PDF417,
}
_ZBAR = {
    "EAN13": Symbology.EAN13,
    "EAN8": Symbology.EAN8,
    "UPCA": Symbology.UPCA,
    "CODE128": Symbology.CODE128,
    "CODE39": Symbology.CODE39,
    "I25": Symbology.ITF,
    "QRCODE": Symbology.QR,
    "PDF417": Symbology.PDF417,
}


@dataclass(frozen=True, slots=True)
class Code:
    text: str
    symbology: Symbology
    decoder: str  # "zxing-cpp" or "pyzbar"
    step: str = ""  # the retry ladder's step that read it; "" for the plain decode


def grey_of(frame: np.ndarray) -> np.ndarray:
    """``frame`` (BGR or grey) as one grey channel, at its own size."""
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) if frame.ndim == 3 else frame


def prepare(frame: np.ndarray, max_width: int = MAX_WIDTH) -> np.ndarray:
    """Return ``frame`` (BGR or grey) as one grey channel, downscaled to ``max_width``."""
    grey = grey_of(frame)
    height, width = grey.shape[:2]
    if width > max_width:
        grey = cv2.resize(
            grey, (max_width, height * max_width // width), interpolation=cv2.INTER_AREA
        )
    return grey


def read_zxing_seen(grey: np.ndarray) -> tuple[list[Code], bool]:
    """The codes zxing-cpp reads, and whether it saw a symbol it could not read."""
    codes, unread = [], False
    for b in zxingcpp.read_barcodes(grey, return_errors=True):
        if b.valid and b.text:
            codes.append(Code(b.text, _ZXING.get(b.format.name, Symbology.UNKNOWN), "zxing-cpp"))
        else:
            unread = True
    return codes, unread


def read_zxing(grey: np.ndarray) -> list[Code]:
    return read_zxing_seen(grey)[0]


def read_zbar(grey: np.ndarray) -> list[Code]:
    out = []
    for d in pyzbar.decode(grey):
        try:
            text = d.data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # not text: nothing a till can act on
        out.append(Code(text, _ZBAR.get(d.type, Symbology.UNKNOWN), "pyzbar"))
    return out


def read_plain(grey: np.ndarray, thorough: bool) -> list[Code]:
    """zxing-cpp, then pyzbar's second opinion (see ``decode``), on a prepared image."""
    codes, unread = read_zxing_seen(grey)
    if not codes and (thorough or unread):
        codes = read_zbar(grey)
    return codes


def retry_codes(
    full: np.ndarray,
    looked_at: np.ndarray,
    budget_s: float,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Code]:
    """The retry ladder's reads (drivers/retry.py) in ``full`` (one grey channel at
    full resolution, used at most RETRY_MAX_WIDTH wide), looking where ``regions``
    finds something in ``looked_at`` (the same image, prepared: cheaper to search)."""
    full = prepare(full, RETRY_MAX_WIDTH)
    scale = full.shape[1] / looked_at.shape[1]
    where = [
        (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))
        for x0, y0, x1, y1 in regions(looked_at)
    ]
    reads = retry(full, budget_s, where, clock)
    return [Code(r.text, r.symbology, "zxing-cpp", r.step) for r in reads]


def unique(codes: list[Code]) -> list[Code]:
    """``codes``, each text once (the first reading of it)."""
    first: dict[str, Code] = {}
    for code in codes:
        first.setdefault(code.text, code)
    return list(first.values())


def decode(
    image: np.ndarray,
    max_width: int | None = MAX_WIDTH,
    thorough: bool = True,
    retry_s: float = 0.0,
) -> list[Code]:
    """Return the codes in ``image`` (BGR or grey), each once.

    ``max_width`` downscales wider images first, for speed (a camera's frames);
    None reads the image at full size (`kassa decode` on a photo). pyzbar gives its
    second opinion when zxing-cpp reads nothing; unless ``thorough``, only when
    zxing-cpp saw a symbol it could not read: a camera's empty frames are most
    frames, and the next frame is another chance. When nothing is read, ``retry_s``
    > 0 climbs the retry ladder (drivers/retry.py) on the image at full resolution
    for at most that many seconds.
    """
    full = grey_of(image)
    grey = prepare(full, max_width or full.shape[1])
    codes = read_plain(grey, thorough)
    if not codes and retry_s > 0:
        codes = retry_codes(full, grey, retry_s)
    return unique(codes)
