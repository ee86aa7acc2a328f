"""HQ seeded with the demo programme (:mod:`agent.demo`) for the demo and the tests."""

from __future__ import annotations

from agent import demo
from sync.hq.store import HqStore


def seed_demo(store: HqStore) -> None:
    """Fill an empty HQ with the demo programme (a no-op if it holds a ruleset)."""
    if store.conn.execute("SELECT 1 FROM hq_rulesets").fetchone():
        return
    with store.transaction():
        for p in demo.PRODUCTS:
            store.upsert_product(dict(p, currency="PLN"))
        for c in demo.CUSTOMERS:
            store.upsert_customer(c)
        for t in demo.DEMO_TERMINALS:
            store.add_terminal(t, demo.DEMO_SECRET)
            for rule_id, n in demo.QUOTAS.items():
                store.grant_quota(t, rule_id, n)
        for card, minor in demo.GIFT_CARDS.items():
            store.upsert_gift_card(card, minor, "PLN")
        store.publish_ruleset(demo.RULESET)
