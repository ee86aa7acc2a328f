"""The till's card lookup at two sizes, with what each lookup asks of the OS.

``python -m ui.tools.lookup_probe DIR [--customers 1000000] [--lookups 3000]``: the
bench's lookups (:mod:`ui.tools.bench_snapshot`: random held cards, the two tills in
turn) on the tills a join at ``BASELINE`` and at ``--customers`` made in ``DIR`` (made
there first, as the bench makes them, when ``DIR/join-N/t.db`` is missing; kept for
the next run). For each size: the median and p99 in wall and in the thread's CPU time,
and per lookup the read system calls (``/proc/self/io``) and page faults
(``getrusage``): counts a loaded machine does not change, where the times are its.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from pathlib import Path

from agent.codes import make_card_number
from agent.store import Store
from ui.tools.bench_snapshot import BASELINE, FIRST_SERIAL, LOOKUPS, join_chain
from ui.tools.measure import p99


def _reads() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    return 0


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def till(where: Path, n: int) -> Path:
    """The till a join of ``n`` customers made in ``where`` (made now if missing)."""
    db = where / f"join-{n}" / "t.db"
    if not db.exists():
        joined = join_chain(n, where)
        joined.proc.terminate()
        joined.proc.wait(60)
    return db


def probe(dbs: dict[int, Path], lookups: int) -> dict[int, dict[str, float]]:
    """Each till's figures, the tills taking turns lookup by lookup."""
    stores = {n: Store.open(db, mapped=True) for n, db in dbs.items()}
    for opened in stores.values():  # the checkout a few seconds after it starts: its file
        if opened.resident is not None:  # read through once (agent.store.resident)
            opened.resident.wait(600)
    wall: dict[int, list[float]] = {n: [] for n in dbs}
    cpu: dict[int, list[float]] = {n: [] for n in dbs}
    reads, faults = dict.fromkeys(dbs, 0), dict.fromkeys(dbs, 0)
    own = -_reads() + _reads()  # the read calls of reading /proc/self/io itself
    rng = random.Random(15)
    try:
        for _ in range(lookups):
            for n, store in stores.items():
                card = make_card_number(FIRST_SERIAL + rng.randrange(n))
                r0, f0 = _reads(), _faults()
                c0, t0 = time.thread_time(), time.perf_counter()
                found = store.catalogue.customer_by_card(card)
                wall[n].append(time.perf_counter() - t0)
                cpu[n].append(time.thread_time() - c0)
                reads[n] += _reads() - r0 - own
                faults[n] += _faults() - f0
                if found is None:
                    raise RuntimeError(f"the till does not hold card {card}")
    finally:
        for store in stores.values():
            store.close()
    return {
        n: {
            "median_us": statistics.median(wall[n]) * 1e6,
            "p99_us": p99(wall[n]) * 1e6,
            "cpu_median_us": statistics.median(cpu[n]) * 1e6,
            "cpu_p99_us": p99(cpu[n]) * 1e6,
            "reads_per_lookup": reads[n] / lookups,
            "faults_per_lookup": faults[n] / lookups,
        }
        for n in dbs
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ui.tools.lookup_probe", description=__doc__)
    p.add_argument("dir", type=Path)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--lookups", type=int, default=LOOKUPS)
    args = p.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = (BASELINE, args.customers)
    got = probe({n: till(args.dir, n) for n in sizes}, args.lookups)
    for n in sizes:
        print(f"{n:>10} " + "  ".join(f"{k} {v:.2f}" for k, v in got[n].items()))
    base, at = got[BASELINE], got[args.customers]
    for key in ("p99_us", "median_us", "cpu_p99_us"):
        print(f"ratio {key:12} {at[key] / base[key]:.2f}")


if __name__ == "__main__":
    main()
