"""The reference HQ: an ASGI app (Starlette) over :class:`HqStore`, served by uvicorn.

Tests break it from outside (a proxy that answers 500, loses replies or kills HQ
after it committed: tests/sync/faultproxy.py); nothing here knows about faults.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.errors import BadBatch, StoreBusy, StoreFull, StoreUnavailable
from agent.signing import sign
from sync.hq.auth import Throttle
from sync.hq.expiry import DEFAULT_EVERY_S, scheduled
from sync.hq.ingest import ingest
from sync.hq.intake import Refused, read_batch
from sync.hq.lookup import customer_by_card as lookup_card
from sync.hq.sales import sale_doc
from sync.hq.seed import seed_demo
from sync.hq.snapshot import page_refusal, snapshot_page
from sync.hq.store import WRITE_WAIT_S, HqStore
from sync.wire import MAX_KEY_CHARS, MAX_REQUEST_BYTES, MAX_SEQ, PARTS, PageKey

OPENAPI_PATH = Path(__file__).parent.parent / "openapi.json"  # the protocol, for other HQs
SNAPSHOT_LIFETIME_S = 24 * 3600  # a terminal refuses a snapshot older than this
MAX_CARD = 32  # the longest card number a lookup takes
RETRY_AFTER_S = 1  # a terminal told HQ is busy sends again after this


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


async def _capped_body(request: Request, cap: int) -> bytes | None:
    """The request's body, or None as soon as it is known to be longer than ``cap`` bytes
    (its Content-Length says so, or the bytes arriving pass it): never more is read."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _busy(request: Request, exc: Exception) -> Response:
    """HQ's database stayed locked longer than HQ waits: try again shortly."""
    return JSONResponse(
        {"error": f"HQ is busy, try again in {RETRY_AFTER_S} s"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _unavailable(request: Request, exc: Exception) -> Response:
    """HQ's database cannot be reached or written (gone, I/O error, disk full): a 503 too,
    so a terminal keeps its events and sends them again, never a 500."""
    return JSONResponse(
        {"error": f"HQ's database cannot be reached, try again in {RETRY_AFTER_S} s"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _unknown_query(request: Request, *known: str) -> JSONResponse | None:
    """400 naming a query parameter the protocol does not have, or one holding a NUL
    character; or None."""
    for name, value in request.query_params.multi_items():
        where = f"query.{name}"
        why = "no such parameter" if name not in known else None
        if why is None and "\x00" in value:  # no value of HQ's holds one (PostgreSQL's)
            why = "holds a NUL character"
        if why is not None:
            return JSONResponse({"error": f"{where}: {why}", "field": where}, status_code=400)
    return None


def _whole_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name, "0")
    if not (text.isascii() and text.isdigit()) or len(text) > 16 or int(text) > MAX_SEQ:
        return None
    return int(text)


def _page_key(request: Request) -> PageKey | str | None:
    """The page a snapshot request asks for (None: the first of a new pass), or the
    refusal naming the parameter."""
    q = request.query_params
    given = [n for n in ("upto", "part", "after_rev", "after") if n in q]
    if not given:
        return None
    if len(given) < 4:
        missing = next(n for n in ("upto", "part", "after_rev", "after") if n not in q)
        return f"query.{missing}: a page is upto, part, after_rev and after together"
    upto, after_rev = _whole_param(request, "upto"), _whole_param(request, "after_rev")
    if upto is None or after_rev is None or after_rev > upto:
        return f"query.after_rev: whole numbers 0-{MAX_SEQ}, after_rev at most upto"
    if q["part"] not in PARTS:
        return f"query.part: one of {', '.join(PARTS)}"
    if len(q["after"]) > MAX_KEY_CHARS:
        return f"query.after: at most {MAX_KEY_CHARS} characters"
    return PageKey(upto, q["part"], after_rev, q["after"])


def create_app(
    store: HqStore,
    private_key: bytes,
    now: Callable[[], datetime] | None = None,
    expire_every_s: float | None = None,
    max_request_bytes: int = MAX_REQUEST_BYTES,
) -> Starlette:
    """HQ's routes over ``store``; with ``expire_every_s``, the expiry run on that schedule
    while the app runs (by ``now``, HQ's clock); an upload longer than
    ``max_request_bytes`` is 413."""
    clock = now or (lambda: datetime.now(UTC))
    throttle = Throttle()

    async def openapi(request: Request) -> Response:
        return Response(OPENAPI_PATH.read_bytes(), media_type="application/json")

    async def admitted(request: Request, tid: str, *known: str) -> JSONResponse | None:
        """None for a request of terminal ``tid`` with its credential and no query
        parameter but ``known``; else the refusal (401/429, or 400 naming it)."""
        refusal = await run_in_threadpool(_auth, store, throttle, request, tid)
        return refusal or _unknown_query(request, *known)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "hq_time": clock().isoformat()})

    async def events(request: Request) -> JSONResponse:
        tid = request.path_params["terminal_id"]
        if (refusal := await admitted(request, tid)) is not None:
            return refusal
        raw = await _capped_body(request, max_request_bytes)
        if raw is None:
            return _error(413, f"an upload is at most {max_request_bytes} bytes")
        checked = await run_in_threadpool(read_batch, raw)  # parsing 8 MiB takes a while
        if isinstance(checked, Refused):
            return JSONResponse(checked.to_doc(), status_code=checked.status)
        try:
            result = await run_in_threadpool(ingest, store, tid, checked, clock().isoformat())
        except BadBatch as exc:
            return _error(409, str(exc))
        return JSONResponse(
            {
                "acked_through": result.acked_through,
                "expected_seq": result.acked_through + 1,
                "results": [r.to_doc() for r in result.results],
                "refresh": result.refresh,
                "hq_time": clock().isoformat(),
            }
        )

    async def snapshot(request: Request) -> JSONResponse:
        tid = request.path_params["terminal_id"]
        known = ("cursor", "ruleset_version", "upto", "part", "after_rev", "after")
        if (refusal := await admitted(request, tid, *known)) is not None:
            return refusal
        cursor = _whole_param(request, "cursor")
        version = _whole_param(request, "ruleset_version")
        if cursor is None or version is None:
            return _error(400, f"cursor and ruleset_version must be whole numbers 0-{MAX_SEQ}")
        page = _page_key(request)
        if page is not None and not isinstance(page, str):
            page = await run_in_threadpool(page_refusal, store, cursor, page) or page
        if isinstance(page, str):
            where = page.partition(":")[0]
            return JSONResponse({"error": page, "field": where}, status_code=400)
        snap = await run_in_threadpool(snapshot_page, store, tid, cursor, version, page, clock())
        issued = clock()
        doc = dict(
            snap,
            terminal_id=tid,
            hq_time=issued.isoformat(),
            issued_at=issued.isoformat(),
            expires_at=(issued + timedelta(seconds=SNAPSHOT_LIFETIME_S)).isoformat(),
        )
        return JSONResponse(sign(doc, private_key).to_wire())

    async def by_card(request: Request) -> JSONResponse:
        """A customer this terminal does not hold, looked up by card (issue 15): signed,
        as a snapshot's customer; 404 when no customer holds the card."""
        tid, card = request.path_params["terminal_id"], request.path_params["card"]
        if (refusal := await admitted(request, tid)) is not None:
            return refusal
        if not (card.isascii() and card.isalnum() and len(card) <= MAX_CARD):
            return _error(400, f"a card number is 1-{MAX_CARD} letters and digits")
        found = await run_in_threadpool(lookup_card, store, tid, card, clock())
        if found is None:
            return _error(404, f"no customer holds card {card}")
        issued = clock()
        doc = {"customer": found, "terminal_id": tid, "hq_time": issued.isoformat()}
        return JSONResponse(sign(doc, private_key).to_wire())

    async def sale(request: Request) -> JSONResponse:
        """A sale of any till, with its returns from every till: for a return elsewhere;
        signed for the asking till."""
        tid = request.path_params["terminal_id"]
        if (refusal := await admitted(request, tid)) is not None:
            return refusal
        text = request.path_params["seq"]
        if not (text.isascii() and text.isdigit()) or len(text) > 16 or int(text) > MAX_SEQ:
            return _error(400, f"seq must be a whole number 1-{MAX_SEQ}")
        till = request.path_params["sale_terminal_id"]
        if "\x00" in till:  # no terminal's id (PostgreSQL keeps no NUL in a text)
            return _error(404, f"HQ holds no sale {text} of terminal {till!r}")
        doc = await run_in_threadpool(sale_doc, store, till, int(text))
        if doc is None:
            return _error(404, f"HQ holds no sale {text} of terminal {till}")
        # Signed, as every answer a till acts on (money and points go back on it), and
        # for the asking till alone: a copy for another till is refused there.
        issued = clock().isoformat()
        return JSONResponse(
            sign(dict(doc, for_terminal=tid, hq_time=issued), private_key).to_wire()
        )

    return Starlette(
        routes=[
            Route("/v1/health", health),
            Route("/v1/openapi.json", openapi),
            Route("/v1/terminals/{terminal_id}/events", events, methods=["POST"]),
            Route("/v1/terminals/{terminal_id}/snapshot", snapshot),
            Route("/v1/terminals/{terminal_id}/customers/by-card/{card}", by_card),
            Route("/v1/terminals/{terminal_id}/sales/{sale_terminal_id}/{seq}", sale),
        ],
        lifespan=scheduled(store, expire_every_s, clock),
        exception_handlers={
            StoreBusy: _busy,
            StoreUnavailable: _unavailable,
            StoreFull: _unavailable,
        },
    )


def serve(
    db_path: str,
    host: str,
    port: int,
    demo: bool,
    fixed_time: datetime | None = None,
    expire_every_s: float = DEFAULT_EVERY_S,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    write_wait_s: float = WRITE_WAIT_S,
) -> None:
    """Run the reference HQ on ``db_path`` (a file or a PostgreSQL URL) until interrupted;
    ``fixed_time`` pins its clock (tests, training);
    points expire every ``expire_every_s`` seconds."""
    import uvicorn

    store = HqStore(db_path, write_wait_s=write_wait_s)
    if demo:
        seed_demo(store)
    uvicorn.run(
        create_app(
            store,
            store.signing_key(),
            (lambda: fixed_time) if fixed_time else None,
            expire_every_s,
            max_request_bytes,
        ),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )
