"""A card this till does not hold, with no HQ to ask (issue 15): the cashier is told the
sale earns for the card, which HQ credits, and that no points can be spent."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.codes import make_card_number
from tests.ui.test_cashier_flows import type_in
from tests.ui.test_checkout_app import text_of
from tests.ui.till import till

NEW_CARD = make_card_number(777)


def test_the_cashier_is_told_an_unknown_card_earns_and_spends_nothing(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, NEW_CARD)
            message = text_of(app, "#message")
            assert f"Card {NEW_CARD} is not known here yet" in message
            assert "no points can be spent" in message
            assert NEW_CARD in text_of(app, "#customer")

    asyncio.run(flow())


def test_the_message_is_in_the_cashiers_language(tmp_path: Path) -> None:
    app = till(tmp_path, language="pl", staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, NEW_CARD)
            message = text_of(app, "#message")
            assert f"Karta {NEW_CARD} nie jest jeszcze tu znana" in message

    asyncio.run(flow())
