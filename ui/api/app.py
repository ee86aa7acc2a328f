"""The agent API's routes (Starlette): each POS authenticated by its own token, every
body read by :mod:`ui.api.shapes`, every call done by :mod:`ui.api.checkout`.

Bad input is a 4xx naming the field (``{"error": "body.lines[2].qty: ...", "field":
"body.lines[2].qty"}``), never a 5xx; a store that cannot be written now is 503 with
Retry-After, so the POS sells without loyalty and retries its commit with the same key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from agent.errors import (
    StoreBusy,
    StoreCorrupted,
    StoreFull,
    StoreRefused,
    StoreUnavailable,
)
from agent.i18n import LANGUAGES
from sync.worker import SyncState, SyncStatus
from ui.api import returns, shapes
from ui.api.checkout import AgentCheckout, body_hash
from ui.api.replies import when
from ui.api.scans import ScanHub, event
from ui.api.shapes import KEY, BadRequest

OPENAPI_PATH = Path(__file__).with_name("openapi.json")
RETRY_AFTER_S = 1
MAX_STREAM_S = 3600.0
log = logging.getLogger("kassa.agent")


def _error(
    status: int, message: str, where: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": f"{where}: {message}", "field": where}, status, headers)


def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return JSONResponse(exc.to_doc(), exc.status)


def _store_down(request: Request, exc: Exception) -> Response:
    """The till's store cannot be written now (locked past its wait, disk full, gone)."""
    log.warning("store: %s", exc)
    return _error(
        503,
        f"the till's store cannot serve now, try again in {RETRY_AFTER_S} s",
        "store",
        {"Retry-After": str(RETRY_AFTER_S)},
    )


def _store_refused(request: Request, exc: Exception) -> Response:
    """The till's store refused the write (a constraint): nothing of it was written."""
    log.warning("store refused: %s", exc)
    return _error(409, "the till's store refused the write; nothing was written", "store")


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, str(exc.detail), "path")


def create_app(
    checkout: AgentCheckout,
    pos_of: Callable[[str], str | None],
    sync_status: Callable[[], SyncStatus] | None = None,
    hub: ScanHub | None = None,
) -> Starlette:
    """The routes over ``checkout``; ``pos_of`` names the POS a token is (None: no POS's)."""
    hub = hub or ScanHub()
    default_lang = checkout.till.language

    def who(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        pos = pos_of(token.strip()) if scheme.lower() == "bearer" else None
        if pos is None:
            raise BadRequest("header.Authorization", "a POS's token: Bearer <token>", 401)
        return pos

    def query(request: Request, *known: str) -> None:
        for name in request.query_params:
            if name not in known:
                raise BadRequest(f"query.{name}", "no such parameter", 400)

    async def body(request: Request) -> dict[str, Any]:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > shapes.MAX_BODY_BYTES:
            raise BadRequest("body", f"at most {shapes.MAX_BODY_BYTES} bytes", 413)
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > shapes.MAX_BODY_BYTES:
                raise BadRequest("body", f"at most {shapes.MAX_BODY_BYTES} bytes", 413)
        return shapes.parse_json(bytes(raw))

    def key_of(request: Request) -> str:
        key = request.headers.get("idempotency-key")
        if key is None:
            raise BadRequest("header.Idempotency-Key", "is missing: every write carries one", 400)
        if not KEY.fullmatch(key):
            raise BadRequest("header.Idempotency-Key", "1 to 128 printable ASCII characters", 400)
        return key

    def lang_of(doc: dict[str, Any], request: Request) -> str:
        return shapes.language(doc, request.headers.get("accept-language"), default_lang)

    async def health(request: Request) -> JSONResponse:
        query(request)
        return JSONResponse({"status": "ok", "terminal_id": checkout.till.terminal_id})

    async def openapi(request: Request) -> Response:
        return Response(OPENAPI_PATH.read_bytes(), media_type="application/json")

    async def status(request: Request) -> JSONResponse:
        who(request)
        query(request)
        return JSONResponse(await run_in_threadpool(_status, checkout, sync_status))

    async def identify(request: Request) -> JSONResponse:
        who(request)
        query(request)
        doc = await body(request)
        ask, lang = shapes.identify(doc), lang_of(doc, request)
        return JSONResponse(await run_in_threadpool(checkout.identify, ask, lang))

    async def calculate(request: Request) -> JSONResponse:
        who(request)
        query(request)
        doc = await body(request)
        ask, lang = shapes.basket(doc), lang_of(doc, request)
        return JSONResponse(await run_in_threadpool(checkout.calculate, ask, lang))

    async def commit(request: Request) -> JSONResponse:
        pos = who(request)
        query(request)
        key, doc = key_of(request), await body(request)
        ask, lang = shapes.commit(doc), lang_of(doc, request)
        digest = _digest(doc)
        code, reply = await run_in_threadpool(checkout.commit, pos, key, digest, ask, lang)
        log.info(
            "%s: sale %s (%s), key %s",
            pos,
            reply["sale"]["number"],
            ask.receipt_id,
            "again" if reply["replayed"] else "new",
        )
        return JSONResponse(reply, code)

    async def cancel(request: Request) -> JSONResponse:
        pos = who(request)
        query(request)
        key, doc = key_of(request), await body(request)
        receipt = shapes.receipt_id(request.path_params["receipt_id"], "path.receipt_id")
        ask, lang = shapes.cancel(doc), lang_of(doc, request)
        code, reply = await run_in_threadpool(
            returns.cancel, checkout, pos, key, _digest(doc, receipt), receipt, ask, lang
        )
        log.info("%s: cancel of %s as %s", pos, receipt, reply["return"]["number"])
        return JSONResponse(reply, code)

    async def give_back(request: Request) -> JSONResponse:
        pos = who(request)
        query(request)
        key, doc = key_of(request), await body(request)
        receipt = shapes.receipt_id(request.path_params["receipt_id"], "path.receipt_id")
        ask, lang = shapes.give_back(doc), lang_of(doc, request)
        code, reply = await run_in_threadpool(
            returns.give_back, checkout, pos, key, _digest(doc, receipt), receipt, ask, lang
        )
        log.info(
            "%s: return %s of %s as %s", pos, ask.return_id, receipt, reply["return"]["number"]
        )
        return JSONResponse(reply, code)

    def block_of(kind: str) -> Callable[[Request], Any]:
        async def block(request: Request) -> JSONResponse:
            pos = who(request)
            query(request, "lang", "width")
            receipt = shapes.receipt_id(request.path_params["receipt_id"], "path.receipt_id")
            lang = request.query_params.get("lang")
            if lang is not None and lang not in LANGUAGES:
                raise BadRequest("query.lang", f"one of {', '.join(LANGUAGES)}", 400)
            width = _width(request.query_params.get("width"))
            reply = await run_in_threadpool(checkout.block, pos, kind, receipt, lang, width)
            return JSONResponse(reply)

        return block

    async def scans(request: Request) -> Response:
        who(request)
        query(request, "max_events", "timeout_s")
        most = _bounded(request, "max_events", 1, 10**6)
        timeout = _bounded(request, "timeout_s", 1, int(MAX_STREAM_S))
        queue = hub.listen()
        return StreamingResponse(
            _stream(hub, queue, most, float(timeout or MAX_STREAM_S)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    return Starlette(
        routes=[
            Route("/v1/health", health),
            Route("/v1/openapi.json", openapi),
            Route("/v1/status", status),
            Route("/v1/identify", identify, methods=["POST"]),
            Route("/v1/calculate", calculate, methods=["POST"]),
            Route("/v1/sales", commit, methods=["POST"]),
            Route("/v1/sales/{receipt_id}/cancel", cancel, methods=["POST"]),
            Route("/v1/sales/{receipt_id}/returns", give_back, methods=["POST"]),
            Route("/v1/sales/{receipt_id}/loyalty-block", block_of("sale")),
            Route("/v1/returns/{receipt_id}/loyalty-block", block_of("return")),
            Route("/v1/scans", scans),
        ],
        exception_handlers={
            BadRequest: _refused,
            HTTPException: _http,
            StoreBusy: _store_down,
            StoreFull: _store_down,
            StoreUnavailable: _store_down,
            StoreCorrupted: _store_down,
            StoreRefused: _store_refused,
        },
    )


def _digest(doc: dict[str, Any], path: str = "") -> str:
    """The hash a key is kept with: the body, and the receipt the path names."""
    return body_hash({"path": path, "body": doc})


def _width(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and 20 <= int(text) <= 80):
        raise BadRequest("query.width", "columns of the paper: a whole number from 20 to 80", 400)
    return int(text)


def _bounded(request: Request, name: str, lo: int, hi: int) -> int | None:
    text = request.query_params.get(name)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit() and lo <= int(text) <= hi):
        raise BadRequest(f"query.{name}", f"a whole number from {lo} to {hi}", 400)
    return int(text)


async def _stream(
    hub: ScanHub, queue: asyncio.Queue[dict[str, Any]], most: int | None, timeout_s: float
) -> AsyncIterator[bytes]:
    """The scans as server-sent events, up to ``most`` of them or for ``timeout_s``; a
    comment every 15 s keeps proxies from closing a quiet stream."""
    sent, deadline = 0, time.monotonic() + timeout_s
    try:
        yield b": kassa scans\n\n"
        while most is None or sent < most:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                doc = await asyncio.wait_for(queue.get(), min(left, 15.0))
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield event("scan", doc)
            sent += 1
    finally:
        hub.leave(queue)


def _status(
    checkout: AgentCheckout, sync_status: Callable[[], SyncStatus] | None
) -> dict[str, Any]:
    """Sync state, sales waiting for HQ, whether HQ answered the last round, the last sync."""
    with checkout.lock:
        store = checkout.till.store
        stats = store.ledger.outbox_stats()
        rs = store.catalogue.ruleset()
        stale = store.catalogue.offline_state(checkout.till.clock.now()).stale
        quarantined = len(store.ledger.quarantined())
    st = sync_status() if sync_status is not None else None
    return {
        "terminal_id": checkout.till.terminal_id,
        "agent_time": checkout.till.clock.now().isoformat(),
        "ruleset_version": rs.version if rs else None,
        "sync": {
            "state": st.state.value if st else "none",
            "hq_reachable": st is not None and st.state is SyncState.ONLINE,
            "last_sync_at": when(st.last_sync_at) if st else None,
            "message": st.message if st else "",
            "pending": stats.pending,
            "oldest_pending_at": when(stats.oldest_at),
            "stale": stale,
        },
        "quarantined": quarantined,
    }
