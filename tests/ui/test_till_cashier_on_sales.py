"""A sale rung up at the till says who was signed in (HQ's fraud signals read it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from agent.events import Sale, read_event
from tests.ui.test_cashier_flows import ANNA, type_in
from tests.ui.till import CASHIER_PIN, MANAGER_PIN, till


def test_each_sale_names_the_cashier_signed_in_when_it_was_rung_up(tmp_path: Path) -> None:
    app = till(tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await type_in(pilot, CASHIER_PIN)
            for code in (ANNA, "COFFEE"):
                await type_in(pilot, code)
            await pilot.press("f10", "f10")
            await pilot.pause()
            await pilot.press("f12")  # Ola locks the till; Marek signs in
            await pilot.pause()
            await type_in(pilot, MANAGER_PIN)
            await type_in(pilot, "MILK")
            await pilot.press("f10", "f10")
            await pilot.pause()
            events = app.services.store.ledger.pending_events(10)
            sales = [read_event(e.kind, e.body).record for e in events if e.kind == "sale"]
            assert [s.cashier for s in sales if isinstance(s, Sale)] == ["ola", "marek"]
            assert json.loads(events[0].body)["cashier"] == "ola"

    asyncio.run(flow())
