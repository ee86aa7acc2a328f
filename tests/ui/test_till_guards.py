"""Nothing the cashier set disappears unsaid, and nothing a person types or scans where
it does not belong crashes the till: a scan after Tab, a second card mid-sale, Ctrl+Q
with a sale open, a card number typed as an adjustment."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Static

from tests.ui.test_cashier_flows import ANNA, type_in
from tests.ui.test_checkout_app import text_of
from tests.ui.till import CASHIER_PIN, MANAGER_PIN, till
from ui.till.screens import AdjustScreen, ConfirmScreen

IVAN = "2900000000025"


def test_a_scan_after_tab_still_reaches_the_sale(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("tab", "tab", "shift+tab")
            await type_in(pilot, "MILK")  # a wedge scanner types wherever the focus is
            assert [ln.sku for ln in app.session.basket.lines] == ["MILK"]

    asyncio.run(flow())


def test_a_second_card_mid_sale_asks_before_it_replaces_the_customer(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            await type_in(pilot, "COFFEE")
            await pilot.press("f2")  # the most points Anna may pay
            await pilot.pause()
            paid = app.session.quote().points_redeemed
            assert paid > 0
            await type_in(pilot, IVAN)
            assert isinstance(app.screen, ConfirmScreen)  # asked, nothing changed yet
            assert app.session.customer is not None and app.session.customer.name == "Anna"
            await pilot.press("escape")  # no: Anna stays, with her payment
            await pilot.pause()
            assert app.session.customer.name == "Anna"
            assert app.session.quote().points_redeemed == paid
            assert text_of(app, "#message") == "Anna stays on this sale"
            await type_in(pilot, IVAN)
            await pilot.press("enter")  # yes: Ivan's sale now, Anna's payment gone, said so
            await pilot.pause()
            assert app.session.customer.name == "Ваня"  # the greeting he chose
            assert app.session.quote().points_redeemed == 0
            assert [ln.sku for ln in app.session.basket.lines] == ["COFFEE"]

    asyncio.run(flow())


def test_the_points_payment_follows_the_basket_and_is_never_dropped_unsaid(
    tmp_path: Path,
) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            await type_in(pilot, "COFFEE")
            await pilot.press("f2")
            await pilot.pause()
            before = app.session.quote().points_redeemed
            await type_in(pilot, "JACKET")  # a bigger basket: the most possible grows
            assert app.session.quote().points_redeemed > before
            assert "points payment now" in text_of(app, "#message")

    asyncio.run(flow())


def test_ctrl_q_with_a_sale_open_asks_first(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await type_in(pilot, "MILK")
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.is_running
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and [ln.sku for ln in app.session.basket.lines] == ["MILK"]
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(flow())


def test_an_adjustment_takes_no_card_number_and_asks_again_above_the_threshold(
    tmp_path: Path,
) -> None:
    app = till(tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, CASHIER_PIN)
            await type_in(pilot, ANNA)
            await pilot.press("f7")
            await pilot.pause()
            await type_in(pilot, MANAGER_PIN)
            for typed in ("+99999999999999999999", "9223372036854775807", ANNA):
                field = app.screen.query_one("#adjust-points")
                field.value = ""  # type: ignore[attr-defined]
                field.focus()
                await type_in(pilot, typed)
                await type_in(pilot, "a reason")
                assert isinstance(app.screen, AdjustScreen)  # refused on the form, no crash
                error = str(app.screen.query_one("#adjust-error", Static).content)
                assert "Points other than 0" in error
            field = app.screen.query_one("#adjust-points")
            field.value = ""  # type: ignore[attr-defined]
            field.focus()
            await type_in(pilot, "+5000")  # within HQ's bound (10,000), above 1,000: ask
            await type_in(pilot, "goodwill")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("enter")
            await pilot.pause()
            assert text_of(app, "#message") == "+5000 points for Anna: balance 8000"

    asyncio.run(flow())
