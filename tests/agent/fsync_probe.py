"""Run N durable sales in a fresh store; tests/agent/test_durability.py counts its syncs."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from agent.clock import FixedClock, SequentialIds
from agent.demo import RECEIVED_AT as AT
from agent.demo import demo_store
from agent.session import CheckoutSession

if __name__ == "__main__":
    store = demo_store(Path(tempfile.mkdtemp()) / "t.db")
    session = CheckoutSession(store, FixedClock(AT), SequentialIds(), "B", "b")
    card = store.conn.execute("SELECT card FROM customers LIMIT 1").fetchone()[0]
    for _ in range(int(sys.argv[1])):
        session.enter(card)
        session.add("COFFEE")
        session.add("MILK", 2)
        session.commit()
