"""Every text a cashier or a customer reads is in each catalog, with the same placeholders.

The messages are found the way gettext tools find them: Babel extracts the literal
first argument of ``t(...)``, ``say(...)``, ``done(...)``, ``refused(...)``, ``N_(...)``
and ``ask_manager(...)`` from the sources; the texts the screens translate from data
(key labels, device and sync states, roles) are added from where they are defined.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from agent.i18n import CATALOGS, LANGUAGES, LOCALES, Texts
from agent.money import Money
from agent.staff import Role
from agent.words import say
from drivers.printer_status import PrinterState
from sync.worker import SyncState
from ui.app import CheckoutApp

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS: dict[str, None] = dict.fromkeys(("t", "say", "done", "refused", "N_", "ask_manager"))


@cache
def used_messages() -> frozenset[str]:
    found: set[str] = set()
    for layer in ("agent", "drivers", "sync", "ui"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            for _, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
                found.add(message if isinstance(message, str) else message[0])
    found |= {label for _, _, label in CheckoutApp.BINDING_TEXTS}
    found |= (
        {s.value for s in SyncState} | {r.value for r in Role} | {p.value for p in PrinterState}
    )
    return frozenset(found)


def catalog(lang: str) -> dict[str, str]:
    with (CATALOGS / f"{lang}.po").open("rb") as f:
        po = read_po(f, locale=LOCALES[lang])
    return {str(m.id): str(m.string) for m in po if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_extraction_finds_the_messages_of_every_kind() -> None:
    used = used_messages()
    assert "Complete" in used  # a key label
    assert "outside its hours ({start}-{end})" in used  # the rules engine's reason
    assert "Card number {code} has a wrong check digit: scan again" in used  # a scan refusal
    assert "Expiring {day}" in used  # the receipt
    assert "paper out" in used  # a printer state
    assert len(used) > 200


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    translated = catalog(lang)
    missing = sorted(m for m in used_messages() if not translated.get(m))
    assert not missing, f"{lang}.po lacks {len(missing)}: {missing}"
    wrong = sorted(m for m, text in translated.items() if placeholders(m) != placeholders(text))
    assert not wrong, f"{lang}.po changes the placeholders of {wrong}"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_catalog_keeps_messages_nothing_uses(lang: str) -> None:
    stale = sorted(set(catalog(lang)) - used_messages())
    assert not stale, f"{lang}.po has messages nothing says any more: {stale}"


def test_the_rules_engine_speaks_the_cashiers_language() -> None:
    why = say(
        "minimum basket {amount} not reached",
        amount=Money(5000, "PLN"),
    )
    assert str(why) == "minimum basket 50.00 PLN not reached"  # JSON, logs and HQ: English
    assert Texts("pl").say(why) == "minimalny koszyk 50,00\xa0zł nie osiągnięty"
    assert Texts("ru").say(why) == "минимальная сумма покупки 50,00\xa0PLN не достигнута"
