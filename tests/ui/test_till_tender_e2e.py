"""End to end: a sale paid at the till's tender step (gift card, card, cash with change)
reaches the reference HQ, running as its own process, with its tenders."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.clock import FixedClock
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.ui.test_checkout_app import until
from ui.config import Config, HqConfig
from ui.services import build_services
from ui.till.app import CheckoutApp

pytestmark = pytest.mark.e2e


def test_tenders_reach_hq(hq: HqProcess, tmp_path: Path) -> None:
    hq.kill()
    hq.fixed_time = TUESDAY  # HQ signs with the same clock the terminal reads
    hq.start()
    config = Config(
        terminal_id="T1",
        data_dir=tmp_path / "T1",
        store_name="Test store",
        hq=HqConfig(url=hq.url, secret="demo", public_key=hq.key, interval_s=0.2),
    )
    services = build_services(config, clock=FixedClock(TUESDAY))
    app = CheckoutApp(services)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(
                pilot.pause,
                lambda: services.store.catalogue.ruleset() is not None,
                "the first snapshot from HQ",
            )
            await pilot.press(*"COFFEE", "enter", "f10")  # 39.90
            await pilot.press(*"20", "f6", *"GC0000000001", "enter")  # 20.00 by gift card
            await pilot.press(*"10", "f5")  # 10.00 by card
            await pilot.press(*"20", "enter")  # 20.00 cash for 9.90: 10.10 change
            await until(pilot.pause, lambda: services.store.ledger.sales_count() == 1, "the sale")
            await until(
                pilot.pause, lambda: services.store.ledger.outbox_stats().pending == 0, "the upload"
            )

    asyncio.run(flow())
    report = hq.report()
    assert report["quarantined"] == []
    paid = report["tenders"]
    assert isinstance(paid, dict)
    assert paid["total"] == {"gift_card": 2000, "card": 1000, "cash": 990, "change": 1010}
    assert paid["terminals"] == {"T1": {"gift_card": 2000, "card": 1000, "cash": 990}}
