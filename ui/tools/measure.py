"""What every benchmark shares: the moment its stores are set at, and the p99."""

from __future__ import annotations

import statistics
from pathlib import Path

from agent.demo import RECEIVED_AT

AT = RECEIVED_AT  # the benchmarks' fixed clock: the moment the demo store got its programme


def p99(samples: list[float]) -> float:
    """The 99th percentile of ``samples`` (inclusive method)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def vm_hwm_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB; 0 where /proc does not say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
