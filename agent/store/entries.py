"""What the store writes and hands out: a sale to commit, its ledger and gift card moves,
the committed row, an event waiting for HQ, and the outbox's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.events import Return, Sale


@dataclass(frozen=True, slots=True)
class LedgerMove:
    customer_id: str
    kind: str  # "earn" | "redeem"
    points: int  # signed: earn > 0, redeem < 0
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GiftCardMove:
    card: str
    amount_minor: int  # signed: a payment is negative, a load positive


@dataclass(frozen=True, slots=True)
class NewSale:
    """Everything :meth:`agent.store.ledger.Ledger.commit_sale` writes, computed beforehand."""

    sale_id: str
    at: datetime
    record: Sale | Return
    customer_id: str | None
    currency: str
    total_minor: int
    paid_money_minor: int
    points_earned: int
    points_redeemed: int
    moves: tuple[LedgerMove, ...]
    usage: tuple[tuple[str, int], ...]
    gift_card_moves: tuple[GiftCardMove, ...] = ()
    # YYYY-MM-DD in the store's time zone: every-Nth-purchase counting (by month) and
    # the offline redemption limit (by day).
    day: str = ""
    # For a return: the sale it returns lines of, and SKU -> units returned.
    original_seq: int | None = None
    returned: tuple[tuple[str, int], ...] = ()
    # False for a sale of gift card loads only: no purchase for the rules that count them.
    purchase: bool = True
    # The money that counts towards the tiers (a return's is negative).
    qualifying_minor: int = 0


@dataclass(frozen=True, slots=True)
class Committed:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class PendingEvent:
    seq: int
    kind: str
    event_id: str
    at: str
    body: str
    prev_hash: str
    hash: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "event_id": self.event_id,
            "at": self.at,
            "body": self.body,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Quarantined:
    """An event HQ holds but did not apply, and HQ's reason."""

    seq: int
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class OutboxStats:
    pending: int
    oldest_at: datetime | None
