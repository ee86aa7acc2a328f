"""A small Python client of the agent API (httpx): what a POS written in Python calls,
and what the tests and `kassa bench` drive a real `kassa agent` with.

Every call returns the reply's status and JSON document; the documents are those of
``ui/api/openapi.json``. A transport error (the agent down, slower than ``timeout_s``)
raises :class:`AgentUnreachable`: the POS then sells without loyalty and retries a
commit later with the same key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from agent.errors import KassaError

DEFAULT_TIMEOUT_S = 5.0  # what one vendor's contract allows at most


class AgentUnreachable(KassaError):
    """The agent did not answer (down, or slower than the client's timeout)."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    doc: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def new_key() -> str:
    """A fresh Idempotency-Key: keep it with the sale until the agent has answered."""
    return uuid.uuid4().hex


class AgentClient:
    """One POS's connection to the agent: on 127.0.0.1:PORT (``url``) or the Unix socket
    (``socket``), with the POS's token."""

    def __init__(
        self,
        token: str,
        url: str = "http://127.0.0.1:8710",
        socket: str | Path | None = None,
        timeout_s: float | httpx.Timeout = DEFAULT_TIMEOUT_S,  # or httpx's, phase by phase
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if socket is not None and transport is None:
            transport = httpx.HTTPTransport(uds=str(socket))
            url = "http://agent"
        self._http = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kw: Any) -> Reply:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise AgentUnreachable(f"{path}: {exc}") from None
        try:
            doc = r.json()
        except ValueError:
            doc = {"error": r.text}
        return Reply(r.status_code, doc if isinstance(doc, dict) else {"reply": doc})

    def health(self) -> Reply:
        return self._call("GET", "/v1/health")

    def status(self) -> Reply:
        return self._call("GET", "/v1/status")

    def identify(self, lang: str | None = None, **who: str | bool) -> Reply:
        """``card=...`` (``typed=True`` if keyed in), ``token=...`` or ``phone=...``."""
        return self._call("POST", "/v1/identify", json=_with_lang(dict(who), lang))

    def calculate(self, basket: dict[str, Any], lang: str | None = None) -> Reply:
        return self._call("POST", "/v1/calculate", json=_with_lang(basket, lang))

    def commit(
        self,
        basket: dict[str, Any],
        receipt_id: str,
        key: str,
        tenders: list[dict[str, Any]] | None = None,
    ) -> Reply:
        body = dict(basket, receipt_id=receipt_id, tenders=tenders or [])
        return self._call("POST", "/v1/sales", json=body, headers={"Idempotency-Key": key})

    def cancel(
        self,
        receipt_id: str,
        key: str,
        manager: tuple[str, str] | None = None,
        reason: str | None = None,
    ) -> Reply:
        body: dict[str, Any] = {}
        if manager is not None:
            body["manager"] = {"id": manager[0], "pin": manager[1]}
        if reason:
            body["reason"] = reason
        return self._call(
            "POST", f"/v1/sales/{receipt_id}/cancel", json=body, headers={"Idempotency-Key": key}
        )

    def give_back(self, receipt_id: str, return_id: str, lines: dict[str, int], key: str) -> Reply:
        body = {"return_id": return_id, "lines": [{"sku": s, "qty": n} for s, n in lines.items()]}
        return self._call(
            "POST", f"/v1/sales/{receipt_id}/returns", json=body, headers={"Idempotency-Key": key}
        )

    def loyalty_block(
        self, receipt_id: str, lang: str | None = None, width: int | None = None, of: str = "sales"
    ) -> Reply:
        """The block to print on the fiscal receipt of a sale (``of="returns"``: a return)."""
        params: dict[str, Any] = {}
        if lang:
            params["lang"] = lang
        if width:
            params["width"] = width
        return self._call("GET", f"/v1/{of}/{receipt_id}/loyalty-block", params=params)

    def scans(self, max_events: int, timeout_s: int) -> Iterator[dict[str, Any]]:
        """The scans of kassa's own scanner and camera, as they come (server-sent events),
        until ``max_events`` or ``timeout_s``."""
        params = {"max_events": max_events, "timeout_s": timeout_s}
        timeout = httpx.Timeout(self._http.timeout.connect, read=timeout_s + 20)
        with self._http.stream("GET", "/v1/scans", params=params, timeout=timeout) as r:
            kind = ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line.partition(":")[2].strip()
                elif line.startswith("data:") and kind == "scan":
                    yield json.loads(line.partition(":")[2])


def _with_lang(doc: dict[str, Any], lang: str | None) -> dict[str, Any]:
    return dict(doc, lang=lang) if lang else doc
