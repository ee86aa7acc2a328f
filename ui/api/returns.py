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
from agent.staff import Role, pin_matches
from agent.store.pos_writes import PosWrite
from ui.api.checkout import AgentCheckout, Kept, Refused
from ui.api.shapes import BadRequest, CancelAsk, ReturnAsk


def give_back(
    co: AgentCheckout, pos: str, key: str, digest: str, receipt_id: str, ask: ReturnAsk, lang: str
) -> tuple[int, dict[str, Any]]:
    """Return lines of the POS's sale ``receipt_id`` through the desk, once per key."""
    t = Texts(lang)
    with co.lock:
        found = co.replay(pos, key, digest, "return")
        if found is not None:
            return 200, co.return_doc(found, replayed=True)
        if co.writes.by_receipt(pos, "return", ask.return_id) is not None:
            raise BadRequest("body.return_id", "used already for another return", 409)
        sale = co.sale_of(pos, receipt_id, t)
        note = PosWrite(pos, key, digest, "return", ask.return_id, 0, {"of": receipt_id})
        s = co.session()
        with co.till.store.ledger.writing_with(Kept(co.writes, note)):
            result = s.desk.commit_return(sale.seq, dict(ask.lines))
        if isinstance(result, Notice):
            raise Refused("body.lines", t.say(result.words), 409)
        co.woken()
        written = co.writes.by_key(pos, key)
        assert written is not None
        return 201, co.return_doc(written, replayed=False)


def cancel(
    co: AgentCheckout, pos: str, key: str, digest: str, receipt_id: str, ask: CancelAsk, lang: str
) -> tuple[int, dict[str, Any]]:
    """Cancel the POS's sale ``receipt_id`` (its fiscal receipt was voided): a void a
    manager approves where the till has staff, as at the till, journalled with the
    return of every line still held, in one transaction; once, whatever the key."""
    t = Texts(lang)
    with co.lock:
        found = co.replay(pos, key, digest, "cancel")
        if found is not None:
            return 200, co.return_doc(found, replayed=True)
        sale = co.sale_of(pos, receipt_id, t)
        before = co.writes.by_receipt(pos, "cancel", receipt_id)
        if before is not None:  # cancelled already (under another key): that cancel
            return 200, co.return_doc(before, replayed=True)
        manager = _approved(co, ask, t)
        s = co.session()
        left = s.desk.returnable(sale.seq)
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
        note = PosWrite(pos, key, digest, "cancel", receipt_id, 0, {"reason": ask.reason})
        ledger = co.till.store.ledger

        kept = Kept(co.writes, note)

        def with_return(seq: int, record: Sale | Return) -> None:
            kept(seq, record)
            if manager is not None:  # journalled as the till journals a void
                ledger.append_event(void, co.till.ids.new_id(), co.till.terminal_id)

        with ledger.writing_with(with_return):
            result = s.desk.commit_return(sale.seq, {k: n for k, _, n in left})
        if isinstance(result, Notice):
            raise Refused("path.receipt_id", t.say(result.words), 409)
        co.woken()
        written = co.writes.by_key(pos, key)
        assert written is not None
        return 201, co.return_doc(written, replayed=False)


def _approved(co: AgentCheckout, ask: CancelAsk, t: Texts) -> str | None:
    """The manager approving a cancel, where the till has staff (None: it has none);
    refused with the cashier app's own words, wrong PINs counted as at the till."""
    staff = co.till.store.ledger.cashiers()
    if not staff:
        return None
    guard = PinGuard(co.till.store, co.till.clock, co.till.ids, co.till.terminal_id)
    wait = guard.wait_s()
    if wait:
        raise Refused("body.manager", t("Too many wrong PINs: wait {seconds} s", seconds=wait), 429)
    if ask.manager is None:
        raise Refused("body.manager", t("Void this sale: manager PIN (Esc cancels)"), 403)
    who = next((c for c in staff if c.cashier_id == ask.manager.manager_id), None)
    if who is not None and pin_matches(who, ask.manager.pin) and who.role is Role.MANAGER:
        guard.succeeded()
        return who.cashier_id
    guard.failed(None)
    raise Refused("body.manager", t("Not a manager's PIN"), 403)
