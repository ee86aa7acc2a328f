"""Issue 14's attacks with one terminal's credential, against the real HQ process: each
is answered 4xx or quarantined, and no balance (points, gift cards) moves."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.session import CheckoutSession
from agent.store import Store
from sync.hq.store import HqStore
from sync.wire import MAX_REQUEST_BYTES
from tests.conftest import ROOT
from tests.hqproc import HqProcess
from tests.sync.chain import altered, rechain

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": "Bearer T1:demo"}


def balances(hq: HqProcess) -> dict[str, int]:
    """Every customer's points and every gift card's minor units at HQ."""
    store = HqStore(hq.db, create=False)
    rows = store.conn.execute(
        "SELECT customer_id, balance FROM hq_customers "
        "UNION ALL SELECT card, balance_minor FROM hq_gift_cards"
    ).fetchall()
    return {str(k): int(v) for k, v in rows}


def upload(hq: HqProcess, doc: object) -> httpx.Response:
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return httpx.post(f"{hq.url}/v1/terminals/T1/events", content=raw, headers=AUTH, timeout=30)


def a_sale(session: CheckoutSession, store: Store) -> dict[str, Any]:
    """A real sale of T1 to Anna, paid partly with points and a gift card."""
    session.enter("2900000000018")
    session.add("COFFEE", 2)
    session.pay_with_points(300)
    session.enter("GC0000000001")
    session.commit()
    (event,) = [e.to_wire() for e in store.ledger.pending_events(10)]
    return event


def quarantined(reply: httpx.Response) -> str:
    """The reason of the one event of ``reply``, which must be quarantined."""
    assert reply.status_code == 200, reply.text
    (result,) = reply.json()["results"]
    assert result["status"] == "quarantined"
    return str(result["reason"])


def setter(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc[key] = value

    return change


BODY_ATTACKS: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    ("a negative redemption that credits points", setter("points_redeemed", -1_000_000),
     "body.points_redeemed: must be from 0"),
    ("points past 2^63", setter("points_earned", 2**63 + 1), "body.points_earned: must be from 0"),
    ("a gift card payment that tops the card up", setter("gift_card",
     {"card": "GC0000000001", "amount_minor": -100_000_000}), "body.gift_card.amount_minor"),
    ("a date that is not ISO", setter("at", "next Tuesday"), "body.at: must be an ISO 8601"),
    ("codes that are not a list", setter("codes", {"WELCOME50": 1}), "body.codes: must be a list"),
    ("a customer id that is not a string", setter("customer", {"customer_id": ["C1"],
     "card": "2900000000018"}), "body.customer.customer_id: must be a string"),
    ("a body nested deeply", setter("usage", json.loads("[" * 500 + "]" * 500)),
     "body: nested too deeply"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "change", "reason"), BODY_ATTACKS, ids=[a[0] for a in BODY_ATTACKS]
)
def test_an_attack_in_a_body_is_quarantined_and_moves_no_balance(
    hq: HqProcess,
    session: CheckoutSession,
    store: Store,
    name: str,
    change: Callable[[dict[str, Any]], object],
    reason: str,
) -> None:
    before = balances(hq)
    (forged,) = rechain([altered(a_sale(session, store), change)])
    assert quarantined(upload(hq, {"events": [forged]})).startswith(reason)
    assert balances(hq) == before
    listed = subprocess.run(
        [sys.executable, "-m", "ui.cli", "hq", "quarantine", "--db", str(hq.db)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert listed.startswith("T1 seq 1 sale") and reason in listed
    assert hq.report()["quarantined"][0]["reason"].startswith(reason)  # type: ignore[index]


def test_an_event_of_kind_mint_is_quarantined_and_moves_no_balance(hq: HqProcess) -> None:
    before = balances(hq)
    body = {"seq": 1, "terminal_id": "T1", "customer": {"customer_id": "C1"}, "points": 10**9}
    (mint,) = rechain(
        [
            {
                "seq": 1,
                "kind": "mint",
                "event_id": "m1",
                "at": "2026-11-24T09:00:00+00:00",
                "body": json.dumps(body),
            }
        ]
    )
    assert quarantined(upload(hq, {"events": [mint]})).startswith("kind: 'mint' is none of")
    assert balances(hq) == before
    assert hq.report()["total"] == {  # nothing of it counted as a sale, return or points
        "sales": 0,
        "returns": 0,
        "points_issued": 0,
        "points_redeemed": 0,
        "total_minor": 0,
    }


@pytest.mark.parametrize(
    ("name", "raw", "status"),
    [
        ("JSON nested deeply", b'{"events": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", 400),
        ("a seq past 2^63", b'{"events": [{"seq": 9223372036854775808}]}', 422),
        ("a seq of 5,000 digits", b'{"events": [{"seq": ' + b"9" * 5000 + b"}]}", 400),
    ],
    ids=["nested deeply", "seq past 2^63", "seq of 5,000 digits"],
)
def test_a_malformed_upload_is_4xx_and_moves_no_balance(
    hq: HqProcess, name: str, raw: bytes, status: int
) -> None:
    before = balances(hq)
    reply = upload(hq, raw)
    assert reply.status_code == status and "error" in reply.json()
    assert balances(hq) == before


def test_events_with_seq_0_or_below_add_no_conflict_rows(
    hq: HqProcess, session: CheckoutSession, store: Store
) -> None:
    assert upload(hq, {"events": [a_sale(session, store)]}).status_code == 200
    before = balances(hq)
    for _ in range(5):
        bad = [
            {
                "seq": s,
                "kind": "sale",
                "event_id": f"x{s}",
                "at": "2026-11-24T09:00:00+00:00",
                "body": "{}",
                "prev_hash": "0" * 64,
                "hash": "f" * 64,
            }
            for s in range(-998, 1)
        ]
        reply = upload(hq, {"events": bad})
        assert reply.status_code == 422 and reply.json()["field"] == "events[0].seq"
    assert hq.report()["conflicts"] == 0 and balances(hq) == before


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def send_until_answered(port: int, head: bytes, chunk: bytes, most_bytes: int) -> bytes:
    """Send ``head`` then ``chunk`` after ``chunk`` (at most ``most_bytes`` in all) until
    HQ answers; return its answer's first bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        sent = 0
        while sent < most_bytes:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        return s.recv(4096)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_300_mb_body_is_413_before_hq_reads_it(hq: HqProcess, framing: str) -> None:
    assert hq.proc is not None
    before, rss = balances(hq), rss_kib(hq.proc.pid)
    size = 300 * 1024 * 1024
    piece = b"[" + b"0," * 32_767 + b"0]"
    if framing == "content-length":
        head = f"Content-Length: {size}\r\n"
        chunk = piece
    else:
        head = "Transfer-Encoding: chunked\r\n"
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    request = (
        f"POST /v1/terminals/T1/events HTTP/1.1\r\nHost: hq\r\n"
        f"Authorization: {AUTH['Authorization']}\r\nContent-Type: application/json\r\n"
        f"{head}\r\n"
    ).encode()
    answer = send_until_answered(hq.port, request, chunk, size)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert rss_kib(hq.proc.pid) - rss < 4 * MAX_REQUEST_BYTES // 1024  # read no further
    assert balances(hq) == before
    assert httpx.get(f"{hq.url}/v1/health").status_code == 200


def forge_points(doc: dict[str, Any]) -> None:
    """1,000,000,000 points credited: the figures a terminal's credential could claim."""
    doc["points_earned"] = 1_000_000_000
    doc["awards"] = [{"rule": "BASE", "points": 1_000_000_000}]


def forge_theft(doc: dict[str, Any]) -> None:
    """Points taken from another customer (Ioana, C3), far beyond what she holds."""
    doc["customer"] = dict(doc["customer"], customer_id="C3", card="2900000000032")
    doc["points_redeemed"] = 1_000_000_000


def forge_top_up(doc: dict[str, Any]) -> None:
    """A gift card raised from 50.00 to 1,000,050.00 by a load no line sold."""
    doc["gift_loads"] = [
        {"sku": "COFFEE", "card": "GC0000000001", "amount_minor": 100_000_000,
         "balance_after_minor": 100_005_000}
    ]  # fmt: skip


FIGURE_ATTACKS = [
    ("a billion points credited", forge_points, "points_earned"),
    ("points taken from another customer", forge_theft, "priced_with.customer"),
    ("a gift card topped up by nothing sold", forge_top_up, "body.gift_loads"),
]


@pytest.mark.parametrize(
    ("name", "change", "named"), FIGURE_ATTACKS, ids=[a[0] for a in FIGURE_ATTACKS]
)
def test_well_formed_forged_figures_are_quarantined_and_move_no_balance(
    hq: HqProcess,
    session: CheckoutSession,
    store: Store,
    name: str,
    change: Callable[[dict[str, Any]], None],
    named: str,
) -> None:
    """Bodies of the protocol's shape whose figures HQ, pricing the sale again with the
    same engine, does not find: the event is kept and listed, and nothing moves."""
    before = balances(hq)
    (forged,) = rechain([altered(a_sale(session, store), change)])
    reason = quarantined(upload(hq, {"events": [forged]}))
    assert named in reason, reason
    assert balances(hq) == before
    assert hq.report()["total"]["points_issued"] == 0  # type: ignore[index]


def test_the_genuine_sale_behind_the_forgeries_is_applied(
    hq: HqProcess, session: CheckoutSession, store: Store
) -> None:
    """The same sale, unaltered, is HQ's own figures: applied, the balances moved."""
    before = balances(hq)
    event = a_sale(session, store)
    reply = upload(hq, {"events": [event]})
    assert reply.status_code == 200 and reply.json()["results"][0]["status"] == "stored"
    body = json.loads(event["body"])
    after = balances(hq)
    assert after["C1"] == before["C1"] + body["points_earned"] - body["points_redeemed"]
    assert after["GC0000000001"] == before["GC0000000001"] - body["gift_card"]["amount_minor"]
