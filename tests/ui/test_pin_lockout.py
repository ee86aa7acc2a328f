"""Wrong PINs close PIN entry for a growing while, across a restart, and HQ hears of it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from agent.clock import FixedClock, SequentialIds
from agent.lockout import FIRST_WAIT_S, MAX_WAIT_S, wait_after
from agent.store import Store
from drivers.memory import MemoryPrinter
from tests.conftest import TUESDAY
from tests.ui.till import CASHIER_PIN, MANAGER_PIN, till
from ui.services import build_services
from ui.till.app import CheckoutApp
from ui.till.screens import PinScreen


async def type_in(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


def pin_error(app: CheckoutApp) -> str:
    return str(app.screen.query_one("#pin-error", Static).content)


def clock_of(app: CheckoutApp) -> FixedClock:
    clock = app.services.clock
    assert isinstance(clock, FixedClock)
    return clock


def audits(db: Path) -> list[dict[str, object]]:
    store = Store.open(db)
    try:
        rows = store.conn.execute("SELECT body FROM journal WHERE kind='audit' ORDER BY seq")
        return [json.loads(body) for (body,) in rows]
    finally:
        store.close()


def test_the_wait_grows_after_three_wrong_pins_and_is_capped() -> None:
    assert [wait_after(n) for n in range(6)] == [0, 0, 0, 30, 60, 120]
    assert wait_after(40) == MAX_WAIT_S == wait_after(10**6)


def test_wrong_pins_lock_out_even_the_right_one_until_the_wait_is_over(tmp_path: Path) -> None:
    app = till(tmp_path)
    clock = clock_of(app)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for guess in ("0000", "0001"):
                await type_in(pilot, guess)
                assert pin_error(app) == "Wrong PIN"
            await type_in(pilot, "0002")
            assert pin_error(app) == f"Too many wrong PINs: wait {FIRST_WAIT_S} s"
            clock.advance(seconds=FIRST_WAIT_S - 1)
            await type_in(pilot, CASHIER_PIN)  # the right PIN, too early: not looked at
            assert isinstance(app.screen, PinScreen) and app.cashier is None
            assert pin_error(app) == "Too many wrong PINs: wait 1 s"
            clock.advance(seconds=1)
            await type_in(pilot, "0003")  # one more wrong: twice as long
            assert pin_error(app) == f"Too many wrong PINs: wait {2 * FIRST_WAIT_S} s"
            clock.advance(seconds=2 * FIRST_WAIT_S)
            await type_in(pilot, CASHIER_PIN)
            assert not isinstance(app.screen, PinScreen) and app.cashier is not None
            # A right PIN starts the count again: three more tries before a wait.
            await pilot.press("f12")
            await pilot.pause()
            await type_in(pilot, "0004")
            await type_in(pilot, "0005")
            assert pin_error(app) == "Wrong PIN"
            await type_in(pilot, MANAGER_PIN)
            assert app.cashier is not None and app.cashier.name == "Marek"

    asyncio.run(flow())
    lockouts = audits(app.services.config.db_path)
    assert [(a["action"], a["cashier"], a["points"]) for a in lockouts] == [
        ("pin_lockout", None, 0),
        ("pin_lockout", None, 0),
    ]
    assert "3 wrong PINs" in str(lockouts[0]["reason"])
    assert lockouts[0]["at"] == TUESDAY.isoformat()


def test_the_lockout_survives_a_restart_and_reaches_hq_moving_no_balance(tmp_path: Path) -> None:
    app = till(tmp_path)

    async def guess(app: CheckoutApp) -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            for pin in ("1234", "4321", "5555"):
                await type_in(pilot, pin)

    asyncio.run(guess(app))
    later = FixedClock(TUESDAY)
    later.advance(seconds=10)
    again = CheckoutApp(
        build_services(
            app.services.config,
            clock=later,
            ids=SequentialIds("r"),
            printer=MemoryPrinter(),
            with_sync=False,
        )
    )

    async def restarted() -> None:
        async with again.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert pin_error(again) == f"Too many wrong PINs: wait {FIRST_WAIT_S - 10} s"
            await type_in(pilot, CASHIER_PIN)
            assert again.cashier is None
            later.advance(seconds=FIRST_WAIT_S)
            await type_in(pilot, CASHIER_PIN)
            assert again.cashier is not None

    asyncio.run(restarted())
    from sync.hq.ingest import ingest
    from sync.hq.seed import seed_demo
    from sync.hq.snapshot import snapshot
    from sync.hq.store import HqStore

    hq = HqStore(tmp_path / "hq.db")
    seed_demo(hq)
    s = Store.open(app.services.config.db_path)
    try:
        before = {c["customer_id"]: c["balance"] for c in snapshot(hq, "T1", 0, 0)["customers"]}
        wire = [e.to_wire() for e in s.ledger.pending_events(10)]
        result = ingest(hq, "T1", wire, "2026-11-24T09:00:00Z")
        assert [r.status for r in result.results] == ["stored"]
        (kind, body) = hq.conn.execute("SELECT kind, body FROM hq_events").fetchone()
        assert kind == "audit" and json.loads(body)["action"] == "pin_lockout"
        after = {c["customer_id"]: c["balance"] for c in snapshot(hq, "T1", 0, 0)["customers"]}
        assert after == before
    finally:
        s.close()
        hq.conn.close()
