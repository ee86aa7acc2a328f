"""The reference HQ: an ASGI app (Starlette) over :class:`HqStore`, served by uvicorn.

Tests break it from outside (a proxy that answers 500, loses replies or kills HQ
after it committed: tests/sync/faultproxy.py); nothing here knows about faults.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.errors import BadBatch
from agent.signing import sign
from sync.hq.auth import Throttle
from sync.hq.ingest import ingest
from sync.hq.keys import load_or_create
from sync.hq.seed import seed_demo
from sync.hq.snapshot import snapshot as build_snapshot
from sync.hq.store import HqStore
from sync.wire import EVENT_FIELDS, MAX_BATCH

OPENAPI_PATH = Path(__file__).parent.parent / "openapi.json"  # the protocol, for other HQs
SNAPSHOT_LIFETIME_S = 24 * 3600  # a terminal refuses a snapshot older than this


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _auth(
    store: HqStore, throttle: Throttle, request: Request, terminal_id: str
) -> JSONResponse | None:
    """None if the request carries this terminal's credential; else the refusal (401, or
    429 while this terminal and address wait after failures: :mod:`sync.hq.auth`)."""
    address = request.client.host if request.client else ""
    wait = throttle.wait_s(terminal_id, address)
    if wait:
        refusal = _error(429, f"too many failed authentications: try again in {wait} s")
        refusal.headers["Retry-After"] = str(wait)
        return refusal
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    tid, _, secret = token.partition(":")
    if scheme.lower() == "bearer" and tid == terminal_id and store.authenticate(tid, secret):
        throttle.succeeded(terminal_id, address)
        return None
    throttle.failed(terminal_id, address)
    return _error(401, "unknown terminal or wrong credential")


def _valid_events(doc: object) -> list[dict[str, Any]] | str:
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        return "body must be an object with an 'events' list"
    events = doc["events"]
    if len(events) > MAX_BATCH:
        return f"at most {MAX_BATCH} events per batch"
    for ev in events:
        if not isinstance(ev, dict):
            return "each event must be an object"
        for name, kind in EVENT_FIELDS.items():
            if not isinstance(ev.get(name), kind) or isinstance(ev.get(name), bool):
                return f"event field {name!r} must be {kind.__name__}"
    seqs = [ev["seq"] for ev in events]
    if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
        return "events must be in increasing seq order"
    return list(events)


def create_app(
    store: HqStore, private_key: bytes, now: Callable[[], datetime] | None = None
) -> Starlette:
    clock = now or (lambda: datetime.now(UTC))
    throttle = Throttle()

    async def openapi(request: Request) -> Response:
        return Response(OPENAPI_PATH.read_bytes(), media_type="application/json")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "hq_time": clock().isoformat()})

    async def events(request: Request) -> JSONResponse:
        tid = request.path_params["terminal_id"]
        if (refusal := await run_in_threadpool(_auth, store, throttle, request, tid)) is not None:
            return refusal
        try:
            doc = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "body is not JSON")
        checked = _valid_events(doc)
        if isinstance(checked, str):
            return _error(400, checked)
        try:
            result = await run_in_threadpool(ingest, store, tid, checked, clock().isoformat())
        except BadBatch as exc:
            return _error(409, str(exc))
        return JSONResponse(
            {
                "acked_through": result.acked_through,
                "expected_seq": result.acked_through + 1,
                "results": [{"seq": r.seq, "status": r.status} for r in result.results],
                "hq_time": clock().isoformat(),
            }
        )

    async def snapshot(request: Request) -> JSONResponse:
        tid = request.path_params["terminal_id"]
        if (refusal := await run_in_threadpool(_auth, store, throttle, request, tid)) is not None:
            return refusal
        try:
            cursor = int(request.query_params.get("cursor", "0"))
            version = int(request.query_params.get("ruleset_version", "0"))
        except ValueError:
            return _error(400, "cursor and ruleset_version must be whole numbers")
        snap = await run_in_threadpool(build_snapshot, store, tid, cursor, version, clock())
        issued = clock()
        doc = dict(
            snap,
            terminal_id=tid,
            hq_time=issued.isoformat(),
            issued_at=issued.isoformat(),
            expires_at=(issued + timedelta(seconds=SNAPSHOT_LIFETIME_S)).isoformat(),
        )
        return JSONResponse(sign(doc, private_key).to_wire())

    return Starlette(
        routes=[
            Route("/v1/health", health),
            Route("/v1/openapi.json", openapi),
            Route("/v1/terminals/{terminal_id}/events", events, methods=["POST"]),
            Route("/v1/terminals/{terminal_id}/snapshot", snapshot),
        ]
    )


def serve(
    db_path: str, host: str, port: int, demo: bool, fixed_time: datetime | None = None
) -> None:
    """Run the reference HQ until interrupted; ``fixed_time`` pins its clock (tests, training)."""
    import uvicorn

    store = HqStore(db_path)
    if demo:
        seed_demo(store)
    uvicorn.run(
        create_app(store, load_or_create(db_path), (lambda: fixed_time) if fixed_time else None),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
