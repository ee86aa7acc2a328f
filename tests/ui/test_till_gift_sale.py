"""Selling a gift card at the till: the app asks for the card, and refuses to complete
the sale until each load line has its card (a refusal, not a crash)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot

from tests.ui.test_checkout_app import text_of
from tests.ui.till import till


async def type_in(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


def test_complete_refuses_a_gift_card_line_without_its_card(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, "GIFT50")
            assert text_of(app, "#message") == "Gift card 50 x1; scan the gift card to load"
            await pilot.press("f10")
            await pilot.pause()
            assert text_of(app, "#message") == (
                "The sale cannot be completed yet: "
                "Gift card 50: scan the gift card it loads before the sale is paid"
            )
            assert app.query_one("#message").has_class("refused")
            assert app.session.basket.lines  # the sale stays open
            await type_in(pilot, "GC0000000009")
            await pilot.press("f10", "f10")
            await pilot.pause()
            assert text_of(app, "#message").startswith("Sale 1 ")
            balance = app.services.store.ledger.gift_card_balance("GC0000000009")
            assert balance is not None and balance.minor == 5000

    asyncio.run(flow())
