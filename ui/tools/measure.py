"""What every benchmark shares: the moment its stores are set at, and the p99."""

from __future__ import annotations

import statistics

from agent.demo import RECEIVED_AT

AT = RECEIVED_AT  # the benchmarks' fixed clock: the moment the demo store got its programme


def p99(samples: list[float]) -> float:
    """The 99th percentile of ``samples`` (inclusive method)."""
    return statistics.quantiles(samples, n=100, method="inclusive")[98]
