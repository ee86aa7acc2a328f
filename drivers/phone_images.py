"""Phone screens showing a QR code, as a till camera sees them: for tests and `kassa bench`.

Each image is 1280x720 BGR: a phone (bezel and lit screen) carrying a QR code,
seen at an angle (perspective), maybe out of focus (blur), with a reflection
(glare), the screen's pixel grid beating against the sensor's (moiré), small or
large, over a cluttered counter, with sensor noise; in dark mode (light on dark) if
asked (``looks`` never asks). Deterministic per seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
import qrcode

FRAME_W, FRAME_H = 1280, 720


@dataclass(frozen=True, slots=True)
class Look:
    module_px: int = 6  # QR module size on the screen before the warp
    tilt: float = 0.0  # 0..0.35: how far the corners move (perspective)
    blur_sigma: float = 0.0
    glare: float = 0.0  # 0..1: brightness of the reflection
    moire: float = 0.0  # 0..1: amplitude of the screen-grid beat
    noise: float = 4.0  # sensor noise, grey levels
    dark: bool = False  # the app in dark mode: a light code on a dark screen


def qr_array(text: str, module_px: int) -> np.ndarray:
    q = qrcode.QRCode(
        border=4, box_size=module_px, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    q.add_data(text)
    q.make(fit=True)
    return np.array(q.make_image().convert("L"), dtype=np.uint8)


def phone_screen(text: str, look: Look, seed: int) -> np.ndarray:
    """Return a BGR frame of a phone showing ``text`` as a QR code."""
    rng = random.Random(seed)
    code = qr_array(text, look.module_px)
    side = code.shape[0]
    pad = side // 5
    phone = np.full((side + 2 * pad + side // 2, side + 2 * pad), 20, np.uint8)  # bezel
    screen = phone[pad // 2 : -pad // 2, pad // 2 : -pad // 2]
    screen[:] = 235
    top = (screen.shape[0] - side) // 2
    left = (screen.shape[1] - side) // 2
    screen[top : top + side, left : left + side] = code
    if look.dark:
        screen[:] = 255 - screen
    h, w = phone.shape
    scale = min(FRAME_W * 0.8 / w, FRAME_H * 0.9 / h, 1.0)
    w2, h2 = int(w * scale), int(h * scale)
    cx = rng.randint(w2 // 2 + 10, FRAME_W - w2 // 2 - 10)
    cy = rng.randint(h2 // 2 + 10, FRAME_H - h2 // 2 - 10)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    target = []
    for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        jx = rng.uniform(-look.tilt, look.tilt) * w2 / 2
        jy = rng.uniform(-look.tilt, look.tilt) * h2 / 2
        target.append([cx + x * w2 / 2 + jx, cy + y * h2 / 2 + jy])
    matrix = cv2.getPerspectiveTransform(corners, np.array(target, dtype=np.float32))
    ys, xs = np.mgrid[0:FRAME_H, 0:FRAME_W]
    counter = (90 + 40 * np.sin(xs / 97.0) * np.cos(ys / 61.0)).astype(np.uint8)  # clutter
    frame: np.ndarray = np.asarray(
        cv2.warpPerspective(
            phone, matrix, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_TRANSPARENT, dst=counter.copy()
        ),
        dtype=np.float32,
    )
    if look.moire:
        period = rng.uniform(2.6, 3.4)
        beat = (1 + np.sin(2 * np.pi * (xs + ys * 0.3) / period)) / 2
        frame = frame * (1 - look.moire * 0.35 * beat).astype(np.float32)
    if look.glare:
        gx, gy = cx + rng.randint(-w2 // 2, w2 // 2), cy + rng.randint(-h2 // 2, h2 // 2)
        dist = ((xs - gx) / (0.5 * w2)) ** 2 + ((ys - gy) / (0.3 * h2)) ** 2
        frame = frame + (look.glare * 220 * np.exp(-dist)).astype(np.float32)
    if look.blur_sigma:
        frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), look.blur_sigma), dtype=np.float32)
    noise = np.random.default_rng(seed).normal(0, look.noise, frame.shape)
    grey = np.clip(frame + noise, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def looks(n: int, seed: int = 7) -> list[Look]:
    """``n`` looks from easy to hard, covering every kind of trouble (deterministic)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        hard = i / max(1, n - 1)
        out.append(
            Look(
                module_px=rng.choice([2, 3, 4, 6, 8, 10]),
                tilt=rng.uniform(0, 0.45 * hard),
                blur_sigma=rng.uniform(0, 3.0 * hard),
                glare=rng.uniform(0.3, 1.0) if i % 3 == 0 else 0.0,
                moire=rng.uniform(0.3, 1.0) if i % 4 == 1 else 0.0,
            )
        )
    return out
