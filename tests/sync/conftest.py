"""Real HQ processes for these tests, and HQ's database for the tests that run on each
backend HQ has."""

from pathlib import Path

import pytest

from tests.hqproc import hq

__all__ = ["hq", "hq_db_url"]


# SQLite only, for now: when HQ's PostgreSQL backend is merged (branch `pg`), this local
# fixture gives way to the shared one, parametrized over sqlite and postgresql, and the
# tests that take it run on both.
@pytest.fixture
def hq_db_url(tmp_path: Path) -> str:
    """A fresh, empty HQ database for one test: its URL (here an SQLite file's path)."""
    return str(tmp_path / "hq.db")
