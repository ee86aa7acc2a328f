"""What the POSes beside this till wrote through the agent API, by idempotency key.

A row is written inside the transaction of the sale, return or cancel it made
(:meth:`agent.store.ledger.Ledger.writing_with`), so a key names a committed write or
none: a POS retrying a commit after a timeout, or after the agent restarted, gets the
sale it made, never a second one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agent.store.file import StoreFile

KINDS = ("sale", "return", "cancel")


@dataclass(frozen=True, slots=True)
class PosWrite:
    pos: str  # which POS (its token's name in the agent's config)
    key: str  # the POS's Idempotency-Key
    body_hash: str  # sha256 of the request's canonical JSON
    kind: str  # sale | return | cancel
    receipt_id: str  # the POS's receipt id (of the sale; a return's own)
    seq: int  # the journal row it made (a cancel: its return)
    doc: dict[str, Any]  # what else the POS said (tenders, the sale a return is of)


class PosWrites:
    """The ``pos_writes`` table of the terminal's store."""

    def __init__(self, file: StoreFile) -> None:
        self.conn = file.conn

    def by_key(self, pos: str, key: str) -> PosWrite | None:
        return self._one("key=?", pos, key)

    def by_receipt(self, pos: str, kind: str, receipt_id: str) -> PosWrite | None:
        return self._one("kind=? AND receipt_id=?", pos, kind, receipt_id)

    def _one(self, where: str, pos: str, *args: str) -> PosWrite | None:
        row = self.conn.execute(
            "SELECT pos, key, body_hash, kind, receipt_id, seq, doc FROM pos_writes "
            f"WHERE pos=? AND {where}",
            (pos, *args),
        ).fetchone()
        if row is None:
            return None
        pos_, key, digest, kind, receipt = (str(x) for x in row[:5])
        return PosWrite(pos_, key, digest, kind, receipt, int(row[5]), json.loads(row[6]))

    def note(self, w: PosWrite) -> None:
        """Keep ``w``; call it inside the transaction of the write it names."""
        self.conn.execute(
            "INSERT INTO pos_writes(pos, key, body_hash, kind, receipt_id, seq, doc) "
            "VALUES(?,?,?,?,?,?,?)",
            (w.pos, w.key, w.body_hash, w.kind, w.receipt_id, w.seq, json.dumps(w.doc)),
        )
