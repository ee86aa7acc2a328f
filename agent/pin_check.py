"""One PIN check for every face of the till: the cashier app's PIN screen and the agent
API's cancel (a manager approving a void) ask it the same way, with the same lockout.

While too many wrong PINs keep PIN entry closed (:class:`agent.lockout.PinGuard`), not
even the right PIN is looked at. A cashier's PIN of the role asked for is accepted and
the count of wrong PINs starts again; a colleague's own PIN that is not of that role
(a cashier's where a manager's is asked) is refused and not counted, since whoever typed
it guessed nothing; any other PIN is wrong and counted, and enough of them close PIN
entry for a growing while.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from agent.errors import KassaError
from agent.lockout import PinGuard
from agent.staff import Cashier, Role, pin_matches


class PinVerdict(enum.Enum):
    ACCEPTED = "accepted"
    CLOSED = "closed"  # too many wrong PINs: wait_s more seconds
    NOT_OF_ROLE = "not_of_role"  # a colleague's own PIN, not of the role asked (not counted)
    WRONG = "wrong"  # counted


@dataclass(frozen=True, slots=True)
class PinChecked:
    verdict: PinVerdict
    cashier: Cashier | None = None  # whose PIN it is (ACCEPTED)
    wait_s: int = 0  # seconds PIN entry is closed for now (CLOSED, or WRONG that closed it)
    # The store could not keep the count (the screen says so; the API answers 503).
    store_error: KassaError | None = None


def check_pin(
    cashiers: Iterable[Cashier],
    pin: str,
    guard: PinGuard | None,
    *,
    role: Role | None = None,
    cashier_id: str | None = None,
    signed_in: str | None = None,
) -> PinChecked:
    """Whose ``pin`` it is among ``cashiers`` (only ``cashier_id``'s when given), if of
    ``role`` (None: any), with wrong PINs counted by ``guard`` (None: not counted) for
    the lockout's audit event of ``signed_in``."""
    wait = guard.wait_s() if guard is not None else 0
    if wait:
        return PinChecked(PinVerdict.CLOSED, wait_s=wait)
    owner = None
    for c in cashiers:
        if cashier_id is not None and c.cashier_id != cashier_id:
            continue
        if pin_matches(c, pin):
            owner = c
            if role is None or c.role is role:
                break
    if owner is not None and (role is None or owner.role is role):
        return PinChecked(PinVerdict.ACCEPTED, owner, store_error=_counted(guard, None))
    if owner is not None:
        return PinChecked(PinVerdict.NOT_OF_ROLE)
    error = _counted(guard, signed_in, failed=True)
    wait = guard.wait_s() if guard is not None and error is None else 0
    return PinChecked(PinVerdict.WRONG, wait_s=wait, store_error=error)


def _counted(
    guard: PinGuard | None, signed_in: str | None, failed: bool = False
) -> KassaError | None:
    """Tell ``guard`` of a try; the store's error when it cannot keep it."""
    if guard is None:
        return None
    try:
        if failed:
            guard.failed(signed_in)
        else:
            guard.succeeded()
    except KassaError as exc:
        return exc
    return None
