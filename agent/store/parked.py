"""The sales a cashier parked, in the terminal's store (table ``parked_sales``, m017).

A parked sale is not a sale: it is in no journal row, no outbox row, no sales row,
so the uploader never sends it and HQ never hears of it. Recalling one deletes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.store.file import StoreFile


@dataclass(frozen=True, slots=True)
class ParkedRow:
    parked_id: str
    at: datetime
    cashier: str | None
    customer: str  # the customer's name as the list shows it ("" for none)
    lines: int
    total_minor: int  # as priced when parked (the list's hint; recall prices again)
    currency: str
    doc: dict[str, Any]  # the sale's state (agent.parking)


class ParkedSales:
    """The ``parked_sales`` table of the terminal's store."""

    def __init__(self, file: StoreFile) -> None:
        self.file = file

    def add(self, row: ParkedRow) -> None:
        with self.file.atomic() as conn:
            conn.execute(
                "INSERT INTO parked_sales(parked_id, at, cashier, customer, lines, "
                "total_minor, currency, doc) VALUES(?,?,?,?,?,?,?,?)",
                (
                    row.parked_id,
                    row.at.isoformat(),
                    row.cashier,
                    row.customer,
                    row.lines,
                    row.total_minor,
                    row.currency,
                    json.dumps(row.doc, sort_keys=True),
                ),
            )

    def all(self) -> list[ParkedRow]:
        """Every parked sale, the oldest first."""
        return [_row(r) for r in self.file.conn.execute(f"SELECT {_COLUMNS} {_ORDERED}")]

    def take(self, parked_id: str) -> ParkedRow | None:
        """Remove the parked sale ``parked_id`` and return it (None: not parked here)."""
        with self.file.atomic() as conn:
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM parked_sales WHERE parked_id=?", (parked_id,)
            ).fetchone()
            conn.execute("DELETE FROM parked_sales WHERE parked_id=?", (parked_id,))
        return None if found is None else _row(found)


_COLUMNS = "parked_id, at, cashier, customer, lines, total_minor, currency, doc"
_ORDERED = "FROM parked_sales ORDER BY at, parked_id"


def _row(r: Any) -> ParkedRow:
    return ParkedRow(
        str(r[0]),
        datetime.fromisoformat(str(r[1])),
        None if r[2] is None else str(r[2]),
        str(r[3]),
        int(r[4]),
        int(r[5]),
        str(r[6]),
        json.loads(str(r[7])),
    )
