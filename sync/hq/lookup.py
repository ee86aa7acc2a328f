"""One customer looked up by card for a terminal that does not hold the card (issue 15),
as a snapshot would send them: of the person only what a terminal keeps. The customer
is noted as seen at the terminal's store, so a store holding the customers it sees
keeps sending them to its tills (:mod:`sync.hq.holding`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.hq.holding import seen
from sync.hq.snapshot import for_the_terminal, reader
from sync.hq.store import HqStore


def customer_by_card(
    store: HqStore, terminal_id: str, card: str, now: datetime
) -> dict[str, Any] | None:
    """The customer holding ``card`` as :func:`sync.hq.snapshot.snapshot_page` sends them
    to ``terminal_id`` (the balance less the allowances held at other terminals), or
    None; the customer is seen at the terminal's store at ``now``."""
    phone_key = store.phone_key()
    with store.transaction():
        r = reader(store, terminal_id, 0, now, phone_key)
        cid = store.conn.execute(
            "SELECT customer_id FROM hq_customers WHERE card=?", (card,)
        ).fetchone()
        if cid is None:
            return None
        seen(store, r.store_id, str(cid[0]), now)
        found = for_the_terminal(r, "c.customer_id=?", (str(cid[0]),))
    return found[0] if found else None
