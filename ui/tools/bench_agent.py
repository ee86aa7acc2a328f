"""`kassa bench` agent API figures: a POS's calls over the local HTTP API of a real
`kassa agent` process, against the same calls made in process in the same run.

The agent's store holds the demo programme and 100 extra customers (no HQ: the sync
worker's address answers nothing, so it stays out of the figures); the in-process
baseline is :class:`ui.api.checkout.AgentCheckout` over a twin store on the same disk.
Each round makes one call of each, in turn, so load on a shared machine falls on both.
What the ratio shows is what HTTP, JSON and the process boundary cost on top of the
checkout's own work.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agent.clock import SystemClock, UuidFactory
from agent.demo import demo_store
from agent.signing import new_private_key, public_key_hex
from ui.api import shapes
from ui.api.checkout import AgentCheckout, Till, body_hash
from ui.api.client import AgentClient, AgentUnreachable
from ui.hq_process import free_port
from ui.tools.measure import p99

TOKEN = "bench-pos-token-0123456789abcdefghij"
CUSTOMERS = 100
LINES = 40


def bench_basket(i: int, card: str | None) -> dict[str, Any]:
    """A 40-line basket: the demo's products where it has them, the POS's own beyond."""
    known = ["COFFEE", "MILK", "FOG", "SYRUP", "WINE", "CIGS"]
    lines = [{"sku": sku, "qty": 1 + (i + k) % 3} for k, sku in enumerate(known)]
    lines += [
        {"sku": f"POS{k}", "qty": 1 + k % 3, "unit_minor": 199 + 37 * k, "category": f"cat{k % 10}"}
        for k in range(LINES - len(known))
    ]
    doc: dict[str, Any] = {"lines": lines, "codes": ["AUTUMN15"]}
    if card:
        doc["customer"] = {"card": card}
    return doc


def _config(workdir: Path, port: int) -> Path:
    path = workdir / "agent.toml"
    path.write_text(
        'terminal_id = "B1"\nstore_name = "bench"\ndata_dir = "agent-data"\n'
        f'[hq]\nurl = "http://127.0.0.1:{free_port()}"\nsecret = "bench"\n'
        f'public_key = "{public_key_hex(new_private_key())}"\nbackoff_max_s = 600\n'
        f'[agent]\nport = {port}\ntokens = {{ bench = "{TOKEN}" }}\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _start(config: Path, url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "agent", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = AgentClient(TOKEN, url, timeout_s=1.0)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("kassa agent stopped while starting")
            try:
                if client.health().ok:
                    return proc
            except AgentUnreachable:  # not up yet
                time.sleep(0.1)
    finally:
        client.close()
    proc.kill()
    raise RuntimeError("kassa agent did not start")


def bench_agent(rounds: int, commits: int, workdir: Path) -> dict[str, float]:
    """p99 (and median) of a 40-line calculate and of a commit, over HTTP to a real agent
    and in process, interleaved round by round."""
    port = free_port()
    config = _config(workdir, port)
    (workdir / "agent-data").mkdir()
    demo_store(workdir / "agent-data" / "terminal.db", extra_customers=CUSTOMERS).close()
    twin = demo_store(workdir / "twin.db", extra_customers=CUSTOMERS)
    cards = [r[0] for r in twin.conn.execute("SELECT card FROM customers ORDER BY card")]
    here = AgentCheckout(Till(twin, SystemClock(), UuidFactory(), "B2", "bench"))
    url = f"http://127.0.0.1:{port}"
    proc = _start(config, url)
    client = AgentClient(TOKEN, url)
    samples: dict[str, list[float]] = {k: [] for k in ("http", "here", "http_c", "here_c")}
    try:
        warmup = 20
        for i in range(rounds + warmup):
            doc = bench_basket(i, cards[i % len(cards)])
            t0 = time.perf_counter()
            reply = client.calculate(doc)
            t1 = time.perf_counter()
            here.calculate(shapes.basket(doc), "en")
            t2 = time.perf_counter()
            if not reply.ok:
                raise RuntimeError(f"calculate refused: {reply.doc}")
            if i >= warmup:
                samples["http"].append(t1 - t0)
                samples["here"].append(t2 - t1)
        for i in range(commits + warmup):
            doc = dict(bench_basket(i, cards[i % len(cards)]), receipt_id=f"R{i}")
            t0 = time.perf_counter()
            reply = client.commit(doc, f"R{i}", f"key-{i}")
            t1 = time.perf_counter()
            here.commit("bench", f"key-{i}", body_hash(doc), shapes.commit(doc), "en")
            t2 = time.perf_counter()
            if reply.status != 201:
                raise RuntimeError(f"commit refused: {reply.doc}")
            if i >= warmup:
                samples["http_c"].append(t1 - t0)
                samples["here_c"].append(t2 - t1)
    finally:
        client.close()
        proc.terminate()
        proc.wait(30)
        twin.close()
    ms = {k: p99(v) * 1000 for k, v in samples.items()}
    med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    return {
        "agent_calculate_p99_ms": ms["http"],
        "agent_calculate_median_ms": med["http"],
        "agent_calculate_inproc_p99_ms": ms["here"],
        "agent_calculate_ratio": ms["http"] / ms["here"],
        "agent_commit_p99_ms": ms["http_c"],
        "agent_commit_median_ms": med["http_c"],
        "agent_commit_inproc_p99_ms": ms["here_c"],
        "agent_commit_ratio": ms["http_c"] / ms["here_c"],
    }


def main() -> None:
    import json
    import tempfile

    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory(prefix="kassa-bench-agent-") as d:
        out = bench_agent(200 if quick else 2000, 100 if quick else 1000, Path(d))
    print(json.dumps({k: round(v, 3) for k, v in out.items()}))


if __name__ == "__main__":
    main()
