"""`kassa bench`: the figures the issues name, each beside a baseline measured in the same run.

Timing lives here, not in tests: shared machines make timed assertions flaky.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.clock import FixedClock, SequentialIds
from agent.demo import RULESET, demo_store
from agent.model import Basket, Customer, Line
from agent.money import Money, Points
from agent.pricing.engine import quote
from agent.pricing.inputs import Tender, Usage
from agent.ruleset_reader import parse_ruleset
from agent.session import CheckoutSession
from agent.store.file import connect
from ui.tools.bench_agent import bench_agent
from ui.tools.bench_devices import run_device_benches
from ui.tools.bench_hq import (
    BATCHES,
    QUICK_BATCHES,
    QUICK_TERMINALS,
    SQLITE,
    TERMINALS,
    IngestLoad,
    bench_hq_ingest,
)
from ui.tools.bench_snapshot import bench_snapshot
from ui.tools.bench_sync import bench_catchup
from ui.tools.bench_tui import bench_keypress
from ui.tools.measure import AT, p99

BENCH_CUSTOMERS = 100


def bench_commit(rounds: int, workdir: Path) -> dict[str, float]:
    """A durable sale commit against a bare one-row INSERT+COMMIT (WAL+FULL, same disk).

    The two are interleaved round by round and compared by median, so the disk's
    noise on a shared machine falls on both alike.
    """
    bare = connect(workdir / "bare.db")
    bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    payload = "x" * 600  # about the size of a sale body
    store = demo_store(workdir / "terminal.db", extra_customers=BENCH_CUSTOMERS)
    session = CheckoutSession(store, FixedClock(AT), SequentialIds("s"), "B1", "bench")
    # A till serves a different customer each time: a customer's unsynced sales at one
    # terminal are few, so cards cycle rather than one card piling up every sale.
    cards = [r[0] for r in store.conn.execute("SELECT card FROM customers ORDER BY card")]
    bare_s: list[float] = []
    sale_s: list[float] = []
    warmup = 20  # first commits pay for cold caches and file growth: not counted
    for i in range(rounds + warmup):
        t0 = time.perf_counter()
        bare.execute("BEGIN IMMEDIATE")
        bare.execute("INSERT INTO t(id, v) VALUES(?, ?)", (i, payload))
        bare.execute("COMMIT")
        bare_s.append(time.perf_counter() - t0)
        session.enter(cards[i % len(cards)])  # the cashier's actions are not the commit: not timed
        session.add("COFFEE")
        session.add("MILK", 2)
        session.quote()  # the total on the screen: the cashier has seen it before F10
        t0 = time.perf_counter()
        session.commit()  # journal, ledger, usage, outbox, print job: one transaction
        sale_s.append(time.perf_counter() - t0)
    bare.close()
    store.close()
    bare_s, sale_s = bare_s[warmup:], sale_s[warmup:]
    sale, base = statistics.median(sale_s), statistics.median(bare_s)
    return {"commit_ratio": sale / base, "commit_ms": sale * 1000, "bare_commit_ms": base * 1000}


MATCHING_RULES = 30


def synthetic_ruleset(n_rules: int, matching: int = MATCHING_RULES) -> dict[str, Any]:
    """A programme of ``n_rules`` active rules of which ``matching`` touch the bench basket."""
    rules: list[dict[str, Any]] = []
    kinds = [
        lambda i, m: {"kind": "multiplier", "factor": str(2 + i % 3), "match": m},
        lambda i, m: {
            "kind": "percent_off",
            "percent": str(1 + i % 5),
            "match": m,
            "priority": 10 + i % 7,
            "group": f"g{i % 4}",
        },
        lambda i, m: {
            "kind": "bonus_per_unit",
            "points": 1 + i % 9,
            "match": m,
            "cap_per_sale": 50,
        },
        lambda i, m: {"kind": "buy_x_get_y", "buy": 2, "get": 1, "match": m},
    ]
    for i in range(n_rules):
        hit = i < matching
        match = (
            ({"categories": [f"cat{i % 10}"]} if i % 2 else {"skus": [f"SKU{i % 40}"]})
            if hit
            else ({"categories": [f"other{i}"]} if i % 2 else {"skus": [f"OTHER{i}"]})
        )
        rules.append({"id": f"R{i}", **kinds[i % len(kinds)](i, match)})
        if i % 10 == 4:  # one rule in ten a reward bought with points, claimed by its id
            rules[-1] = {"id": f"R{i}", **reward(i, match)}
    # Exclusions (one in a hundred rules' worth): one category of the basket takes
    # part in nothing, two SKUs take no discount and cannot be paid with points.
    exclusions: list[dict[str, Any]] = [
        {
            "match": {"categories": ["cat9"]},
            "earn": False,
            "discount": False,
            "pay_with_points": False,
        },
        {"match": {"skus": ["SKU3", "SKU7"]}, "discount": False, "pay_with_points": False},
    ]
    exclusions += [
        {"match": {"categories": [f"other{i}"]}, "earn": False} for i in range(n_rules // 100)
    ]
    return dict(RULESET, rules=rules, exclusions=exclusions)


def reward(i: int, match: dict[str, Any]) -> dict[str, Any]:
    """A reward: a free unit of what ``match`` names, or (one in three) 10 % off the sale."""
    if i % 30 == 24:
        return {
            "kind": "reward",
            "points": 500,
            "percent": "10",
            "max_discount_minor": 2000,
            "group": "sale-reward",
        }
    return {"kind": "reward", "points": 100, "match": match}


def claims_for(n_rules: int, matching: int = MATCHING_RULES) -> Tender:
    """The bench basket's tender: points, and every reward that touches it claimed twice."""
    ids = [f"R{i}" for i in range(min(n_rules, matching)) if i % 10 == 4]
    return Tender(redeem_points=1000, codes=frozenset(ids), claims=tuple((r, 2) for r in ids))


def bench_quote(rounds: int) -> dict[str, float]:
    """p99 of quoting a 40-line basket against 300 and 3,000 active rules."""
    lines = tuple(
        Line(f"SKU{i}", f"Item {i}", 1 + i % 3, Money(199 + 37 * i, "PLN"), f"cat{i % 10}")
        for i in range(40)
    )
    basket = Basket("PLN", lines)
    customer = Customer("C1", "2900000000018", "Bench", "Silver", Points(5000))
    usage = Usage()
    tender = claims_for(300)  # the same rewards match in both programmes
    small = parse_ruleset(synthetic_ruleset(300))
    large = parse_ruleset(synthetic_ruleset(3000))
    # Interleaved, one quote of each programme a round, so a burst of load on a shared
    # machine falls on both figures alike rather than on one of them.
    samples: dict[str, list[float]] = {"300": [], "3000": []}
    for _ in range(rounds):
        for name, rs in (("300", small), ("3000", large)):
            t0 = time.perf_counter()
            quote(basket, customer, Points(5000), rs, usage, AT, tender)
            samples[name].append(time.perf_counter() - t0)
    results = {name: p99(got) * 1000 for name, got in samples.items()}
    return {
        "quote_p99_ms": results["300"],
        "quote_3000_rules_p99_ms": results["3000"],
        "quote_scaling_ratio": results["3000"] / results["300"],
    }


def _first_screen(mode: str, workdir: Path) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "ui.tools.first_screen", mode, str(workdir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    if "first-screen" not in out.stdout:
        raise RuntimeError(f"first screen not reached: {out.stdout}{out.stderr}")
    return time.perf_counter() - t0


def bench_first_screen(workdir: Path) -> dict[str, float]:
    """Seconds from starting the process to the checkout screen, against an empty Textual app."""
    kassa = min(_first_screen("kassa", workdir) for _ in range(3))
    empty = min(_first_screen("empty", workdir) for _ in range(3))
    return {
        "tui_first_screen_s": kassa,
        "tui_first_screen_ratio": kassa / empty,
        "empty_textual_first_screen_s": empty,
    }


def run_bench(
    quick: bool = False,
    hq_terminals: int | None = None,
    hq_workers: int = 2,
    hq_db: str = SQLITE,
    customers: int | None = None,
    hq_pg: str | None = None,
) -> dict[str, Any]:
    """Every figure; ``hq_*`` options size HQ's ingest under load (:mod:`ui.tools.bench_hq`:
    200 terminals, 30 with ``quick``; ``hq_pg``: a PostgreSQL URL, the same load on it
    too); ``customers`` the chain a new till joins (default:
    20,000 quick, 1,000,000 in full)."""
    where = os.environ.get("KASSA_BENCH_DIR")  # bench on the disk the terminal uses
    with tempfile.TemporaryDirectory(prefix="kassa-bench-", dir=where) as d:
        workdir = Path(d)
        result: dict[str, Any] = {}
        result.update(bench_commit(200 if quick else 500, workdir))
        result.update(bench_quote(300 if quick else 3000))
        result.update(bench_first_screen(workdir))
        result.update(bench_catchup(20_000 if quick else 100_000, workdir))
        load = (
            IngestLoad(hq_terminals or QUICK_TERMINALS, QUICK_BATCHES)
            if quick
            else IngestLoad(hq_terminals or TERMINALS, BATCHES)
        )
        result.update(bench_hq_ingest(workdir, load, (hq_workers,), hq_db))
        if hq_pg:  # the same load on PostgreSQL: hq_pg_ingest_*
            pg = bench_hq_ingest(workdir / "pg", load, (hq_workers,), hq_pg)
            result.update({k.replace("hq_ingest", "hq_pg_ingest"): v for k, v in pg.items()})
        chain = customers or (20_000 if quick else 1_000_000)
        result.update(bench_snapshot(chain, workdir))
        result.update(run_device_benches(workdir, quick))
        result.update(bench_keypress(100 if quick else 500))
        result.update(bench_agent(200 if quick else 2000, 100 if quick else 1000, workdir))
    return result


def format_bench(result: dict[str, Any]) -> str:
    return "\n".join(f"{k:32} {v:10.3f}" for k, v in result.items())


def main_json(result: dict[str, Any]) -> str:
    return json.dumps({k: round(v, 4) for k, v in result.items()})
