"""Real HQ processes for these tests."""

from tests.hqproc import hq

__all__ = ["hq"]
