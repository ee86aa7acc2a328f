"""Returns of a sale made at another till of the chain: the sale is HQ's to give.

The desk asks a :class:`SaleSource` (the terminal's HQ client, wired in by the
composition root) for the sale and the returns of it HQ holds from every till; it adds
this till's own returns of it not uploaded yet. Offline, HQ's policy says what happens
(``OfflinePolicy.foreign_returns_offline``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agent.events import Return, Sale
from agent.refunds import refund, units_returned
from agent.store.ledger import Ledger

FOREIGN_TIMEOUT_S = 2.0  # a cashier waits no longer for HQ's copy of a receipt


@dataclass(frozen=True, slots=True)
class ForeignSale:
    """A sale of ``terminal_id`` as HQ holds it, and every return of it HQ applied."""

    terminal_id: str
    seq: int
    sale: Sale
    returns: tuple[Return, ...]


class SaleSource(Protocol):
    """Where a till finds a sale of another till (HQ)."""

    def sale(self, terminal_id: str, seq: int) -> ForeignSale | None:
        """The sale, or None if HQ holds none; raises HqUnreachable when HQ cannot
        be asked, HqProtocolError when its answer does not read."""
        ...


@dataclass(frozen=True, slots=True)
class Returned:
    """What earlier returns of a sale took back: units per line key, money onto its gift
    card, and the points they gave back."""

    units: dict[str, int]
    to_card_minor: int
    points_restored: int


def returned_before(ledger: Ledger, found: ForeignSale) -> Returned:
    """The returns of ``found`` HQ holds, and this till's own returns of it (uploaded or
    not: each counted once, by its id)."""
    mine = ledger.returns_of(found.terminal_id, found.seq)
    every = {r.sale_id: r for r in (*found.returns, *mine)}
    units = units_returned(ln for r in every.values() for ln in r.lines)
    card = sum(r.gift_card[1] for r in every.values() if r.gift_card)
    return Returned(units, card, refund(found.sale.lines, units).points_restored)


def own_returned(
    ledger: Ledger, seq: int, sale: Sale, elsewhere: tuple[Return, ...] = ()
) -> Returned:
    """What the returns of this till's own sale ``seq`` took back: here, and at other
    tills (``elsewhere``: those HQ holds, when it could be asked)."""
    units = units_returned((ln for r in elsewhere for ln in r.lines), ledger.returned_units(seq))
    card = ledger.gift_card_returned(seq) + sum(r.gift_card[1] for r in elsewhere if r.gift_card)
    return Returned(units, card, refund(sale.lines, units).points_restored)


@dataclass(frozen=True, slots=True)
class Held:
    """A sale to take lines of back: this till's (``terminal_id`` None) or another's."""

    sale: Sale
    returned: Returned
    terminal_id: str | None = None
