"""HQ's report lists gift cards spent below zero, and its policy carries the gift card limits."""

from __future__ import annotations

import json

from sync.hq.report import report
from sync.hq.store import HqStore
from tests.ui.test_cli import kassa


def test_negative_gift_card_balances_appear_in_the_report(hq_db_url: str) -> None:
    db = hq_db_url
    store = HqStore(db)
    store.upsert_gift_card("GC0000000001", -15000, "PLN")  # spent at four tills offline
    store.upsert_gift_card("GC0000000002", 2500, "PLN")
    doc = report(store)
    store.close()
    assert doc["negative_gift_cards"] == [
        {"card": "GC0000000001", "balance_minor": -15000, "currency": "PLN"}
    ]
    out = kassa("hq", "report", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "NEGATIVE gift card GC0000000001: -150.00 PLN" in out.stdout
    assert "GC0000000002" not in out.stdout
    as_json = json.loads(kassa("hq", "report", "--db", str(db), "--json").stdout)
    assert as_json["negative_gift_cards"][0]["balance_minor"] == -15000


def test_set_policy_sets_the_gift_card_limits(hq_db_url: str) -> None:
    db = hq_db_url
    HqStore(db).close()
    out = kassa(
        "hq", "set-policy", "--db", str(db),
        "--gift-card-daily-minor", "2000", "--stale-gift-card-daily-minor", "none",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    policy = HqStore(db, create=False).policy()
    assert (policy.gift_card_daily_minor, policy.stale_gift_card_daily_minor) == (2000, None)
