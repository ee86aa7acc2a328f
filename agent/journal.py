"""The hash chain over the journal: canonical bytes, row hashes, verification."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(body: object) -> str:
    """Return the one JSON text of ``body`` that is hashed and sent (sorted, compact)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, body_text: str) -> str:
    """Return the hash of a journal row: sha256 over the previous hash and the body."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    seq: int
    body: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(
    rows: Iterable[ChainRow], start_seq: int = 1, start_hash: str = GENESIS
) -> ChainBreak | None:
    """Check seq continuity and the hash chain; return the first break, or None."""
    expected_seq, prev = start_seq, start_hash
    for row in rows:
        if row.seq != expected_seq:
            return ChainBreak(row.seq, f"seq {expected_seq} expected, found {row.seq} (gap)")
        if row.prev_hash != prev:
            return ChainBreak(row.seq, "does not continue the previous row's hash")
        if row_hash(row.prev_hash, row.body) != row.hash:
            return ChainBreak(row.seq, "content was altered after it was written")
        expected_seq, prev = row.seq + 1, row.hash
    return None
