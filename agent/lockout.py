"""Wrong PINs slow the next try: after a few, each further one waits a growing delay.

Four digits are 10,000 PINs; a scripted keyboard would try them all in minutes. So
after :data:`FREE_TRIES` wrong PINs in a row, PIN entry is closed until a "not before"
time that doubles with each further wrong PIN, up to :data:`MAX_WAIT_S`. The count and
that time are kept in the store (they survive a restart of the app), measured against
the injected clock, and each lockout is journalled as an audit event that reaches HQ.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from agent.clock import Clock, IdFactory
from agent.events import Audit
from agent.store import Store

FREE_TRIES = 3  # wrong PINs in a row before each further try has to wait
FIRST_WAIT_S = 30
MAX_WAIT_S = 15 * 60
FAILURES_KEY = "pin_failures"
NOT_BEFORE_KEY = "pin_not_before"
LOCKOUT = "pin_lockout"  # the audit event's action


def wait_after(failures: int) -> int:
    """Seconds PIN entry stays closed after ``failures`` wrong PINs in a row (0: open)."""
    if failures < FREE_TRIES:
        return 0
    return min(MAX_WAIT_S, FIRST_WAIT_S << min(failures - FREE_TRIES, 16))


class PinGuard:
    """The till's count of wrong PINs, and when the next PIN may be tried."""

    def __init__(self, store: Store, clock: Clock, ids: IdFactory, terminal_id: str) -> None:
        self.store = store
        self.clock = clock
        self.ids = ids
        self.terminal_id = terminal_id

    def failures(self) -> int:
        """Wrong PINs in a row since the last right one."""
        text = self.store.file.get_meta(FAILURES_KEY, "0") or "0"
        return int(text) if text.isdigit() else 0

    def not_before(self) -> datetime | None:
        """When the next PIN may be tried; None: now."""
        text = self.store.file.get_meta(NOT_BEFORE_KEY)
        try:
            return datetime.fromisoformat(text) if text else None
        except ValueError:  # never written so by kassa: close the entry as long as it may be
            return self.clock.now() + timedelta(seconds=MAX_WAIT_S)

    def wait_s(self) -> int:
        """Whole seconds until a PIN may be tried (0: it may be tried now)."""
        until = self.not_before()
        if until is None:
            return 0
        return max(0, math.ceil((until - self.clock.now()).total_seconds()))

    def failed(self, cashier: str | None) -> int:
        """Count a wrong PIN (``cashier``: who is signed in, if anyone); return the seconds
        PIN entry is now closed for (0: not closed). A lockout is journalled for HQ.

        Raises the store's errors (StoreBusy, StoreFull, ...) when it cannot keep them.
        """
        failures = self.failures() + 1
        wait = wait_after(failures)
        now = self.clock.now()
        with self.store.file.atomic():
            self.store.file.set_meta(FAILURES_KEY, str(failures))
            if wait:
                until = now + timedelta(seconds=wait)
                self.store.file.set_meta(NOT_BEFORE_KEY, until.isoformat())
        if wait:
            self.store.ledger.commit_event(
                Audit(
                    at=now.isoformat(),
                    action=LOCKOUT,
                    cashier=cashier,
                    approved_by="",
                    reason=f"{failures} wrong PINs in a row: PIN entry closed for {wait} s",
                ),
                self.ids.new_id(),
                self.terminal_id,
            )
        return wait

    def succeeded(self) -> None:
        """A right PIN: the count starts again."""
        if self.failures() or self.not_before() is not None:
            with self.store.file.atomic():
                self.store.file.forget_meta(FAILURES_KEY, NOT_BEFORE_KEY)
