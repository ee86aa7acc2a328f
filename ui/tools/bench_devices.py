"""`kassa bench` device figures: camera pipeline, decoding, scan to customer, receipt time."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import Scan
from agent.receipt import build_receipt
from agent.session import CheckoutSession
from drivers.camera import CameraConfig, CameraScanner
from drivers.decode import PHOTO_RETRY_S, Code, decode, prepare, read_zbar, read_zxing
from drivers.phone_images import FRAME_H, FRAME_W, Look, looks, phone_screen
from drivers.printer import PrinterConfig, render_receipt
from drivers.serial_scanner import SerialScanner
from ui.tools.measure import AT, p99

TOKEN = "KQ1.C3.1795447555.CusSpC4xRri_JXZQfPmZOQ." + "W" * 86


# A phone held too far and out of focus: the plain decode misses it, the retry ladder
# reads it (tests/drivers/test_retry.py); one of the generated set's hard frames.
HARD_LOOK = Look(module_px=2, tilt=0.14, blur_sigma=1.17)


def _video(path: Path, frames: int) -> list[np.ndarray]:
    """A 1280x720 clip at a counter: a phone held up now and then, sometimes too far
    and out of focus (the plain decode misses it; the camera's retries may read it);
    returns its frames."""
    shots = [
        phone_screen(TOKEN, Look(module_px=6, tilt=0.1), seed=1),
        np.full((FRAME_H, FRAME_W, 3), 90, np.uint8),
        phone_screen(TOKEN[:-1] + "H", HARD_LOOK, seed=95),
        np.full((FRAME_H, FRAME_W, 3), 90, np.uint8),
    ]
    fourcc = cv2.VideoWriter.fourcc(*"MJPG")
    out = cv2.VideoWriter(str(path), fourcc, 30, (FRAME_W, FRAME_H))
    kept = []
    for i in range(frames):
        frame = shots[(i // 10) % len(shots)]
        out.write(frame)
        kept.append(frame)
    out.release()
    return kept


def bench_camera(workdir: Path, frames: int) -> dict[str, float]:
    """kassa's camera pipeline (capture, grey, downscale, decode and the retries its
    budget allows, in its thread) on a 1280x720 clip, over the bare decoder (zxing-cpp
    on the same frames, decoded from memory at full size)."""
    clip = workdir / "counter.avi"
    raw = _video(clip, frames)
    decoded = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in raw]
    t0 = time.perf_counter()
    for grey in decoded:
        read_zxing(grey)
    bare_fps = frames / (time.perf_counter() - t0)
    prepared = [prepare(f) for f in raw]
    t0 = time.perf_counter()
    for grey in prepared:
        read_zxing(grey)
    bare_prepared_fps = frames / (time.perf_counter() - t0)
    cam = CameraScanner(CameraConfig(str(clip), repeat_s=3600), lambda: AT)
    read: set[str] = set()
    t0 = time.perf_counter()
    cam.start(lambda scan: read.add(scan.text), lambda err: None)
    cam.finished.wait(600)
    elapsed = time.perf_counter() - t0
    kassa_fps = cam.frames / elapsed
    cam.stop()
    return {
        "camera_fps": kassa_fps,
        "bare_decoder_fps": bare_fps,
        "camera_fps_ratio": kassa_fps / bare_fps,
        # what capture, conversion and the thread cost: over the decoder alone on frames
        # already grey and downscaled
        "camera_overhead_ratio": kassa_fps / bare_prepared_fps,
        # the clip's two phones (the hard one when a retry read it): 2 when both
        "camera_codes_read": len(read),
        # the share of the camera thread's time its retries took (at most retry_share)
        "camera_retry_share": cam.budget.spent_s / elapsed,
    }


def bench_decode_rate(n_images: int) -> dict[str, float]:
    """The share of generated phone-screen QR images read right, by kassa and each decoder."""
    images = [
        (f"{TOKEN[:-3]}{i:03d}", phone_screen(f"{TOKEN[:-3]}{i:03d}", look, seed=i))
        for i, look in enumerate(looks(n_images))
    ]

    def full(img: np.ndarray) -> list[Code]:
        return decode(img, max_width=None, retry_s=PHOTO_RETRY_S)  # as `kassa decode`

    def camera(img: np.ndarray) -> list[Code]:  # one frame given its retry slot
        return decode(img, thorough=False, retry_s=CameraConfig().retry_s)

    def plain(img: np.ndarray) -> list[Code]:  # `kassa decode` before the retries
        return decode(img, max_width=None)

    def zxing(img: np.ndarray) -> list[Code]:
        return read_zxing(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))

    def zbar(img: np.ndarray) -> list[Code]:
        return read_zbar(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))

    readers: dict[str, Callable[[np.ndarray], list[Code]]] = {
        "kassa_full": full,
        "kassa_camera": camera,
        "kassa_plain": plain,
        "zxing": zxing,
        "pyzbar": zbar,
    }
    result: dict[str, float] = {}
    for name, read in readers.items():
        t0 = time.perf_counter()
        reads = [(text, read(img)) for text, img in images]
        ok = sum(any(c.text == text for c in codes) for text, codes in reads)
        result[f"decode_rate_{name}"] = ok / len(images)
        if name.startswith("kassa"):  # a misread (a code the image does not hold)
            result[f"decode_wrong_{name}"] = sum(
                any(c.text != text for c in codes) for text, codes in reads
            )
        result[f"decode_ms_{name}"] = (time.perf_counter() - t0) * 1000 / len(images)
    result["decode_rate"] = result.pop("decode_rate_kassa_full")
    result["decode_images"] = len(images)
    return result


def bench_scan_to_customer(workdir: Path, rounds: int) -> dict[str, float]:
    """From the last byte of a card number written to a pty to the session holding the
    customer (read, framed, classified, looked up: what the screen then shows)."""
    store = demo_store(workdir / "scan.db")
    session = CheckoutSession(store, FixedClock(AT), SequentialIds(), "T1", "bench")
    master, slave = os.openpty()
    scanner = SerialScanner(os.ttyname(slave), lambda: AT)
    shown = threading.Event()

    def on_scan(scan: Scan) -> None:
        if not session.enter(scan.text).refused and session.customer is not None:
            shown.set()

    scanner.start(on_scan, lambda err: None)
    samples = []
    try:
        if not scanner.opened.wait(10):
            raise RuntimeError("the pty scanner did not open")
        cards = [r[0] for r in store.conn.execute("SELECT card FROM customers")]
        for i in range(rounds):
            session.reset()
            shown.clear()
            os.write(master, cards[i % len(cards)][:-1].encode())
            time.sleep(0.002)  # the scanner sends the rest a moment later
            t0 = time.perf_counter()
            os.write(master, cards[i % len(cards)][-1:].encode() + b"\r")
            if not shown.wait(5):
                raise RuntimeError("the customer was not identified")
            samples.append(time.perf_counter() - t0)
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)
        store.close()
    return {
        "scan_to_customer_p99_ms": p99(samples) * 1000,
        "scan_to_customer_median_ms": statistics.median(samples) * 1000,
    }


def bench_receipt_9600(workdir: Path) -> dict[str, float]:
    """The loyalty receipt of a demo sale: bytes, and seconds over a 9600-baud 8N1 line."""
    store = demo_store(workdir / "receipt.db")
    session = CheckoutSession(store, FixedClock(AT), SequentialIds(), "T1", "bench")
    session.enter("2900000000032")  # Ioana, Gold: discount, awards, coupon
    for sku, qty in (("COFFEE", 2), ("MILK", 3), ("JACKET", 1), ("SCARF", 1)):
        session.add(sku, qty)
    session.pay_with_points(None)
    sale = session.commit()
    event = store.ledger.sale_event(sale.seq)
    assert event is not None
    store.close()
    data = render_receipt(build_receipt(event, "Sklep Centrum"), PrinterConfig(code_page="CP852"))
    return {"receipt_bytes": len(data), "receipt_seconds_9600": len(data) * 10 / 9600}


def run_device_benches(
    workdir: Path, quick: bool, images: int | None = None, frames: int | None = None
) -> dict[str, Any]:
    """The device figures; ``images`` the generated set's size (120; 30 quick),
    ``frames`` the camera clip's (300; 60 quick)."""
    result: dict[str, Any] = {}
    result.update(bench_camera(workdir, frames or (60 if quick else 300)))
    result.update(bench_decode_rate(images or (30 if quick else 120)))
    result.update(bench_scan_to_customer(workdir, 50 if quick else 300))
    result.update(bench_receipt_9600(workdir))
    return result


def main() -> None:
    """`python -m ui.tools.bench_devices [--quick] [--images N] [--frames N]`: only
    the device figures, as `kassa bench` measures them."""
    import argparse
    import json
    import tempfile

    p = argparse.ArgumentParser(prog="python -m ui.tools.bench_devices")
    p.add_argument("--quick", action="store_true", help="fewer rounds (CI)")
    p.add_argument("--images", type=int, help="generated phone screens (120; --quick: 30)")
    p.add_argument("--frames", type=int, help="the camera clip's frames (300; --quick: 60)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="kassa-bench-devices-") as d:
        out = run_device_benches(Path(d), args.quick, args.images, args.frames)
    print(json.dumps({k: round(v, 4) for k, v in out.items()}))


if __name__ == "__main__":
    main()
