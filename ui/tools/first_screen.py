"""Helper process for `kassa bench`: start the app headless, print when the first screen is up."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def _kassa(workdir: Path) -> None:
    from agent.clock import SystemClock
    from agent.demo import demo_store
    from drivers.memory import MemoryPrinter
    from ui.config import Config
    from ui.services import build_services
    from ui.till.app import CheckoutApp

    db_dir = workdir / "first-screen"
    if not (db_dir / "terminal.db").exists():
        db_dir.mkdir(parents=True, exist_ok=True)
        demo_store(db_dir / "terminal.db").close()
    services = build_services(
        Config("B1", db_dir), clock=SystemClock(), printer=MemoryPrinter(), with_sync=False
    )
    app = CheckoutApp(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        print("first-screen", flush=True)


async def _empty() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Empty(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("empty")

    async with Empty().run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        print("first-screen", flush=True)


if __name__ == "__main__":
    mode, workdir = sys.argv[1], Path(sys.argv[2])
    asyncio.run(_kassa(workdir) if mode == "kassa" else _empty())
