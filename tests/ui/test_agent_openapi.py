"""The agent's OpenAPI document (ui/api/openapi.json) describes what the agent really does:
every route is documented and served, and real replies of a day's calls, good and bad,
validate against the schema the document gives for their status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route
from starlette.testclient import TestClient

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.staff import Role, new_cashier
from tests.conftest import TUESDAY
from ui.api.app import OPENAPI_PATH, create_app
from ui.api.checkout import AgentCheckout, Till

SPEC: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
TOKEN = "pos-one-token-abcdefghijklmnopqrstuvwxyz"


def check(template: str, method: str, reply: httpx.Response) -> None:
    """``reply`` is one the document gives for ``method template`` and its status."""
    responses = SPEC["paths"][template][method.lower()]["responses"]
    assert str(reply.status_code) in responses, (template, reply.status_code, reply.text)
    schema = responses[str(reply.status_code)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": SPEC["components"]}).validate(reply.json())


@pytest.fixture
def api(tmp_path: Path) -> TestClient:
    store = demo_store(tmp_path / "terminal.db")
    store.ledger.save_cashier(new_cashier("marek", "Marek", Role.MANAGER, "9999", salt=b"2" * 16))
    checkout = AgentCheckout(Till(store, FixedClock(TUESDAY), SequentialIds("api"), "T1", "S"))
    app = create_app(checkout, lambda token: "pos1" if token == TOKEN else None)
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def test_every_route_is_documented_and_every_documented_path_served(api: TestClient) -> None:
    served = {r.path for r in api.app.routes if isinstance(r, Route)}  # type: ignore[attr-defined]
    assert served == set(SPEC["paths"])
    assert api.get("/v1/openapi.json").json() == SPEC
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_real_replies_match_the_document(api: TestClient) -> None:
    check("/v1/health", "get", api.get("/v1/health"))
    check("/v1/status", "get", api.get("/v1/status"))
    who = api.post("/v1/identify", json={"card": "2900000000032", "lang": "ro"})
    check("/v1/identify", "post", who)
    check("/v1/identify", "post", api.post("/v1/identify", json={"phone": "+40 700 000 000"}))
    basket = {
        "customer": {"identification": who.json()["identification"]},
        "lines": [
            {"sku": "COFFEE", "qty": 3, "unit_minor": 3990},
            {"sku": "CIGS", "qty": 1},
            {"barcode": "4006381333931", "qty": 1, "unit_minor": 450, "category": "bakery"},
        ],
        "codes": ["AUTUMN15", "PCT20", "NOPE"],
        "points": "max",
        "gift_card": "GC0000000001",
    }
    check("/v1/calculate", "post", api.post("/v1/calculate", json=basket))
    key = {"Idempotency-Key": "k-1"}
    sold = api.post("/v1/sales", json=basket | {"receipt_id": "R-1"}, headers=key)
    check("/v1/sales", "post", sold)
    check(
        "/v1/sales", "post", api.post("/v1/sales", json=basket | {"receipt_id": "R-1"}, headers=key)
    )
    block = "/v1/sales/{receipt_id}/loyalty-block"
    check(block, "get", api.get("/v1/sales/R-1/loyalty-block", params={"width": 32, "lang": "ru"}))
    ret = {"return_id": "RET-1", "lines": [{"sku": "COFFEE", "qty": 1}]}
    returns = "/v1/sales/{receipt_id}/returns"
    check(
        returns,
        "post",
        api.post("/v1/sales/R-1/returns", json=ret, headers={"Idempotency-Key": "r"}),
    )
    check(
        "/v1/returns/{receipt_id}/loyalty-block", "get", api.get("/v1/returns/RET-1/loyalty-block")
    )
    cancel = "/v1/sales/{receipt_id}/cancel"
    manager = {"manager": {"id": "marek", "pin": "9999"}}
    check(
        cancel, "post", api.post("/v1/sales/R-1/cancel", json={}, headers={"Idempotency-Key": "c0"})
    )
    check(
        cancel,
        "post",
        api.post("/v1/sales/R-1/cancel", json=manager, headers={"Idempotency-Key": "c"}),
    )
    check(
        cancel,
        "post",
        api.post("/v1/sales/R-1/cancel", json=manager, headers={"Idempotency-Key": "c"}),
    )
    for bad in (
        api.post("/v1/calculate", content=b"{"),
        api.post("/v1/calculate", json={"lines": [{"sku": "COFFEE", "qty": 0}]}),
        api.post("/v1/calculate", json=basket, headers={"Authorization": "Bearer x"}),
        api.post("/v1/calculate", json=basket, params={"debug": "1"}),
        api.post("/v1/calculate", content=b"x" * (2 << 20)),
        api.post("/v1/sales", json=basket | {"receipt_id": "R-2"}, headers=key),
        api.post(
            "/v1/sales", json=basket | {"receipt_id": "R-1"}, headers={"Idempotency-Key": "k2"}
        ),
        api.post("/v1/sales/R-9/cancel", json={}, headers={"Idempotency-Key": "c9"}),
        api.post("/v1/sales/R-1/returns", json=ret, headers={"Idempotency-Key": "r2"}),
        api.get("/v1/sales/R-1/loyalty-block", params={"width": 500}),
        api.get("/v1/sales/R-9/loyalty-block"),
    ):
        assert 400 <= bad.status_code < 500
        Draft202012Validator(SPEC["components"]["schemas"]["Error"]).validate(bad.json())
