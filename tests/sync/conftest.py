"""Real HQ processes for these tests (HQ's database for each backend: tests/pgdb.py)."""

from tests.hqproc import hq

__all__ = ["hq"]
