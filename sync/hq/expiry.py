"""HQ's expiry of points: lots expired are dropped from the balances and each is written
down as an expiry move (``hq_expiry_moves``), so a balance is always its points earned
less its points redeemed (``hq_events``) less its points expired.

There is one way points expire, :func:`expire_customer`, whoever notices it first: the
expiry run (:func:`run_expiry`: on a schedule inside the server, :func:`expire_every`,
and as ``kassa hq expire``), a snapshot (for its time) or an event (for its own time).
A lot dropped is gone from the customer's document, so its move is written once: a
second run at the same time writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.errors import KassaError
from sync.hq.lots import drop_expired
from sync.hq.store import HqStore

log = logging.getLogger(__name__)
DEFAULT_EVERY_S = 3600.0  # how often the server runs expiry unless told otherwise


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    """What one run expired: customers touched, lots dropped, points they held."""

    customers: int = 0
    lots: int = 0
    points: int = 0


def write_move(
    store: HqStore, customer_id: str, points: int, expired_at: datetime, at: datetime
) -> None:
    """Write down ``points`` of a customer that expired at ``expired_at`` (found at ``at``)."""
    store.conn.execute(
        "INSERT INTO hq_expiry_moves(customer_id, points, expired_at, written_at) VALUES(?,?,?,?)",
        (customer_id, points, _utc(expired_at), _utc(at)),
    )


def expire_customer(
    store: HqStore, customer_id: str, doc: dict[str, Any], at: datetime
) -> ExpiryRun:
    """Drop the lots of a customer's document expired by ``at`` and write a move for each;
    the caller takes the points off the balance and stores ``doc`` (in its transaction)."""
    gone = drop_expired(doc, at)
    for lot in gone:
        write_move(store, customer_id, lot.points, lot.expires_at, at)
    return ExpiryRun(1 if gone else 0, len(gone), sum(lot.points for lot in gone))


def expire_all(store: HqStore, at: datetime) -> ExpiryRun:
    """Expire every customer's lots expired by ``at`` (inside the caller's transaction)."""
    rows = store.conn.execute(
        f"SELECT customer_id, doc FROM hq_customers WHERE {store.dialect.length('doc', 'lots')} > 0"
    ).fetchall()
    customers = lots = points = 0
    for cid, text in rows:
        doc = json.loads(text)
        run = expire_customer(store, cid, doc, at)
        if run.points:
            store.conn.execute(
                "UPDATE hq_customers SET balance=balance-?, doc=?, rev=? WHERE customer_id=?",
                (run.points, json.dumps(doc, ensure_ascii=False), store.next_rev(), cid),
            )
        customers, lots, points = customers + run.customers, lots + run.lots, points + run.points
    return ExpiryRun(customers, lots, points)


def run_expiry(store: HqStore, at: datetime) -> ExpiryRun:
    """The expiry run: every lot expired by ``at``, in one transaction (and the spend aged
    out of the tier window by then, as a snapshot would, so a tier lowered is HQ's at once)."""
    with store.transaction():
        run = expire_all(store, at)
        store.age_spend(at)
        return run


async def expire_every(store: HqStore, every_s: float, clock: Callable[[], datetime]) -> None:
    """Run expiry now and every ``every_s`` seconds after, by ``clock``, until cancelled;
    a run that fails (HQ busy, say) is logged and the next one tries again."""
    while True:
        try:
            run = await asyncio.to_thread(run_expiry, store, clock())
        except KassaError as exc:
            log.warning("expiry run failed: %s", exc)
        else:
            if run.points:
                log.info("expired %d points of %d customers", run.points, run.customers)
        await asyncio.sleep(every_s)


def scheduled(
    store: HqStore, every_s: float | None, clock: Callable[[], datetime]
) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The server's lifespan: the expiry run every ``every_s`` seconds while it serves
    (none without ``every_s``)."""

    @asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        task = asyncio.create_task(expire_every(store, every_s, clock)) if every_s else None
        yield
        if task is not None:
            task.cancel()

    return lifespan


def points_expired(
    store: HqStore, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Points expired from ``since`` to ``until`` (store days, both included; open when
    None): the total and per store day, in the programme's time zone."""
    tz = ZoneInfo(store.timezone())
    lo = _utc(datetime.combine(since, time(), tz)) if since else ""
    hi = _utc(datetime.combine(until + timedelta(days=1), time(), tz)) if until else "~"
    per_day: dict[str, int] = {}
    for at, points in store.conn.execute(
        "SELECT expired_at, points FROM hq_expiry_moves "
        "WHERE expired_at >= ? AND expired_at < ? ORDER BY expired_at",
        (lo, hi),
    ):
        day = datetime.fromisoformat(at).astimezone(tz).date().isoformat()
        per_day[day] = per_day.get(day, 0) + int(points)
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "total": sum(per_day.values()),
        "per_day": [{"day": d, "points": p} for d, p in per_day.items()],
    }


def _utc(at: datetime) -> str:
    """A time as HQ's moves keep it: UTC, ISO, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")
