"""`kassa agent` as a real process on loopback (and a Unix socket), for the tests of ui
and the benchmarks' twin in ui/tools (which start their own)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import ROOT
from tests.hqproc import HqProcess, free_port

POS_TOKEN = "pos-one-token-abcdefghijklmnopqrstuvwxyz"  # 22+ characters, as the config asks
OTHER_TOKEN = "pos-two-token-abcdefghijklmnopqrstuvwxyz"


def agent_config(
    data: Path, hq: HqProcess, port: int, *, terminal_id: str = "T1", extra: str = ""
) -> Path:
    """A terminal's TOML config with an ``[agent]`` table, private as `kassa agent` asks."""
    path = data / "agent.toml"
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'terminal_id = "{terminal_id}"\n'
        'store_name = "Agent test store"\n'
        'data_dir = "data"\n'
        'language = "pl"\n'
        "[hq]\n"
        f'url = "{hq.url}"\n'
        'secret = "demo"\n'
        f'public_key = "{hq.key}"\n'
        "interval_s = 0.2\n"
        "poll_every_s = 1.0\n"
        "timeout_s = 2.0\n"
        "backoff_max_s = 1.0\n"
        "[printer]\n"
        "width_chars = 32\n"
        "[agent]\n"
        f"port = {port}\n"
        'socket = "agent.sock"\n'
        f'tokens = {{ pos1 = "{POS_TOKEN}", pos2 = "{OTHER_TOKEN}" }}\n' + extra,
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


@dataclass
class AgentProcess:
    """`kassa agent --config FILE` as its own process; can be killed and started again."""

    config: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    log: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def socket(self) -> Path:
        return self.config.parent / "agent.sock"

    def start(self, timeout_s: float = 30) -> None:
        err = self.config.parent / f"agent-{len(self.log)}.log"
        self.log.append(err)
        with err.open("wb") as f:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "agent", "--config", str(self.config)],
                env=self.env,
                cwd=ROOT,
                stdout=f,
                stderr=f,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the agent stopped: " + err.read_text()
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass  # not up yet
            time.sleep(0.1)
        raise AssertionError("the agent did not come up: " + err.read_text())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)
        self.proc = None

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.log if p.exists())


def start_agent(tmp: Path, hq: HqProcess, extra: str = "") -> AgentProcess:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    agent = AgentProcess(agent_config(tmp / "agent", hq, port, extra=extra), port, env)
    agent.start()
    return agent
