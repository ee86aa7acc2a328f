"""At the till: a receipt of another till, scanned, opens its return from HQ's copy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.clock import FixedClock
from agent.notice import CommittedSale
from drivers.memory import MemoryPrinter
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.sync.test_partition import till
from tests.ui.test_checkout_app import text_of, until
from tests.ui.test_till_flows import printed, screen_text, type_in
from ui.config import Config, HqConfig
from ui.services import build_services
from ui.till.app import CheckoutApp
from ui.till.screens import ReturnScreen

ANNA = "2900000000018"
pytestmark = pytest.mark.e2e


def test_a_receipt_of_another_till_is_returned_here_from_hqs_copy(
    hq: HqProcess, tmp_path: Path
) -> None:
    hq.kill()
    hq.fixed_time = TUESDAY  # HQ signs with the clock the tills read
    hq.start()
    t1 = till(hq, tmp_path, "T1")
    try:
        assert t1.sync is not None
        t1.sync.run_once(t1.store)
        t1.session.enter(ANNA)
        t1.session.add("COFFEE", 2)
        assert isinstance(t1.session.commit(), CommittedSale)
        t1.sync.run_once(t1.store)
        assert t1.store.ledger.outbox_stats().pending == 0
    finally:
        t1.close()
    config = Config(
        terminal_id="T2",
        data_dir=tmp_path / "T2",
        hq=HqConfig(url=hq.url, secret="demo", public_key=hq.key, interval_s=0.2),
    )
    app = CheckoutApp(build_services(config, clock=FixedClock(TUESDAY), printer=MemoryPrinter()))
    store = app.services.store

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot.pause, lambda: store.catalogue.ruleset() is not None, "HQ")
            await type_in(pilot, "T1:1")  # the receipt's QR, of till T1
            assert isinstance(app.screen, ReturnScreen) and app.screen.seq == "T1:1"
            shown = screen_text(app)
            assert "Return from sale T1:1" in shown and "COFFEE" in shown
            assert "Money back PLN0.00; points taken back 0" in shown  # nothing chosen yet
            await pilot.press("plus", "plus")
            await pilot.pause()
            assert "Money back PLN79.80; points taken back 79" in screen_text(app)
            await pilot.press("minus")  # one of the two comes back
            await pilot.pause()
            assert "Money back PLN39.90; points taken back 40" in screen_text(app)
            await pilot.press("f10")  # the return, saved (a return has no tender step)
            await until(pilot.pause, lambda: len(printed(app)) == 1, "the return receipt")
            assert "RETURN T2:1" in printed(app)[0] and "of receipt T1:1" in printed(app)[0]
            await until(pilot.pause, lambda: store.ledger.outbox_stats().pending == 0, "upload")
            hq.kill()  # offline, HQ's default policy: refused, with the reason
            await type_in(pilot, "T1:1")
            assert text_of(app, "#message") == (
                "Receipt T1:1 is from another till and HQ cannot be reached: "
                "try again when it is back"
            )
            assert not isinstance(app.screen, ReturnScreen)

    asyncio.run(flow())
    hq.start()
    report = hq.report()
    assert report["quarantined"] == [] and report["total"]["returns"] == 1  # type: ignore[index]
