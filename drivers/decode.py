"""Reading codes in images: pure (an array in, codes out); no camera in here.

zxing-cpp reads first; pyzbar is the second opinion when zxing-cpp finds nothing
(it reads some damaged EAN-13 that zxing-cpp misses). ``prepare`` turns a camera
frame into what the decoders read fastest: one grey channel, at most MAX_WIDTH wide.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

from agent.model import Symbology

MAX_WIDTH = 960  # a phone screen held to the camera stays readable at this width

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


def prepare(frame: np.ndarray, max_width: int = MAX_WIDTH) -> np.ndarray:
    """Return ``frame`` (BGR or grey) as one grey channel, downscaled to ``max_width``."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
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


def decode(
    image: np.ndarray, max_width: int | None = MAX_WIDTH, thorough: bool = True
) -> list[Code]:
    """Return the codes in ``image`` (BGR or grey), each once.

    ``max_width`` downscales wider images first, for speed (a camera's frames);
    None reads the image at full size (`kassa decode` on a photo). pyzbar gives its
    second opinion when zxing-cpp reads nothing; unless ``thorough``, only when
    zxing-cpp saw a symbol it could not read: a camera's empty frames are most
    frames, and the next frame is another chance.
    """
    grey = prepare(image, max_width or image.shape[1])
    codes, unread = read_zxing_seen(grey)
    if not codes and (thorough or unread):
        codes = read_zbar(grey)
    unique: dict[str, Code] = {}
    for code in codes:
        unique.setdefault(code.text, code)
    return list(unique.values())
