"""Returns and cancels through the agent API: the desk's own returns (``session.desk``),
once per idempotency key.

A cancel is the POS voiding a sale it committed (its fiscal receipt was voided): as at
the till, a void a manager approves where the till has staff (the cashier app's rule:
their PIN, wrong PINs counted, the lockout), journalled beside the return of every line
the sale still holds, in the one transaction of that return.
"""

from __future__ import annotations

from typing import Any

from agent.events import Audit, Return, Sale
from agent.i18n import Texts
from agent.lockout import PinGuard
from agent.notice import Notice
from agent.pin_check import PinVerdict, check_pin
from agent.session import CheckoutSession
from agent.staff import Role
from agent.store.pos_writes import PosWrite
from ui.api import replies
from ui.api.checkout import AgentCheckout, Kept, Refused
from ui.api.shapes import BadRequest, CancelAsk, ReturnAsk


def give_back(
    co: AgentCheckout, pos: str, key: str, digest: str, receipt_id: str, ask: ReturnAsk, lang: str
) -> tuple[int, dict[str, Any]]:
    """Return lines of the POS's sale ``receipt_id`` through the desk, once per key."""
    t = Texts(lang)

    def known() -> tuple[int, dict[str, Any]] | PosWrite:
        """The reply this key made already, or the sale to return lines of."""
        found = co.replay(pos, key, digest, "return")
        if found is not None:
            return 200, co.return_doc(found, replayed=True)
        if co.writes.by_receipt(pos, "return", ask.return_id) is not None:
            raise BadRequest("body.return_id", "used already for another return", 409)
        return co.sale_of(pos, receipt_id, t)

    with co.lock:
        sale = known()
        if not isinstance(sale, PosWrite):
            return sale
        s = co.session()
    s.desk.ask_hq(sale.seq)  # the returns of it at other tills: HQ asked once, unlocked
    with co.lock:
        sale = known()  # the same key may have been answered meanwhile
        if not isinstance(sale, PosWrite):
            return sale
        note = PosWrite(pos, key, digest, "return", ask.return_id, 0, {"of": receipt_id})
        kept = Kept(co.writes, note)
        with co.till.store.ledger.writing_with(kept):
            result = s.desk.commit_return(sale.seq, dict(ask.lines), fresh=False)
        if isinstance(result, Notice):
            raise Refused("body.lines", t.say(result.words), 409)
        co.woken()
        return 201, _written(co, kept)


def cancel(
    co: AgentCheckout, pos: str, key: str, digest: str, receipt_id: str, ask: CancelAsk, lang: str
) -> tuple[int, dict[str, Any]]:
    """Cancel the POS's sale ``receipt_id`` (its fiscal receipt was voided): a void a
    manager approves where the till has staff, as at the till, journalled with the
    return of every line still held, in one transaction; once, whatever the key. HQ is
    asked once (the returns made of the sale at other tills), outside the lock."""
    t = Texts(lang)

    def known() -> tuple[int, dict[str, Any]] | PosWrite:
        """The cancel made already (by this key, or another), or the sale to cancel."""
        found = co.replay(pos, key, digest, "cancel")
        if found is not None:
            return 200, co.return_doc(found, replayed=True)
        sale = co.sale_of(pos, receipt_id, t)
        before = co.writes.by_receipt(pos, "cancel", receipt_id)
        if before is not None:  # cancelled already (under another key): that cancel
            return 200, co.return_doc(before, replayed=True)
        return sale

    with co.lock:
        sale = known()
        if not isinstance(sale, PosWrite):
            return sale
        manager = _approved(co, ask, t)
        s = co.session()
    s.desk.ask_hq(sale.seq)
    with co.lock:
        sale = known()
        if not isinstance(sale, PosWrite):
            return sale
        return 201, _void(
            co,
            s,
            sale,
            manager,
            PosWrite(pos, key, digest, "cancel", receipt_id, 0, {"reason": ask.reason}),
            t,
        )


def _void(
    co: AgentCheckout,
    s: CheckoutSession,
    sale: PosWrite,
    manager: str | None,
    note: PosWrite,
    t: Texts,
) -> dict[str, Any]:
    """Return every line of ``sale`` still held, with the void's audit row where a
    manager approved it, in one transaction; the reply made of what was written."""
    left = s.desk.returnable(sale.seq, fresh=False)
    if isinstance(left, Notice):
        raise Refused("path.receipt_id", t.say(left.words), 409)
    event = co.till.store.ledger.sale_event(sale.seq)
    assert event is not None and isinstance(event.record, Sale)
    original = event.record
    void = Audit(
        at=co.till.clock.now().isoformat(),
        action="void",
        cashier=None,
        approved_by=manager or "",
        voided_for=original.customer_id,
        voided_lines=tuple((ln.sku, ln.qty, ln.amount_minor) for ln in original.lines),
    )
    ledger = co.till.store.ledger
    kept = Kept(co.writes, note)

    def with_return(seq: int, record: Sale | Return) -> None:
        kept(seq, record)
        if manager is not None:  # journalled as the till journals a void
            ledger.append_event(void, co.till.ids.new_id(), co.till.terminal_id)

    with ledger.writing_with(with_return):
        result = s.desk.commit_return(sale.seq, {k: n for k, _, n in left}, fresh=False)
    if isinstance(result, Notice):
        raise Refused("path.receipt_id", t.say(result.words), 409)
    co.woken()
    return _written(co, kept)


def _written(co: AgentCheckout, kept: Kept) -> dict[str, Any]:
    """The reply of a return (or cancel) from what was written, not read back."""
    w, record = kept.written()
    assert isinstance(record, Return)
    return replies.return_reply(record, co.till.terminal_id, w.seq, w.receipt_id, False, w.kind)


def _approved(co: AgentCheckout, ask: CancelAsk, t: Texts) -> str | None:
    """The manager approving a cancel, where the till has staff (None: it has none):
    the cashier app's own PIN check (:func:`agent.pin_check.check_pin`), with its words
    and its lockout."""
    staff = co.till.store.ledger.cashiers()
    if not staff:
        return None
    guard = PinGuard(co.till.store, co.till.clock, co.till.ids, co.till.terminal_id)
    if ask.manager is None:
        wait = guard.wait_s()
        if wait:
            raise Refused(
                "body.manager", t("Too many wrong PINs: wait {seconds} s", seconds=wait), 429
            )
        raise Refused("body.manager", t("Void this sale: manager PIN (Esc cancels)"), 403)
    checked = check_pin(
        staff, ask.manager.pin, guard, role=Role.MANAGER, cashier_id=ask.manager.manager_id
    )
    if checked.store_error is not None:
        raise checked.store_error  # the store cannot keep the count: 503, try again
    if checked.verdict is PinVerdict.ACCEPTED and checked.cashier is not None:
        return checked.cashier.cashier_id
    if checked.verdict is PinVerdict.CLOSED:
        raise Refused(
            "body.manager",
            t("Too many wrong PINs: wait {seconds} s", seconds=checked.wait_s),
            429,
        )
    raise Refused("body.manager", t("Not a manager's PIN"), 403)
