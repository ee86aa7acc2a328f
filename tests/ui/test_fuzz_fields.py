"""Fuzz: whatever a cashier types into the till's fields (the entry line with its
quantities, an adjustment's points, a points amount) is a line, a refusal or a form
error, never an exception; nothing outside the bounds is journalled.

Size and seed: :mod:`tests.fuzz` (``KASSA_FUZZ_EXAMPLES``, ``KASSA_FUZZ_SEED``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.notice import Notice
from agent.session import CheckoutSession
from tests.conftest import TUESDAY
from tests.fuzz import fuzz, ran
from ui.till.entry import parse_entry
from ui.till.screens import POINTS_TYPED

ANNA = "2900000000018"
entries = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda n, code, left: f"{n}*{code}" if left else f"{code}*{n}",
        st.integers(-(10**30), 10**30),
        st.sampled_from(["MILK", "COFFEE", "5900000000017", "", "*", ANNA]),
        st.booleans(),
    ),
)


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckoutSession]:
    store = demo_store(Path(tmp_path_factory.mktemp("fields")) / "terminal.db")
    yield CheckoutSession(store, FixedClock(TUESDAY), SequentialIds("f"), "T1", "S")
    store.close()


@fuzz(share=0.5)
@given(entries, st.booleans())
def test_the_entry_line_answers_every_text(counter: CheckoutSession, text: str, off: bool) -> None:
    ran("entry line: parse_entry + enter/take_off")
    code, qty = parse_entry(text)
    notice = counter.take_off(code, qty) if off else counter.enter(code, qty, typed=True)
    assert isinstance(notice, Notice)
    assert all(1 <= ln.qty <= 999 for ln in counter.basket.lines)
    if len(counter.basket.lines) > 20:
        counter.reset()


@fuzz(share=0.5)
@given(st.one_of(st.text(max_size=30), st.integers(-(10**30), 10**30).map(str)))
def test_adjustment_points_are_bounded_whatever_is_typed(
    counter: CheckoutSession, typed: str
) -> None:
    ran("adjustment points: form + desk.adjust_points")
    assert not counter.enter(ANNA).refused
    points = int(typed) if POINTS_TYPED.fullmatch(typed.strip()) else 0
    assert abs(points) < 10**9
    before = counter.store.ledger.outbox_stats().pending
    notice = counter.desk.adjust_points(points, "fuzz", "ola", "marek")
    journalled = counter.store.ledger.outbox_stats().pending - before
    assert journalled == (0 if notice.refused else 1)
    assert notice.refused or 0 < abs(points) <= 10_000


@fuzz(share=0.5)
@given(st.integers(-(10**30), 10**30))
def test_a_points_amount_is_paid_or_refused(counter: CheckoutSession, points: int) -> None:
    ran("points amount: pay_with_points")
    counter.reset()
    assert not counter.enter(ANNA).refused
    counter.add("COFFEE")
    notice = counter.pay_with_points(points)
    q = counter.quote()
    assert isinstance(notice, Notice)
    assert 0 <= q.points_redeemed <= 3000 and q.to_pay.minor >= 0


@fuzz(share=0.2)
@given(st.text(max_size=60), st.text(max_size=30), st.text(max_size=30), st.booleans())
def test_enrolment_answers_whatever_is_typed_into_its_form(
    counter: CheckoutSession, name: str, card: str, phone: str, terms: bool
) -> None:
    ran("enrolment form: desk.enrol")
    counter.reset()
    before = counter.store.ledger.outbox_stats().pending
    notice = counter.desk.enrol(name, card, terms, False, phone)
    assert isinstance(notice, Notice)
    assert counter.store.ledger.outbox_stats().pending - before == (0 if notice.refused else 1)


@fuzz(share=0.01)  # each try is a scrypt hash: a few dozen cases are plenty
@given(st.text(max_size=40))
def test_a_pin_screen_answers_whatever_is_typed(pin: str) -> None:
    ran("PIN: pin_matches")
    from agent.staff import Role, new_cashier, pin_matches

    manager = new_cashier("marek", "Marek", Role.MANAGER, "9999", salt=bytes(16))
    assert pin_matches(manager, pin) is (pin == "9999")
