"""Many terminals uploading to a real HQ at once (the concurrency test, `kassa bench`).

Each is a light terminal speaking the real protocol: genuine sale bodies, made once by
the checkout session on the demo programme (customers earning, a gift card paying,
another loaded at the till), given the terminal's own ids and seqs and hash-chained
as its journal chains them; its credential on every call; uploads in batches, sent
again after a connection error or a 503 (after its Retry-After), as the sync worker
does; and, when asked, a snapshot polled after every upload and its signature checked
against HQ's key. Every reply is tallied, so a test can say none was other than
200, 503 or a connection error.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agent.clock import FixedClock, SequentialIds
from agent.demo import CUSTOMERS, DEMO_SECRET, GIFT_CARDS, demo_store
from agent.errors import KassaError
from agent.journal import GENESIS, canonical, row_hash
from agent.session import CheckoutSession
from agent.signing import verify
from sync.hq.store import HqStore
from sync.wire import parse_snapshot
from ui.tools.measure import AT

TEMPLATES = 24  # sales made (20 kept: see sale_templates), replayed under every terminal's ids
GIFT_PAID, GIFT_LOADED = sorted(GIFT_CARDS)  # a card that pays; a new one loaded at the till
RETRY_S = 0.2  # the wait after a connection error (a worker killed), with jitter


def sale_templates(workdir: Path) -> list[dict[str, Any]]:
    """The bodies of :data:`TEMPLATES` genuine sales of the demo programme, as documents:
    most to a customer's card, some paid with a gift card, some loading one."""
    store = demo_store(workdir / "templates.db")
    session = CheckoutSession(store, FixedClock(AT), SequentialIds("t"), "T1", "load")
    cards = [r[0] for r in store.conn.execute("SELECT card FROM customers ORDER BY card")]
    skus = [
        r[0]
        for r in store.conn.execute(
            "SELECT sku FROM products WHERE unit='piece' AND loads_gift_card=0 ORDER BY sku"
        )
    ]
    for i in range(TEMPLATES):
        if i % 4 != 3:
            session.enter(cards[i % len(cards)])
        if i % 6 == 1:
            session.add("GIFT50")
            session.enter(GIFT_LOADED)
        for k in range(1 + i % 3):
            session.add(skus[(i * 7 + k * 3) % len(skus)], 1 + k % 2)
        if i % 6 == 4:
            session.enter(GIFT_PAID)
        session.commit()
    docs = [json.loads(e.body) for e in store.ledger.pending_events(TEMPLATES)]
    store.close()
    # The till's own unsynced sales lift a customer to the next tier before HQ has seen
    # them; HQ rightly refuses a sale priced at that tier until it has the spend too,
    # which replayed sales would meet or not by the order they arrive: kept out.
    seeded = {str(c["customer_id"]): c.get("tier") for c in CUSTOMERS}
    return [d for d in docs if d["customer"] is None or _tiers(d) == {seeded[_cid(d)]}]


def _cid(sale: dict[str, Any]) -> str:
    return str(sale["customer"]["customer_id"])


def _tiers(sale: dict[str, Any]) -> set[str]:
    """The tiers a sale's body names for its customer: held, and priced with."""
    asked = (sale.get("priced_with") or {}).get("customer") or {}
    return {str(sale["customer"].get("tier")), str(asked.get("tier", sale["customer"]["tier"]))}


def terminal_events(
    terminal_id: str, n: int, templates: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``n`` sales of ``terminal_id`` as it uploads them: seq 1..n, hash-chained."""
    out: list[dict[str, Any]] = []
    prev = GENESIS
    start = sum(map(ord, terminal_id))  # terminals start at different templates
    for seq in range(1, n + 1):
        sale = templates[(start + seq) % len(templates)]
        sale_id = f"{terminal_id}-{seq}"
        body = canonical(dict(sale, seq=seq, terminal_id=terminal_id, sale_id=sale_id))
        h = row_hash(prev, body)
        out.append(
            {
                "seq": seq,
                "kind": "sale",
                "event_id": sale_id,
                "at": sale["at"],
                "body": body,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    return out


def register(store: HqStore, terminal_ids: list[str], secret: str = DEMO_SECRET) -> None:
    """Register the load's terminals at HQ (before it serves)."""
    with store.transaction():
        for tid in terminal_ids:
            store.add_terminal(tid, secret)


@dataclass
class Tally:
    """What the terminals saw: replies by status, connection errors by kind, each batch's
    upload time (first send to acknowledgement, retries included), polls done."""

    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    upload_s: list[float] = field(default_factory=list)
    polls: int = 0
    batches_done: int = 0
    unexpected: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Terminal:
    terminal_id: str
    events: list[dict[str, Any]]
    secret: str = DEMO_SECRET


class _Gone(KassaError):
    """A terminal met a reply it cannot go on from (tallied as unexpected)."""


async def _send(
    http: httpx.AsyncClient, method: str, path: str, tally: Tally, **kw: Any
) -> httpx.Response | None:
    """One call; None after a connection error or a 503 (waited out), which the caller
    sends again. Any other reply but 200 is tallied as unexpected and ends the terminal."""
    try:
        reply = await http.request(method, path, **kw)
    except httpx.TransportError as exc:
        tally.errors[type(exc).__name__] += 1
        await asyncio.sleep(RETRY_S * (0.5 + random.random()))
        return None
    tally.statuses[reply.status_code] += 1
    if reply.status_code == 503:
        await asyncio.sleep(float(reply.headers["Retry-After"]))
        return None
    if reply.status_code != 200:
        tally.unexpected.append(f"{method} {path}: {reply.status_code} {reply.text[:200]}")
        raise _Gone
    return reply


async def _poll(
    http: httpx.AsyncClient, t: Terminal, key: str, state: list[int], tally: Tally
) -> None:
    """A snapshot since the terminal's cursor, its signature checked (state: cursor and
    ruleset version, moved on)."""
    path = f"/v1/terminals/{t.terminal_id}/snapshot"
    reply = await _send(
        http, "GET", path, tally, params={"cursor": state[0], "ruleset_version": state[1]}
    )
    if reply is None:
        return  # the next upload polls again
    snap = parse_snapshot(verify(reply.json(), key))
    if snap.terminal_id != t.terminal_id:
        tally.unexpected.append(f"{path}: a snapshot for {snap.terminal_id}")
        raise _Gone
    state[0] = snap.cursor
    state[1] = snap.ruleset.version if snap.ruleset else state[1]
    tally.polls += 1


async def _terminal(url: str, t: Terminal, batch: int, load: _Load) -> None:
    headers = {"Authorization": f"Bearer {t.terminal_id}:{t.secret}"}
    limits = httpx.Limits(max_connections=1)  # one connection, kept: as the sync worker's
    tally = load.tally
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as http:
        state = [0, 0]
        try:
            while state[1] == 0:  # the first snapshot: also HQ checking the credential
                await _poll(http, t, load.key, state, tally)
        except _Gone:
            return
        finally:
            load.ready += 1
        await load.go.wait()
        path = f"/v1/terminals/{t.terminal_id}/events"
        i = 0
        try:
            while i < len(t.events):
                body = json.dumps({"events": t.events[i : i + batch]}).encode()
                t0 = time.perf_counter()
                reply = None
                while reply is None:
                    reply = await _send(
                        http,
                        "POST",
                        path,
                        tally,
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                tally.upload_s.append(time.perf_counter() - t0)
                tally.batches_done += 1
                i = int(reply.json()["expected_seq"]) - 1
                if load.poll:
                    await _poll(http, t, load.key, state, tally)
        except _Gone:
            return


@dataclass
class _Load:
    key: str
    poll: bool
    tally: Tally
    go: asyncio.Event
    ready: int = 0


async def _run(url: str, terminals: list[Terminal], batch: int, load: _Load) -> float:
    tasks = [asyncio.create_task(_terminal(url, t, batch, load)) for t in terminals]
    while load.ready < len(terminals):  # every terminal has its first snapshot
        await asyncio.sleep(0.05)
    load.go.set()
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


def run_load(
    url: str,
    terminals: list[Terminal],
    batch: int,
    key: str,
    poll: bool = True,
    tally: Tally | None = None,
) -> tuple[Tally, float]:
    """Upload every terminal's events in batches of ``batch``, all at once. Each first
    takes its snapshot (verified with ``key``, HQ's public key in hex: HQ checks each
    credential then, not while the uploads are timed), and with ``poll`` polls one
    after every upload. Returns the tally (``tally``, filled as it goes, if given) and
    the seconds the uploads took."""
    tally = tally if tally is not None else Tally()

    async def main() -> float:
        return await _run(url, terminals, batch, _Load(key, poll, tally, asyncio.Event()))

    return tally, asyncio.run(main())
