"""The overspend bound, adversarially: several terminals cut off from HQ, the same customers
and gift cards, the most every till lets be spent every store day, and one terminal's
clock set back again and again. HQ's balances stay within the README's bound.

The README's bound: T terminals, a daily cap of C points and G minor units a gift card,
stale after ``stale_after_s`` (0 once stale): overspend ≤ (T - 1) · C · D points per
customer and (T - 1) · G · D per card, where D is the store days that meet the window
from HQ's time in the last snapshot to ``stale_after_s`` later. Sized by
KASSA_PARTITION_TILLS and KASSA_PARTITION_DAYS; the order of the visits and when the
clock is set back come from KASSA_PARTITION_SEED (printed: rerun a failure with it).
"""

from __future__ import annotations

import os
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from agent.clock import FixedClock
from sync.hq.store import HqStore
from sync.worker import SyncState
from tests.conftest import TUESDAY
from tests.hqproc import HqProcess
from tests.sync.test_e2e import kassa
from tests.sync.test_partition import CARDS, hq_balances, hq_points, till
from ui.services import Services

pytestmark = pytest.mark.e2e
TILLS = int(os.environ.get("KASSA_PARTITION_TILLS", "4"))
DAYS = int(os.environ.get("KASSA_PARTITION_DAYS", "4"))
CAP, GIFT_CAP, STALE_AFTER_S = 1000, 1000, 2 * 86400
GIFT_CARDS = {"GC0000000001": 5000, "GC0000000002": 5000, "GC0000000003": 3000}
# Days meeting [snapshot, snapshot + 48 h] (Tuesday 09:00 UTC .. Thursday 09:00), within
# the partition's days.
FULL_DAYS = min(DAYS, 3)


def spend_points(t: Services, card: str) -> None:
    """Visits of one customer until the till lets no more points be spent."""
    for _visit in range(4):
        t.session.enter(card)
        t.session.add("COFFEE", 3)
        if t.session.pay_with_points(None).refused:
            t.session.reset()
            return
        t.session.commit()


def spend_gift_card(t: Services, card: str) -> None:
    """Sales paid with one gift card until the till lets it pay no more."""
    for _visit in range(4):
        t.session.add("COFFEE", 2)
        if t.session.enter(card).refused:
            t.session.reset()
            return
        t.session.commit()


def spend_everything(t: Services, rng: random.Random) -> None:
    cards = [*CARDS, *GIFT_CARDS]
    rng.shuffle(cards)
    for card in cards:
        if card in GIFT_CARDS:
            spend_gift_card(t, card)
        else:
            spend_points(t, card)


def gift_paid(t: Services) -> dict[str, int]:
    """card -> minor units it paid at till ``t``."""
    paid = dict.fromkeys(GIFT_CARDS, 0)
    for card, minor in t.store.conn.execute(
        "SELECT card, -SUM(amount_minor) FROM gift_card_moves GROUP BY card"
    ):
        paid[card] += int(minor)
    return paid


def redeemed_at(hq: HqProcess) -> dict[tuple[str, str], int]:
    """(terminal, customer) -> points redeemed there, in what HQ received."""
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT terminal_id, customer_id, SUM(points_redeemed) FROM hq_events "
            "WHERE customer_id IS NOT NULL GROUP BY terminal_id, customer_id"
        )
        return {(tid, cid): int(n) for tid, cid, n in rows}
    finally:
        conn.close()


def hq_gift_balances(hq: HqProcess) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        return dict(conn.execute("SELECT card, balance_minor FROM hq_gift_cards"))
    finally:
        conn.close()


def test_a_clock_set_back_at_one_till_gains_nothing_against_the_bound(
    hq: HqProcess, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KASSA_PARTITION_SEED", random.randrange(2**32)))
    print(f"KASSA_PARTITION_SEED={seed} tills={TILLS} days={DAYS}")
    rng = random.Random(seed)
    hq.kill()
    hq.fixed_time = TUESDAY
    db = str(hq.db)
    out = kassa(
        "hq", "set-policy", "--db", db, "--daily-points", str(CAP),
        "--stale-after-s", str(STALE_AFTER_S), "--gift-card-daily-minor", str(GIFT_CAP),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    store = HqStore(db, create=False)
    for card, minor in GIFT_CARDS.items():
        store.upsert_gift_card(card, minor, "PLN")
    store.conn.close()
    hq.start()
    tills = [till(hq, tmp_path, f"T{i + 1}") for i in range(TILLS)]
    cheat = rng.randrange(TILLS)  # the till whose clock is set back
    try:
        for t in tills:
            assert t.sync is not None and t.sync.run_once(t.store).state is SyncState.ONLINE
        before, gift_before = hq_balances(hq), hq_gift_balances(hq)
        assert {c: gift_before[c] for c in GIFT_CARDS} == GIFT_CARDS  # (the demo's empty card too)

        hq.kill()  # the partition
        for day in range(DAYS):
            for i in rng.sample(range(TILLS), TILLS):
                t = tills[i]
                assert t.sync is not None and isinstance(t.clock, FixedClock)
                spend_everything(t, rng)
                assert t.sync.run_once(t.store).state is SyncState.OFFLINE
                if i == cheat:  # back one day, then further back: every day a fresh one?
                    for back in range(1, day + 3):
                        t.clock.advance(days=-back, hours=rng.randrange(-3, 4))
                        spend_everything(t, rng)
                        t.sync.run_once(t.store)
                        t.clock.at = TUESDAY + timedelta(days=day)
            for t in tills:
                assert isinstance(t.clock, FixedClock)
                t.clock.advance(days=1)

        hq.start()
        for t in tills:
            assert t.sync is not None
            for _ in range(20):
                if t.sync.run_once(t.store).pending == 0:
                    break
            assert t.store.ledger.outbox_stats().pending == 0
        paid_at = {t.config.terminal_id: gift_paid(t) for t in tills}
    finally:
        for t in tills:
            t.close()

    after, points, gift_after = hq_balances(hq), hq_points(hq), hq_gift_balances(hq)
    bound, gift_bound = (TILLS - 1) * CAP * FULL_DAYS, (TILLS - 1) * GIFT_CAP * FULL_DAYS
    overspent = {}
    for cid in ("C1", "C2", "C3"):
        earned, redeemed = points.get(cid, (0, 0))
        assert after[cid] == before[cid] + earned - redeemed  # HQ applied every move once
        overspent[cid] = max(0, redeemed - before[cid] - earned)
    # What the bound rests on: no till, its clock set back or not, lets more than the cap
    # of each day of the window be spent unconfirmed, in points or by a gift card.
    cheat_id = f"T{cheat + 1}"
    for (tid, cid), n in redeemed_at(hq).items():
        assert n <= CAP * FULL_DAYS, (seed, tid, cid, n, "cheat" if tid == cheat_id else "")
    for tid, paid_here in paid_at.items():
        for card, minor in paid_here.items():
            assert minor <= GIFT_CAP * FULL_DAYS, (seed, tid, card, minor)
    gift_over = {}
    for card, minor in GIFT_CARDS.items():
        assert gift_after[card] == minor - sum(p[card] for p in paid_at.values())
        gift_over[card] = max(0, -gift_after[card])
    print(f"points overspent {overspent} (bound {bound}); gift cards {gift_over} ({gift_bound})")
    assert max(overspent.values()) <= bound, (seed, overspent, bound)
    assert max(gift_over.values()) <= gift_bound, (seed, gift_over, gift_bound)
    assert max(overspent.values()) > 0 and max(gift_over.values()) > 0  # the bound is tested
    flagged = hq.report()["negative_gift_cards"]
    assert isinstance(flagged, list) and {f["card"] for f in flagged} == {
        c for c, v in gift_over.items() if v > 0
    }
