from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.errors import CurrencyMismatch
from agent.money import Money, allocate, percent_of, round_minor


@pytest.mark.parametrize(
    ("text", "minor"), [("39.90", 3990), ("0.5", 50), ("499", 49900), ("-4.50", -450)]
)
def test_parse_reads_decimal_text_into_minor_units(text: str, minor: int) -> None:
    assert Money.parse(text, "PLN") == Money(minor, "PLN")


@pytest.mark.parametrize("text", ["1.234", "abc", "1,50", "", "1.x"])
def test_parse_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError):
        Money.parse(text, "PLN")


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(39.9, "PLN")  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch):
        Money(100, "PLN") + Money(100, "EUR")


def test_format_keeps_two_decimals() -> None:
    assert Money(5, "PLN").format() == "0.05"
    assert str(Money(-12345, "RON")) == "-123.45 RON"


def test_allocate_gives_leftover_units_by_largest_remainder() -> None:
    # 22.20 over 59.00 and 89.00 (R6 of the acceptance rules): 8.85 and 13.35
    assert allocate(2220, [5900, 8900]) == [885, 1335]
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=40))
def test_allocate_always_adds_up_exactly(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    if sum(weights) > 0:
        assert sum(parts) == total


@given(
    st.integers(-(10**15), 10**15),
    st.fractions(min_value=0, max_value=1000, max_denominator=1000),
)
def test_percent_of_in_integers_rounds_as_round_minor(amount: int, percent: Fraction) -> None:
    """percent_of works in integers; its figure is round_minor's of the exact fraction."""
    assert percent_of(amount, percent) == round_minor(amount * percent / 100)
