"""Injected time and ids: nothing in the core reads the wall clock by itself."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock for tests and training mode: returns ``at`` until advanced."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at = self.at + timedelta(**kwargs)


class IdFactory(Protocol):
    def new_id(self) -> str:
        """Return a fresh unique id."""
        ...


class UuidFactory:
    def new_id(self) -> str:
        return uuid.uuid4().hex


@dataclass
class SequentialIds:
    prefix: str = "id"
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> str:
        return f"{self.prefix}-{next(self._counter)}"


def parse_utc(text: str) -> datetime:
    """Parse an ISO-8601 timestamp that carries an offset into aware UTC."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {text!r}")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first moment in UTC
        raise ValueError(f"timestamp out of range: {text!r}") from None
