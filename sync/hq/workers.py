"""Several HQ worker processes on one listening socket: `kassa hq --workers N`.

The parent prepares HQ's database (migrations, the demo's seed, HQ's keys), binds the
socket, and starts N workers, each ``python -m sync.hq.workers`` (its settings on
stdin) serving the Starlette app with uvicorn on that inherited socket
(``uvicorn.Server(config).run(sockets=...)``); the kernel hands each new connection to
one of them. It restarts a worker that exits (at once, or after 1, 2, 4 ... up to
:data:`MAX_BACKOFF_S` seconds while workers keep dying young, so a broken database does
not make it spin), and on SIGTERM or SIGINT asks every worker to finish what it serves
(SIGTERM, uvicorn's graceful shutdown) and kills those still there after :data:`GRACE_S`.

Background jobs (the scheduled expiry run) run in worker 0 only, and in its
replacement when it is restarted: each worker is told its slot.

Why not uvicorn's own ``workers=N`` supervisor: it starts every worker from one config,
so it cannot give one of them the background jobs; it restarts a dying worker at once,
every time, and stops everything when one fails during its startup. A worker that
loses its parent (the parent killed outright) sees the pipe from it close and shuts
down, so no orphan keeps serving the port.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from types import FrameType

from agent.clock import parse_utc
from sync.hq.db import is_postgres
from sync.hq.expiry import DEFAULT_EVERY_S
from sync.hq.keys import key_paths
from sync.hq.seed import seed_demo
from sync.hq.store import WRITE_WAIT_S, HqStore
from sync.wire import MAX_REQUEST_BYTES

log = logging.getLogger(__name__)
GRACE_S = 10.0  # a worker asked to stop finishes its requests within this, or is killed
YOUNG_S = 10.0  # a worker that exits sooner than this after its start died young
MAX_BACKOFF_S = 30.0  # the longest wait before restarting a worker that keeps dying young
BACKLOG = 2048  # connections the kernel queues while every worker is busy
POLL_S = 0.2  # how often the parent looks at its workers


@dataclass(frozen=True, slots=True)
class HqSettings:
    """What every worker needs to build HQ's app, handed to it as JSON."""

    db: str
    fixed_time: str | None = None  # ISO: HQ's clock pinned (tests, training)
    expire_every_s: float | None = DEFAULT_EVERY_S  # None: no scheduled expiry run
    max_request_bytes: int = MAX_REQUEST_BYTES
    write_wait_s: float = WRITE_WAIT_S

    def for_slot(self, slot: int) -> HqSettings:
        """The settings of worker ``slot``: the background jobs (the expiry run) are
        worker 0's alone."""
        return self if slot == 0 else replace(self, expire_every_s=None)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> HqSettings:
        return cls(**json.loads(text))


def prepare(settings: HqSettings, demo: bool) -> None:
    """Bring HQ's database up to date (and seed the demo into an empty one) and make its
    keys, once, before any worker starts."""
    store = HqStore(settings.db, write_wait_s=settings.write_wait_s)
    if demo:
        seed_demo(store)
    store.seal_key()
    store.signing_key()
    store.close()


@dataclass
class _Slot:
    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    young_deaths: int = 0  # exits in a row soon after starting
    restart_at: float = 0.0


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket every worker accepts on, bound by the parent."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """The parent of N workers on ``sock``: starts, restarts and stops them."""

    def __init__(self, settings: HqSettings, sock: socket.socket, workers: int) -> None:
        self.settings = settings
        self.sock = sock
        self.slots = [_Slot(i) for i in range(workers)]
        self.stopping = threading.Event()
        # Workers hold the read end; it reaches EOF only when this process is gone.
        self._alive_r, self._alive_w = os.pipe()

    def _start(self, slot: _Slot) -> None:
        listen_fd = self.sock.fileno()
        slot.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync.hq.workers",
                "--slot",
                str(slot.index),
                "--listen-fd",
                str(listen_fd),
                "--parent-fd",
                str(self._alive_r),
            ],
            pass_fds=(listen_fd, self._alive_r),
            stdin=subprocess.PIPE,
        )
        # Settings on stdin, not the command line: a database URL's password stays out
        # of the process list.
        assert slot.proc.stdin is not None
        try:
            slot.proc.stdin.write(self.settings.for_slot(slot.index).to_json().encode())
            slot.proc.stdin.close()
        except BrokenPipeError:
            pass  # it died at once: _look_after sees it and starts another
        slot.started = time.monotonic()

    def _look_after(self, slot: _Slot, now: float) -> None:
        """Restart ``slot``'s worker if it has exited, when its backoff allows."""
        if slot.proc is not None:
            code = slot.proc.poll()
            if code is None:
                return
            lived = now - slot.started
            slot.young_deaths = slot.young_deaths + 1 if lived < YOUNG_S else 0
            wait = min(2.0 ** (slot.young_deaths - 1), MAX_BACKOFF_S) if slot.young_deaths else 0
            log.warning(
                "HQ worker %d (pid %d) exited with %s after %.1f s: restarting in %.0f s",
                slot.index,
                slot.proc.pid,
                code,
                lived,
                wait,
            )
            slot.proc, slot.restart_at = None, now + wait
        if now >= slot.restart_at:
            self._start(slot)

    def _stop_all(self) -> None:
        live = [s.proc for s in self.slots if s.proc is not None and s.proc.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for proc in live:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; then stop every worker. Returns the exit status."""

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            for slot in self.slots:
                self._start(slot)
            while not self.stopping.wait(POLL_S):
                now = time.monotonic()
                for slot in self.slots:
                    self._look_after(slot, now)
        finally:
            self._stop_all()
            self.sock.close()
            os.close(self._alive_w)
            os.close(self._alive_r)
        return 0


def supervise(settings: HqSettings, host: str, port: int, demo: bool, workers: int) -> int:
    """Run HQ as ``workers`` processes on ``host``:``port`` until SIGTERM or SIGINT."""
    prepare(settings, demo)
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        raise SystemExit(f"kassa hq: cannot listen on {host}:{port}: {exc.strerror}") from None
    return Supervisor(settings, sock, workers).run()


def _pinned(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _work(settings: HqSettings, listen_fd: int, parent_fd: int) -> None:
    """One worker: HQ's app on the inherited socket until told to stop, or orphaned."""
    import uvicorn

    from sync.hq.server import create_app

    store = HqStore(settings.db, write_wait_s=settings.write_wait_s)
    app = create_app(
        store,
        # made by the parent: read, not rewritten (PostgreSQL: kept in the database)
        store.signing_key()
        if is_postgres(settings.db)
        else key_paths(store.backend.where)[0].read_bytes(),
        _pinned(parse_utc(settings.fixed_time)) if settings.fixed_time else None,
        settings.expire_every_s,
        settings.max_request_bytes,
    )
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=int(GRACE_S)
    )
    server = uvicorn.Server(config)

    def orphaned() -> None:
        while os.read(parent_fd, 64):
            pass  # the parent never writes: EOF is its end
        server.should_exit = True

    threading.Thread(target=orphaned, daemon=True).start()
    server.run(sockets=[socket.socket(fileno=listen_fd)])


def main(argv: list[str] | None = None) -> None:
    """The entry of one worker process (started by :class:`Supervisor`)."""
    p = argparse.ArgumentParser(prog="python -m sync.hq.workers")
    p.add_argument("--slot", type=int, required=True)
    p.add_argument("--listen-fd", type=int, required=True)
    p.add_argument("--parent-fd", type=int, required=True)
    args = p.parse_args(argv)
    settings = HqSettings.from_json(sys.stdin.read())  # the parent's, on stdin
    _work(settings, args.listen_fd, args.parent_fd)


if __name__ == "__main__":
    main()
