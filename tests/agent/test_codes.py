from __future__ import annotations

import pytest

from agent.codes import Classified, CodeKind, Refusal, classify, is_valid_ean13, make_card_number


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
