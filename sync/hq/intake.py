"""An upload read and checked whole before anything of it is applied.

The request (its size is capped where the bytes arrive, :mod:`sync.hq.server`) must be
JSON nested no deeper than :data:`MAX_JSON_DEPTH`, an object whose ``events`` is a list
of at most :data:`MAX_BATCH` events in increasing seq, each of the protocol's shape:
``seq`` from 1 to 2^53-1, ``kind`` a short lower-case word, hashes of 64 hex digits,
``at`` an ISO time, ``body`` text. What is not is answered 400 (not JSON, too deep)
or 422, naming the field; nothing 5xx. The body of each event is checked later, and
refused by quarantine alone (:mod:`sync.hq.bodies`): its hash chain makes it the
terminal's, and it must not block the terminal's queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sync.hq.shapes import MAX_JSON_DEPTH, checked, items, obj, text, time, too_deep, whole
from sync.wire import MAX_BATCH, MAX_SEQ

HASH = text(64, 64, "[0-9a-f]{64}")
EVENT = obj(
    {
        "seq": whole(1, MAX_SEQ),
        "kind": text(1, 32, "[a-z][a-z_]*"),
        "event_id": text(1, 128, r"[^\x00]+"),  # no text HQ keeps holds NUL (PostgreSQL's)
        "at": time,
        "body": text(0, 2**31),  # its length is a quarantine's reason, not a refusal
        "prev_hash": HASH,
        "hash": HASH,
    }
)
BATCH = obj({"events": items(EVENT, MAX_BATCH)})


@dataclass(frozen=True, slots=True)
class Refused:
    """An upload HQ does not read: the HTTP status, the field at fault and why."""

    status: int
    field: str
    error: str

    def to_doc(self) -> dict[str, str]:
        return {"error": self.error, "field": self.field}


def read_batch(raw: bytes) -> list[dict[str, Any]] | Refused:
    """The events of an upload's body, each of the protocol's shape, or why not."""
    if too_deep(raw):
        return Refused(400, "", f"JSON nested deeper than {MAX_JSON_DEPTH}")
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # ValueError: not UTF-8, a number too long
        return Refused(400, "", "body is not JSON")
    why = checked(doc, BATCH, "")
    if why is not None:
        where, _, what = why.partition(": ")
        where = where.lstrip(".") or "body"
        return Refused(422, where, f"{where}: {what}")
    events: list[dict[str, Any]] = doc["events"]
    for i, ev in enumerate(events):
        for name in ("kind", "event_id", "at", "body"):
            if not _keepable(ev[name]):
                where = f"events[{i}].{name}"
                return Refused(422, where, f"{where}: not text (a lone UTF-16 surrogate)")
    for i in range(1, len(events)):
        if events[i]["seq"] <= events[i - 1]["seq"]:
            where = f"events[{i}].seq"
            return Refused(422, where, f"{where}: events must be in increasing seq order")
    return events


def _keepable(text: str) -> bool:
    """Whether ``text`` is text HQ can keep (UTF-8): JSON's escapes can spell a lone
    surrogate, which no terminal writes and neither database stores."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
