"""HQ's offline limit on gift cards: what one card may pay per store day at one terminal
beyond what HQ has confirmed, measured on the clock floor like the points' cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.i18n import Texts
from agent.model import OfflinePolicy
from agent.money import Money
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

CARD = "GC0000000001"  # 50.00 PLN
DAY_S = 24 * 3600
LIMIT = "until HQ confirms its recent payments (offline limit)"


def hq_sends(store: Store, policy: OfflinePolicy, applied_seq: int = 0) -> None:
    cursor = str(int(store.file.get_meta("snapshot_cursor", "0") or 0) + 1)
    store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor=cursor,
        received_at=TUESDAY,
        gift_cards=[(CARD, Money(5000, "PLN"), applied_seq)],
        policy=policy,
        hq_time=TUESDAY,
    )


@pytest.fixture
def till(tmp_path: Path) -> tuple[Store, FixedClock, CheckoutSession]:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    hq_sends(store, OfflinePolicy(stale_after_s=7 * DAY_S, gift_card_daily_minor=2000))
    return store, clock, CheckoutSession(store, clock, SequentialIds(), "T1", "S")


def pay_by_card(session: CheckoutSession) -> int:
    """A coffee (39.90) paid with the gift card as far as it may; return what it paid."""
    session.add("COFFEE")
    notice = session.enter(CARD)
    if notice.refused:
        session.reset()
        return 0
    return session.commit().quote.gift_card.minor  # type: ignore[union-attr]


def test_a_gift_card_pays_at_most_the_daily_limit_before_hq_confirms(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, clock, session = till
    session.add("COFFEE")
    notice = session.enter(CARD)
    assert not notice.refused and "20.00 PLN of it here" in notice.text
    shown = session.quote()
    assert shown.gift_card.minor == 2000 and shown.to_pay.minor == 1990
    why = shown.refusal_words("GIFT-CARD")
    assert why is not None and "may pay only 20.00 PLN" in str(why)
    pl = Texts("pl").say(why)
    assert "20,00" in pl and "limit offline" in pl  # the cashier reads it in Polish
    session.commit()
    session.add("MILK")
    refused = session.enter(CARD)  # the day's limit is used up
    assert refused.refused and "may pay nothing more here" in refused.text
    assert session.quote().gift_card.minor == 0
    session.reset()
    clock.advance(days=-1)  # a clock set back gains nothing
    assert pay_by_card(session) == 0
    clock.advance(days=2)  # the next store day: the limit again
    assert pay_by_card(session) == 2000
    assert store.ledger.gift_card_balance(CARD) == Money(1000, "PLN")


def test_what_hq_confirmed_no_longer_counts(
    till: tuple[Store, FixedClock, CheckoutSession],
) -> None:
    store, _clock, session = till
    assert pay_by_card(session) == 2000
    hq_sends(store, OfflinePolicy(stale_after_s=7 * DAY_S, gift_card_daily_minor=2000), 1)
    assert pay_by_card(session) == 2000  # HQ applied seq 1 (and sent 50.00: its own figure)


def test_a_stale_terminal_applies_the_stale_gift_card_limit(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    clock = FixedClock(TUESDAY)
    hq_sends(store, OfflinePolicy(stale_after_s=3600))  # defaults: 50.00 a day, 0 when stale
    session = CheckoutSession(store, clock, SequentialIds(), "T1", "S")
    assert pay_by_card(session) == 3990
    clock.advance(hours=2)
    assert pay_by_card(session) == 0


def test_without_a_limit_only_the_balance_limits(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    hq_sends(store, OfflinePolicy(stale_after_s=DAY_S, gift_card_daily_minor=None))
    session = CheckoutSession(store, FixedClock(TUESDAY), SequentialIds(), "T1", "S")
    assert pay_by_card(session) == 3990
    assert pay_by_card(session) == 1010


def test_the_gift_card_limits_travel_in_hqs_policy() -> None:
    policy = OfflinePolicy(gift_card_daily_minor=1234, stale_gift_card_daily_minor=None)
    assert OfflinePolicy.from_doc(policy.to_doc()) == policy
    assert OfflinePolicy.from_doc({"stale_after_s": 60}).gift_card_daily_minor == 5000
    for bad in (-1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="gift_card_daily_minor"):
            OfflinePolicy.from_doc({"stale_after_s": 60, "gift_card_daily_minor": bad})
