"""Shared fixtures of the pure core: fixed clock, ids, a store holding the demo programme.

Real HQ processes are in :mod:`tests.hqproc`, for the tests of sync and ui."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.session import CheckoutSession
from agent.store import Store
from tests import fuzz

ROOT = Path(__file__).resolve().parent.parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from tests.pgdb import parametrize_backends

    parametrize_backends(metafunc)


TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw


def pytest_report_header() -> str:
    return fuzz.header()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if fuzz.RAN:
        terminalreporter.section("fuzz cases run")
        terminalreporter.write_line(fuzz.header())
        for surface, count in sorted(fuzz.RAN.items()):
            terminalreporter.write_line(f"{surface}: {count}")
        terminalreporter.write_line(f"total: {sum(fuzz.RAN.values())}")


from tests.pgdb import hq_backend, hq_db_url  # noqa: E402  (HQ's database, each backend)

__all__ = ["hq_backend", "hq_db_url"]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = demo_store(tmp_path / "terminal.db")
    yield s
    s.close()


@pytest.fixture
def session(store: Store, clock: FixedClock) -> CheckoutSession:
    return CheckoutSession(store, clock, SequentialIds("sale"), "T1", "Test store")
