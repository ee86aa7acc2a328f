from __future__ import annotations

import pytest

from agent.codes import (
    Classified,
    CodeKind,
    Refusal,
    classify,
    is_phone_number,
    is_valid_ean13,
    make_card_number,
)


def test_card_numbers_carry_a_valid_check_digit() -> None:
    card = make_card_number(1)
    assert card == "2900000000018"
    assert is_valid_ean13(card)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2900000000018", Classified(CodeKind.CARD, "2900000000018")),
        ("  2900000000018\r\n", Classified(CodeKind.CARD, "2900000000018")),
        ("5901234123457", Classified(CodeKind.PRODUCT, "5901234123457")),
        ("coffee", Classified(CodeKind.PRODUCT, "COFFEE")),
    ],
)
def test_classify_recognises_cards_and_products(text: str, expected: Classified) -> None:
    assert classify(text) == expected


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("2900000000016", "wrong check digit"),
        ("", "Empty scan"),
        ("\x00\x17\xff\xfe", "Unreadable"),
        ("x" * 600, "too long"),
        ("DROP TABLE sales; --", "Not a card or product"),
    ],
)
def test_garbage_is_refused_with_a_reason(text: str, reason_part: str) -> None:
    result = classify(text)
    assert isinstance(result, Refusal)
    assert reason_part in result.reason


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("+48 601 000 001", True),
        ("+48601000001", True),
        ("+40-721-000-003", True),
        ("+44 (20) 7946.0958", True),
        ("+4915100000004", True),
        ("+123", False),  # too few digits
        ("+1234567890123456", False),  # more than E.164 allows
        ("48601000001", False),  # no country code sign
        ("+48 601 000 00x", False),
        ("++48601000001", False),
    ],
)
def test_a_phone_number_is_told_by_its_shape(text: str, phone: bool) -> None:
    assert is_phone_number(text) is phone
