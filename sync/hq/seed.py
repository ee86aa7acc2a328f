"""HQ seeded with the demo programme (:mod:`agent.demo`) for the demo and the tests, and
with many customers at once (the benchmarks: a chain of a million)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

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


def add_customers(store: HqStore, docs: Iterable[dict[str, Any]], chunk: int = 50_000) -> int:
    """Add new customers (documents as :meth:`HqStore.upsert_customer` takes them) in one
    transaction, many rows a statement, each with a rev of its own; returns how many.
    Raises StoreRefused for a customer id or card HQ holds already."""
    n = 0
    with store.transaction() as c:
        rev = store.next_rev() - 1  # the counter's row held to the end (PostgreSQL)
        rows: list[tuple[str, str, str, int, int]] = []
        for doc in docs:
            n += 1
            profile = {k: v for k, v in doc.items() if k not in ("customer_id", "card", "balance")}
            profile_text = json.dumps(profile, ensure_ascii=False)
            rows.append(
                (doc["customer_id"], doc["card"], profile_text, int(doc["balance"]), rev + n)
            )
            if len(rows) == chunk:
                c.executemany(_INSERT, rows)
                rows = []
        c.executemany(_INSERT, rows)
        c.execute(
            "INSERT INTO hq_meta(key, value) VALUES('rev', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(rev + n),),
        )
    return n


_INSERT = "INSERT INTO hq_customers(customer_id, card, doc, balance, rev) VALUES(?,?,?,?,?)"
