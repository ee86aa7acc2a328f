"""Receipts in Russian, Polish and Romanian: the bytes decoded per code page, as printed.

Every decode here reads as a cheap printer does that forgets the code page at each
reset and print mode change, so the assertions hold for what a customer reads.
"""

from __future__ import annotations

import pytest

from agent.receipt import Receipt, ReceiptLine, Style
from drivers.escpos_text import decode_escpos
from drivers.printer import PrinterConfig, code_pages, printable, render_receipt

RU = ("Магазин «Центр»", "Молоко 1 л", "Итого", "Спасибо за покупку!", "Баланс: 3039 баллов")
PL = ("Sklep Centrum", "Żółć gęślą jaźń", "Razem", "Dziękujemy! Saldo punktów", "ŁÓDŹ źdźbło")
RO = ("Magazin Centru", "Brânză și pâine", "Total", "Mulțumim! Țară, ȘI, ă î â", "Soldul punctelor")


def receipt(lines: tuple[str, ...]) -> Receipt:
    title, item, total, *rest = lines
    return Receipt(
        (
            ReceiptLine(title, Style.TITLE),
            ReceiptLine(item, right="4.50"),
            ReceiptLine(total, Style.BOLD, right="4.50 PLN"),
            *(ReceiptLine(t) for t in rest),
        ),
    )


def read_back(lines: tuple[str, ...], config: PrinterConfig) -> list[str]:
    data = render_receipt(receipt(lines), config)
    decoded = decode_escpos(data, code_pages(config), forgets_code_page=True)
    return [ln.rstrip() for ln in decoded.text.splitlines()]


@pytest.mark.parametrize(
    ("lines", "code_page"),
    [
        (RU, "CP866"),
        (RU, "CP1251"),
        (PL, "CP852"),
        (PL, "CP1250"),
        (PL, "ISO_8859-2"),
        (RO, "CP852"),
        (RO, "CP1250"),
        (RO, "ISO_8859-2"),
    ],
)
def test_each_language_reads_right_in_its_code_pages(
    lines: tuple[str, ...], code_page: str
) -> None:
    config = PrinterConfig(width_chars=42, code_page=code_page)
    got = read_back(lines, config)
    expected = [printable(t, code_page) for t in lines]
    assert got[0] == expected[0]
    assert got[1].startswith(expected[1]) and got[1].endswith("4.50")
    assert got[2].startswith(expected[2]) and got[2].endswith("4.50 PLN")
    assert got[3:5] == expected[3:5]
    assert "?" not in "".join(got)  # nothing fell back to the default symbol


def test_quotes_a_code_page_lacks_become_ascii_and_others_stay() -> None:
    assert read_back(RU, PrinterConfig(code_page="CP866"))[0] == 'Магазин "Центр"'
    assert read_back(RU, PrinterConfig(code_page="CP1251"))[0] == "Магазин «Центр»"


def test_romanian_comma_below_prints_as_the_cedilla_forms() -> None:
    got = read_back(RO, PrinterConfig(code_page="CP852"))
    assert got[1].startswith("Brânză şi pâine") and got[3] == "Mulţumim! Ţară, ŞI, ă î â"


def test_the_rouble_sign_prints_as_rub() -> None:
    got = read_back(("Итого", "Хлеб", "Сумма"), PrinterConfig(code_page="CP866"))
    assert got[0] == "Итого"
    lines = ("Касса", "Хлеб", "Итого", "Всего 45,00 ₽")
    assert read_back(lines, PrinterConfig(code_page="CP866"))[3] == "Всего 45,00 руб."


def test_automatic_code_pages_survive_a_printer_that_forgets_them() -> None:
    mixed = ("Kassa", "Молоко", "Żółć", "Mulțumim", "Спасибо")
    got = read_back(mixed, PrinterConfig())
    assert got[0] == "Kassa" and got[1].startswith("Молоко") and got[2].startswith("Żółć")
    assert got[3:5] == ["Mulţumim", "Спасибо"]


def test_python_escpos_alone_would_print_garbage_after_a_mode_change() -> None:
    """The reason for selecting the page again: without it, line two is CP437 noise."""
    from escpos.printer import Dummy

    p = Dummy()
    p.hw("INIT")
    p.text("Молоко\n")
    p.hw("INIT")  # a reset: the printer is back in its default code page
    p.text("Спасибо\n")
    text = decode_escpos(bytes(p.output), code_pages(PrinterConfig()), forgets_code_page=True)
    assert text.text.splitlines()[1] != "Спасибо"


def test_a_printer_numbering_its_code_pages_differently_is_overridden() -> None:
    config = PrinterConfig(code_page="CP866", code_page_slots=(("CP866", 59),))
    data = render_receipt(receipt(RU), config)
    assert b"\x1bt\x3b" in data and b"\x1bt\x11" not in data  # slot 59, not the profile's 17
    assert read_back(RU, config)[1].startswith(RU[1])
    assert code_pages(config)[59] == "CP866" and 17 not in code_pages(config)


@pytest.mark.parametrize("width", [32, 42])
def test_58_and_80_mm_paper_lines_fit_their_width(width: int) -> None:
    long_name = "Молоко ультрапастеризованное 3,2% 1 л в тетрапаке"
    config = PrinterConfig(width_chars=width, code_page="CP866")
    got = read_back(("Магазин", long_name, "Итого", "Спасибо", "x"), config)
    assert all(len(line) <= width for line in got)
    assert "".join(got[1:3]).replace(" ", "").startswith(long_name.replace(" ", "")[:20])
    assert any(line.strip() == "4.50" for line in got)  # the amount on a line of its own


def test_a_code_page_the_profile_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="CP999"):
        render_receipt(receipt(RU), PrinterConfig(code_page="CP999"))
