"""Screens in English, Russian, Polish and Romanian: gettext catalogs and Babel formats.

The catalogs are ``agent/locale/<lang>.po``, compiled in memory when first used
(Babel reads and compiles them; no build step). Money is formatted for the
language's locale and the sale's currency: ``39,90 zł``, ``1 234,50 ₽``.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from agent.money import CURRENCY_EXPONENT, Money
from agent.words import Words

LANGUAGES = ("en", "ru", "pl", "ro")
LOCALES = {"en": "en_IE", "ru": "ru_RU", "pl": "pl_PL", "ro": "ro_RO"}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "pl": "Polski", "ro": "Română"}
CATALOGS = Path(__file__).with_name("locale")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (English is the source text)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language: one of {', '.join(LANGUAGES)}")
    path = CATALOGS / f"{lang}.po"
    if lang == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=LOCALES[lang])
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


class Texts:
    """One language's texts and formats, as the screens use them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._t = translations(lang)

    def __call__(self, message: str, **values: object) -> str:
        """Translate ``message`` and fill its ``{placeholders}``: money and fractions
        in the language's formats (``12,50 zł``, ``1,5``), anything else as it is."""
        text = self._t.gettext(message)
        if not values:
            return text
        return text.format(**{k: self.value(v) for k, v in values.items()})

    def say(self, words: Words) -> str:
        """The agent's ``Words`` in this language (a count chooses the plural form)."""
        if not words.plural:
            return self(words.template, **dict(words.params))
        text = self._t.ngettext(words.template, words.plural, abs(words.count))
        return text.format(**{k: self.value(v) for k, v in words.params})

    def say_all(self, words: Iterable[Words]) -> str:
        """Several reasons or notes, each in this language, after one another."""
        return "; ".join(self.say(w) for w in words)

    def value(self, v: object) -> object:
        if isinstance(v, Money):
            return self.money(v)
        if isinstance(v, Fraction):
            return self.number(v)
        if isinstance(v, Words):
            return self.say(v)
        if isinstance(v, tuple) and all(isinstance(w, Words) for w in v):
            return self.say_all(v)
        return v

    def money(self, m: Money) -> str:
        """``39,90 zł``: the amount with the currency, as the locale writes it."""
        return str(format_currency(_decimal(m), m.currency, locale=LOCALES[self.lang]))

    def amount(self, m: Money) -> str:
        """``39,90``: the amount alone (a receipt's right column), the currency's digits."""
        return str(format_currency(_decimal(m), m.currency, "#,##0.00", LOCALES[self.lang]))

    def number(self, f: Fraction) -> str:
        """``1,5``: a rate, factor or percent as the locale writes decimals."""
        exact = Decimal(f.numerator) / Decimal(f.denominator)
        return str(format_decimal(exact, locale=LOCALES[self.lang]))

    def kilograms(self, grams: int) -> str:
        """``0,750``: a weight in kg to the gram, as the locale writes decimals."""
        kg = Decimal(grams).scaleb(-3)
        return str(format_decimal(kg, "#,##0.000", locale=LOCALES[self.lang]))

    def moment(self, at: datetime) -> str:
        """``23.11.2026, 18:53``: a time of day and its date, as the locale writes them
        (``at`` already in the time zone to show)."""
        return str(format_datetime(at, "short", tzinfo=at.tzinfo, locale=LOCALES[self.lang]))

    def day(self, d: date) -> str:
        """``01.12.2026``: a day in the locale's short form."""
        return str(format_date(d, "short", locale=LOCALES[self.lang]))

    def next_language(self) -> str:
        return LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]


def _decimal(m: Money) -> Decimal:
    return Decimal(m.minor).scaleb(-CURRENCY_EXPONENT[m.currency])
