"""What HQ sends a terminal about its customers is the least the till needs; a number
given at enrolment reaches HQ sealed, and HQ keeps it."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.clock import FixedClock, SequentialIds
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.expiry import run_expiry
from sync.hq.ingest import ingest
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from sync.wire import parse_snapshot

ZOFIA = {
    "customer_id": "C9",
    "card": "2900000000094",
    "name": "Zofia Nowak",
    "phone": "+48601234567",
    "birthday": "1988-02-29",
    "tier": "Bronze",
    "country": "PL",
    "balance": 0,
}
FEB_28 = datetime(2027, 2, 28, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))  # not a leap year


def downloaded(hq: HqStore, path: Path, at: datetime) -> Store:
    """A terminal's store after one download from ``hq``, as the sync worker applies it."""
    run_expiry(hq, at)  # HQ's schedule, not the snapshot, expires lots
    doc = snapshot(hq, "T1", 0, 0, at)
    snap = parse_snapshot(dict(doc, terminal_id="T1", hq_time=at.isoformat()))
    store = Store.open(path)
    store.catalogue.apply_snapshot(
        products=snap.products,
        customers=snap.customers,
        ruleset=snap.ruleset,
        cursor=str(snap.cursor),
        received_at=at,
        quotas=snap.quotas,
        policy=snap.policy,
        hq_keys=snap.hq_keys,
    )
    return store


def held_bytes(path: Path) -> bytes:
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_a_terminal_holds_a_greeting_a_month_day_and_a_hash_and_still_serves_them(
    tmp_path: Path, hq_db_url: str
) -> None:
    hq = HqStore(hq_db_url)
    seed_demo(hq)
    with hq.transaction():
        hq.upsert_customer(ZOFIA)
    store = downloaded(hq, tmp_path / "terminal.db", FEB_28)
    session = CheckoutSession(store, FixedClock(FEB_28), SequentialIds("s"), "T1", "Sklep")
    assert not session.enter("+48 601 234 567", typed=True).refused  # found by its hash
    assert session.customer is not None and session.customer.customer_id == "C9"
    assert session.customer.name == "Zofia"  # greeted by her first name
    assert not session.add("COFFEE").refused
    q = session.quote()
    assert q.points_by("BIRTHDAY2") > 0  # born 29 February: celebrated on the 28th
    session.reset()
    assert not session.enter("2900000000025").refused  # Иван Петров chose "Ваня"
    assert session.customer is not None and session.customer.name == "Ваня"
    store.close()
    held = held_bytes(tmp_path / "terminal.db")
    for clear in ("48601234567", "601 234 567", "1988-", "Nowak", "Kowalska", "Петров"):
        assert clear.encode() not in held, clear
    # The bare year is four digits that random keys, hashes and ids may hold by chance, so
    # it is looked for where a birthday would be kept, the customer's own row, and not
    # inside a hex string there (the phone number's keyed hash).
    db = sqlite3.connect(tmp_path / "terminal.db")
    (row,) = db.execute("SELECT * FROM customers WHERE customer_id = 'C9'").fetchall()
    db.close()
    assert not any(re.search(r"(?<![0-9a-f])1988(?![0-9a-f])", str(c)) for c in row), row
    for demo_phone in ("48601000001", "79161000002", "40721000003"):
        assert demo_phone.encode() not in held, demo_phone


def test_a_number_given_at_enrolment_reaches_hq_sealed_and_hq_keeps_it(
    tmp_path: Path, hq_db_url: str
) -> None:
    hq = HqStore(hq_db_url)
    seed_demo(hq)
    now = FEB_28 + timedelta(days=1)
    store = downloaded(hq, tmp_path / "terminal.db", now)
    session = CheckoutSession(store, FixedClock(now), SequentialIds("s"), "T1", "Sklep")
    assert not session.desk.enrol("Ewa", "2900000007772", True, True, "+48 699 123 456").refused
    events = [e.to_wire() for e in store.ledger.pending_events(10)]
    assert all("699123456" not in json.dumps(e) for e in events)
    ingest(hq, "T1", events, now.isoformat())
    (doc,) = hq.conn.execute("SELECT doc FROM hq_customers WHERE card='2900000007772'").fetchone()
    assert json.loads(doc)["phone"] == "+48699123456"  # HQ holds the number, opened
    store.close()
    again = downloaded(hq, tmp_path / "other.db", now)  # another terminal finds her by it
    found = CheckoutSession(again, FixedClock(now), SequentialIds("t"), "T1", "Sklep")
    assert not found.enter("+48 699 123 456", typed=True).refused
    assert found.customer is not None and found.customer.name == "Ewa"
    again.close()
