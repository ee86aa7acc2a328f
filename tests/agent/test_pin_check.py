"""One PIN check for the cashier app and the agent API (agent.pin_check): the same
verdicts and the same lockout, whichever face asks."""

from __future__ import annotations

from pathlib import Path

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.lockout import FIRST_WAIT_S, FREE_TRIES, PinGuard
from agent.pin_check import PinVerdict, check_pin
from agent.staff import Role, new_cashier
from tests.conftest import TUESDAY

OLA = new_cashier("ola", "Ola", Role.CASHIER, "1111", salt=b"1" * 16)
MAREK = new_cashier("marek", "Marek", Role.MANAGER, "9999", salt=b"2" * 16)


def test_a_managers_pin_a_colleagues_and_a_wrong_one(tmp_path: Path) -> None:
    store = demo_store(tmp_path / "t.db")
    try:
        clock = FixedClock(TUESDAY)
        guard = PinGuard(store, clock, SequentialIds("a"), "T1")
        staff = [OLA, MAREK]
        ok = check_pin(staff, "9999", guard, role=Role.MANAGER)
        assert (ok.verdict, ok.cashier) == (PinVerdict.ACCEPTED, MAREK)
        mine = check_pin(staff, "1111", guard, role=Role.MANAGER)
        assert mine.verdict is PinVerdict.NOT_OF_ROLE and guard.failures() == 0  # no guess
        named = check_pin(staff, "9999", guard, role=Role.MANAGER, cashier_id="ola")
        assert named.verdict is PinVerdict.WRONG and guard.failures() == 1  # not Ola's PIN
        for _ in range(FREE_TRIES - 1):
            check_pin(staff, "0000", guard, role=Role.MANAGER)
        closed = check_pin(staff, "9999", guard, role=Role.MANAGER)  # even the right one
        assert (closed.verdict, closed.wait_s) == (PinVerdict.CLOSED, FIRST_WAIT_S)
        clock.advance(seconds=FIRST_WAIT_S)
        assert check_pin(staff, "9999", guard, role=Role.MANAGER).verdict is PinVerdict.ACCEPTED
        assert guard.failures() == 0 and guard.wait_s() == 0
    finally:
        store.close()
