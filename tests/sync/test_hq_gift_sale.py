"""A gift card sold at a till reaches the real HQ process: the load is applied once, a card
HQ did not know is created by it, and a sale of loads only is no purchase at HQ."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from agent.codes import make_card_number
from agent.demo import PRODUCTS
from agent.money import Money
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from sync.worker import SyncState
from tests.hqproc import HqProcess
from tests.sync.test_partition import till

ANNA = make_card_number(1)
AT = "2026-11-24T09:00:00+00:00"
NEW_CARD = "GC0000000123"  # a blank card from the shop's stock: neither HQ nor the till knows it


def hq_rows(hq: HqProcess, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{hq.db}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def anna_at_hq(hq: HqProcess) -> dict[str, object]:
    ((doc,),) = hq_rows(hq, "SELECT doc FROM hq_customers WHERE customer_id='C1'")
    found: dict[str, object] = json.loads(str(doc))
    return found


def test_hq_applies_a_gift_card_load_exactly_once(hq: HqProcess, tmp_path: Path) -> None:
    t = till(hq, tmp_path, "T1")
    try:
        assert t.sync is not None and t.sync.run_once(t.store).state is SyncState.ONLINE
        product = t.store.catalogue.product("GIFT50")
        assert product is not None and product.loads_gift_card  # as HQ's product says
        purchases = anna_at_hq(hq).get("purchases_total")
        t.session.enter(ANNA)
        t.session.enter("GIFT50")
        assert not t.session.enter(NEW_CARD).refused
        t.session.commit()
        assert t.store.ledger.gift_card_balance(NEW_CARD) == Money(5000, "PLN")
        assert t.sync.run_once(t.store).pending == 0
        t.store.ledger.resend_from(1)  # the batch again, as after a lost reply
        assert t.sync.run_once(t.store).pending == 0
        assert hq_rows(hq, f"SELECT balance_minor, currency FROM hq_gift_cards "
                       f"WHERE card='{NEW_CARD}'") == [(5000, "PLN")]  # fmt: skip
        # HQ's figure now holds the load: the till counts it once, not on top of it.
        assert t.store.ledger.gift_card_balance(NEW_CARD) == Money(5000, "PLN")
        assert anna_at_hq(hq).get("purchases_total") == purchases  # loads only: no purchase
        t.session.enter(ANNA)
        t.session.enter("MILK")
        t.session.commit()
        assert t.sync.run_once(t.store).pending == 0
        assert anna_at_hq(hq).get("purchases_total") == int(str(purchases)) + 1
    finally:
        t.close()


def test_a_load_hq_cannot_recompute_is_quarantined_not_applied(
    hq_db_url: str, session: CheckoutSession, store: Store
) -> None:
    hq = HqStore(hq_db_url)
    seed_demo(hq)
    with hq.transaction():  # HQ's GIFT50 loads no card (the till's copy says it does)
        gift50 = next(p for p in PRODUCTS if p["sku"] == "GIFT50")
        hq.upsert_product(dict(gift50, currency="PLN", loads_gift_card=False))
    session.enter("GIFT50")
    session.enter(NEW_CARD)
    session.commit()
    ingest(hq, "T1", [e.to_wire() for e in store.ledger.pending_events(10)], AT)
    assert hq.conn.execute("SELECT 1 FROM hq_gift_cards WHERE card=?", (NEW_CARD,)).fetchall() == []
    # The whole sale is quarantined (a load HQ cannot recompute would mint money), and
    # listed for HQ's staff with the reason.
    reasons = [r for (r,) in hq.conn.execute("SELECT reason FROM hq_quarantine")]
    assert reasons == ["body.gift_loads: GIFT50 loads no gift card"]
