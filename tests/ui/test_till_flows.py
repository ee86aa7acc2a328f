"""Returns by the receipt's QR, reprints by number, the day report, device and sync status."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from agent.store import Store
from drivers.escpos_text import decode_escpos
from drivers.memory import MemoryPrinter
from drivers.printer import PrinterConfig, code_pages
from tests.ui.test_checkout_app import text_of, until
from tests.ui.till import till
from ui.till.app import CheckoutApp
from ui.till.screens import ReturnScreen, TextScreen

ANNA = "2900000000018"


async def type_in(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


def printed(app: CheckoutApp) -> list[str]:
    printer = app.services.printer
    assert isinstance(printer, MemoryPrinter)
    pages = code_pages(PrinterConfig())
    return [decode_escpos(job, pages).text for job in printer.jobs]


async def sell(pilot: Pilot[None], app: CheckoutApp, *entries: str) -> None:
    for e in entries:
        await type_in(pilot, e)
    jobs = len(printed(app))
    await pilot.press("f10", "f10")  # the tender step: exact cash
    await until(pilot.pause, lambda: len(printed(app)) > jobs, "the receipt")


def screen_text(app: CheckoutApp) -> str:
    return "\n".join(str(w.content) for w in app.screen.query(Static))


def test_a_return_by_the_receipt_qr_shows_the_reversal_before_it_is_saved(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE", "3*MILK")  # sale 1: 39 + 4 points
            await type_in(pilot, "T1:1")  # the receipt's QR, scanned or typed
            assert isinstance(app.screen, ReturnScreen)
            shown = screen_text(app)
            assert "COFFEE" in shown and "MILK" in shown
            # Nothing is chosen to start with: the cashier picks what comes back.
            assert "Money back PLN0.00; points taken back 0" in shown
            assert " 0 / 1" in shown and " 0 / 3" in shown
            await pilot.press("plus", "down", "plus", "plus", "plus")  # all of it
            await pilot.pause()
            assert "Money back PLN48.90; points taken back 48" in screen_text(app)  # MILK3FOR2
            await pilot.press("up", "minus", "minus")  # not the coffee: one line down
            await pilot.press("down", "minus", "minus")  # two of the three milks stay
            await pilot.pause()
            shown = screen_text(app)
            assert "Money back PLN3.00; points taken back 3" in shown  # 9.00 for 3 milks
            await pilot.press("f10")
            await until(pilot.pause, lambda: len(printed(app)) == 2, "the return receipt")
            assert text_of(app, "#message").startswith("Sale 2 complete")
            assert "RETURN T1:2" in printed(app)[1] and "of receipt T1:1" in printed(app)[1]
            assert app.session.balance() is None  # the till is back on an empty sale
            await type_in(pilot, "T1:1")  # what is left of the sale can still come back
            shown = screen_text(app)
            assert "COFFEE" in shown and " 0 / 2" in shown and "PLN0.00" in shown
            await pilot.press("plus", "down", "plus", "plus")
            await pilot.pause()
            assert " 2 / 2" in screen_text(app) and "PLN45.90" in screen_text(app)
            await pilot.press("escape")
            await pilot.pause()
            assert text_of(app, "#message") == "Return cancelled"
            await type_in(pilot, "T9:1")
            assert text_of(app, "#message") == (  # no HQ to ask for another till's sale
                "Receipt T9:1 is from another till and HQ cannot be reached: "
                "try again when it is back"
            )

    asyncio.run(flow())
    store = Store.open(app.services.config.db_path)
    customer = store.catalogue.customer_by_card(ANNA)
    now = app.services.clock.now()
    assert customer is not None and store.catalogue.balance(customer, now) == 3000 + 48 - 3
    assert store.ledger.verify() is None
    store.close()


def test_the_number_printed_on_a_receipt_opens_its_return(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE")
            found = re.search(r"Receipt (\S+)", printed(app)[0])
            assert found is not None
            await type_in(pilot, found.group(1))  # read off the paper, as the cashier would
            assert isinstance(app.screen, ReturnScreen) and app.screen.seq == 1

    asyncio.run(flow())


def test_any_receipt_is_reprinted_by_its_number(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await sell(pilot, app, "MILK")
            await sell(pilot, app, ANNA, "COFFEE")
            app.query_one("#entry").value = "1"  # type: ignore[attr-defined]
            await pilot.press("f8")
            await until(pilot.pause, lambda: len(printed(app)) == 3, "the reprint")
            assert "Receipt T1:1" in printed(app)[2]
            await pilot.press("f8")  # nothing typed: the last receipt
            await until(pilot.pause, lambda: len(printed(app)) == 4, "the last receipt")
            assert "Receipt T1:2" in printed(app)[3]
            app.query_one("#entry").value = "77"  # type: ignore[attr-defined]
            await pilot.press("f8")
            await pilot.pause()
            assert text_of(app, "#message") == "No receipt 77 on this till"

    asyncio.run(flow())


def test_the_day_report_and_the_status_page(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, language="pl")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE")
            await pilot.press("f6")
            await pilot.pause()
            assert isinstance(app.screen, TextScreen)
            shown = screen_text(app)
            rows = {ln[:28].strip(): ln[28:].strip() for ln in shown.splitlines() if ln.strip()}
            assert rows["Sprzedaże"] == "1" and rows["Punkty przyznane"] == "39"
            assert rows["Sprzedaże offline"] == "0"
            cash = next(ln for ln in shown.splitlines() if ln.startswith("Gotówka"))
            cells = [c.strip() for c in cash.split("  ") if c.strip()]
            assert cells == ["Gotówka", "39,90\xa0zł", "0,00\xa0zł", "39,90\xa0zł"]
            await pilot.press("p")  # printed on the till's printer
            await until(pilot.pause, lambda: len(printed(app)) == 2, "the report print")
            assert "Raport lojalnościowy T1" in printed(app)[1]  # the store's language
            await pilot.press("f3")
            await until(pilot.pause, lambda: isinstance(app.screen, TextScreen), "the status")
            shown = screen_text(app)
            assert "Urządzenia" in shown and "sprzedaży czeka na synchr.: 1" in shown
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, TextScreen)

    asyncio.run(flow())


def test_the_customer_panel_shows_tier_progress_and_coupons(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            panel = text_of(app, "#customer")
            assert "Balance: 3000 points" in panel
            assert "Silver after PLN180.00 more" in panel  # 1,000.00 to qualify, 820.00 spent
            await type_in(pilot, "2900000000032")  # Ioana: Gold, a personal coupon
            panel = text_of(app, "#customer")
            assert "Coupons: SYRUP20" in panel and "after" not in panel  # no tier above Gold

    asyncio.run(flow())


def test_enrolment_with_separate_consents_and_a_new_card(tmp_path: Path) -> None:
    from agent.codes import make_card_number
    from sync.hq.ingest import ingest
    from sync.hq.seed import seed_demo
    from sync.hq.snapshot import snapshot
    from sync.hq.store import HqStore

    app = till(tmp_path, staff=False)
    card = make_card_number(500)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f5")
            await pilot.pause()
            await type_in(pilot, "Ewa")
            await type_in(pilot, "")  # no phone: it is optional
            await type_in(pilot, card)
            await pilot.press("f10")  # terms not accepted: refused, the form stays
            await pilot.pause()
            error = str(app.screen.query_one("#enrol-error", Static).content)
            assert error == "The customer must accept the programme's terms to join"
            await pilot.press("space", "f10")  # the terms box has the focus after the card
            await pilot.pause()
            assert text_of(app, "#message") == "Customer Ewa (Bronze), balance 0 points"
            assert "Ewa" in text_of(app, "#customer")
            await type_in(pilot, "COFFEE")
            await pilot.press("f10", "f10")
            await until(pilot.pause, lambda: len(printed(app)) == 1, "her first receipt")

    asyncio.run(flow())
    store = Store.open(app.services.config.db_path)
    hq = HqStore(tmp_path / "hq.db")
    seed_demo(hq)
    try:
        ingest(
            hq, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], "2026-11-24T09:00:00Z"
        )
        (ewa,) = [c for c in snapshot(hq, "T1", 0, 0)["customers"] if c["card"] == card]
        assert ewa["greeting"] == "Ewa" and ewa["balance"] == 39 + 50  # coffee, WELCOME50
        (doc,) = hq.conn.execute("SELECT doc FROM hq_customers WHERE card=?", (card,)).fetchone()
        consents = json.loads(doc)["consents"]  # kept at HQ, never sent to a terminal
        assert consents["terms"] is True and consents["marketing"] is False
        assert "consents" not in ewa
        assert store.ledger.verify() is None
    finally:
        store.close()


def test_a_slow_printer_does_not_freeze_the_till(tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    class SlowPrinter(MemoryPrinter):
        def print_receipt(self, receipt: object) -> bytes:  # type: ignore[override]
            release.wait(10)  # a printer taking its time (a serial line, a jam)
            return super().print_receipt(receipt)  # type: ignore[arg-type]

    app = till(tmp_path, staff=False)
    app.services.printer = SlowPrinter()

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            await type_in(pilot, "MILK")
            await pilot.press("f10", "f10")
            saving = "Sale 1 saved. Printing the receipt…"
            await until(pilot.pause, lambda: text_of(app, "#message") == saving, "the sale")
            # The printer is still busy: the next customer is served meanwhile.
            await type_in(pilot, "COFFEE")
            assert "Total PLN39.90" in text_of(app, "#totals")
            assert not printed(app)
            release.set()
            await until(pilot.pause, lambda: len(printed(app)) == 1, "the slow receipt")
            assert text_of(app, "#message") == "Sale 1 complete, receipt printed"
            assert "COFFEE" in str(app.session.basket.lines)  # the new sale was not touched

    asyncio.run(flow())


def test_f1_explains_every_discount_point_and_refusal_in_the_cashiers_language(
    tmp_path: Path,
) -> None:
    app = till(tmp_path, staff=False, language="pl")

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for entry in (ANNA, "COFFEE", "3*MILK"):
                await type_in(pilot, entry)
            totals = text_of(app, "#totals")
            assert "HAPPY3: poza godzinami obowiązywania (16:00-18:00)" in totals
            await pilot.press("f1")
            await until(pilot.pause, lambda: isinstance(app.screen, TextScreen), "the page")
            shown = screen_text(app)
            assert "-4,50\xa0zł  MILK3FOR2: kup 2, weź 1 na MILK" in shown  # the discount
            assert "+48  BASE: 1 pkt za 1 PLN zapłaty (Bronze)" in shown  # the points
            assert "DE-MONDAY: nie obowiązuje w tym dniu" in shown  # what did not apply
            assert "THIRD15: to 1. zakup w tym miesiącu" in shown
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, TextScreen)

    asyncio.run(flow())


def test_receipts_print_in_the_stores_language_whatever_the_cashier_reads(
    tmp_path: Path,
) -> None:
    app = till(tmp_path, staff=False, language="ru")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("f9", "f9", "f9")  # the cashier reads English (ru -> pl -> ro -> en)
            await pilot.pause()
            assert app.t.lang == "en"
            await sell(pilot, app, ANNA, "COFFEE")
            receipt = printed(app)[0]
            assert "Чек T1:1" in receipt and "ИТОГО" in receipt and "К оплате" in receipt
            assert "Баланс" in receipt and "Спасибо за покупку!" in receipt
            assert "39,90" in receipt and "39.90" not in receipt  # decimals as Russians write
            assert "Balance" not in receipt and "TOTAL" not in receipt

    asyncio.run(flow())


def test_a_printer_fault_is_told_in_the_cashiers_language(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, language="pl")
    printer = app.services.printer
    assert isinstance(printer, MemoryPrinter)
    printer.failing = "cover open"

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, "MILK")
            await pilot.press("f10", "f10")
            await until(pilot.pause, lambda: "F8" in text_of(app, "#message"), "the fault")
            message = text_of(app, "#message")
            assert "Drukarka paragonów nie odpowiada: memory printer: otwarta pokrywa" in message
            assert app.services.store.ledger.sales_count() == 1  # the sale is kept

    asyncio.run(flow())


def test_a_mistaken_line_comes_off_with_a_minus(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for entry in (ANNA, "3*MILK", "COFFEE"):
                await type_in(pilot, entry)
            assert "MILK3FOR2" in text_of(app, "#totals")
            await type_in(pilot, "-MILK")
            assert text_of(app, "#message") == "MILK: 1 taken off, 2 left"
            table = app.query_one("#lines", DataTable)
            assert [table.get_row_at(i)[:3] for i in range(table.row_count)] == [
                ["MILK", "Milk 1 l", "2"],
                ["COFFEE", "Coffee beans 1 kg", "1"],
            ]
            assert "MILK3FOR2 -" not in text_of(app, "#totals")  # two milks: none free
            await type_in(pilot, "-2*milk")
            assert text_of(app, "#message") == "Removed MILK"
            assert table.row_count == 1
            await type_in(pilot, "-COFFEE")
            assert table.row_count == 0  # and an empty basket has nothing to explain
            assert "Not applied" not in text_of(app, "#totals")

    asyncio.run(flow())


def test_the_line_just_scanned_stays_in_view_at_80x24(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, extra_products=12)
    # Longer than the screen shows (six lines fit at 80x24 since issue 18: 18 do not).
    skus = ["COFFEE", "MILK", "SYRUP", "JACKET", "SCARF", "FOG"]
    skus += [f"ITEM{i:02d}" for i in range(1, 13)]

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.query_one("#lines", DataTable)
            for sku in skus:
                await type_in(pilot, sku)
            await pilot.pause()
            assert table.row_count == 18 and table.cursor_row == 17
            assert table.max_scroll_y > 0 and table.scroll_y == table.max_scroll_y  # scrolled
            await type_in(pilot, "MILK")  # a second milk: its line is the one shown
            await pilot.pause()
            assert table.cursor_row == 1 and table.get_row_at(1)[2] == "2"
            assert table.scroll_y < table.max_scroll_y

    asyncio.run(flow())


def test_a_weighed_label_is_a_line_of_its_own_printed_with_its_weight(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            await type_in(pilot, "2200042007502")  # 0.750 kg of BEANS
            await type_in(pilot, "2200042005003")  # 0.500 kg
            table = app.query_one("#lines", DataTable)
            rows = [table.get_row_at(i)[:3] for i in range(table.row_count)]
            weighed = "Coffee beans, weighed"
            assert rows == [["BEANS/750g", weighed, "1"], ["BEANS/500g", weighed, "1"]]
            await type_in(pilot, "-BEANS/500g")
            assert text_of(app, "#message") == "Removed BEANS/500g"
            await sell(pilot, app)
            assert "0.750 kg at 89.90/kg" in printed(app)[0]
            await type_in(pilot, "T1:1")
            assert isinstance(app.screen, ReturnScreen) and "BEANS/750g" in screen_text(app)

    asyncio.run(flow())


def test_the_status_page_lists_the_sales_hq_quarantined(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)
    reason = "body.points_redeemed: must be from 0 to 1000000000000000"

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await sell(pilot, app, ANNA, "COFFEE")
            await sell(pilot, app, ANNA, "MILK")
            ledger = app.services.store.ledger
            ledger.note_quarantined({2: reason}, app.services.clock.now())  # as HQ acked it
            await pilot.press("f3")
            await until(pilot.pause, lambda: isinstance(app.screen, TextScreen), "the status")
            shown = screen_text(app)
            assert "quarantined at HQ, not applied: 1" in shown
            assert f"sale 2: {reason}" in shown

    asyncio.run(flow())
