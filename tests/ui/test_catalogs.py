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
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from agent.i18n import CATALOGS, LANGUAGES, LOCALES, Texts
from agent.money import Money
from agent.staff import Role
from agent.words import points_of, say
from drivers.printer_status import PrinterState
from sync.worker import SyncState
from ui.till.app import CheckoutApp

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS: dict[str, object] = {
    **dict.fromkeys(("t", "say", "done", "refused", "N_", "ask_manager")),
    "say_n": (1, 2),  # singular, plural
}


@cache
def plural_messages() -> frozenset[str]:
    """The messages said with a count (``say_n``): each needs every plural form."""
    return frozenset(m for m in extracted() if isinstance(m, tuple) and m[1])


@cache
def extracted() -> frozenset[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for layer in ("agent", "drivers", "sync", "ui"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            for _, message, _, _ in extract_from_file("python", str(path), keywords=KEYWORDS):
                found.add(message if isinstance(message, str) else (message[0], message[1]))
    return frozenset(found)


@cache
def used_messages() -> frozenset[str]:
    found = {m if isinstance(m, str) else m[0] for m in extracted()}
    found |= {label for _, _, label in CheckoutApp.BINDING_TEXTS}
    found |= (
        {s.value for s in SyncState} | {r.value for r in Role} | {p.value for p in PrinterState}
    )
    return frozenset(found)


def catalog(lang: str) -> dict[str, tuple[str, ...]]:
    """msgid -> its translations: one, or one per plural form of the language."""
    with (CATALOGS / f"{lang}.po").open("rb") as f:
        po = read_po(f, locale=LOCALES[lang])
    out: dict[str, tuple[str, ...]] = {}
    for m in po:
        if m.id:
            key = m.id if isinstance(m.id, str) else m.id[0]
            out[key] = (m.string,) if isinstance(m.string, str) else tuple(m.string)
    return out


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
    missing = sorted(m for m in used_messages() if not all(translated.get(m, ("",))))
    assert not missing, f"{lang}.po lacks {len(missing)}: {missing}"
    wrong = sorted(
        m
        for m, forms in translated.items()
        if any(placeholders(m) != placeholders(f) for f in forms)
    )
    assert not wrong, f"{lang}.po changes the placeholders of {wrong}"
    forms = get_plural(LOCALES[lang]).num_plurals
    for singular, _ in plural_messages():
        assert len(translated[singular]) == forms, f"{lang}: {singular!r} needs {forms} forms"


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


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("en", {1: "1 point", 2: "2 points", 5: "5 points", 21: "21 points"}),
        ("ru", {1: "1 балл", 2: "2 балла", 5: "5 баллов", 21: "21 балл", 3044: "3044 балла"}),
        ("ro", {1: "1 punct", 2: "2 puncte", 19: "19 puncte", 20: "20 de puncte"}),
        ("pl", {1: "1 pkt", 2: "2 pkt", 5: "5 pkt"}),
    ],
)
def test_points_are_counted_as_each_language_counts(lang: str, counts: dict[int, str]) -> None:
    t = Texts(lang)
    assert {n: t.say(points_of(n)) for n in counts} == counts
    balance = t("Balance: {points}", points=points_of(3041))
    assert (
        balance
        == {
            "en": "Balance: 3041 points",
            "ru": "Баланс: 3041 балл",
            "ro": "Sold: 3041 de puncte",
            "pl": "Saldo: 3041 pkt",
        }[lang]
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["PLN1,234.50", "RUB1,234.50", "RON1,234.50", "€1,234.50"]),
        ("ru", ["1 234,50 PLN", "1 234,50 ₽", "1 234,50 RON", "1 234,50 €"]),
        ("pl", ["1 234,50 zł", "1 234,50 RUB", "1 234,50 RON", "1 234,50 €"]),
        ("ro", ["1.234,50 PLN", "1.234,50 RUB", "1.234,50 RON", "1.234,50 EUR"]),
    ],
)
def test_money_is_written_as_each_locale_writes_each_currency(
    lang: str, expected: list[str]
) -> None:
    t = Texts(lang)
    shown = [
        t.money(Money(123450, cur)).replace("\xa0", " ") for cur in ("PLN", "RUB", "RON", "EUR")
    ]
    assert shown == expected
    assert (
        t.amount(Money(-450, "PLN")).replace("\xa0", " ")
        == {
            "en": "-4.50",
            "ru": "-4,50",
            "pl": "-4,50",
            "ro": "-4,50",
        }[lang]
    )
