"""A till for Pilot tests: the demo programme, two cashiers, a fixed clock, no HQ."""

from __future__ import annotations

from pathlib import Path

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.model import OfflinePolicy
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
) -> CheckoutApp:
    """``typed_check``: HQ's policy on typed identification. Pilot types as fast as a
    scanner or as slow as a person depending on the machine, so tests that are not about
    it switch it off."""
    store = demo_store(tmp_path / "terminal.db")
    store.catalogue.apply_snapshot(
        products=[],
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
