"""`kassa bench`: HQ ingesting from many terminals at once (issue 15, ``hq_ingest_*``).

N terminals (200; 30 with ``--quick``; ``--hq-terminals``) each upload 10 batches (4
with ``--quick``) of 50 sales, all at once, to a real ``kassa hq --workers W`` process (2;
``--hq-workers``) on loopback: light terminals speaking the real protocol
(:mod:`ui.tools.hq_load`), each on its own kept connection, after a first snapshot
(so HQ has checked every credential before the clock starts).
``hq_ingest_sales_per_s`` is all their sales over the wall time,
``hq_ingest_p99_upload_s`` the p99 of a batch's upload (first send to HQ's
acknowledgement, a 503's wait included), ``hq_ingest_over_5s`` the batches that took
longer than the terminal's default 5 s timeout (it would have sent them again).

The baseline is HQ's own work on the same events, in the same run: each batch given
to :func:`sync.hq.ingest.ingest` directly (in-process, no HTTP), the terminals' batches
interleaved as they arrive, on a fresh database of the same backend.
``hq_ingest_ratio`` is the HTTP run's time over the direct one's.

Run alone for the table of several worker counts:
``python -m ui.tools.bench_hq --terminals 200 --workers 1,2,4``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agent.signing import public_key_hex
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from ui.hq_process import free_port, wait_for_hq
from ui.tools.hq_load import Terminal, register, run_load, sale_templates, terminal_events
from ui.tools.measure import AT, p99

BATCH = 50  # sales a batch, as the issue measured
SQLITE = "sqlite"  # --hq-db's default: fresh SQLite files in the bench's directory;
# or a PostgreSQL URL whose role may create databases: fresh ones in its cluster
TERMINALS, BATCHES = 200, 10  # the figure: 2,000 batches of 50
QUICK_TERMINALS, QUICK_BATCHES = 30, 4  # `kassa bench --quick` (CI): 6,000 sales
TIMEOUT_S = 5.0  # the terminal's default timeout: a batch slower than this is sent again


@dataclass(frozen=True, slots=True)
class IngestLoad:
    """How many terminals upload how many batches of :data:`BATCH` sales each."""

    terminals: int = TERMINALS
    batches: int = BATCHES

    @property
    def sales(self) -> int:
        return self.terminals * self.batches * BATCH


class Databases:
    """Fresh HQ databases of one backend for the bench's runs: SQLite files copied from a
    template file in ``workdir``, or PostgreSQL databases made from a template database
    in the cluster of ``hq_db`` (a URL; the databases are dropped at :meth:`close`)."""

    def __init__(self, workdir: Path, hq_db: str) -> None:
        self.workdir, self.server = workdir, None if hq_db == SQLITE else hq_db
        self.made: list[str] = []
        self.tag = f"kassa_bench_{os.getpid()}"

    def template(self, ids: list[str]) -> str:
        """The database copied for each run: the demo programme and the load's
        terminals (a terminal's credential takes scrypt ~40 ms to register)."""
        if self.server is None:
            url = str(self.workdir / "hq-template.db")
        else:
            from sync.hq.pg import create_database

            url = create_database(self.server, f"{self.tag}_template")
            self.made.append(f"{self.tag}_template")
        store = HqStore(url)
        seed_demo(store)
        register(store, ids)
        store.close()  # the last connection: its WAL is checkpointed into the file
        return url

    def fresh(self, template: str, name: str) -> str:
        if self.server is None:
            path = self.workdir / f"{name}.db"
            shutil.copyfile(template, path)
            return str(path)
        from sync.hq.pg import create_database

        self.made.append(f"{self.tag}_{name}")
        return create_database(self.server, f"{self.tag}_{name}", f"{self.tag}_template")

    def public_key(self, url: str) -> str:
        """HQ's public key for the terminals (made now, beside a file or in a database,
        if the copy has none: HQ then reads the same)."""
        store = HqStore(url, create=False)
        try:
            return public_key_hex(store.signing_key())
        finally:
            store.close()

    def close(self) -> None:
        if self.server is not None:
            from sync.hq.pg import drop_database

            for name in reversed(self.made):
                drop_database(self.server, name)


def _direct(db: str, terminals: list[Terminal], load: IngestLoad) -> tuple[float, float]:
    """Seconds HQ takes to ingest every batch directly, the terminals' batches
    interleaved, and the seconds of it that held HQ's write turn (what several workers
    cannot do at once)."""
    store = HqStore(db)
    at = AT.isoformat()
    t0 = time.perf_counter()
    store.turn_s = 0.0
    for b in range(load.batches):
        for t in terminals:
            ingest(store, t.terminal_id, t.events[b * BATCH : (b + 1) * BATCH], at)
    took = time.perf_counter() - t0
    turn_s = store.turn_s
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_quarantine").fetchone()
    store.close()
    if held:  # a genuine sale refused: the figure would time less work
        raise RuntimeError(f"HQ quarantined {held} of the bench's genuine sales")
    return took, turn_s


def _over_http(db: str, key: str, terminals: list[Terminal], workers: int) -> dict[str, float]:
    """The load against `kassa hq --workers N` on ``db``: its figures."""
    port = free_port()
    cmd = [sys.executable, "-m", "ui.cli", "hq", "--db", db, "--port", str(port)]
    cmd += ["--workers", str(workers), "--fixed-time", AT.isoformat()]  # the sales' time
    proc = subprocess.Popen(cmd)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_hq(url, 60):
            raise RuntimeError("HQ did not come up for the bench")
        tally, seconds = run_load(url, terminals, BATCH, key, False)
    finally:
        proc.terminate()
        proc.wait(60)
    if tally.unexpected or set(tally.statuses) - {200, 503}:
        raise RuntimeError(f"HQ answered {dict(tally.statuses)}: {tally.unexpected[:3]}")
    store = HqStore(db, create=False)
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_quarantine").fetchone()
    store.close()
    if held:
        raise RuntimeError(f"HQ quarantined {held} of the bench's genuine sales")
    sales = sum(len(t.events) for t in terminals)
    return {
        "hq_ingest_sales_per_s": sales / seconds,
        "hq_ingest_p99_upload_s": p99(tally.upload_s),
        "hq_ingest_over_5s": float(sum(s > TIMEOUT_S for s in tally.upload_s)),
        "hq_ingest_503s": float(tally.statuses[503]),
        "hq_ingest_s": seconds,
    }


def bench_hq_ingest(
    workdir: Path, load: IngestLoad, workers: tuple[int, ...] = (2,), hq_db: str = SQLITE
) -> dict[str, float]:
    """The ``hq_ingest_*`` figures with each number of ``workers`` (keys suffixed
    ``_wN`` when there are several), beside the direct ingest of the same sales."""
    workdir = workdir / "hq-ingest"
    workdir.mkdir(parents=True)
    ids = [f"L{i:03d}" for i in range(load.terminals)]
    templates = sale_templates(workdir)
    terminals = [Terminal(t, terminal_events(t, load.batches * BATCH, templates)) for t in ids]
    dbs = Databases(workdir, hq_db)
    try:
        template = dbs.template(ids)
        direct_s, turn_s = _direct(dbs.fresh(template, "direct"), terminals, load)
        result = {
            "hq_ingest_terminals": float(load.terminals),
            "hq_ingest_direct_sales_per_s": load.sales / direct_s,
            # the write turn a sale holds: 1 / it bounds an HQ's ingest however many
            # workers and cores it has; its share of the direct ingest, what they
            # cannot do side by side
            "hq_ingest_turn_ms": 1000 * turn_s / load.sales,
            "hq_ingest_turn_share": turn_s / direct_s,
        }
        for n in workers:
            db = dbs.fresh(template, f"hq_w{n}")
            got = _over_http(db, dbs.public_key(db), terminals, n)
            got["hq_ingest_ratio"] = got.pop("hq_ingest_s") / direct_s
            suffix = f"_w{n}" if len(workers) > 1 else ""
            result.update({f"{k}{suffix}": v for k, v in got.items()})
            if not suffix:
                result["hq_ingest_workers"] = float(n)
    finally:
        dbs.close()
    return result


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ui.tools.bench_hq", description=__doc__)
    p.add_argument("--terminals", type=int, default=TERMINALS)
    p.add_argument("--batches", type=int, default=BATCHES, help="per terminal")
    p.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    p.add_argument("--hq-db", default=SQLITE)
    args = p.parse_args(argv)
    counts = tuple(int(n) for n in args.workers.split(","))
    with tempfile.TemporaryDirectory(prefix="kassa-bench-hq-") as d:
        result = bench_hq_ingest(
            Path(d), IngestLoad(args.terminals, args.batches), counts, args.hq_db
        )
    for k, v in result.items():
        print(f"{k:36} {v:12.3f}")


if __name__ == "__main__":
    main()
