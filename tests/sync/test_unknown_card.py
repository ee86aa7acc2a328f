"""A card the till does not hold, against the real HQ process (issue 15): looked up at HQ
online and kept; offline the sale earns for the card alone, and HQ credits the points when
the sale arrives, or holds them for the card until it is enrolled."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import httpx

from agent.card_only import card_only
from agent.codes import make_card_number
from agent.events import Return, Sale
from agent.notice import Notice
from agent.session import CheckoutSession
from agent.signing import new_private_key, public_key_hex
from sync.client import CardLookupAtHq, HqClient
from sync.hq.held import card_only_faults
from sync.worker import SyncState
from tests.hqproc import HqProcess
from tests.sync.test_partition import till
from ui.services import Services

NEW = make_card_number(4242)  # enrolled at another till while this one was not looking
NOBODY = make_card_number(4343)  # no customer anywhere holds it yet


def hq_rows(hq: HqProcess, sql: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, args))
    finally:
        conn.close()


def balance_at_hq(hq: HqProcess, card: str) -> int | None:
    rows = hq_rows(hq, "SELECT balance FROM hq_customers WHERE card=?", card)
    return int(str(rows[0][0])) if rows else None


def online(t: Services) -> None:
    assert t.sync is not None and t.sync.run_once(t.store).state is SyncState.ONLINE


def enrol_elsewhere(hq: HqProcess, tmp_path: Path, card: str) -> None:
    """Enrolled at till T2, which uploads it to HQ."""
    t2 = till(hq, tmp_path, "T2")
    try:
        online(t2)
        assert not t2.session.desk.enrol("Nina", card, terms=True, marketing=False).refused
        online(t2)
        assert t2.sync is not None and t2.sync.run_once(t2.store).pending == 0
    finally:
        t2.close()


def card_only_sale(t: Services, card: str) -> int:
    """A sale for ``card`` the till does not hold, with HQ out of reach: its points."""
    said = t.session.enter(card)
    assert not said.refused and "no points can be spent" in said.text
    t.session.enter("COFFEE")
    committed = t.session.commit()
    assert committed.quote is not None and committed.quote.points_earned > 0
    return committed.quote.points_earned


def test_a_card_enrolled_elsewhere_is_looked_up_at_hq_and_kept(
    hq: HqProcess, tmp_path: Path
) -> None:
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)  # holds the chain as it was
        enrol_elsewhere(hq, tmp_path, NEW)
        assert t1.store.catalogue.customer_by_card(NEW) is None
        said = t1.session.enter(NEW)
        assert said.text.startswith("Customer Nina")
        held = t1.store.catalogue.customer_by_card(NEW)
        assert held is not None and not held.customer_id.startswith("~")
    finally:
        t1.close()


def test_offline_a_card_known_at_hq_earns_and_hq_credits_it_when_the_sale_arrives(
    hq: HqProcess, tmp_path: Path
) -> None:
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        enrol_elsewhere(hq, tmp_path, NEW)
        hq.kill()  # offline: the lookup cannot be made
        earned = card_only_sale(t1, NEW)
        hq.start()
        online(t1)
        assert t1.sync is not None and t1.sync.run_once(t1.store).pending == 0
        assert hq_rows(hq, "SELECT reason FROM hq_quarantine") == []
        assert balance_at_hq(hq, NEW) == earned
    finally:
        t1.close()


def test_points_of_a_card_nobody_holds_are_held_and_credited_at_enrolment(
    hq: HqProcess, tmp_path: Path
) -> None:
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        hq.kill()
        earned = card_only_sale(t1, NOBODY)
        hq.start()
        online(t1)
        assert t1.sync is not None and t1.sync.run_once(t1.store).pending == 0
        assert balance_at_hq(hq, NOBODY) is None
        held = hq_rows(hq, "SELECT points FROM hq_held_points WHERE card=?", NOBODY)
        assert held == [(earned,)]
        quarantined = hq_rows(hq, "SELECT reason FROM hq_quarantine")
        assert quarantined == []  # HQ's re-pricing accepts a sale priced for a card alone
        enrol_elsewhere(hq, tmp_path, NOBODY)
        assert balance_at_hq(hq, NOBODY) == earned
        assert hq_rows(hq, "SELECT points FROM hq_held_points WHERE card=?", NOBODY) == []
    finally:
        t1.close()


def test_the_lookup_waits_the_short_timeout_and_a_slow_hq_is_no_customer() -> None:
    seen: list[object] = []

    def slow(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        raise httpx.ReadTimeout("HQ is slow", request=request)

    def nobody(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "no customer holds card"})

    for handler in (slow, nobody):
        client = HqClient(
            "http://hq.test",
            "T1",
            "s",
            public_key_hex(new_private_key()),
            lookup_timeout_s=0.8,
            transport=httpx.MockTransport(handler),
        )
        assert CardLookupAtHq(client).customer_by_card(NOBODY) is None
    assert seen and all(t == {"connect": 0.8, "read": 0.8, "write": 0.8, "pool": 0.8} for t in seen)


def test_a_return_of_a_card_alone_sale_takes_its_points_back_from_what_is_held(
    hq: HqProcess, tmp_path: Path
) -> None:
    t1 = till(hq, tmp_path, "T1")
    try:
        online(t1)
        hq.kill()
        t1.session.enter(NOBODY)
        t1.session.add("COFFEE", 2)
        sale = t1.session.commit()
        assert sale.quote is not None
        back = t1.session.desk.commit_return(sale.seq, {"COFFEE": 1})
        assert not isinstance(back, Notice)
        returned = t1.store.ledger.sale_event(back.seq)
        assert returned is not None and isinstance(returned.record, Return)
        kept = sale.quote.points_earned + returned.record.points_earned
        assert 0 < kept < sale.quote.points_earned
        hq.start()
        online(t1)
        assert t1.sync is not None and t1.sync.run_once(t1.store).pending == 0
        assert hq_rows(hq, "SELECT reason FROM hq_quarantine") == []
        held = hq_rows(hq, "SELECT SUM(points) FROM hq_held_points WHERE card=?", NOBODY)
        assert held == [(kept,)]
        enrol_elsewhere(hq, tmp_path, NOBODY)
        assert balance_at_hq(hq, NOBODY) == kept
    finally:
        t1.close()


def test_hq_accepts_a_card_alone_sale_only_priced_as_one(session: CheckoutSession) -> None:
    session.enter(NOBODY)
    session.add("COFFEE")
    committed = session.commit()
    event = session.store.ledger.sale_event(committed.seq)
    rs = session.ruleset
    assert event is not None and isinstance(event.record, Sale) and rs is not None
    sale = event.record
    alone = card_only(NOBODY, rs)
    assert card_only_faults(sale, alone, 0, rs) == []
    higher = next(t for t in rs.tiers if t != rs.default_tier)
    assert card_only_faults(sale, replace(alone, tier=higher), 0, rs)[0][0] == "tier"
    personal = replace(alone, segments=frozenset({"vip"}))
    assert card_only_faults(sale, personal, 0, rs)[0][0] == "customer"
    spent = replace(sale, points_redeemed=100)
    assert card_only_faults(spent, alone, 0, rs)[0][0] == "points_redeemed"
