"""The till greets a customer by the name they chose, never by a full name HQ holds."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.ui.test_cashier_flows import type_in
from tests.ui.test_checkout_app import text_of
from tests.ui.till import till


def test_the_panel_and_the_message_show_the_greeting(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, "2900000000025")  # Иван Петров at HQ, who chose "Ваня"
            panel, message = text_of(app, "#customer"), text_of(app, "#message")
            assert "Ваня" in panel and "Ваня" in message
            assert "Петров" not in panel + message and "Иван" not in panel + message
            await type_in(pilot, "2900000000018")  # Anna Kowalska chose nothing: "Anna"
            panel = text_of(app, "#customer")
            assert "Anna" in panel and "Kowalska" not in panel

    asyncio.run(flow())
