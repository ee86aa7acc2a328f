"""Which customers the tills of a store hold (issue 15): HQ's setting per store.

``all`` (the default, no row): every customer of the chain. ``seen``: those seen at the
store in the last ``window_days`` (a sale or return of theirs at any till of the store,
or their card looked up at HQ by one) and those HQ pushes to the store. A customer of
a ``seen`` store travels with ``held_until``: the till forgets them after it unless
seen again (a sale bumps the customer's rev, so they travel again with a later one).
The setting's ``epoch`` counts its changes: a till that held under another epoch drops
its customers and joins again from nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.hq import batch
from sync.hq.store import HqStore

MODES = ("all", "seen")
DEFAULT_WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class Holding:
    mode: str = "all"
    window_days: int = DEFAULT_WINDOW_DAYS
    epoch: int = 0

    def to_doc(self) -> dict[str, Any]:
        return {"mode": self.mode, "window_days": self.window_days, "epoch": self.epoch}

    def since(self, now: datetime) -> str:
        """The earliest time a customer seen then is still held at ``now`` (as kept)."""
        return utc_text(now - timedelta(days=self.window_days))

    def held_until(self, seen_at: str | None, pushed: bool) -> str | None:
        """Until when a till holds a customer seen at ``seen_at`` (None: for good)."""
        if self.mode == "all" or pushed or seen_at is None:
            return None
        return utc_text(datetime.fromisoformat(seen_at) + timedelta(days=self.window_days))


def utc_text(at: datetime) -> str:
    """A time as the store-held rows keep it: UTC, ISO, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def store_of(store: HqStore, terminal_id: str) -> str:
    """The store ``terminal_id`` stands in (read once an ingest batch)."""
    now = batch.of(store)
    if now is not None and terminal_id in now.stores:
        return now.stores[terminal_id]
    row = store.conn.execute(
        "SELECT store_id FROM terminals WHERE terminal_id=?", (terminal_id,)
    ).fetchone()
    found = "main" if row is None else str(row[0])
    if now is not None:
        now.stores[terminal_id] = found
    return found


def holding_of(store: HqStore, store_id: str) -> Holding:
    """The store's setting (``all`` until one is set)."""
    row = store.conn.execute(
        "SELECT mode, window_days, epoch FROM hq_store_holding WHERE store_id=?", (store_id,)
    ).fetchone()
    return Holding() if row is None else Holding(str(row[0]), int(row[1]), int(row[2]))


def set_holding(store: HqStore, store_id: str, mode: str, window_days: int) -> Holding:
    """Set which customers the store's tills hold; returns the new setting (its epoch
    one more: every till of the store joins again). Raises ValueError for a bad one."""
    if mode not in MODES:
        raise ValueError(f"mode: one of {', '.join(MODES)}")
    if not 0 < window_days <= 100 * 366:
        raise ValueError("window_days: a whole number of days above 0")
    with store.transaction() as c:
        epoch = holding_of(store, store_id).epoch + 1
        c.execute(
            "INSERT INTO hq_store_holding(store_id, mode, window_days, epoch) VALUES(?,?,?,?) "
            "ON CONFLICT(store_id) DO UPDATE SET mode=excluded.mode, "
            "window_days=excluded.window_days, epoch=excluded.epoch",
            (store_id, mode, window_days, epoch),
        )
    return Holding(mode, window_days, epoch)


def seen(store: HqStore, store_id: str, customer_id: str, at: datetime) -> None:
    """Note ``customer_id`` seen at ``store_id`` at ``at`` (kept: the later time), inside
    the caller's transaction. Noted in every mode: a store switched to ``seen`` holds
    who it saw before."""
    store.conn.execute(
        "INSERT INTO hq_store_customers(store_id, customer_id, seen_at) VALUES(?,?,?) "
        "ON CONFLICT(store_id, customer_id) DO UPDATE SET seen_at=excluded.seen_at "
        "WHERE excluded.seen_at > hq_store_customers.seen_at",
        (store_id, customer_id, utc_text(at)),
    )


def seen_by(store: HqStore, terminal_id: str, customer_id: str, at: datetime) -> None:
    """:func:`seen` at the store ``terminal_id`` stands in."""
    seen(store, store_of(store, terminal_id), customer_id, at)


def push(store: HqStore, store_id: str, customer_id: str, at: datetime) -> None:
    """Have the store's tills hold ``customer_id`` for good (``seen`` mode): sent with
    their next poll. Raises ValueError for a customer HQ does not know."""
    with store.transaction() as c:
        cur = c.execute(
            "UPDATE hq_customers SET rev=? WHERE customer_id=?", (store.next_rev(), customer_id)
        )
        if cur.rowcount != 1:
            raise ValueError(f"no customer {customer_id!r}")
        c.execute(
            "INSERT INTO hq_store_customers(store_id, customer_id, seen_at, pushed) "
            "VALUES(?,?,?,1) ON CONFLICT(store_id, customer_id) DO UPDATE SET pushed=1",
            (store_id, customer_id, utc_text(at)),
        )


HELD = (  # the customers c a store's tills hold in ``seen`` mode: (store_id, since)
    "EXISTS (SELECT 1 FROM hq_store_customers h WHERE h.store_id=? "
    "AND h.customer_id=c.customer_id AND (h.pushed=1 OR h.seen_at>=?))"
)
