"""Fuzz: whatever is scanned or typed, the core answers with a value, never an exception,
and no phone code it did not get from a customer's app identifies anyone.

Size and seed: :mod:`tests.fuzz` (``KASSA_FUZZ_EXAMPLES``, ``KASSA_FUZZ_SEED``).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.clock import FixedClock, SequentialIds
from agent.codes import (
    Barcodes,
    Classified,
    CodeKind,
    Holds,
    LabelRange,
    Refusal,
    classify,
    ean13_check_digit,
    is_valid_ean13,
)
from agent.demo import demo_app_key, demo_store
from agent.notice import Notice
from agent.session import CheckoutSession
from agent.signing import public_key_hex
from agent.tokens import (
    PhoneToken,
    TokenPolicy,
    TokenRefusal,
    check_token,
    issue_token,
    parse_token,
)
from tests.conftest import TUESDAY
from tests.fuzz import fuzz, ran

B64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"  # in value order
DEMO_IDS = ("C1", "C2", "C3", "C4")
ALL_KEYS = tuple(public_key_hex(demo_app_key(cid)) for cid in DEMO_IDS)
GENUINE = issue_token("C3", demo_app_key("C3"), TUESDAY, nonce=b"\x07" * 16)


def _field(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """A field of the right alphabet and size, usually; now and then any text at all."""
    return st.one_of(
        st.text(alphabet, min_size=size, max_size=size),
        st.text(alphabet, min_size=max(0, size - 2), max_size=size + 2),
        st.text(max_size=size + 4),
    )


# A token's shape with random fields: the customer ids the store knows (so the
# signature check is reached), absurd and ordinary times, any nonce and signature.
token_like = st.builds(
    lambda cid, at, nonce, sig, dots: ".".join(["KQ1", cid, at, nonce, sig]) + ("." * dots),
    st.one_of(st.sampled_from(DEMO_IDS), _field(B64, 8)),
    st.one_of(
        st.integers(0, 10**12 - 1).map(str),
        st.just("999999999999"),
        st.integers(int(TUESDAY.timestamp()) - 200, int(TUESDAY.timestamp()) + 200).map(str),
        _field(string.digits, 12),
    ),
    _field(B64, 22),
    _field(B64, 86),
    st.integers(0, 1),
)


@st.composite
def altered_genuine(draw: st.DrawFn) -> str:
    """The genuine token with one character changed, inserted or deleted."""
    text = GENUINE
    at = draw(st.integers(0, len(text) - 1))
    how = draw(st.sampled_from(["change", "insert", "delete"]))
    if how == "delete":
        return text[:at] + text[at + 1 :]
    ch = draw(st.sampled_from(B64 + "."))
    if how == "insert":
        return text[:at] + ch + text[at:]
    return text[:at] + ch + text[at + 1 :]


any_text = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.text(string.printable, max_size=40),
    st.from_regex(r"[0-9+ ]{0,20}", fullmatch=True),  # card, product and phone-like
    st.from_regex(r"[A-Za-z0-9_-]{1,12}:[0-9]{0,25}", fullmatch=True),  # receipt-like
    st.from_regex(r"GC[0-9]{10}|29[0-9]{11}", fullmatch=True),
    st.from_regex(r"2[0-9]{12}|2200042[0-9]{6}", fullmatch=True),  # scale-label-like
    st.from_regex(r"2200042[0-9]{5}", fullmatch=True).map(lambda d: d + str(ean13_check_digit(d))),
    token_like,
)
# Card and label ranges as a programme may set them: weighed, price-embedded, both.
barcodes = st.builds(
    lambda cards, weighed, priced, item: Barcodes(
        cards,
        tuple(
            LabelRange(p, item, holds)
            for p, holds in ((weighed, Holds.WEIGHT_G), (priced, Holds.PRICE_MINOR))
            if p is not None
        ),
    ),
    st.sampled_from([(), ("29",), ("27", "28")]),
    st.sampled_from([None, "22", "20"]),
    st.sampled_from([None, "23", "250"]),
    st.integers(1, 6),
)


@pytest.fixture(scope="module")
def till(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckoutSession]:
    store = demo_store(Path(tmp_path_factory.mktemp("fuzz")) / "terminal.db")
    yield CheckoutSession(store, FixedClock(TUESDAY), SequentialIds("sale"), "T1", "Fuzz")
    store.close()


def test_the_absurd_timestamp_of_issue_12_is_refused_not_raised() -> None:
    text = f"KQ1.C1.999999999999.{'A' * 22}.{'A' * 86}"
    refused = parse_token(text)
    assert isinstance(refused, TokenRefusal)
    assert "not readable" in str(refused.words)


def test_a_signature_with_spare_bits_set_is_not_the_genuine_one() -> None:
    """86 base64 characters carry 516 bits for 512: a last character that differs only in
    the spare bits must not decode to the genuine signature."""
    twin = B64[B64.index(GENUINE[-1]) ^ 1]  # the lowest of the 4 spare bits flipped
    assert isinstance(parse_token(GENUINE[:-1] + twin), TokenRefusal)
    token = parse_token(GENUINE)
    assert isinstance(token, PhoneToken)
    assert check_token(token, ALL_KEYS, TUESDAY, TokenPolicy()) is None


@fuzz()
@given(any_text)
def test_classify_answers_every_text_with_a_value(text: str) -> None:
    ran("classify(text)")
    result = classify(text)
    assert isinstance(result, Classified | Refusal)
    if isinstance(result, Refusal):
        assert result.reason


@fuzz()
@given(any_text, barcodes)
def test_classify_with_label_ranges_answers_every_text(text: str, ranges: Barcodes) -> None:
    ran("classify(text, barcodes)")
    result = classify(text, ranges)
    assert isinstance(result, Classified | Refusal)
    if isinstance(result, Classified) and result.kind is CodeKind.LABEL:
        assert result.label is not None and result.label.value >= 0
        assert result.label.item_code.isdigit() and is_valid_ean13(result.value)


@fuzz()
@given(st.one_of(token_like, any_text))
def test_no_token_shaped_text_raises_or_passes_for_genuine(text: str) -> None:
    ran("parse_token/check_token(token-shaped text)")
    token = parse_token(text)
    if isinstance(token, TokenRefusal):
        assert str(token.words)
        return
    why = check_token(token, ALL_KEYS, TUESDAY, TokenPolicy())
    assert why is not None and str(why.words), f"forged token accepted: {text!r}"


@fuzz()
@given(altered_genuine())
def test_an_altered_genuine_token_is_never_accepted(text: str) -> None:
    ran("parse_token/check_token(altered genuine token)")
    token = parse_token(text)
    if isinstance(token, PhoneToken):
        accepted = check_token(token, ALL_KEYS, TUESDAY, TokenPolicy()) is None
        assert not accepted or text.strip() == GENUINE, f"altered token accepted: {text!r}"


@fuzz()
@given(
    text=st.one_of(any_text, altered_genuine()),
    qty=st.integers(-(2**70), 2**70) | st.integers(-3, 1000),
    typed=st.booleans(),
)
def test_the_session_answers_every_scan_with_a_notice(
    till: CheckoutSession, text: str, qty: int, typed: bool
) -> None:
    ran("CheckoutSession.enter(text)")
    till.reset()
    notice = till.enter(text, qty, typed)
    assert isinstance(notice, Notice) and notice.text
    if text.strip().startswith("KQ1."):
        genuine = text.strip() == GENUINE
        assert genuine or (notice.refused and till.customer is None), f"forged: {text!r}"


def test_the_genuine_token_still_identifies(till: CheckoutSession) -> None:
    till.reset()
    fresh = issue_token("C3", demo_app_key("C3"), TUESDAY - timedelta(seconds=5))
    assert not till.enter(fresh).refused and till.customer is not None
