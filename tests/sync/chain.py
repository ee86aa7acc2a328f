"""Events as a terminal sends them, for tests that alter a body and keep the chain valid."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agent.journal import GENESIS, row_hash


def rechain(events: list[dict[str, Any]], prev: str = GENESIS) -> list[dict[str, Any]]:
    """The events with each hash recomputed over its body, chained from ``prev``: what a
    terminal holding these bodies (its own, or an attacker's with its secret) sends."""
    out = []
    for ev in events:
        h = row_hash(prev, ev["body"])
        out.append(dict(ev, prev_hash=prev, hash=h))
        prev = h
    return out


def altered(ev: dict[str, Any], change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    """``ev`` with its body changed by ``change`` (which edits the parsed body in place)."""
    doc = json.loads(ev["body"])
    change(doc)
    return dict(ev, body=json.dumps(doc, sort_keys=True, separators=(",", ":")))
