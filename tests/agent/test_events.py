"""The records a terminal sends HQ are typed values written and read by one piece of
code: what the till journals reads back as the same value, and a body that is not a
record is refused naming the field."""

from __future__ import annotations

import json

import pytest

from agent.demo import demo_seal_key
from agent.events import Audit, Enrolment, Return, Sale, read_event, to_body
from agent.journal import canonical
from agent.privacy import unseal
from agent.session import CheckoutSession
from agent.store import Store
from tests.conftest import TUESDAY

ANNA = "2900000000018"


def journalled(store: Store, seq: int) -> tuple[str, str]:
    kind, body = store.conn.execute("SELECT kind, body FROM journal WHERE seq=?", (seq,)).fetchone()
    return str(kind), str(body)


def test_a_sale_and_its_return_read_back_as_the_values_written(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)
    session.add("COFFEE")
    session.add("MILK", 2)
    session.pay_with_points(None)
    sale = session.commit()
    event = read_event(*journalled(store, sale.seq))
    assert (event.seq, event.terminal_id) == (sale.seq, "T1")
    record = event.record
    assert isinstance(record, Sale) and record.sale_id == sale.sale_id
    assert [ln.sku for ln in record.lines] == ["COFFEE", "MILK"]
    assert record.customer is not None and record.customer.customer_id == "C1"
    assert sale.quote is not None and record.points_earned == sale.quote.points_earned
    # Written again, the record is the very text that was hashed and sent.
    assert canonical(to_body(record, sale.seq, "T1")) == journalled(store, sale.seq)[1]
    back = session.desk.commit_return(sale.seq, {"MILK": 1})
    assert not isinstance(back, type(None)) and hasattr(back, "seq")
    returned = read_event(*journalled(store, back.seq)).record  # type: ignore[union-attr]
    assert isinstance(returned, Return) and returned.original_seq == sale.seq
    assert [(ln.sku, ln.qty) for ln in returned.lines] == [("MILK", 1)]
    assert returned.total_minor < 0 and returned.customer is not None


def test_an_adjustment_and_an_enrolment_read_back_as_written(
    session: CheckoutSession, store: Store
) -> None:
    session.enter(ANNA)
    assert not session.desk.adjust_points(-25, "broken mug", "ola", "marek").refused
    adjust = read_event(*journalled(store, 1)).record
    assert adjust == Audit(
        at=TUESDAY.isoformat(),
        action="adjust_points",
        cashier="ola",
        approved_by="marek",
        reason="broken mug",
        points=-25,
        customer_id="C1",
    )
    assert (adjust.points_earned, adjust.points_redeemed) == (0, 25)
    assert not session.desk.enrol("Ewa", "2900000007772", True, False, "+48 600 100 200").refused
    enrol = read_event(*journalled(store, 2)).record
    assert isinstance(enrol, Enrolment) and (enrol.card, enrol.phone) == ("2900000007772", None)
    assert enrol.phone_sealed is not None  # the number only sealed for HQ (agent.privacy)
    assert unseal(demo_seal_key(), enrol.phone_sealed) == "+48600100200"
    assert (enrol.terms, enrol.marketing) == (True, False)


def test_a_void_reads_back_with_its_lines() -> None:
    void = Audit(
        at=TUESDAY.isoformat(),
        action="void",
        cashier=None,
        approved_by="marek",
        voided_for="C1",
        voided_lines=(("MILK", 2, 900),),
    )
    text = canonical(to_body(void, 7, "T1"))
    event = read_event("audit", text)
    assert event.record == void and (event.seq, event.terminal_id) == (7, "T1")
    assert json.loads(text)["customer"] == "C1"  # the wire names the voided sale's customer


def test_a_pin_lockout_reads_back_as_written_and_names_no_customer() -> None:
    lockout = Audit(
        at=TUESDAY.isoformat(),
        action="pin_lockout",
        cashier=None,
        approved_by="",
        reason="3 wrong PINs in a row: PIN entry closed for 30 s",
    )
    text = canonical(to_body(lockout, 3, "T1"))
    event = read_event("audit", text)
    assert event.record == lockout and event.record.customer_id is None
    assert (lockout.points_earned, lockout.points_redeemed) == (0, 0)


@pytest.mark.parametrize(
    ("kind", "body", "names"),
    [
        ("sale", '{"seq": 1, "terminal_id": "T1"}', "field '\\w+' missing"),
        ("sale", "[1, 2]", "object"),
        ("sale", "not json", "JSON"),
        ("audit", '{"action": "adjust_points", "at": "x", "approved_by": "m"}', "points"),
        ("enrol", '{"at": "x", "customer": {"customer_id": 5}, "consents": {}}', "customer_id"),
        ("refund", "{}", "kind"),
    ],
)
def test_a_body_that_is_not_a_record_is_refused_naming_the_fault(
    kind: str, body: str, names: str
) -> None:
    with pytest.raises(ValueError, match=names):
        read_event(kind, body)
