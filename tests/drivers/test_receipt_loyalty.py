"""The loyalty block a customer reads, and the receipt's QR code read back from the paper."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageOps
from pyzbar import pyzbar

from agent.clock import FixedClock
from agent.i18n import Texts
from agent.model import PointLot
from agent.money import Points
from agent.printing import print_sale
from agent.receipt import build_receipt
from agent.session import CheckoutSession
from agent.store import Store
from drivers.escpos_text import Raster, decode_escpos
from drivers.printer import EscposPrinter, PrinterConfig, PrinterKind, code_pages, render_receipt
from tests.conftest import TUESDAY

ANNA = "2900000000018"
ROW = re.compile(r"^\s*(\S.*?)\s{2,}(\S.*?)\s*$")  # a label, and its right-aligned value


def give_anna_a_lot_expiring_soon(store: Store) -> None:
    anna = store.catalogue.customer_by_card(ANNA)
    assert anna is not None
    from dataclasses import replace

    # Her 3,000 points are two lots (none outside a lot, which would be spent first).
    lot = PointLot(Points(1000), TUESDAY - timedelta(days=340), TUESDAY + timedelta(days=7))
    later = PointLot(Points(2000), TUESDAY - timedelta(days=100), TUESDAY + timedelta(days=265))
    store.catalogue.apply_snapshot(
        products=[],
        customers=[replace(anna, lots=(lot, later))],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
    )


def sell_anna_coffee_with_600_points(session: CheckoutSession, store: Store) -> int:
    """Anna (3,000 points, 1,000 expiring soon) buys coffee and pays 600 points of it."""
    give_anna_a_lot_expiring_soon(store)
    session.enter(ANNA)
    session.add("COFFEE")
    session.pay_with_points(600)
    return session.commit().seq


def print_and_read(
    store: Store, clock: FixedClock, seq: int, path: Path, texts: Texts | None = None
) -> tuple[str, dict[str, str]]:
    """Print sale ``seq`` on a CP852 file printer; the text read back, and its rows."""
    cfg = PrinterConfig(PrinterKind.FILE, str(path), code_page="CP852")
    assert print_sale(store, EscposPrinter(cfg), seq, clock, "Sklep", texts).error is None
    text = decode_escpos(path.read_bytes(), code_pages(cfg)).text
    return text, dict(m.groups() for ln in text.splitlines() if (m := ROW.match(ln)))


def test_the_loyalty_block_tells_the_customer_everything(
    session: CheckoutSession, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    seq = sell_anna_coffee_with_600_points(session, store)
    _, rows = print_and_read(store, clock, seq, tmp_path / "r.bin")
    assert rows["BASE"] == "+33"  # 39.90 - 6.00 paid with points: 33 points
    assert rows["Points earned"] == "33" and rows["Points redeemed"] == "600"
    assert rows["Balance"] == f"{3000 - 600 + 33} pts"
    assert rows["Expiring 01/12/2026"] == "400 pts"  # the 600 spent came from this lot first
    assert rows["Tier"] == "Bronze"
    # Silver from 1,000.00 qualifying spend: 820.00 before, this sale 33.90 (the money
    # paid: the 6.00 paid with points is not spend, rules.md "Tier qualification").
    assert rows["To Silver: spend"] == "146.10"


def raster_image(r: Raster) -> Image.Image:
    img = Image.frombytes("1", (r.width_bytes * 8, r.height), r.data)  # 1 = black dot
    grey = ImageOps.invert(img.convert("L"))
    return ImageOps.expand(grey, border=16, fill=255)  # the paper around it: a quiet zone


def test_a_printer_without_native_qr_gets_an_image_that_scans(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)
    session.add("MILK")
    sale = session.commit()
    event = store.ledger.sale_event(sale.seq)
    assert event is not None
    receipt = build_receipt(event, "Sklep")
    cheap = PrinterConfig(profile="POS-5890", width_chars=32)
    decoded = decode_escpos(render_receipt(receipt, cheap), code_pages(cheap))
    assert decoded.qr_codes == [] and len(decoded.rasters) == 1
    read = pyzbar.decode(raster_image(decoded.rasters[0]))
    assert [r.data.decode() for r in read] == [f"T1:{sale.seq}"]
    native = decode_escpos(render_receipt(receipt, PrinterConfig()), code_pages(PrinterConfig()))
    assert native.qr_codes == [f"T1:{sale.seq}"] and native.rasters == []


def test_the_loyalty_block_in_polish_and_romanian_reads_right_on_paper(
    session: CheckoutSession, store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    seq = sell_anna_coffee_with_600_points(session, store)
    text, rows = print_and_read(store, clock, seq, tmp_path / "r.bin", Texts("pl"))
    assert rows["RAZEM"] == "39,90 zł" and rows["Do zapłaty"] == "33,90 zł"
    assert rows["Zapłacono: 600 pkt"] == "6,00"
    assert rows["Punkty zdobyte"] == "33" and rows["Saldo"] == f"{3000 - 600 + 33} pkt"
    assert rows["Wygasa 1.12.2026"] == "400 pkt"
    assert rows["Poziom"] == "Bronze" and rows["Do poziomu Silver: wydaj"] == "146,10"
    assert "Dziękujemy!" in text
    assert text.splitlines()[2] == "24.11.2026, 10:00"  # 09:00 UTC is 10:00 in Warsaw
    text, rows = print_and_read(store, clock, seq, tmp_path / "r.bin", Texts("ro"))
    assert rows["De plată"] == "33,90 PLN" and rows["Sold"] == f"{3000 - 600 + 33} pct."
    assert rows["Plătit cu 600 de puncte"] == "6,00"  # Romanian counts 20 and up "de puncte"
    assert "Vă mulţumim!" in text  # ț as the cedilla form code page 852 has
