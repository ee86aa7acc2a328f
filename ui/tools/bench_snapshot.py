"""`kassa bench` snapshot figures (issue 15): a new till joining a chain of N customers.

A real `kassa hq` process is seeded with N customers through HQ's own code
(:func:`sync.hq.seed.add_customers`); a terminal process (:mod:`ui.tools.join_probe`)
joins it, page by page. Each figure stands beside a baseline measured in the same run:
the same join at ``BASELINE`` customers (the per-customer time, the idle poll and the
card lookup there: both HQs and both tills are kept, and their polls and lookups take
turns, so a burst of load on a shared machine falls on both figures alike).

- ``first_snapshot_s``, ``first_snapshot_peak_mb`` (the terminal's peak RSS) and
  ``hq_peak_mb`` (HQ's, VmHWM) at N, ``till_db_mb`` (the till's file after it);
  ``first_snapshot_longest_page_s``: the longest page apply, the longest a sale could
  wait behind the join (the checkout waits 5 s);
  ``first_snapshot_per_customer_ratio``: the time per customer at N over at BASELINE.
- ``idle_poll_ms``: a poll with nothing changed at N, p99 over ``POLLS``;
  ``idle_poll_ratio`` over the same at BASELINE.
- ``customer_lookup_ratio``: the till's lookup of a card it holds, p99 at N over p99
  at BASELINE (goal <= 1.5); ``customer_lookup_cpu_ratio`` the same in the thread's CPU
  time (a loaded machine's waits for a core left out).
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.codes import make_card_number
from agent.demo import DEMO_SECRET
from agent.store import Store
from sync.client import HqClient, read_public_key
from sync.hq.seed import add_customers, seed_demo
from sync.hq.store import HqStore
from ui.hq_process import free_port, start_hq, wait_for_hq
from ui.tools.measure import p99, vm_hwm_mb

BASELINE = 10_000
POLLS = 300
LOOKUPS = 3000
FIRST_SERIAL = 10_000_000  # card serials of the bench's customers: none of the demo's


def chain_customers(n: int) -> Any:
    """``n`` customers as HQ holds them: a name, a phone, a birthday, some points."""
    for i in range(n):
        yield {
            "customer_id": f"B{i:08d}",
            "card": make_card_number(FIRST_SERIAL + i),
            "name": f"Klient {i} Nowak",
            "phone": f"+48 600 {i % 1000:03d} {i // 1000 % 1000:03d}",
            "birthday": f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "tier": ("Bronze", "Silver", "Gold")[i % 3],
            "country": "PL",
            "balance": i % 5000,
            "purchases_total": i % 40,
        }


@dataclass
class Joined:
    """A chain of ``n`` customers joined by a new till: HQ still running, the figures."""

    n: int
    proc: subprocess.Popen[bytes]
    url: str
    hq_db: Path
    till_db: Path
    figures: dict[str, float]


def join_chain(n: int, workdir: Path) -> Joined:
    """Seed HQ with ``n`` customers, start it, and join it from a new terminal process;
    HQ is left running (the caller stops it)."""
    where = workdir / f"join-{n}"
    where.mkdir()
    hq_db = where / "hq.db"
    hq = HqStore(hq_db)
    seed_demo(hq)
    t0 = time.perf_counter()
    add_customers(hq, chain_customers(n))
    seed_s = time.perf_counter() - t0
    hq.close()
    port = free_port()
    proc = start_hq(hq_db, port, demo=False)
    url = f"http://127.0.0.1:{port}"
    joined_ok = False
    try:  # HQ is left running only for a join that worked: the caller stops it
        if not wait_for_hq(url, 120):
            raise RuntimeError("HQ did not come up for the bench")
        probe = subprocess.run(
            [sys.executable, "-m", "ui.tools.join_probe", url, f"{hq_db}.pub", str(where / "t.db")],
            capture_output=True,
            text=True,
            check=True,
        )
        joined = json.loads(probe.stdout)
        if joined["customers"] < n:
            raise RuntimeError(f"the till holds {joined['customers']} of {n} customers")
        joined_ok = True
    finally:
        if not joined_ok:
            _stop(proc)
    figures = {
        "s": joined["s"],
        "peak_mb": joined["peak_mb"],
        "longest_page_s": joined["longest_page_apply_s"],
        "pages": joined["pages"],
        "hq_peak_mb": vm_hwm_mb(proc.pid),
        "till_mb": sum(f.stat().st_size for f in where.glob("t.db*")) / 2**20,
        "seed_s": seed_s,
    }
    return Joined(n, proc, url, hq_db, where / "t.db", figures)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(60)


def _interleaved(chains: list[Joined]) -> dict[int, tuple[float, ...]]:
    """p99 of an idle poll (nothing changed) and of a card lookup at the till, for each
    chain, the chains taking turns sample by sample: a burst of load on a shared machine
    falls on all alike. Returns n -> (idle poll p99 s, its median, lookup p99 s, its
    median, the lookup's p99 in the thread's CPU time: without the waits for a core that
    other work on a shared machine adds to a few samples of 30 microseconds)."""
    polls: dict[int, list[float]] = {j.n: [] for j in chains}
    lookups: dict[int, list[float]] = {j.n: [] for j in chains}
    lookups_cpu: dict[int, list[float]] = {j.n: [] for j in chains}
    stores = {j.n: Store.open(j.till_db, mapped=True) for j in chains}
    for opened in stores.values():  # the checkout a few seconds after it starts: its file
        if opened.resident is not None:  # read through once (agent.store.resident)
            opened.resident.wait(600)
    clients = {
        j.n: HqClient(j.url, "T1", DEMO_SECRET, read_public_key(f"{j.hq_db}.pub"), timeout_s=60)
        for j in chains
    }
    rng = random.Random(15)
    try:
        for _ in range(POLLS):
            for j in chains:
                cursor, _, _ = stores[j.n].catalogue.snapshot_position()
                held = stores[j.n].catalogue.ruleset()
                t0 = time.perf_counter()
                snap = clients[j.n].snapshot(cursor, held.version if held else 0)
                polls[j.n].append(time.perf_counter() - t0)
                if snap.customers or snap.next is not None:
                    raise RuntimeError("an idle poll brought changes")
        for _ in range(LOOKUPS):  # apart from the polls, as a cashier's scans are
            for j in chains:
                card = make_card_number(FIRST_SERIAL + rng.randrange(j.n))
                c0, t0 = time.thread_time(), time.perf_counter()
                found = stores[j.n].catalogue.customer_by_card(card)
                lookups[j.n].append(time.perf_counter() - t0)
                lookups_cpu[j.n].append(time.thread_time() - c0)
                if found is None:
                    raise RuntimeError(f"the till does not hold card {card}")
    finally:
        for store in stores.values():
            store.close()
        for client in clients.values():
            client.close()
    return {
        n: (
            p99(polls[n]),
            statistics.median(polls[n]),
            p99(lookups[n]),
            statistics.median(lookups[n]),
            p99(lookups_cpu[n]),
        )
        for n in polls
    }


def bench_snapshot(customers: int, workdir: Path) -> dict[str, float]:
    """The join at ``customers`` against the join at BASELINE, in this run; the idle
    polls and lookups of both interleaved."""
    chains = [join_chain(BASELINE, workdir)]
    try:
        if customers != BASELINE:
            chains.append(join_chain(customers, workdir))
        timed = _interleaved(chains)
    finally:
        for j in chains:
            _stop(j.proc)
    base, at = chains[0].figures, chains[-1].figures
    base_poll, base_median, base_lookup, base_lookup_median, base_cpu = timed[BASELINE]
    poll, median, lookup, lookup_median, lookup_cpu = timed[customers]
    return {
        "snapshot_customers": customers,
        "first_snapshot_s": at["s"],
        "first_snapshot_peak_mb": at["peak_mb"],
        "first_snapshot_longest_page_s": at["longest_page_s"],
        "first_snapshot_pages": at["pages"],
        "first_snapshot_hq_peak_mb": at["hq_peak_mb"],
        "first_snapshot_till_db_mb": at["till_mb"],
        "first_snapshot_baseline_s": base["s"],
        "first_snapshot_per_customer_ratio": (at["s"] / customers) / (base["s"] / BASELINE),
        "hq_seed_customers_per_s": customers / at["seed_s"],
        "idle_poll_ms": poll * 1000,
        "idle_poll_baseline_ms": base_poll * 1000,
        "idle_poll_ratio": poll / base_poll,
        "idle_poll_median_ratio": median / base_median,
        "customer_lookup_ratio": lookup / base_lookup,
        "customer_lookup_median_ratio": lookup_median / base_lookup_median,
        "customer_lookup_p99_us": lookup * 1e6,
        "customer_lookup_baseline_p99_us": base_lookup * 1e6,
        "customer_lookup_cpu_ratio": lookup_cpu / base_cpu,
    }
