"""Phone QR tokens: genuine, fresh and first-seen identify; everything else is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.clock import FixedClock
from agent.demo import demo_app_key
from agent.session import CheckoutSession
from agent.signing import new_private_key
from agent.tokens import PhoneToken, TokenPolicy, issue_token, parse_token
from tests.conftest import TUESDAY

IOANA = demo_app_key("C3")


def test_a_fresh_genuine_token_identifies_once(session: CheckoutSession) -> None:
    token = issue_token("C3", IOANA, TUESDAY - timedelta(seconds=10))
    notice = session.enter(token)
    assert not notice.refused and session.customer is not None
    assert session.customer.name == "Ioana"  # the greeting: her first name
    session.reset()
    again = session.enter(token)  # a screenshot of the same code
    assert again.refused and "already used" in again.text and session.customer is None


def test_a_used_nonce_is_remembered_across_a_restart(session: CheckoutSession) -> None:
    token = issue_token("C3", IOANA, TUESDAY)
    assert not session.enter(token).refused
    fresh = CheckoutSession(session.store, session.clock, session.ids, "T1", "S")
    assert "already used" in fresh.enter(token).text


@pytest.mark.parametrize(
    ("age_s", "reason"),
    [
        (120 + 30 + 1, "expired"),  # yesterday's screenshot is far older still
        (86400, "expired"),
        (-31, "in the future"),
    ],
)
def test_stale_or_future_tokens_are_refused(
    session: CheckoutSession, age_s: int, reason: str
) -> None:
    token = issue_token("C3", IOANA, TUESDAY - timedelta(seconds=age_s))
    notice = session.enter(token)
    assert notice.refused and reason in notice.text and session.customer is None


def test_within_the_skew_tolerance_it_is_taken(session: CheckoutSession) -> None:
    assert not session.enter(issue_token("C3", IOANA, TUESDAY + timedelta(seconds=25))).refused
    session.reset()
    late = TUESDAY - timedelta(seconds=145)
    assert not session.enter(issue_token("C3", IOANA, late)).refused


def test_the_lifetime_is_configurable(session: CheckoutSession, clock: FixedClock) -> None:
    session.token_policy = TokenPolicy(lifetime_s=10, skew_s=0)
    notice = session.enter(issue_token("C3", IOANA, TUESDAY - timedelta(seconds=11)))
    assert notice.refused and "expired" in notice.text


def test_forged_and_altered_tokens_are_refused(session: CheckoutSession) -> None:
    forged = issue_token("C3", new_private_key(), TUESDAY)  # not the key HQ registered
    assert "does not verify" in session.enter(forged).text
    genuine = issue_token("C1", demo_app_key("C1"), TUESDAY)
    altered = genuine.replace("KQ1.C1.", "KQ1.C3.")  # Anna's token claiming to be Ioana
    assert "does not verify" in session.enter(altered).text
    assert session.customer is None


@pytest.mark.parametrize(
    "text",
    ["KQ1.", "KQ1.C3.123.short.sig", "KQ1.C3.notanumber." + "A" * 22 + "." + "B" * 86],
)
def test_malformed_tokens_are_refused_in_words(session: CheckoutSession, text: str) -> None:
    notice = session.enter(text)
    assert notice.refused and "not readable" in notice.text


def test_a_token_of_an_unknown_customer_is_refused(session: CheckoutSession) -> None:
    notice = session.enter(issue_token("C999", IOANA, TUESDAY))
    assert notice.refused and "not in this store" in notice.text


def test_the_token_format_round_trips() -> None:
    text = issue_token("C3", IOANA, TUESDAY, nonce=bytes(16))
    token = parse_token(text)
    assert isinstance(token, PhoneToken)
    assert (token.customer_id, token.issued_at, token.nonce) == ("C3", TUESDAY, "A" * 22)
    assert text.startswith(f"KQ1.C3.{int(TUESDAY.timestamp())}.AAAAAAAAAAAAAAAAAAAAAA.")
    assert len(text) == len("KQ1.C3.") + 10 + 1 + 22 + 1 + 86
