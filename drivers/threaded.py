"""The thread every code source reads its device in: started, stopped, nothing else."""

from __future__ import annotations

import threading

from agent.ports import ErrorHandler, ScanHandler


class ThreadedSource:
    """A code source whose ``_run`` reads the device in a thread of its own until stopped."""

    name: str
    join_timeout_s = 2.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(on_scan, on_error), name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout_s)
        self._closed()

    def _run(self, on_scan: ScanHandler, on_error: ErrorHandler) -> None:
        raise NotImplementedError

    def _closed(self) -> None:
        """Release what the thread may have left open (after it has ended)."""
