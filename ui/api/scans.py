"""The scans of kassa's own scanner and camera, handed to every POS listening
(``GET /v1/scans``, server-sent events).

A driver delivers a scan from its own thread; each listener has an asyncio queue on the
server's loop, fed through ``call_soon_threadsafe``. A listener that does not read is
not waited for: past :data:`BACKLOG` scans its oldest are dropped.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from agent.model import Scan

BACKLOG = 100


def scan_doc(scan: Scan) -> dict[str, Any]:
    return {
        "text": scan.text,
        "symbology": scan.symbology.value,
        "source": scan.source,
        "at": scan.at.isoformat(),
    }


def event(name: str, doc: dict[str, Any]) -> bytes:
    """One server-sent event: ``event: scan`` and its JSON on one data line."""
    return f"event: {name}\ndata: {json.dumps(doc, ensure_ascii=False)}\n\n".encode()


class ScanHub:
    """Who listens, and the hand-over from the drivers' threads to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []

    def listen(self) -> asyncio.Queue[dict[str, Any]]:
        """A queue of the scans from now on (call on the server's loop)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(BACKLOG)
        with self._lock:
            self._listeners.append((asyncio.get_running_loop(), queue))
        return queue

    def leave(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._listeners = [(lp, q) for lp, q in self._listeners if q is not queue]

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._listeners)

    def publish(self, scan: Scan) -> None:
        """Hand ``scan`` to every listener (from any thread)."""
        doc = scan_doc(scan)
        with self._lock:
            listeners = list(self._listeners)
        for loop, queue in listeners:
            loop.call_soon_threadsafe(_offer, queue, doc)


def _offer(queue: asyncio.Queue[dict[str, Any]], doc: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()  # a listener that does not read loses its oldest scans
    queue.put_nowait(doc)
