"""The terminal's HQ client over httpx. Library errors become kassa's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from agent.errors import DocumentRefused, HqBusy, HqProtocolError, HqUnreachable, PageRefused
from agent.foreign import FOREIGN_TIMEOUT_S, ForeignSale
from agent.model import Customer
from agent.signing import verify
from sync.wire import (
    Ack,
    PageKey,
    Snapshot,
    parse_ack,
    parse_customer,
    parse_foreign_sale,
    parse_snapshot,
)

LOOKUP_TIMEOUT_S = 1.0  # a card asked of HQ at the till: a sale never waits longer


def read_public_key(source: str) -> str:
    """A public key given as hex, or as the path of a .pub file; returns hex."""
    text = source.strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    return Path(text).read_text(encoding="ascii").strip()


def _retry_after_s(value: str | None) -> float:
    """Seconds a 503's Retry-After asks to wait (1 when it gives none, or a date)."""
    text = (value or "").strip()
    return float(int(text)) if text.isascii() and text.isdigit() and len(text) < 6 else 1.0


class HqClient:
    def __init__(
        self,
        base_url: str,
        terminal_id: str,
        secret: str,
        hq_public_key: str,
        *,
        timeout_s: float = 5.0,
        lookup_timeout_s: float = LOOKUP_TIMEOUT_S,
        foreign_timeout_s: float = FOREIGN_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.terminal_id = terminal_id
        self.hq_public_key = hq_public_key
        self.lookup_timeout_s = lookup_timeout_s  # a card the till does not hold
        self.foreign_timeout_s = foreign_timeout_s  # a sale HQ holds (a return's)
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            transport=transport,
            headers={"Authorization": f"Bearer {terminal_id}:{secret}"},
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        missing_ok: bool = False,
        refused: type[HqProtocolError] = HqProtocolError,
        **kwargs: Any,
    ) -> object:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise HqUnreachable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 503:
            raise HqBusy("HQ answered 503", _retry_after_s(response.headers.get("retry-after")))
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 500:
            raise HqUnreachable(f"HQ answered {response.status_code}")
        try:
            doc = response.json()
        except (ValueError, RecursionError):  # RecursionError: nested deeper than JSON goes
            raise HqProtocolError(
                f"HQ answered {response.status_code} with a body that is not JSON"
            ) from None
        if response.status_code != 200:
            message = doc.get("error") if isinstance(doc, dict) else None
            error = refused if response.status_code == 400 else HqProtocolError
            raise error(f"HQ refused ({response.status_code}): {message or doc!r}")
        return doc

    def upload(self, events: list[dict[str, Any]]) -> Ack:
        """Send events in seq order; return HQ's acknowledgement."""
        doc = self._call(
            "POST", f"/v1/terminals/{self.terminal_id}/events", json={"events": events}
        )
        return parse_ack(doc)

    def snapshot(self, cursor: int, ruleset_version: int, page: PageKey | None = None) -> Snapshot:
        """Fetch a page of what changed at HQ since ``cursor`` (the first of a pass, or
        ``page``); its signature is verified first.

        Raises DocumentRefused (unsigned, altered, not from this HQ), PageRefused (HQ
        has no such page), HqProtocolError (it does not parse) or HqUnreachable.
        """
        params: dict[str, str | int] = {"cursor": cursor, "ruleset_version": ruleset_version}
        wire = self._call(
            "GET",
            f"/v1/terminals/{self.terminal_id}/snapshot",
            refused=PageRefused if page else HqProtocolError,
            params=params | (page.params() if page else {}),
        )
        return parse_snapshot(verify(wire, self.hq_public_key))

    def customer_by_card(self, card: str) -> Customer | None:
        """The customer HQ says holds ``card`` (signed, for this terminal), or None when
        none does; asked with the short lookup timeout. Raises HqUnreachable (also on the
        timeout), HqProtocolError or DocumentRefused."""
        wire = self._call(
            "GET",
            f"/v1/terminals/{self.terminal_id}/customers/by-card/{card}",
            missing_ok=True,
            timeout=self.lookup_timeout_s,
        )
        if wire is None:
            return None
        doc = verify(wire, self.hq_public_key)
        if doc.get("terminal_id") != self.terminal_id:
            raise DocumentRefused(f"a lookup for terminal {doc.get('terminal_id')!r}")
        customer = parse_customer(doc.get("customer"))
        if customer.card != card:
            raise HqProtocolError(f"asked for card {card}, HQ answered card {customer.card}")
        return customer

    def sale(self, terminal_id: str, seq: int) -> ForeignSale | None:
        """Sale ``seq`` of till ``terminal_id`` and its returns from every till, as HQ holds
        them (None: HQ holds no such sale); asked with ``foreign_timeout_s`` (a cashier's
        wait, or a POS's through the agent: shorter).

        Raises HqUnreachable, DocumentRefused (unsigned, altered, not from this HQ or
        not for this till), or HqProtocolError for an answer that does not read."""
        wire = self._call(
            "GET",
            f"/v1/terminals/{self.terminal_id}/sales/{terminal_id}/{seq}",
            missing_ok=True,
            timeout=self.foreign_timeout_s,
        )
        if wire is None:
            return None
        doc = verify(wire, self.hq_public_key)
        if doc.get("for_terminal") != self.terminal_id:
            raise DocumentRefused(f"a sale's copy for terminal {doc.get('for_terminal')!r}")
        return parse_foreign_sale(doc, terminal_id, seq)


class CardLookupAtHq:
    """The till's :class:`agent.card_only.CardLookup` over the HQ client: HQ unreachable,
    busy, slower than the lookup timeout or answering what kassa refuses is no customer
    (the sale goes on for the card alone)."""

    def __init__(self, client: HqClient) -> None:
        self.client = client

    def customer_by_card(self, card: str) -> Customer | None:
        try:
            return self.client.customer_by_card(card)
        except (HqUnreachable, HqProtocolError, DocumentRefused):
            return None
