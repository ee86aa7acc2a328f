"""`kassa agent --config FILE`: kassa headless beside the store's POS software.

The composition root of the agent: the terminal's store and its sync worker with HQ
(as the cashier app has them, :func:`ui.services.build_services`), kassa's own scanner
and camera when ``[agent]`` says so (their scans streamed to the POS), its printer for
the loyalty receipt when it says so, and the API served on 127.0.0.1:PORT and a Unix
socket by uvicorn. Logs go to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from agent.clock import UuidFactory
from agent.errors import ConfigError
from agent.i18n import Texts
from agent.printing import print_sale
from agent.store import Store
from sync.worker import SyncState, SyncWorker
from ui.api.app import create_app
from ui.api.checkout import AgentCheckout, Till
from ui.api.config import AgentConfig, load_agent_config
from ui.api.scans import ScanHub
from ui.config import Config, require_private
from ui.services import Services, build_services

log = logging.getLogger("kassa.agent")


class ReceiptPrinting:
    """Receipts printed on kassa's own printer in a thread of their own (with their own
    connection to the store): a printer fault is logged and never holds up a call."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._seqs: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="agent-printer", daemon=True)
        self._thread.start()

    def sold(self, seq: int) -> None:
        self._seqs.put(seq)

    def stop(self) -> None:
        self._seqs.put(None)
        self._thread.join(10)

    def _run(self) -> None:
        cfg = self.services.config
        store = Store.open(cfg.db_path)
        try:
            while (seq := self._seqs.get()) is not None:
                out = print_sale(
                    store,
                    self.services.printer,
                    seq,
                    self.services.clock,
                    cfg.store_name,
                    Texts(cfg.language),
                )
                if out.error:
                    log.warning("receipt %s not printed: %s", seq, out.error)
        finally:
            store.close()


def listeners(config: AgentConfig) -> list[socket.socket]:
    """The sockets the agent serves: 127.0.0.1:PORT and the Unix socket (its owner and
    group may connect). Raises ConfigError when one cannot be taken."""
    out = []
    try:
        if config.port:
            # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each connection (it looks
            # at the protocol): otherwise a reply's body waits 40 ms for a delayed ACK.
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", config.port))
            tcp.listen(128)
            out.append(tcp)
        if config.socket is not None:
            path = config.socket
            with contextlib.suppress(FileNotFoundError):
                if path.is_socket():
                    path.unlink()  # left by an agent that stopped without cleaning up
            unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            unix.bind(str(path))
            os.chmod(path, 0o660)
            unix.listen(128)
            out.append(unix)
    except OSError as exc:
        for s in out:
            s.close()
        raise ConfigError(f"agent: cannot listen ({exc.strerror or exc})") from None
    return out


def _agents(terminal: Config) -> Config:
    """The till's config as the agent runs it: HQ asked about a sale (a return's: the
    returns made of it at other tills) within the card lookup's timeout at most, once a
    call and outside the checkout's lock (:mod:`ui.api.returns`): the POS never waits long."""
    hq = terminal.hq
    quick = min(hq.foreign_timeout_s, hq.lookup_timeout_s)
    return replace(terminal, hq=replace(hq, foreign_timeout_s=quick))


def _waker(sync: SyncWorker) -> Callable[[], None]:
    """After a write, upload at once while HQ answers; while it does not, the worker's
    backoff says when to try again (a round per sale would read the whole outbox for
    nothing, beside the next sale)."""

    def wake() -> None:
        if sync.status().state in (SyncState.ONLINE, SyncState.STARTING):
            sync.wake()

    return wake


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _logged(name: str) -> Callable[[Exception], None]:
    def said(exc: Exception) -> None:
        log.warning("%s: %s", name, exc)

    return said


def build_agent(
    config: AgentConfig,
) -> tuple[Services, AgentCheckout, ScanHub, ReceiptPrinting | None]:
    """Wire the agent from ``config`` (the store, HQ, the devices it says)."""
    services = build_services(_agents(config.terminal))
    hub = ScanHub()
    s = services.session
    printing = ReceiptPrinting(services) if config.printer else None
    sync = services.sync
    till = Till(
        services.store,
        services.clock,
        UuidFactory(),
        config.terminal.terminal_id,
        config.terminal.store_name,
        language=config.terminal.language,
        width=config.terminal.printer.width_chars,
        tokens=config.terminal.tokens,
        card_lookup=s.card_lookup,
        sales_source=s.desk.foreign.source,
        wake=_waker(sync) if sync is not None else None,
        sold=printing.sold if printing is not None else None,
    )
    sources = []
    if config.scanner and services.scanner is not None:
        sources.append(services.scanner)
    if config.camera and services.camera is not None:
        sources.append(services.camera)
    for source in sources:
        source.start(hub.publish, _logged(source.name))
    services.scanner, services.camera = (
        services.scanner if config.scanner else None,
        services.camera if config.camera else None,
    )
    return services, AgentCheckout(till), hub, printing


def run_agent(path: Path) -> int:
    """Serve the agent until SIGINT or SIGTERM; returns the exit code."""
    import uvicorn

    # Our own handler: a library imported before (python-escpos) has configured the root.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    kassa = logging.getLogger("kassa")
    kassa.addHandler(handler)
    kassa.setLevel(logging.INFO)
    kassa.propagate = False
    config = load_agent_config(path)
    require_private(path, config.terminal)
    socks = listeners(config)
    services, checkout, hub, printing = build_agent(config)
    try:
        if services.sync is not None:
            services.sync.start()
        app = create_app(
            checkout,
            config.pos_of,
            services.sync.status if services.sync is not None else None,
            hub,
        )
        where = [f"http://127.0.0.1:{config.port}"] if config.port else []
        where += [f"unix:{config.socket}"] if config.socket else []
        log.info(
            "kassa agent %s: listening on %s for %d POS",
            config.terminal.terminal_id,
            " and ".join(where),
            len(config.tokens),
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        # uvicorn stops on SIGINT or SIGTERM, then raises the signal again once it has
        # put its own handlers back: these, so the store and the sync worker close.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)
        with contextlib.suppress(SystemExit):
            server.run(sockets=socks)
    finally:
        if printing is not None:
            printing.stop()
        services.close()
        for s in socks:
            s.close()
        if config.socket is not None:
            with contextlib.suppress(OSError):
                config.socket.unlink()
        log.info("kassa agent stopped")
    return 0
