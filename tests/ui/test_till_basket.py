"""The basket a cashier works with (issue 18): six lines and the total at 80x24, the
selected line's quantity and removal, a code or points payment taken off, product
search, price check, parking and recalling sales (across a restart), reprints marked
as copies (after a restart too), the return screen starting with nothing chosen."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from agent.clock import FixedClock, SequentialIds
from agent.store import Store
from drivers.memory import MemoryPrinter
from tests.conftest import TUESDAY
from tests.ui.test_checkout_app import text_of, until
from tests.ui.test_till_flows import printed, screen_text, sell, type_in
from tests.ui.till import till
from ui.services import build_services
from ui.till.app import CheckoutApp
from ui.till.entry import HINT, PRICE_HINT
from ui.till.pickers import PickScreen
from ui.till.screens import ReturnScreen, TextScreen

ANNA = "2900000000018"
SIX = ["COFFEE", "MILK", "SYRUP", "JACKET", "SCARF", "WINE"]


def restarted(app: CheckoutApp, minutes: int = 5) -> CheckoutApp:
    """The same till started again on its store: nothing kept in memory."""
    later = FixedClock(TUESDAY)
    later.advance(seconds=60 * minutes)
    services = build_services(
        app.services.config,
        clock=later,
        ids=SequentialIds("r"),
        printer=MemoryPrinter(),
        with_sync=False,
    )
    return CheckoutApp(services)


def skus(app: CheckoutApp) -> dict[str, int]:
    return {ln.key: ln.qty for ln in app.session.basket.lines}


@pytest.mark.parametrize("language", ["en", "pl"])
def test_six_lines_and_the_total_are_in_view_at_80x24(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for entry in [ANNA, *SIX]:
                await type_in(pilot, entry)
            await pilot.press("f2")
            await pilot.pause()
            table = app.query_one("#lines", DataTable)
            assert table.row_count == 7  # six lines and the points payment
            assert table.max_scroll_y == 0 and table.size.height >= 8  # all of them shown
            totals = app.query_one("#totals")
            assert table.region.bottom <= totals.region.y  # below the lines, above the message
            assert totals.region.bottom <= app.query_one("#message").region.y
            first = text_of(app, "#totals").splitlines()[0]
            assert first.startswith("Total PLN" if language == "en" else "Razem ")
            for w in (app.query_one("#message"), app.query_one("#entry"), app.query_one("#keys")):
                assert w.region.height >= 1 and w.region.bottom <= 24  # nothing pushed off

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "ro"])
def test_the_selected_line_takes_a_typed_quantity_and_is_removed_without_a_pin(
    tmp_path: Path, language: str
) -> None:
    app = till(tmp_path, language=language)  # with staff: a void would need a manager

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await type_in(pilot, "1111")  # signed in as a cashier
            for entry in ("COFFEE", "MILK", "SYRUP"):
                await type_in(pilot, entry)
            table = app.query_one("#lines", DataTable)
            assert table.cursor_row == 2  # the line scanned last is selected
            await pilot.press("up")
            await pilot.pause()
            assert table.cursor_row == 1
            await pilot.press("5", "ctrl+e")  # five milks
            await pilot.pause()
            assert skus(app) == {"COFFEE": 1, "MILK": 5, "SYRUP": 1}
            assert app.query_one("#entry", Input).value == ""
            await pilot.press("2", "ctrl+e")
            await pilot.pause()
            assert skus(app)["MILK"] == 2
            await pilot.press("up", "delete")  # the coffee goes: no manager's PIN asked
            await pilot.pause()
            assert skus(app) == {"MILK": 2, "SYRUP": 1}
            assert app.screen is app.screen_stack[0]
            await pilot.press("1", "2", "3", "4", "ctrl+e")  # no quantity: refused, kept
            await pilot.pause()
            assert skus(app)["MILK"] == 2
            assert "refused" in app.query_one("#message").classes
            app.query_one("#entry", Input).value = ""
            await pilot.press("down", "0", "ctrl+e")  # 0 removes the selected line
            await pilot.pause()
            assert skus(app) == {"MILK": 2}
            await pilot.press("M", "delete")  # with text typed, Del edits the text
            await pilot.pause()
            assert skus(app) == {"MILK": 2}

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_points_paid_as_typed_and_removed_and_a_code_removed_without_a_void(
    tmp_path: Path, language: str
) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for entry in (ANNA, "COFFEE", "AUTUMN15"):
                await type_in(pilot, entry)
            q = app.session.quote()
            assert q.discounts and q.total.minor == 3391  # 39.90 less 15 % (5.99)
            await pilot.press("5", "0", "0", "f2")  # 500 points, typed
            await pilot.pause()
            assert app.session.quote().points_redeemed == 500
            assert app.session.quote().to_pay.minor == 3391 - 500
            table = app.query_one("#lines", DataTable)
            assert table.row_count == 3  # the coffee, the code, the points payment
            assert table.get_row_at(1)[0] == "AUTUMN15"
            await pilot.press("down", "down", "down")  # to the points payment (the last row)
            await pilot.press("delete")
            await pilot.pause()
            q = app.session.quote()
            assert q.points_redeemed == 0 and q.to_pay == q.total  # priced again
            assert table.row_count == 2
            await pilot.press("delete")  # the selection fell on the code: it goes too
            await pilot.pause()
            q = app.session.quote()
            assert not q.discounts and q.total.minor == 3990
            assert skus(app) == {"COFFEE": 1} and app.session.customer is not None
            await pilot.press("f2")  # nothing typed: the most possible
            await pilot.pause()
            assert app.session.quote().points_redeemed == app.session.quote().max_redeemable

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_product_found_by_name_or_code_is_added_from_the_results(
    tmp_path: Path, language: str
) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+f")
            await pilot.pause()
            assert isinstance(app.screen, PickScreen)
            await pilot.press(*"vanilla")  # by name, any case
            await pilot.pause()
            assert "SYRUP" in screen_text(app) and "COFFEE" not in screen_text(app)
            await pilot.press("enter")
            await pilot.pause()
            assert skus(app) == {"SYRUP": 1}
            await pilot.press(*"SC", "ctrl+f")  # typed first: by the start of a code
            await pilot.pause()
            assert isinstance(app.screen, PickScreen) and "Scarf" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert skus(app) == {"SYRUP": 1}
            await pilot.press("ctrl+f", *"e", "down", "enter")  # the second of several
            await pilot.pause()
            assert len(skus(app)) == 2

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "ro"])
def test_a_price_check_shows_price_and_promotions_and_sells_nothing(
    tmp_path: Path, language: str
) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await type_in(pilot, "COFFEE")
            await pilot.press("ctrl+g")
            await type_in(pilot, "MILK")
            assert isinstance(app.screen, TextScreen)
            shown = screen_text(app)
            assert "Milk 1 l" in shown and "MILK3FOR2" in shown  # buy 3: not with one
            assert skus(app) == {"COFFEE": 1}  # nothing added
            await pilot.press("escape")
            await type_in(pilot, "SYRUP")  # still checking prices
            assert isinstance(app.screen, TextScreen) and "Vanilla syrup" in screen_text(app)
            await pilot.press("escape", "ctrl+g")  # the check ends: scans sell again
            await type_in(pilot, "MILK")
            assert skus(app) == {"COFFEE": 1, "MILK": 1}

    asyncio.run(flow())


def test_the_entry_keeps_saying_price_check_across_a_change_of_language(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            entry = app.query_one("#entry", Input)
            await pilot.press("ctrl+g", "f9")  # F9: the next language, Russian
            await pilot.pause()
            assert entry.placeholder == app.t(PRICE_HINT) != PRICE_HINT
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert entry.placeholder == app.t(HINT)

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_parked_sales_survive_a_restart_and_are_recalled_priced_again(
    tmp_path: Path, language: str
) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def park_two() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for entry in (ANNA, "COFFEE", "3*MILK", "AUTUMN15"):
                await type_in(pilot, entry)
            await pilot.press("ctrl+o")
            await pilot.pause()
            assert not app.session.basket.lines and app.session.customer is None
            await type_in(pilot, "SCARF")
            await pilot.press("ctrl+o")  # a second one, anonymous
            await pilot.pause()
            await sell(pilot, app, "JACKET")  # the next customer served meanwhile

    asyncio.run(park_two())
    again = restarted(app)

    async def recall_after_restart() -> None:
        async with again.run_test(size=(80, 24)) as pilot:
            await type_in(pilot, "WINE")
            await pilot.press("ctrl+r")  # a sale is open: refused
            await pilot.pause()
            assert not isinstance(again.screen, PickScreen)
            await pilot.press("delete")
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(again.screen, PickScreen)
            shown = screen_text(again)
            assert "Anna" in shown
            await pilot.press("enter")  # the oldest: Anna's
            await pilot.pause()
            s = again.session
            assert s.customer is not None and s.customer.name == "Anna"
            assert skus(again) == {"COFFEE": 1, "MILK": 3} and s.codes == {"AUTUMN15"}
            assert s.quote().at == again.services.clock.now()  # priced at recall time
            await pilot.press("ctrl+r")  # refused: Anna's sale is open
            await pilot.press("f10", "f10")  # the tender step, then exact cash
            await until(pilot.pause, lambda: len(printed(again)) == 1, "the receipt")
            await pilot.press("ctrl+r", "enter")  # the other one
            await pilot.pause()
            assert skus(again) == {"SCARF": 1} and again.session.customer is None
            await pilot.press("f4", "ctrl+r")
            await pilot.pause()
            assert text_of(again, "#message") == again.t("No parked sales")

    asyncio.run(recall_after_restart())
    store = Store.open(app.services.config.db_path)
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM journal ORDER BY seq")]
    assert kinds == ["sale", "sale"]  # the jacket, then Anna's recalled sale: no parked rows
    store.close()


@pytest.mark.parametrize(
    ("language", "copy", "number"),
    [("en", "*** COPY ***", "Receipt T1:1"), ("pl", "*** KOPIA ***", "Paragon T1:1")],
)
def test_a_reprint_is_marked_as_a_copy_and_found_after_a_restart(
    tmp_path: Path, language: str, copy: str, number: str
) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def sale() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE")
            assert copy not in printed(app)[0]  # the original is no copy
            await pilot.press("f8")
            await until(pilot.pause, lambda: len(printed(app)) == 2, "the reprint")
            assert printed(app)[1].count(copy) == 2  # at the top and the end
            assert number in printed(app)[1]

    asyncio.run(sale())
    again = restarted(app)

    async def reprint() -> None:
        async with again.run_test(size=(80, 24)) as pilot:
            await pilot.press("f8")  # nothing in memory: the store knows the last sale
            await until(pilot.pause, lambda: len(printed(again)) == 1, "the reprint")
            text = printed(again)[0]
            assert number in text and text.count(copy) == 2

    asyncio.run(reprint())


def test_the_return_screen_starts_with_nothing_chosen(tmp_path: Path) -> None:
    app = till(tmp_path, language="ru", staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE", "3*MILK")
            await type_in(pilot, "T1:1")
            screen = app.screen
            assert isinstance(screen, ReturnScreen) and screen.chosen() == {}
            await pilot.press("f10")  # nothing chosen: nothing returned
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("down", "plus", "f10")
            await until(pilot.pause, lambda: len(printed(app)) == 2, "the return")
            assert "MILK x1" in printed(app)[1]

    asyncio.run(flow())
