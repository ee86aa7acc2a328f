"""HQ checks every upload before anything is applied: malformed requests are 4xx naming
the field (never 5xx), and an event whose chain holds but whose body HQ refuses is
quarantined, so the events after it go on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from agent.session import CheckoutSession
from agent.signing import new_private_key
from agent.store import Store
from sync.hq.ingest import ingest
from sync.hq.report import report
from sync.hq.seed import seed_demo
from sync.hq.server import OPENAPI_PATH, create_app
from sync.hq.shapes import too_deep
from sync.hq.snapshot import snapshot
from sync.hq.store import HqStore
from sync.wire import MAX_KEY_CHARS
from tests.fuzz import fuzz, ran
from tests.sync.chain import altered, rechain

SPEC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
AUTH = {"Authorization": "Bearer T1:demo"}
URL = "/v1/terminals/T1/events"
AT = "2026-11-24T09:00:00+00:00"
GOOD = {
    "seq": 1,
    "kind": "sale",
    "event_id": "e1",
    "at": AT,
    "body": "{}",
    "prev_hash": "0" * 64,
    "hash": "0" * 64,
}


def check(name: str, value: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}
    Draft202012Validator(schema).validate(value)


@pytest.fixture
def hq_store(hq_db_url: str) -> HqStore:
    s = HqStore(hq_db_url)
    seed_demo(s)
    return s


@pytest.fixture
def hq(hq_store: HqStore) -> TestClient:
    return TestClient(create_app(hq_store, new_private_key()), raise_server_exceptions=False)


def sales(session: CheckoutSession, store: Store, n: int) -> list[dict[str, Any]]:
    """``n`` sales to Anna (card 2900000000018), MILK x1, x2, ..., as the terminal sends them."""
    for i in range(n):
        session.enter("2900000000018")
        session.add("MILK", 1 + i)
        session.commit()
    return [e.to_wire() for e in store.ledger.pending_events(100)]


def balance(hq_store: HqStore, customer_id: str = "C1") -> int:
    customers = snapshot(hq_store, "T1", 0, 0)["customers"]
    return int(next(c for c in customers if c["customer_id"] == customer_id)["balance"])


def event(**changes: object) -> dict[str, object]:
    return dict(GOOD, **changes)


MALFORMED: list[tuple[str, bytes, int, str]] = [
    ("not JSON", b"{", 400, ""),
    ("not UTF-8", b'{"events": ["\xff"]}', 400, ""),
    ("nested deeply", b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, ""),
    ("nested deeply, unbalanced", b'{"events": ' + b"[" * 100_000, 400, ""),
    ("a number of 5,000 digits", b'{"events": [{"seq": ' + b"9" * 5000 + b"}]}", 400, ""),
]
INVALID: list[tuple[str, object, str]] = [
    ("body not an object", [1, 2], "body"),
    ("events not a list", {"events": {"seq": 1}}, "events"),
    ("events missing", {}, "events"),
    ("an event not an object", {"events": ["x"]}, "events[0]"),
    ("seq 0", {"events": [event(seq=0)]}, "events[0].seq"),
    ("seq negative", {"events": [event(seq=-5)]}, "events[0].seq"),
    ("seq past 2^63", {"events": [event(seq=2**63 + 1)]}, "events[0].seq"),
    ("seq a string", {"events": [event(seq="1")]}, "events[0].seq"),
    ("seq true", {"events": [event(seq=True)]}, "events[0].seq"),
    ("seq a float", {"events": [event(seq=1.0)]}, "events[0].seq"),
    ("kind not a string", {"events": [event(kind=5)]}, "events[0].kind"),
    ("kind not a word", {"events": [event(kind="Sale!")]}, "events[0].kind"),
    ("event_id not a string", {"events": [event(event_id=["x"])]}, "events[0].event_id"),
    ("at not ISO", {"events": [event(at="yesterday")]}, "events[0].at"),
    ("at without an offset", {"events": [event(at="2026-11-24T09:00:00")]}, "events[0].at"),
    ("body not a string", {"events": [event(body={"seq": 1})]}, "events[0].body"),
    ("hash not hex", {"events": [event(hash="z" * 64)]}, "events[0].hash"),
    ("prev_hash missing", {"events": [{k: v for k, v in GOOD.items() if k != "prev_hash"}]},
     "events[0].prev_hash"),
    ("too many events", {"events": [event(seq=i) for i in range(1, 1002)]}, "events"),
    ("seqs not increasing", {"events": [event(seq=2), event(seq=1)]}, "events[1].seq"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "raw", "status", "where"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_a_body_that_is_not_json_is_400(
    hq: TestClient, hq_store: HqStore, name: str, raw: bytes, status: int, where: str
) -> None:
    reply = hq.post(URL, content=raw, headers=AUTH)
    assert reply.status_code == status, reply.text
    check("Error", reply.json())
    assert report(hq_store)["terminals"] == {}


@pytest.mark.parametrize(("name", "doc", "where"), INVALID, ids=[i[0] for i in INVALID])
def test_an_upload_not_of_the_protocols_shape_is_422_naming_the_field(
    hq: TestClient, hq_store: HqStore, name: str, doc: object, where: str
) -> None:
    reply = hq.post(URL, content=json.dumps(doc).encode(), headers=AUTH)
    assert reply.status_code == 422, reply.text
    check("Error", reply.json())
    assert reply.json()["field"] == where
    assert reply.json()["error"].startswith(where)
    assert report(hq_store)["terminals"] == {} and report(hq_store)["conflicts"] == 0


def test_an_upload_longer_than_the_cap_is_413(hq_store: HqStore) -> None:
    small = TestClient(create_app(hq_store, new_private_key(), max_request_bytes=1000))
    doc = {"events": [event(body="x" * 2000)]}
    reply = small.post(URL, content=json.dumps(doc).encode(), headers=AUTH)
    assert reply.status_code == 413
    check("Error", reply.json())
    chunked = small.post(URL, content=iter([b'{"events": [', b" " * 2000, b"]}"]), headers=AUTH)
    assert chunked.status_code == 413  # no Content-Length: counted as the bytes arrive


def test_events_with_seq_0_or_below_add_no_conflicts(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = sales(session, store, 1)
    assert hq.post(URL, json={"events": evs}, headers=AUTH).status_code == 200
    for _ in range(5):
        bad = [event(seq=s, hash="f" * 64) for s in range(-999, 1)]
        assert hq.post(URL, json={"events": bad}, headers=AUTH).status_code == 422
    # Past the server too (HQ's own code calling ingest): nothing stored, nothing flagged.
    result = ingest(hq_store, "T1", [event(seq=0), event(seq=-1)], AT)
    assert result.results == [] and report(hq_store)["conflicts"] == 0


def test_another_body_under_a_held_seq_is_flagged_once(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = sales(session, store, 1)
    hq.post(URL, json={"events": evs}, headers=AUTH)
    for _ in range(5):
        forged = hq.post(URL, json={"events": [dict(evs[0], hash="f" * 64)]}, headers=AUTH)
        assert forged.json()["results"] == [{"seq": 1, "status": "conflict"}]
    assert report(hq_store)["conflicts"] == 1


def _set(path: str, value: object) -> Any:
    """A change of one field of a body, at a dotted path (``lines.0.qty``)."""

    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value

    return change


REFUSED_BODIES: list[tuple[str, Any, str]] = [
    ("negative redemption", _set("points_redeemed", -500), "body.points_redeemed: must be from 0"),
    ("points past 2^63", _set("points_earned", 2**63 + 7), "body.points_earned: must be from 0"),
    ("money past 2^53", _set("total_minor", 2**53), "body.total_minor: must be from 0"),
    ("qty a string", _set("lines.0.qty", "2"), "body.lines[0].qty: must be a whole number"),
    ("codes not a list", _set("codes", "WELCOME50"), "body.codes: must be a list"),
    ("a code not a string", _set("codes", [5]), "body.codes[0]: must be a string"),
    ("customer id not a string", _set("customer.customer_id", 7),
     "body.customer.customer_id: must be a string"),
    ("time not ISO", _set("at", "24/11/2026"), "body.at: must be an ISO 8601 time"),
    ("currency not ISO 4217", _set("currency", "zł"), "body.currency: must be 3"),
    ("a field missing", lambda d: d.pop("total_minor"), "body.total_minor: is missing"),
    ("another seq", _set("seq", 99), "body.seq: 99, but the event is 2"),
    ("another terminal", _set("terminal_id", "T2"), "body.terminal_id: 'T2'"),
    ("nested deeply", _set("usage", json.loads("[" * 30 + "]" * 30)), "body: nested too deeply"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "change", "reason"), REFUSED_BODIES, ids=[r[0] for r in REFUSED_BODIES]
)
def test_a_refused_body_is_quarantined_and_the_events_after_it_are_applied(
    hq: TestClient,
    hq_store: HqStore,
    session: CheckoutSession,
    store: Store,
    name: str,
    change: Any,
    reason: str,
) -> None:
    evs = sales(session, store, 3)
    before = balance(hq_store)
    sent = rechain([evs[0], altered(evs[1], change), evs[2]])
    reply = hq.post(URL, json={"events": sent}, headers=AUTH)
    assert reply.status_code == 200
    check("Ack", reply.json())
    ack = reply.json()
    assert ack["acked_through"] == 3 and ack["expected_seq"] == 4
    first, held, third = ack["results"]
    assert (first["status"], held["status"], third["status"]) == ("stored", "quarantined", "stored")
    assert held["reason"].startswith(reason)
    # Sales 1 and 3 are applied (MILK x1: 4 points; MILK x3, Anna's 3rd this month: 7),
    # sale 2 is not.
    assert balance(hq_store) == before + 4 + 7
    rows = report(hq_store)["quarantined"]
    assert [(r["terminal_id"], r["seq"], r["reason"]) for r in rows] == [("T1", 2, held["reason"])]
    assert report(hq_store)["total"]["sales"] == 2
    again = hq.post(URL, json={"events": sent[1:2]}, headers=AUTH).json()  # the ack was lost
    assert again["results"] == [held] and balance(hq_store) == before + 4 + 7


def test_a_body_that_is_not_json_or_of_an_unknown_kind_is_quarantined(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    evs = sales(session, store, 3)
    before = balance(hq_store)
    mint = {"customer": {"customer_id": "C1"}, "points_earned": 10**9, "seq": 2}
    sent = rechain(
        [
            dict(evs[0], body="not json {"),
            dict(evs[1], kind="mint", body=json.dumps(mint)),
            evs[2],
        ]
    )
    ack = hq.post(URL, json={"events": sent}, headers=AUTH).json()
    assert [r["status"] for r in ack["results"]] == ["quarantined", "quarantined", "stored"]
    assert ack["results"][0]["reason"] == "body: not JSON"
    assert ack["results"][1]["reason"].startswith("kind: 'mint' is none of sale, return")
    assert balance(hq_store) == before + 7
    assert report(hq_store)["terminals"]["T1"]["sales"] == 1


def test_a_return_that_gives_points_rather_than_taking_them_is_quarantined(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    sales(session, store, 1)
    session.desk.commit_return(1, {"MILK": 1})
    evs = [e.to_wire() for e in store.ledger.pending_events(10)]
    assert json.loads(evs[1]["body"])["points_earned"] == -4
    before = balance(hq_store)
    sent = rechain([evs[0], altered(evs[1], _set("points_earned", 4000))])
    ack = hq.post(URL, json={"events": sent}, headers=AUTH).json()
    assert [r["status"] for r in ack["results"]] == ["stored", "quarantined"]
    assert ack["results"][1]["reason"].startswith("body.points_earned: must be from -")
    assert balance(hq_store) == before + 4


def test_an_audit_entry_that_mints_points_is_quarantined(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    session.enter("2900000000018")
    session.desk.adjust_points(500, "goodwill", "ola", "marek")
    session.desk.adjust_points(-200, "typo", "ola", "marek")
    evs = [e.to_wire() for e in store.ledger.pending_events(10)]
    before = balance(hq_store)
    sent = rechain(
        [
            altered(evs[0], _set("points", 10**9)),  # beyond HQ's max_adjust_points
            altered(evs[1], _set("action", "pin_lockout")),  # a lockout moves no points
        ]
    )
    ack = hq.post(URL, json={"events": sent}, headers=AUTH).json()
    assert [r["status"] for r in ack["results"]] == ["quarantined", "quarantined"]
    assert "beyond the 10000" in ack["results"][0]["reason"]
    assert ack["results"][1]["reason"].startswith("body.points: must be from 0 to 0")
    assert balance(hq_store) == before


def test_every_kind_of_event_a_terminal_writes_is_applied(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    session.enter("2900000000018")
    session.add("COFFEE", 2)
    session.pay_with_points(300)
    session.apply_code("WELCOME50")
    session.commit()
    session.enter("2900000000018")
    session.add("MILK", 1)
    session.enter("2200042007502")  # a scale label: 750 g of BEANS
    session.enter("GIFT50")  # a gift card sold ...
    session.enter("GC0000000009")  # ... and loaded
    session.enter("GC0000000001")  # paid partly with another
    session.commit()
    session.desk.commit_return(1, {"COFFEE": 1})
    session.enter("2900000000018")
    session.desk.adjust_points(-20, "typo", "ola", "marek")
    session.desk.enrol("Ewa", "2900000000995", terms=True, marketing=False, phone="+48601999999")
    evs = [e.to_wire() for e in store.ledger.pending_events(100)]
    kinds = [e["kind"] for e in evs]
    assert kinds == ["sale", "sale", "return", "audit", "enrol"]
    second = json.loads(evs[1]["body"])
    assert second["gift_loads"] and second["gift_card"] and second["lines"][1]["weight_g"] == 750
    ack = hq.post(URL, json={"events": evs}, headers=AUTH).json()
    assert [r["status"] for r in ack["results"]] == ["stored"] * 5, ack
    assert report(hq_store)["quarantined"] == []


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(alphabet='[]{}"\\ab'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


def depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((depth(x) for x in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(x) for x in value.values()), default=0)
    return 0


@fuzz(share=0.05)
@given(JSON_VALUES, st.integers(1, 8))
def test_the_depth_check_agrees_with_the_json_it_reads(value: object, limit: int) -> None:
    ran("HQ: JSON depth")
    assert too_deep(json.dumps(value).encode(), limit) is (depth(value) > limit)


def test_a_query_parameter_the_protocol_does_not_have_is_400(hq: TestClient) -> None:
    snap = hq.get("/v1/terminals/T1/snapshot", params={"cursor": 0, "": "null"}, headers=AUTH)
    assert snap.status_code == 400 and snap.json()["field"] == "query."
    up = hq.post(URL, params={"dry_run": "1"}, json={"events": []}, headers=AUTH)
    assert up.status_code == 400 and up.json()["field"] == "query.dry_run"
    check("Error", up.json())


def test_a_gift_card_or_enrolled_id_longer_than_a_page_key_is_quarantined(
    hq: TestClient, hq_store: HqStore, session: CheckoutSession, store: Store
) -> None:
    # HQ keeps such an id as a row that terminals' snapshots page through: a page ending
    # on one longer than a page key may be could never be asked for (sync.wire).
    evs = sales(session, store, 1)
    long_card = {"card": "G" * (MAX_KEY_CHARS + 1), "amount_minor": 1}
    ack = hq.post(
        URL, json={"events": rechain([altered(evs[0], _set("gift_card", long_card))])}, headers=AUTH
    ).json()
    assert [r["status"] for r in ack["results"]] == ["quarantined"]
    assert ack["results"][0]["reason"].startswith("body.gift_card.card: ")


def test_text_no_database_keeps_is_4xx_naming_the_field(
    hq: TestClient, session: CheckoutSession, store: Store
) -> None:
    # JSON's escapes can spell a lone surrogate, and a query a NUL: no terminal sends
    # either, neither database stores them (PostgreSQL refused them with a 503 a
    # terminal would retry for ever, and a surrogate broke the hash with a 500).
    (ev,) = sales(session, store, 1)
    raw = json.dumps({"events": [dict(ev, body=ev["body"][:-1] + ', "x": "\\ud800"}')]})
    reply = hq.post(URL, content=raw.replace("\\\\ud800", "\\ud800"), headers=AUTH)
    assert (reply.status_code, reply.json()["field"]) == (422, "events[0].body")
    reply = hq.get("/v1/terminals/T1/snapshot?cursor=0&ruleset_version=0%00", headers=AUTH)
    assert (reply.status_code, reply.json()["field"]) == (400, "query.ruleset_version")
