"""A till for Pilot tests: the demo programme, two cashiers, a fixed clock, no HQ."""

from __future__ import annotations

from pathlib import Path

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import OfflinePolicy, Product
from agent.money import Money
from agent.staff import Role, new_cashier
from drivers.memory import MemoryPrinter
from tests.conftest import TUESDAY
from ui.config import Config
from ui.services import build_services
from ui.till.app import CheckoutApp

CASHIER_PIN, MANAGER_PIN = "1111", "9999"


def till(
    tmp_path: Path,
    language: str = "en",
    staff: bool = True,
    typed_check: bool = False,
    high_contrast: bool = False,
    extra_products: int = 0,
) -> CheckoutApp:
    """``extra_products``: that many more products (ITEM01, ...; PLN 1.00 to 1.xx, grocery),
    for a basket longer than a screen. ``typed_check``: HQ's policy on typed
    identification. Pilot types as fast as a scanner or as slow as a person depending on
    the machine, so tests that are not about it switch it off."""
    store = demo_store(tmp_path / "terminal.db")
    store.catalogue.apply_snapshot(
        products=[
            Product(f"ITEM{i:02d}", f"Item {i:02d}", Money(100 + i, "PLN"), "grocery")
            for i in range(1, extra_products + 1)
        ],
        customers=[],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
        policy=OfflinePolicy(typed_check=typed_check),
    )
    if staff:
        salt = bytes(16)  # fixed, so the screens are the same every run
        store.ledger.save_cashier(new_cashier("ola", "Ola", Role.CASHIER, CASHIER_PIN, salt=salt))
        store.ledger.save_cashier(
            new_cashier("marek", "Marek", Role.MANAGER, MANAGER_PIN, salt=salt)
        )
    store.close()
    config = Config(
        "T1", tmp_path, store_name="Sklep", language=language, high_contrast=high_contrast
    )
    services = build_services(
        config,
        clock=FixedClock(TUESDAY),
        ids=SequentialIds("e"),
        printer=MemoryPrinter(),
        with_sync=False,
    )
    return CheckoutApp(services)
