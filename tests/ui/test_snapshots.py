"""SVG snapshots of each screen in two languages, at 80x24, with a fixed clock.

Update after a deliberate change of the screens: pytest tests/ui/test_snapshots.py
--snapshot-update, then look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.ui.till import CASHIER_PIN, till
from ui.till.screens import TextScreen

SnapCompare = Callable[..., bool]
SALE = ["2", "9", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "8", "enter"]
SALE += ["C", "O", "F", "F", "E", "E", "enter", "3", "*", "M", "I", "L", "K", "enter", "f2"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_checkout_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=SALE, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_checkout_screen_large(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=SALE, terminal_size=(140, 40))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_sign_in_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language)
    assert snap_compare(app, press=["0", "0", "0", "0", "enter"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ro"])
def test_manager_approval_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language)

    async def sale_then_void(pilot: Pilot[None]) -> None:
        await pilot.press(*CASHIER_PIN, "enter", *"MILK", "enter", "f4")
        await pilot.pause()

    assert snap_compare(app, run_before=sale_then_void, terminal_size=(80, 24))


async def _sell_then(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*"2900000000018", "enter", *"COFFEE", "enter", "f10", "f10")
    printer = pilot.app.services.printer  # type: ignore[attr-defined]
    for _ in range(200):  # the receipt is printed in a worker: wait for it, not for luck
        if printer.jobs:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.press(*keys)
    await pilot.pause()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_return_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def run_before(pilot: Pilot[None]) -> None:
        await _sell_then(pilot, *"T1:1", "enter")

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ro"])
def test_day_report_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def run_before(pilot: Pilot[None]) -> None:
        await _sell_then(pilot, "f6")

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_enrol_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=["f5", *"Ewa"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_adjust_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press(*CASHIER_PIN, "enter", *"2900000000018", "enter", "f7")
        await pilot.pause()
        await pilot.press(*"9999", "enter", *"+500")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_checkout_screen_high_contrast(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, high_contrast=True)
    assert snap_compare(app, press=SALE, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_why_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=[*SALE, "f1"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ro"])
def test_status_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def run_before(pilot: Pilot[None]) -> None:
        await _sell_then(pilot, "f3")  # the devices are asked in a thread: wait for the page
        for _ in range(200):
            if isinstance(pilot.app.screen, TextScreen):
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def _keys(*entries: str) -> list[str]:
    """Each entry typed and entered, as ``press`` takes keys."""
    return [k for e in entries for k in (*e, "enter")]


SIX_LINES = _keys("2900000000018", "COFFEE", "3*MILK", "SYRUP", "JACKET", "SCARF", "WINE")


@pytest.mark.parametrize("language", ["en", "pl"])
def test_basket_of_six_lines_at_80x24(
    snap_compare: SnapCompare, tmp_path: Path, language: str
) -> None:
    """Six lines, a code and a typed points payment, the total in view, a line selected."""
    app = till(tmp_path, language=language, staff=False)
    keys = [*SIX_LINES, *_keys("AUTUMN15"), "5", "0", "0", "f2", "up", "up", "up"]
    assert snap_compare(app, press=keys, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_basket_of_six_lines_wide(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    """A wide screen: more lines, the customer and why beside them."""
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=[*SIX_LINES, "f2"], terminal_size=(150, 40))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_product_search_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    assert snap_compare(app, press=["ctrl+f", "e", "down"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "ro"])
def test_price_check_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    keys = [*_keys("2900000000018", "COFFEE"), "ctrl+g", *_keys("MILK")]
    assert snap_compare(app, press=keys, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_parked_sales_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)
    keys = [*_keys("2900000000018", "COFFEE", "3*MILK"), "ctrl+o", *_keys("SCARF"), "ctrl+o"]
    assert snap_compare(app, press=[*keys, "ctrl+r", "down"], terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_tender_screen(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    """The tender step under way: 20.00 of a gift card, 10.00 cash, the rest to pay."""
    app = till(tmp_path, language=language, staff=False)
    keys = [*"COFFEE", "enter", "f10", *"20", "f6", *"GC0000000001", "enter", *"10", "enter"]
    assert snap_compare(app, press=keys, terminal_size=(80, 24))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_tender_screen_paid(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    """The sale paid: the total, what each tender paid and the change, large."""
    app = till(tmp_path, language=language, staff=False)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press(*"COFFEE", "enter", "f10", *"50", "enter")
        printer = pilot.app.services.printer  # type: ignore[attr-defined]
        for _ in range(200):  # the receipt is printed in a worker: wait for it
            if printer.jobs:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
