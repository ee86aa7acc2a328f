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
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sync.client import read_public_key
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.store import HqStore
from ui.hq_process import wait_for_hq
from ui.tools.bench_sync import _free_port
from ui.tools.hq_load import Terminal, register, run_load, sale_templates, terminal_events
from ui.tools.measure import AT, p99

BATCH = 50  # sales a batch, as the issue measured
SQLITE = "sqlite"  # --hq-db's default: fresh SQLite files in the bench's directory
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


def _template_db(workdir: Path, ids: list[str], hq_db: str) -> Path:
    """An HQ database holding the demo programme and the load's terminals, made once and
    copied for each run (a terminal's credential takes scrypt ~40 ms to register)."""
    if hq_db != SQLITE:
        raise SystemExit(
            f"kassa bench --hq-db {hq_db}: only '{SQLITE}' until HQ's PostgreSQL backend lands"
        )
    path = workdir / "hq-template.db"
    store = HqStore(path)
    seed_demo(store)
    register(store, ids)
    store.conn.close()  # the last connection: its WAL is checkpointed into the file
    return path


def _fresh(template: Path, workdir: Path, name: str) -> Path:
    path = workdir / f"{name}.db"
    shutil.copyfile(template, path)
    return path


def _direct(db: Path, terminals: list[Terminal], load: IngestLoad) -> float:
    """Seconds HQ takes to ingest every batch directly, the terminals' batches interleaved."""
    store = HqStore(db)
    at = AT.isoformat()
    t0 = time.perf_counter()
    for b in range(load.batches):
        for t in terminals:
            ingest(store, t.terminal_id, t.events[b * BATCH : (b + 1) * BATCH], at)
    took = time.perf_counter() - t0
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_quarantine").fetchone()
    store.conn.close()
    if held:  # a genuine sale refused: the figure would time less work
        raise RuntimeError(f"HQ quarantined {held} of the bench's genuine sales")
    return took


def _over_http(db: Path, terminals: list[Terminal], workers: int) -> dict[str, float]:
    """The load against `kassa hq --workers N` on ``db``: its figures."""
    port = _free_port()
    cmd = [sys.executable, "-m", "ui.cli", "hq", "--db", str(db), "--port", str(port)]
    cmd += ["--workers", str(workers), "--fixed-time", AT.isoformat()]  # the sales' time
    proc = subprocess.Popen(cmd)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_for_hq(url, 60):
            raise RuntimeError("HQ did not come up for the bench")
        tally, seconds = run_load(url, terminals, BATCH, read_public_key(f"{db}.pub"), False)
    finally:
        proc.terminate()
        proc.wait(60)
    if tally.unexpected or set(tally.statuses) - {200, 503}:
        raise RuntimeError(f"HQ answered {dict(tally.statuses)}: {tally.unexpected[:3]}")
    store = HqStore(db, create=False)
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_quarantine").fetchone()
    store.conn.close()
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
    workdir.mkdir()
    ids = [f"L{i:03d}" for i in range(load.terminals)]
    templates = sale_templates(workdir)
    terminals = [Terminal(t, terminal_events(t, load.batches * BATCH, templates)) for t in ids]
    template = _template_db(workdir, ids, hq_db)
    direct_s = _direct(_fresh(template, workdir, "direct"), terminals, load)
    result = {
        "hq_ingest_terminals": float(load.terminals),
        "hq_ingest_direct_sales_per_s": load.sales / direct_s,
    }
    for n in workers:
        got = _over_http(_fresh(template, workdir, f"hq-w{n}"), terminals, n)
        got["hq_ingest_ratio"] = got.pop("hq_ingest_s") / direct_s
        suffix = f"_w{n}" if len(workers) > 1 else ""
        result.update({f"{k}{suffix}": v for k, v in got.items()})
        if not suffix:
            result["hq_ingest_workers"] = float(n)
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
