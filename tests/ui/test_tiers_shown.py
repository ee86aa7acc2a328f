"""The tier shown where a cashier or HQ staff read it (issue 13: the tier a sale is
priced at is the higher of HQ's and the one the qualifying spend reaches, counting this
terminal's unsynced sales): the customer panel, and `kassa quote`."""

from __future__ import annotations

import json
from pathlib import Path

from agent.codes import make_card_number
from agent.demo import RULESET
from agent.i18n import Texts
from agent.session import CheckoutSession
from tests.ui.test_cli import kassa
from ui.till.panels import customer_text

ANNA = make_card_number(1)  # Bronze, 820.00 qualifying spend at HQ; Silver from 1,000.00


def test_the_panel_shows_the_tier_the_next_sale_is_priced_at(session: CheckoutSession) -> None:
    session.enter(ANNA)
    assert "[Bronze]" in customer_text(session, Texts("en"))
    session.enter("JACKET")
    session.commit()  # 499.00 more, not yet at HQ: 1,319.00
    session.enter(ANNA)
    panel = customer_text(session, Texts("en"))
    assert "[Silver]" in panel and "Gold after PLN3,681.00 more" in panel


def test_kassa_quote_says_the_tier_a_sale_is_priced_at_and_reaches(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RULESET))
    basket = {"lines": [{"sku": "JACKET", "unit_minor": 49900, "category": "premium"}]}
    (tmp_path / "b.json").write_text(json.dumps(basket))
    customer = {"customer_id": "C1", "tier": "Bronze", "tier_spend_minor": 80000}
    (tmp_path / "c.json").write_text(json.dumps(customer))
    (tmp_path / "u.json").write_text(json.dumps({"unsynced_spend_minor": 15000}))
    args = ["--ruleset", str(tmp_path / "r.json"), "--basket", str(tmp_path / "b.json")]
    args += ["--customer", str(tmp_path / "c.json"), "--usage", str(tmp_path / "u.json")]
    out = kassa("quote", *args, "--at", "2026-11-24T10:00:00+01:00")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["points_earned"] == 998 and doc["discount_minor"] == 0
    assert doc["tier"] == {
        "hq_tier": "Bronze",
        "qualifying_spend_minor": 95000,
        "priced_at": "Bronze",
        "held_after": "Silver",
        "new_tier": {"name": "Silver", "qualifying_minor": 144900, "this_sale": False},
    }
