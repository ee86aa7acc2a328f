"""The least a terminal holds about a customer: a greeting, the birthday's month and day,
the phone as HQ's keyed hash (agent.privacy)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlite_utils import Database

from agent.demo import DEMO_PHONE_KEY, demo_seal_key
from agent.documents import customer_from_doc
from agent.privacy import (
    for_terminal,
    new_seal_key,
    phone_hash,
    seal,
    seal_public_hex,
    unseal,
)
from agent.session import CheckoutSession
from agent.store import Store
from agent.store.schema import migrations

HQ_RECORD = {
    "customer_id": "C9",
    "card": "2900000000094",
    "name": "Zofia Anna Nowak-Wiśniewska",
    "phone": "+48 601 234 567",
    "birthday": "1988-02-29",
    "email": "zofia@example.com",
    "consents": {"terms": True, "marketing": False, "at": "2026-01-02T10:00:00+00:00"},
    "tier": "Gold",
    "balance": 10,
    "country": "PL",
}


def file_bytes(path: Path) -> bytes:
    """Everything SQLite holds of the file on disk: the database and its WAL."""
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_terminal_is_sent_the_greeting_month_day_and_a_keyed_hash_only() -> None:
    sent = for_terminal(HQ_RECORD, DEMO_PHONE_KEY)
    assert sent["greeting"] == "Zofia"  # her first name: she chose no other
    assert sent["birthday"] == "--02-29"
    assert sent["phone_hash"] == phone_hash(DEMO_PHONE_KEY, "48601234567")
    for gone in ("name", "phone", "email", "consents"):
        assert gone not in sent
    text = json.dumps(sent, ensure_ascii=False)
    assert "Nowak" not in text and "1988" not in text and "601234567" not in text
    chosen = for_terminal(dict(HQ_RECORD, greeting="Zosia"), DEMO_PHONE_KEY)
    assert chosen["greeting"] == "Zosia"


def test_the_hash_depends_on_hqs_key_and_the_digits_only() -> None:
    a = phone_hash(DEMO_PHONE_KEY, "+48 601 234 567")
    assert (
        a
        == phone_hash(DEMO_PHONE_KEY, "48601234567")
        == phone_hash(DEMO_PHONE_KEY, "+48-601-234-567")
    )
    assert a != phone_hash("00" * 32, "48601234567")
    assert a != phone_hash(DEMO_PHONE_KEY, "48601234568")
    assert len(a) == 64 and "601234567" not in a


def test_a_customer_document_is_read_without_what_the_terminal_must_not_keep() -> None:
    c = customer_from_doc(dict(HQ_RECORD, applied_seq=0))  # a document with too much
    assert (c.name, c.birthday, c.phone) == ("Zofia", date(2000, 2, 29), "")
    with pytest.raises(ValueError, match="phone_hash"):
        customer_from_doc(
            dict(for_terminal(HQ_RECORD, DEMO_PHONE_KEY), phone_hash="48601", applied_seq=0)
        )


def test_a_sealed_number_opens_only_with_hqs_key() -> None:
    key = new_seal_key()
    sealed = seal(seal_public_hex(key), "+48601234567")
    assert "601234567" not in sealed and unseal(key, sealed) == "+48601234567"
    with pytest.raises(ValueError):
        unseal(new_seal_key(), sealed)
    with pytest.raises(ValueError):
        unseal(key, sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB"))


def test_a_typed_phone_number_finds_the_customer_by_its_hash(
    session: CheckoutSession, store: Store
) -> None:
    assert not session.enter("+48 601 000 001", typed=True).refused
    assert session.customer is not None and session.customer.customer_id == "C1"
    (held,) = store.conn.execute("SELECT phone FROM customers WHERE customer_id='C1'").fetchone()
    assert held == phone_hash(DEMO_PHONE_KEY, "48601000001")
    session.reset()
    assert session.enter("+48 601 000 009", typed=True).refused


def test_enrolment_keeps_the_number_only_hashed_here_and_sealed_for_hq(
    session: CheckoutSession, store: Store, tmp_path: Path
) -> None:
    notice = session.desk.enrol("Ewa", "2900000007772", True, False, "+48 699 123 456")
    assert not notice.refused
    session.reset()
    assert not session.enter("+48 699 123 456", typed=True).refused
    assert session.customer is not None and session.customer.name == "Ewa"
    (body,) = store.conn.execute("SELECT body FROM journal WHERE kind='enrol'").fetchone()
    assert unseal(demo_seal_key(), json.loads(body)["phone_sealed"]) == "+48699123456"
    store.close()
    held = file_bytes(tmp_path / "terminal.db")
    assert b"699123456" not in held and b"699 123 456" not in held


def test_no_phone_at_enrolment_before_hq_sent_its_keys(tmp_path: Path) -> None:
    from agent.clock import FixedClock, SequentialIds
    from tests.conftest import TUESDAY

    store = Store.open(tmp_path / "fresh.db")
    counter = CheckoutSession(store, FixedClock(TUESDAY), SequentialIds("e"), "T1", "Test store")
    notice = counter.desk.enrol("Ewa", "2900000007772", True, False, "+48 699 123 456")
    assert notice.refused and "heard from HQ" in notice.words.template
    assert not counter.desk.enrol("Ewa", "2900000007772", True, False, "").refused


def test_the_migration_hashes_nothing_it_cannot_and_drops_names_numbers_and_years(
    tmp_path: Path,
) -> None:
    path = tmp_path / "terminal.db"
    db = Database(path)
    migrations.apply(db, stop_before="m012_least_customer_data")
    old = {
        "name": "Zofia Nowak",
        "tier": "Gold",
        "birthday": "1988-02-29",
        "phone": "48601234567",
        "lots": [],
    }
    db.execute(
        "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, phone) "
        "VALUES('C9', '2900000000094', ?, 10, 0, '48601234567')",
        (json.dumps(old),),
    )
    db.execute("INSERT INTO meta(key, value) VALUES('snapshot_cursor', '41')")
    db.conn.commit()
    db.conn.close()
    store = Store.open(path)
    c = store.catalogue.customer("C9")
    assert c is not None and (c.name, c.birthday, c.phone) == ("Zofia", date(2000, 2, 29), "")
    assert store.file.get_meta("snapshot_cursor") == "0"  # HQ sends everyone again
    store.close()
    held = file_bytes(path)
    for clear in (b"48601234567", b"Nowak", b"1988"):
        assert clear not in held, clear
