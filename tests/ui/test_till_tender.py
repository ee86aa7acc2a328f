"""The tender step at the till (Pilot), in two languages: cash with change, a gift card
and cash, points and a card, Esc back to the sale; the total and change stay in view
until the next sale begins."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Digits, Static

from agent.events import Sale
from agent.paid import Paid, TenderKind
from tests.ui.till import till
from ui.till.app import CheckoutApp
from ui.till.tender import TenderScreen

ANNA = "2900000000018"
WORDS = {
    "en": {"change": "Change: PLN60.10", "to_pay": "To pay: PLN19.90", "digits": "60.10"},
    "pl": {"change": "Reszta: 60,10\xa0zł", "to_pay": "Do zapłaty: 19,90\xa0zł", "digits": "60,10"},
}


def text(app: CheckoutApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def sale(app: CheckoutApp, seq: int) -> Sale:
    event = app.services.store.ledger.sale_event(seq)
    assert event is not None and isinstance(event.record, Sale)
    return event.record


async def sell(pilot: Pilot[None], *codes: str) -> None:
    for code in codes:
        await pilot.press(*code, "enter")
    await pilot.press("f10")
    await pilot.pause()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_cash_with_change_stays_in_view_until_the_next_sale(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, "COFFEE")
            assert isinstance(app.screen, TenderScreen)
            await pilot.press(*"20", "enter")  # 20.00 of 39.90
            await pilot.pause()
            assert WORDS[language]["to_pay"] in text(app, "#tender-big-label")
            assert app.services.store.ledger.sales_count() == 0
            await pilot.press(*"80", "enter")  # 100.00 handed over in all
            await pilot.pause()
            assert app.services.store.ledger.sales_count() == 1
            assert isinstance(app.screen, TenderScreen)  # still in view, with the change
            assert WORDS[language]["change"] in text(app, "#tender-big-label")
            assert (
                str(app.screen.query_one("#tender-big", Digits).value) == WORDS[language]["digits"]
            )
            recorded = sale(app, 1)
            assert recorded.tenders == (Paid(TenderKind.CASH, 3990, 10000),)
            assert recorded.change_minor == 6010
            await pilot.press(*"MILK", "enter")  # the next sale begins
            await pilot.pause()
            assert not isinstance(app.screen, TenderScreen)
            assert app.session.basket.lines[0].sku == "MILK"

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_gift_card_pays_20_and_cash_the_rest(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, "COFFEE")
            await pilot.press(*"20", "f6", *"GC0000000001", "enter")
            await pilot.pause()
            assert WORDS[language]["to_pay"] in text(app, "#tender-big-label")
            await pilot.press("f10")  # exact cash
            await pilot.pause()
            assert sale(app, 1).tenders == (
                Paid(TenderKind.GIFT_CARD, 2000),
                Paid(TenderKind.CASH, 1990, 1990),
            )
            assert sale(app, 1).gift_card == ("GC0000000001", 2000)

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_points_then_a_card(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, ANNA, "COFFEE")
            await pilot.press(*"600", "f7")
            await pilot.pause()
            await pilot.press(*"50", "f5")  # more than is due: refused
            await pilot.pause()
            assert app.screen.query_one("#tender-message").has_class("refused")
            assert app.services.store.ledger.sales_count() == 0
            await pilot.press("f5")  # the rest by card
            await pilot.pause()
            assert sale(app, 1).tenders == (
                Paid(TenderKind.POINTS, 600),
                Paid(TenderKind.CARD, 3390),
            )

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "pl"])
def test_esc_goes_back_to_the_sale_without_committing(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, ANNA, "COFFEE")
            await pilot.press(*"600", "f7", *"10", "enter", "f4")  # F4 does nothing here
            await pilot.pause()
            assert isinstance(app.screen, TenderScreen) and app.session.basket.lines
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, TenderScreen)
            assert app.services.store.ledger.sales_count() == 0
            assert app.session.redeem_points == 0 and app.session.basket.lines
            assert app.session.quote().to_pay.minor == 3990

    asyncio.run(flow())


def test_an_empty_basket_opens_no_tender_step(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f10")
            await pilot.pause()
            assert not isinstance(app.screen, TenderScreen)
            assert "basket is empty" in str(app.query_one("#message", Static).content)

    asyncio.run(flow())


def test_scans_during_the_tender_step(tmp_path: Path) -> None:
    """A scanned gift card pays; another code waits for the payment; once the sale is
    paid, a scan begins the next sale."""
    from agent.model import Scan, Symbology
    from tests.conftest import TUESDAY
    from ui.till.app import CodeScanned

    app = till(tmp_path, staff=False)

    def scan(text: str) -> None:
        app.post_message(CodeScanned(Scan(Symbology.CODE128, text, "scanner", TUESDAY)))

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, "COFFEE")
            scan("MILK")
            await pilot.pause()
            assert app.screen.query_one("#tender-message").has_class("refused")
            assert [ln.sku for ln in app.session.basket.lines] == ["COFFEE"]
            scan("GC0000000001")  # 50.00 on it: pays all 39.90
            await pilot.pause()
            assert sale(app, 1).tenders == (Paid(TenderKind.GIFT_CARD, 3990),)
            assert isinstance(app.screen, TenderScreen)
            scan("MILK")
            await pilot.pause()
            await pilot.pause()
            assert not isinstance(app.screen, TenderScreen)
            assert [ln.sku for ln in app.session.basket.lines] == ["MILK"]

    asyncio.run(flow())


def test_parking_waits_while_paying_and_works_once_paid(tmp_path: Path) -> None:
    """Ctrl+O during the tender step parks nothing (the tenders are half taken); once the
    sale is paid it closes the paid screen and parks the next sale as on the basket."""
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await sell(pilot, "COFFEE")
            await pilot.press(*"20", "enter", "ctrl+o")  # half paid
            await pilot.pause()
            assert isinstance(app.screen, TenderScreen)
            assert app.services.store.ledger.sales_count() == 0
            await pilot.press(*"20", "enter")  # paid: 40.00 for 39.90
            await pilot.pause()
            assert app.services.store.ledger.sales_count() == 1
            await pilot.press("ctrl+r")  # closes the paid screen, then asks to recall
            await pilot.pause()
            assert not isinstance(app.screen, TenderScreen)
            assert app.t("No parked sales") in str(app.query_one("#message", Static).content)

    asyncio.run(flow())
