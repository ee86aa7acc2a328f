"""Classify a scanned or typed code: card, scale label, product, or a refusal with a reason.

Which in-store EAN-13 numbers (GS1 prefixes 20-29) are loyalty cards and which are scale
labels (a weight or a price inside) is the programme's setting (:class:`Barcodes`, the
ruleset's ``barcodes``): a chain whose scale labels use 22 must not read them as cards.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from agent.words import Words, say

MAX_CODE_LEN = 512
GIFT_CARD_PREFIX = "GC"  # gift cards: GC and ten digits
TOKEN_PREFIX = "KQ1."  # a phone QR token (agent.tokens)
CARD_PREFIX = "29"  # GS1 in-store range: by default, loyalty cards are EAN-13 numbers starting 29.
# A phone number with its country code, as people write it: +48 601 000 001, +40-721-000-003.
PHONE = re.compile(r"\+[0-9][0-9 ().-]*[0-9]")
PHONE_DIGITS = range(8, 16)  # E.164: at most 15 digits with the country code


class CodeKind(enum.Enum):
    CARD = "card"
    LABEL = "scale label"  # an in-store EAN-13 with an item code and a weight or a price
    GIFT_CARD = "gift card"
    PRODUCT = "product"
    TOKEN = "phone token"
    RECEIPT = "receipt"  # a receipt's number (its QR too): "<terminal>:<seq>", for a return


class Holds(enum.Enum):
    """What the digits after a label's item code are."""

    WEIGHT_G = "weight_g"  # the weight in grams: the till prices it by the kilogram
    PRICE_MINOR = "price_minor"  # the price in minor units, as the scale worked it out


@dataclass(frozen=True, slots=True)
class LabelRange:
    """Scale labels: EAN-13 ``prefix``, ``item_digits`` of item code, then the value
    (the digits left before the check digit)."""

    prefix: str
    item_digits: int
    holds: Holds

    @property
    def value_digits(self) -> int:
        return 12 - len(self.prefix) - self.item_digits


@dataclass(frozen=True, slots=True)
class Barcodes:
    """The programme's in-store number ranges: loyalty cards and scale labels."""

    cards: tuple[str, ...] = (CARD_PREFIX,)
    labels: tuple[LabelRange, ...] = ()


DEFAULT_BARCODES = Barcodes()


@dataclass(frozen=True, slots=True)
class Label:
    """What a scale label says: the item code and a weight in grams or a price."""

    item_code: str
    holds: Holds
    value: int


@dataclass(frozen=True, slots=True)
class Classified:
    kind: CodeKind
    value: str
    label: Label | None = None  # for a LABEL


@dataclass(frozen=True, slots=True)
class Refusal:
    """A code kassa will not act on, and why, in words for the cashier."""

    words: Words

    @property
    def reason(self) -> str:
        return str(self.words)


def ean13_check_digit(first12: str) -> int:
    """Return the EAN-13 check digit of 12 digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def is_valid_ean13(code: str) -> bool:
    return len(code) == 13 and code.isdigit() and ean13_check_digit(code[:12]) == int(code[12])


def make_card_number(serial: int) -> str:
    """Return the card number (EAN-13 in the 29 range) for a serial number."""
    body = f"{CARD_PREFIX}{serial:010d}"
    return body + str(ean13_check_digit(body))


def is_phone_number(text: str) -> bool:
    """True if ``text`` has the shape of a phone number with its country code (a '+',
    8 to 15 digits, spaces, dashes, dots or brackets between): no scanned code has it."""
    code = text.strip()
    return PHONE.fullmatch(code) is not None and sum(c.isdigit() for c in code) in PHONE_DIGITS


def receipt_number(terminal_id: str, seq: int) -> str:
    """The number a receipt prints and its QR holds, which :func:`classify` reads back
    as a RECEIPT: ``T1:42``."""
    return f"{terminal_id}:{seq}"


def _in_store(code: str, barcodes: Barcodes) -> Classified | Refusal | None:
    """A 13-digit code in one of the programme's card or label ranges, or None."""
    if not (code.isdigit() and len(code) == 13):
        return None
    rng = next((r for r in barcodes.labels if code.startswith(r.prefix)), None)
    is_card = any(code.startswith(p) for p in barcodes.cards)
    if rng is None and not is_card:
        return None
    if not is_valid_ean13(code):
        if rng is not None:
            return Refusal(say("Scale label {code} has a wrong check digit: scan again", code=code))
        return Refusal(say("Card number {code} has a wrong check digit: scan again", code=code))
    if rng is None:
        return Classified(CodeKind.CARD, code)
    item_end = len(rng.prefix) + rng.item_digits
    label = Label(code[len(rng.prefix) : item_end], rng.holds, int(code[item_end:12]))
    return Classified(CodeKind.LABEL, code, label)


def classify(text: str, barcodes: Barcodes = DEFAULT_BARCODES) -> Classified | Refusal:
    """Decide what a code is, with the programme's card and label ranges. Garbage gets
    a Refusal, never an exception."""
    code = text.strip()
    if not code:
        return Refusal(say("Empty scan: scan again"))
    if len(code) > MAX_CODE_LEN:
        return Refusal(say("Scan too long to be a card or product code"))
    if not code.isprintable() or not code.isascii():
        return Refusal(say("Unreadable scan (noise on the scanner line): scan again"))
    if code.startswith(TOKEN_PREFIX):
        return Classified(CodeKind.TOKEN, code)
    terminal, sep, seq = code.partition(":")
    if sep and seq.isdigit() and terminal and all(c.isalnum() or c in "-_" for c in terminal):
        return Classified(CodeKind.RECEIPT, code)
    in_store = _in_store(code, barcodes)
    if in_store is not None:
        return in_store
    if code.upper().startswith(GIFT_CARD_PREFIX) and code[2:].isdigit() and len(code) == 12:
        return Classified(CodeKind.GIFT_CARD, code.upper())
    if code.isdigit() and len(code) in (8, 12, 13):
        return Classified(CodeKind.PRODUCT, code)
    if all(c.isalnum() or c in "-_." for c in code) and len(code) <= 32:
        return Classified(CodeKind.PRODUCT, code.upper())
    return Refusal(say("Not a card or product code: {code}", code=repr(code[:40])))
