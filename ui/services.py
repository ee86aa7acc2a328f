"""The composition root: build real or fake devices, store and HQ client for the app."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from agent.clock import Clock, IdFactory, SystemClock, UuidFactory
from agent.errors import ConfigError
from agent.ports import CodeSource, ReceiptPrinter
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.lock import DatabaseLock
from drivers.camera import CameraScanner
from drivers.evdev_scanner import EvdevScanner
from drivers.printer import EscposPrinter
from drivers.serial_scanner import SerialScanner
from sync.client import CardLookupAtHq, HqClient, read_public_key
from sync.worker import SyncPolicy, SyncWorker
from ui.config import Config


@dataclass
class Services:
    config: Config
    store: Store
    session: CheckoutSession
    printer: ReceiptPrinter
    scanner: CodeSource | None
    sync: SyncWorker | None
    clock: Clock
    camera: CodeSource | None = None
    lock: DatabaseLock | None = None  # held while the till runs: no restore under it

    @property
    def code_sources(self) -> list[CodeSource]:
        """Every device that reads codes: the scanner and the camera, where configured."""
        return [s for s in (self.scanner, self.camera) if s is not None]

    def close(self) -> None:
        for source in self.code_sources:
            source.stop()
        if self.sync is not None:
            self.sync.stop()
        self.store.close()
        if self.lock is not None:
            self.lock.release()


def build_services(
    config: Config,
    *,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    printer: ReceiptPrinter | None = None,
    scanner: CodeSource | None = None,
    with_sync: bool = True,
) -> Services:
    """Wire the terminal from ``config``; any part passed in replaces the real one."""
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    lock = DatabaseLock.take(config.db_path, exclusive=False)  # kassa restore waits for us
    with ExitStack() as undo:  # a terminal that fails to start lets go of its database
        undo.callback(lock.release)
        store = Store.open(config.db_path, mapped=True)  # the checkout's lookups
        undo.callback(store.close)  # and of its thread keeping the customers in memory
        services = _build(config, clock, lock, store, ids, printer, scanner, with_sync)
        undo.pop_all()
    return services


def _build(
    config: Config,
    clock: Clock,
    lock: DatabaseLock,
    store: Store,
    ids: IdFactory | None,
    printer: ReceiptPrinter | None,
    scanner: CodeSource | None,
    with_sync: bool,
) -> Services:
    session = CheckoutSession(
        store, clock, ids or UuidFactory(), config.terminal_id, config.store_name
    )
    session.token_policy = config.tokens
    if scanner is None and config.scanner.evdev:
        sc = config.scanner
        scanner = EvdevScanner(sc.evdev, clock.now, sc.layout, sc.grab)
    elif scanner is None and config.scanner.url:
        scanner = SerialScanner(config.scanner, clock.now)
    worker = None
    if with_sync:
        if not config.hq.public_key:
            raise ConfigError(
                "hq.public_key: HQ's public key (hex, or HQ's .pub file) is needed "
                "to verify what HQ sends"
            )
        try:
            hq_key = read_public_key(config.hq.public_key)
        except OSError as exc:
            raise ConfigError(f"hq.public_key: {exc}") from None
        client = HqClient(
            config.hq.url,
            config.terminal_id,
            config.hq.secret,
            hq_key,
            timeout_s=config.hq.timeout_s,
            lookup_timeout_s=config.hq.lookup_timeout_s,
            foreign_timeout_s=config.hq.foreign_timeout_s,
        )
        session.card_lookup = CardLookupAtHq(client)  # a card not held here, asked of HQ
        session.desk.foreign.source = client  # receipts of other tills, from HQ
        worker = SyncWorker(
            config.db_path,
            client,
            clock,
            SyncPolicy(
                batch_size=config.hq.batch_size,
                interval_s=config.hq.interval_s,
                download_every_s=config.hq.poll_every_s,
                max_skew_s=config.hq.max_skew_s,
                backoff_max_s=config.hq.backoff_max_s,
            ),
        )
    camera = CameraScanner(config.camera, clock.now) if config.camera.source else None
    return Services(
        config,
        store,
        session,
        printer or EscposPrinter(config.printer),
        scanner,
        worker,
        clock,
        camera,
        lock,
    )
