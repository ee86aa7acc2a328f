"""`kassa simulate`: scripted sales, headless, through the app's own session, devices and sync.

It is how load, fault and benchmark runs drive kassa: in-memory scanner and printer,
the real store and the real sync worker against a real HQ.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from agent.clock import SystemClock
from agent.printing import print_sale
from agent.tendering import Handed
from drivers.memory import MemoryPrinter, MemoryScanner
from sync.worker import SyncState
from ui.config import Config, HqConfig
from ui.services import build_services


@dataclass(frozen=True, slots=True)
class SimulationResult:
    sold: int
    pending: int
    refusals: int
    message: str

    @property
    def ok(self) -> bool:
        return self.pending == 0


def _wait(predicate: object, deadline: float, poll_s: float = 0.05) -> bool:
    assert callable(predicate)
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return bool(predicate())


def simulate(
    hq_url: str,
    sales: int,
    data_dir: Path,
    *,
    terminal_id: str = "T1",
    secret: str = "demo",
    hq_key: str = "",
    timeout_s: float = 60.0,
    batch_size: int = 200,
    backoff_max_s: float = 30.0,
    interval_s: float = 0.2,
) -> SimulationResult:
    """Sell ``sales`` scripted sales, then wait until HQ acknowledged all; never raises for HQ."""
    deadline = time.monotonic() + timeout_s
    clock = SystemClock()
    config = Config(
        terminal_id=terminal_id,
        data_dir=data_dir,
        hq=HqConfig(
            url=hq_url,
            secret=secret,
            public_key=hq_key,
            timeout_s=min(5.0, timeout_s),
            batch_size=batch_size,
            backoff_max_s=backoff_max_s,
            interval_s=interval_s,
        ),
    )
    scanner = MemoryScanner(clock.now)
    services = build_services(config, clock=clock, printer=MemoryPrinter(), scanner=scanner)
    assert services.sync is not None
    worker, store, session = services.sync, services.store, services.session
    notices: list[str] = []
    scanner.start(lambda scan: notices.append(session.enter(scan.text).text), lambda e: None)
    worker.start()
    try:
        if not _wait(lambda: store.catalogue.ruleset() is not None, deadline):
            return SimulationResult(
                0,
                store.ledger.outbox_stats().pending,
                0,
                f"no ruleset from HQ yet: {worker.status().message}",
            )
        session.reset()
        cards = [r[0] for r in store.conn.execute("SELECT card FROM customers ORDER BY card")]
        # Goods a till sells by scanning their code: not by a scale label, nor gift cards
        # (a load waits for its card).
        skus = [
            r[0]
            for r in store.conn.execute(
                "SELECT sku FROM products WHERE unit='piece' AND loads_gift_card=0 ORDER BY sku"
            )
        ]
        refusals = 0
        for i in range(sales):
            if cards and i % 4 != 3:  # every 4th sale is anonymous
                scanner.feed(cards[i % len(cards)])
            for k in range(1 + i % 3):
                refusals += session.add(skus[(i * 7 + k * 3) % len(skus)], 1 + k % 2).refused
            if i % 5 == 0 and session.customer is not None:
                session.pay_with_points(None)  # a refusal is normal: low balance
            # Paid in notes of 50.00 (the change from the tender step's settle, as at a till)
            due = session.quote().to_pay.minor
            sale = session.commit(Handed(cash_minor=-(-due // 5000) * 5000))
            print_sale(store, services.printer, sale.seq, clock, config.store_name)
            worker.wake()
        drained = _wait(
            lambda: (
                worker.status().state is SyncState.ONLINE
                and store.ledger.outbox_stats().pending == 0
            ),
            deadline,
        )
        st = worker.status()
        pending = store.ledger.outbox_stats().pending
        msg = (
            "all sales acknowledged by HQ"
            if drained and pending == 0
            else (f"{pending} sales still pending (HQ {st.state.value}: {st.message})")
        )
        return SimulationResult(sales, pending, refusals, msg)
    finally:
        services.close()
