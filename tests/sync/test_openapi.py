"""The OpenAPI document describes what the reference HQ really does.

Every route is documented, and real replies (and the events a real terminal sends)
validate against the document's schemas, so a chain's own HQ built from it speaks
the protocol the terminals speak.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError
from starlette.routing import Route
from starlette.testclient import TestClient

from agent.errors import DocumentRefused
from agent.notice import CommittedSale
from agent.session import CheckoutSession
from agent.signing import new_private_key, public_key_hex
from agent.store import Store
from sync.client import HqClient
from sync.hq.seed import seed_demo
from sync.hq.server import OPENAPI_PATH, create_app
from sync.hq.store import HqStore

SPEC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
AUTH = {"Authorization": "Bearer T1:demo"}
HQ_KEY = new_private_key()
HQ_PUBLIC = public_key_hex(HQ_KEY)


def check(name: str, value: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}
    Draft202012Validator(schema).validate(value)


@pytest.fixture
def hq(hq_db_url: str) -> TestClient:
    store = HqStore(hq_db_url)
    seed_demo(store)
    return TestClient(create_app(store, HQ_KEY))


def test_every_route_is_documented_and_every_documented_path_served(hq: TestClient) -> None:
    app = hq.app
    served = {r.path for r in app.routes if isinstance(r, Route)}  # type: ignore[attr-defined]
    assert served == set(SPEC["paths"])
    assert hq.get("/v1/openapi.json").json() == SPEC
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_real_replies_and_events_match_the_schemas(
    hq: TestClient, session: CheckoutSession, store: Store
) -> None:
    check("Health", hq.get("/v1/health").json())
    for i in range(3):
        session.enter("2900000000018")
        session.add("MILK", 1 + i)
        if i == 1:
            session.pay_with_points(None)
        session.commit()
    events = [e.to_wire() for e in store.ledger.pending_events(10)]
    check("Batch", {"events": events})
    for e in events:
        check("SaleBody", json.loads(e["body"]))
    ack = hq.post("/v1/terminals/T1/events", json={"events": events}, headers=AUTH)
    assert ack.status_code == 200
    check("Ack", ack.json())
    gap = hq.post("/v1/terminals/T1/events", json={"events": events[:1]}, headers=AUTH)
    check("Ack", gap.json())
    for bad in (
        hq.post("/v1/terminals/T1/events", json={"events": events}, headers={}),
        hq.post("/v1/terminals/T1/events", content=b"{", headers=AUTH),
    ):
        assert bad.status_code in (400, 401)
        check("Error", bad.json())
    signed = hq.get("/v1/terminals/T1/snapshot", params={"cursor": 0}, headers=AUTH).json()
    check("SignedDocument", signed)
    snapshot = json.loads(signed["document"])
    check("Snapshot", snapshot)
    assert snapshot["customers"] and snapshot["products"] and snapshot["policy"]


def test_a_weighed_product_and_sale_match_the_schemas(
    hq: TestClient, session: CheckoutSession, store: Store
) -> None:
    signed = hq.get("/v1/terminals/T1/snapshot", params={"cursor": 0}, headers=AUTH).json()
    products = {p["sku"]: p for p in json.loads(signed["document"])["products"]}
    assert (products["BEANS"]["unit"], products["BEANS"]["item_code"]) == ("kg", "00042")
    check("Product", products["BEANS"])
    for bad in ({"unit": "litre"}, {"item_code": "42a"}):
        with pytest.raises(ValidationError):
            check("Product", {**products["BEANS"], **bad})
    session.enter("2200042007502")
    session.commit()
    (event,) = [e.to_wire() for e in store.ledger.pending_events(10)]
    body = json.loads(event["body"])
    check("SaleBody", body)
    assert body["lines"][0] | {"label": "750g", "weight_g": 750} == body["lines"][0]
    ack = hq.post("/v1/terminals/T1/events", json={"events": [event]}, headers=AUTH)
    assert ack.status_code == 200 and ack.json()["results"][0]["status"] == "stored"


def test_a_card_lookup_replies_as_documented(hq: TestClient) -> None:
    url = "/v1/terminals/T1/customers/by-card/"
    signed = hq.get(url + "2900000000018", headers=AUTH)
    assert signed.status_code == 200
    check("SignedDocument", signed.json())
    found = json.loads(signed.json()["document"])
    check("CardLookup", found)
    assert (found["customer"]["card"], found["terminal_id"]) == ("2900000000018", "T1")
    for status, reply in (
        (404, hq.get(url + "2900000007776", headers=AUTH)),  # nobody holds it
        (401, hq.get(url + "2900000000018", headers={})),
        (400, hq.get(url + "2900000000018?x=1", headers=AUTH)),
    ):
        assert reply.status_code == status
        check("Error", reply.json())


def test_a_sale_of_another_till_and_its_returns_match_the_schema(
    hq: TestClient, session: CheckoutSession, store: Store
) -> None:
    session.enter("2900000000018")
    session.add("COFFEE", 2)
    session.commit()
    assert isinstance(session.desk.commit_return(1, {"COFFEE": 1}), CommittedSale)
    events = [e.to_wire() for e in store.ledger.pending_events(10)]
    assert hq.post("/v1/terminals/T1/events", json={"events": events}, headers=AUTH).json()[
        "results"
    ] == [{"seq": 1, "status": "stored"}, {"seq": 2, "status": "stored"}]
    t2 = {"Authorization": "Bearer T2:demo"}
    reply = hq.get("/v1/terminals/T2/sales/T1/1", headers=t2)
    assert reply.status_code == 200
    check("SignedDocument", reply.json())  # signed, as every answer a till acts on
    copy = json.loads(reply.json()["document"])
    check("ForeignSale", copy)
    assert copy["for_terminal"] == "T2"
    check("SaleBody", json.loads(copy["body"]))
    assert [(r["terminal_id"], r["seq"]) for r in copy["returns"]] == [("T1", 2)]
    unsigned = HqClient("http://testserver", "T2", "demo", "00" * 32, transport=hq._transport)
    with pytest.raises(DocumentRefused):  # not this HQ's key: refused, not believed
        unsigned.sale("T1", 1)
    client = HqClient("http://testserver", "T2", "demo", HQ_PUBLIC, transport=hq._transport)
    found = client.sale("T1", 1)
    assert found is not None and found.sale.sale_id == json.loads(events[0]["body"])["sale_id"]
    assert [r.sale_id for r in found.returns] == [json.loads(events[1]["body"])["sale_id"]]
    assert client.sale("T1", 7) is None  # HQ holds no such sale: 404
    for path, headers, status in (
        ("/v1/terminals/T2/sales/T1/7", t2, 404),
        ("/v1/terminals/T2/sales/T1/x", t2, 400),
        ("/v1/terminals/T2/sales/T1/1?all=1", t2, 400),
        ("/v1/terminals/T2/sales/T1/1", AUTH, 401),  # T1's credential is not T2's
    ):
        bad = hq.get(path, headers=headers)
        assert bad.status_code == status, path
        check("Error", bad.json())
