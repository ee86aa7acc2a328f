"""The fuzz campaign's size, seed and tally, shared by every surface's property tests.

``KASSA_FUZZ_EXAMPLES`` sets how many cases each surface runs (default: a CI size that
keeps the suite fast; 10^5 or more for a campaign), ``KASSA_FUZZ_SEED`` the seed
(default fixed, so a CI failure replays as it happened). Both are printed in the
report header, and the cases each surface ran in the summary at the end.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, seed, settings

DEFAULT_EXAMPLES = 3_000  # about 4x10^4 cases in all at CI size
DEFAULT_SEED = 20261124

EXAMPLES = int(os.environ.get("KASSA_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
# Requests schemathesis sends each operation of HQ's protocol (tests/sync/test_schemathesis.py).
API_EXAMPLES = int(os.environ.get("KASSA_SCHEMATHESIS_EXAMPLES") or 40)
SEED = int(os.environ.get("KASSA_FUZZ_SEED") or DEFAULT_SEED)

RAN: Counter[str] = Counter()  # cases run, per surface

F = TypeVar("F", bound=Callable[..., Any])


def fuzz(share: float = 1.0) -> Callable[[F], F]:
    """Run the decorated ``@given`` test with the campaign's size (``share`` of it, for a
    surface whose case is slow) and seed; no example database, no deadline."""

    def wrap(test: F) -> F:
        configured = settings(
            max_examples=max(1, int(EXAMPLES * share)),
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )(test)
        return seed(SEED)(configured)  # type: ignore[no-any-return]

    return wrap


def ran(surface: str) -> None:
    """Count one case of ``surface``."""
    RAN[surface] += 1


def header() -> str:
    return (
        f"kassa fuzz: KASSA_FUZZ_EXAMPLES={EXAMPLES} KASSA_FUZZ_SEED={SEED} "
        f"KASSA_SCHEMATHESIS_EXAMPLES={API_EXAMPLES}"
    )
