"""Screens in English, Russian, Polish and Romanian: gettext catalogs and Babel formats.

The catalogs are ``ui/locale/<lang>.po``, compiled in memory when first used
(Babel reads and compiles them; no build step). Money is formatted for the
language's locale and the sale's currency: ``39,90 zł``, ``1 234,50 ₽``.
"""

from __future__ import annotations

import gettext
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from agent.money import CURRENCY_EXPONENT, Money

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
        """Translate ``message`` and fill its ``{placeholders}``."""
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def money(self, m: Money) -> str:
        amount = Decimal(m.minor).scaleb(-CURRENCY_EXPONENT[m.currency])
        return str(format_currency(amount, m.currency, locale=LOCALES[self.lang]))

    def next_language(self) -> str:
        return LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]
