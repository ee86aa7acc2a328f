"""HQ's copy of a sale (for a return at another till) is signed for the till that asked:
a till verifies it, and refuses one altered, unsigned, or signed for another till."""

from __future__ import annotations

import json

import httpx
import pytest

from agent.errors import DocumentRefused
from agent.signing import new_private_key, public_key_hex, sign
from sync.client import HqClient

KEY = new_private_key()
BODY = json.dumps(
    {"sale_id": "S1", "at": "2026-11-24T09:00:00+00:00", "currency": "PLN", "lines": []}
)


def copy_for(terminal: str) -> dict[str, object]:
    doc = {"terminal_id": "T1", "seq": 1, "body": BODY, "returns": []}
    return dict(doc, for_terminal=terminal, hq_time="2026-11-24T09:00:00+00:00")


def client(reply: object) -> HqClient:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=reply))
    return HqClient("http://hq", "T2", "s", public_key_hex(KEY), transport=transport)


def test_a_copy_signed_for_another_till_or_altered_or_unsigned_is_refused() -> None:
    for_t3 = sign(copy_for("T3"), KEY).to_wire()
    with pytest.raises(DocumentRefused, match="T3"):
        client(for_t3).sale("T1", 1)
    mine = sign(copy_for("T2"), KEY).to_wire()
    altered = dict(mine, document=mine["document"].replace('"seq":1', '"seq":2'))
    with pytest.raises(DocumentRefused):
        client(altered).sale("T1", 1)
    with pytest.raises(DocumentRefused):
        client(copy_for("T2")).sale("T1", 1)  # HQ's document, unsigned
