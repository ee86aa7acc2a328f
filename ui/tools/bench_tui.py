"""`kassa bench` keypress_to_quote_p99_ms: a key that changes a 40-line basket to the
updated quote on the screen (headless Textual, in-process)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import events

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import Product
from agent.money import Money
from drivers.memory import MemoryPrinter
from ui.tools.measure import AT, p99


def _till(workdir: Path) -> Any:
    from textual.widgets import Input, Static

    from ui.config import Config
    from ui.services import build_services
    from ui.till.app import CheckoutApp

    store = demo_store(workdir / "terminal.db")
    products = [
        Product(f"B{i:02d}", f"Bench item {i}", Money(199 + 37 * i, "PLN"), f"cat{i % 10}")
        for i in range(40)
    ]
    store.catalogue.apply_snapshot(
        products=products, customers=[], ruleset=None, cursor="2", received_at=AT
    )
    store.close()
    services = build_services(
        Config("T1", workdir),
        clock=FixedClock(AT),
        ids=SequentialIds(),
        printer=MemoryPrinter(),
        with_sync=False,
    )
    return CheckoutApp(services), Input, Static


async def _measure(workdir: Path, presses: int) -> list[float]:
    app, Input, Static = _till(workdir)
    samples: list[float] = []
    async with app.run_test(size=(140, 50)) as pilot:
        entry = app.query_one("#entry", Input)
        totals = app.query_one("#totals", Static)
        app.session.enter("2900000000032")
        for i in range(40):
            app.session.add(f"B{i:02d}")
        app.render_sale()
        await pilot.pause()
        for i in range(presses):
            entry.value = f"B{i % 40:02d}"  # typed; the Enter key below changes the basket
            before = str(totals.content)
            await pilot.pause()
            t0 = time.perf_counter()
            # The key as the terminal driver delivers it (Pilot.press adds ~80 ms of its
            # own waiting for the screen to settle, which is not the till's).
            app.post_message(events.Key("enter", "\r"))  # as from the terminal driver
            while str(totals.content) == before:
                if time.perf_counter() - t0 > 10:
                    raise RuntimeError("the quote did not update after Enter")
                await asyncio.sleep(0)
            samples.append(time.perf_counter() - t0)
    return samples


def bench_keypress(presses: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kassa-tui-") as d:
        samples = asyncio.run(_measure(Path(d), presses))
    return {
        "keypress_to_quote_p99_ms": p99(samples) * 1000,
        "keypress_to_quote_median_ms": statistics.median(samples) * 1000,
    }
