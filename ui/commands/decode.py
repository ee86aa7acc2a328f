"""`kassa decode [--json] IMAGE...`: what kassa reads in each image (camera debugging)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import cv2

from drivers.decode import PHOTO_RETRY_S, decode


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser("decode", help="print the codes kassa reads in images")
    d.add_argument("images", nargs="+", metavar="IMAGE")
    d.add_argument("--json", action="store_true", help="one JSON object per line and image")
    d.set_defaults(func=run)


def read_image(path: str) -> dict[str, Any]:
    image = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if image is None:
        return {"path": path, "codes": [], "error": "not an image kassa can read"}
    # a photo: read at full size, and a hard one given the retry ladder
    codes = decode(image, max_width=None, retry_s=PHOTO_RETRY_S)
    return {
        "path": path,
        "codes": [{"text": c.text, "symbology": c.symbology.value} for c in codes],
    }


def run(args: argparse.Namespace) -> int:
    unreadable = 0
    for path in args.images:
        found = read_image(path)
        unreadable += "error" in found
        if args.json:
            print(json.dumps(found, ensure_ascii=False))
        elif "error" in found:
            print(f"{path}: {found['error']}")
        else:
            texts = [f"{c['symbology']}: {c['text']}" for c in found["codes"]]
            print(f"{path}: " + ("; ".join(texts) if texts else "no code found"))
    return 1 if unreadable else 0
