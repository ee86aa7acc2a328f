"""One customer looked up by card for a terminal that does not hold the card (issue 15),
as a snapshot would send them: of the person only what a terminal keeps."""

from __future__ import annotations

from typing import Any

from sync.hq.snapshot import for_the_terminal
from sync.hq.store import HqStore


def customer_by_card(store: HqStore, terminal_id: str, card: str) -> dict[str, Any] | None:
    """The customer holding ``card`` as :func:`sync.hq.snapshot.snapshot` sends them to
    ``terminal_id`` (the balance less the allowances held at other terminals), or None."""
    phone_key = store.phone_key()
    with store.reading() as c:
        (applied,) = c.execute(
            "SELECT acked_seq FROM terminals WHERE terminal_id=?", (terminal_id,)
        ).fetchone()
        found = for_the_terminal(store, terminal_id, applied, phone_key, "c.card=?", card)
    return found[0] if found else None
