"""The customer panel's tier counts this terminal's unsynced sales (issue 13: the tier a
sale is priced at is the higher of HQ's and the one the qualifying spend reaches)."""

from __future__ import annotations

from agent.codes import make_card_number
from agent.i18n import Texts
from agent.session import CheckoutSession
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
