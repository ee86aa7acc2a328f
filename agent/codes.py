"""Classify a scanned or typed code: card, product, or a refusal with a reason."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from agent.words import Words, say

MAX_CODE_LEN = 512
GIFT_CARD_PREFIX = "GC"  # gift cards: GC and ten digits
TOKEN_PREFIX = "KQ1."  # a phone QR token (agent.tokens)
CARD_PREFIX = "29"  # GS1 in-store range: loyalty cards are EAN-13 numbers starting 29.
# A phone number with its country code, as people write it: +48 601 000 001, +40-721-000-003.
PHONE = re.compile(r"\+[0-9][0-9 ().-]*[0-9]")
PHONE_DIGITS = range(8, 16)  # E.164: at most 15 digits with the country code


class CodeKind(enum.Enum):
    CARD = "card"
    GIFT_CARD = "gift card"
    PRODUCT = "product"
    TOKEN = "phone token"
    RECEIPT = "receipt"  # a receipt's number (its QR too): "<terminal>:<seq>", for a return


@dataclass(frozen=True, slots=True)
class Classified:
    kind: CodeKind
    value: str


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


def classify(text: str) -> Classified | Refusal:
    """Decide what a code is. Garbage gets a Refusal, never an exception."""
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
    if code.isdigit() and len(code) == 13 and code.startswith(CARD_PREFIX):
        if not is_valid_ean13(code):
            return Refusal(say("Card number {code} has a wrong check digit: scan again", code=code))
        return Classified(CodeKind.CARD, code)
    if code.upper().startswith(GIFT_CARD_PREFIX) and code[2:].isdigit() and len(code) == 12:
        return Classified(CodeKind.GIFT_CARD, code.upper())
    if code.isdigit() and len(code) in (8, 12, 13):
        return Classified(CodeKind.PRODUCT, code)
    if all(c.isalnum() or c in "-_." for c in code) and len(code) <= 32:
        return Classified(CodeKind.PRODUCT, code.upper())
    return Refusal(say("Not a card or product code: {code}", code=repr(code[:40])))
