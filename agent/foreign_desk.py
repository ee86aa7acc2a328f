"""The desk's side of returns at any till of the chain: a receipt of another till is
asked of HQ (:class:`~agent.foreign.SaleSource`, wired in by the composition root),
and offline HQ's policy says what happens (``OfflinePolicy.foreign_returns_offline``):
the receipt is refused, or a manager gives the money back without any points move."""

from __future__ import annotations

from typing import Protocol

from agent.clock import Clock, IdFactory
from agent.errors import DocumentRefused, HqProtocolError, HqUnreachable
from agent.event_parts import ReturnLine
from agent.events import Return
from agent.foreign import ForeignSale, Held, SaleSource, returned_before
from agent.notice import CommittedSale, Notice, refused
from agent.store import Store
from agent.store.entries import NewSale

FOREIGN_OFFLINE = "foreign_offline"  # the flag of a return a manager let be, HQ unreached


class Till(Protocol):
    store: Store
    clock: Clock
    ids: IdFactory
    terminal_id: str
    cashier: str | None


class ForeignReturns:
    """Receipts of other tills at one till: HQ's copies, kept for the return under way."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.source: SaleSource | None = None  # None: a till without HQ (the demo)
        self._found: dict[tuple[str, int], ForeignSale] = {}
        self._asked: set[tuple[str, int]] = set()  # own sales HQ was asked about

    def held(self, terminal: str, seq: int, fresh: bool = False) -> Held | Notice:
        """Sale ``seq`` of till ``terminal`` as HQ holds it, with every return of it made
        (HQ's and this till's not yet uploaded), or why not. Asked of HQ unless kept from
        an earlier question (and not ``fresh``)."""
        code = f"{terminal}:{seq}"
        found = None if fresh else self._found.get((terminal, seq))
        if found is None:
            try:
                found = self.source.sale(terminal, seq) if self.source else None
            except (HqUnreachable, HqProtocolError, DocumentRefused):
                return self.offline(code)
            if self.source is None:
                return self.offline(code)
            if found is None:
                return refused("HQ holds no sale {code} (not sent from its till yet?)", code=code)
            self._found[(terminal, seq)] = found
        returned = returned_before(self.till.store.ledger, found)
        return Held(found.sale, returned, terminal)

    def elsewhere(self, seq: int, fresh: bool = False) -> tuple[Return, ...]:
        """The returns of this till's own sale ``seq`` made at other tills, as HQ holds
        them; none when HQ cannot be asked or holds no such sale yet."""
        key = (self.till.terminal_id, seq)
        found = None if fresh else self._found.get(key)
        if found is None and self.source is not None and (fresh or key not in self._asked):
            self._asked.add(key)  # asked once: not again unless fresh (HQ may be down)
            try:
                found = self.source.sale(*key)
            except (HqUnreachable, HqProtocolError, DocumentRefused):
                return ()
        if found is None:
            return ()
        self._found[key] = found
        return tuple(r for r in found.returns if r.original_terminal_id is not None)

    def offline(self, code: str) -> Notice:
        """Why a receipt of another till cannot be taken back now, as HQ's policy says."""
        if self.manager_may():
            return refused(
                "Receipt {code} is from another till and HQ cannot be reached: a manager "
                "may give the money back, without the points",
                code=code,
            )
        return refused(
            "Receipt {code} is from another till and HQ cannot be reached: "
            "try again when it is back",
            code=code,
        )

    def manager_may(self) -> bool:
        """HQ's policy lets a manager give money back for a receipt HQ cannot give."""
        policy = self.till.store.catalogue.offline_policy()
        return policy.foreign_returns_offline == "manager_money_only"

    def money_only(
        self, code: str, returns: dict[str, int], manager: str
    ) -> CommittedSale | Notice:
        """HQ unreached, a manager gives back the money of ``returns`` (SKU -> units) of
        receipt ``code`` at this till's prices, without any points move; the return is
        flagged for HQ, which checks it against the sale when it arrives."""
        terminal, _, seq = code.partition(":")
        if not self.manager_may():
            return self.offline(code)
        catalogue = self.till.store.catalogue
        lines = []
        currency = ""
        for sku, qty in sorted(returns.items()):
            product = catalogue.product(sku)
            if product is None or qty < 1:
                return refused("{sku}: no such product here to give money back for", sku=sku)
            lines.append(ReturnLine(product.sku, qty, product.price.minor * qty, 0, 0))
            currency = product.price.currency
        if not lines:
            return refused("Choose the lines to return")
        at = self.till.clock.now()
        event_id = self.till.ids.new_id()
        money = sum(ln.money_minor for ln in lines)
        record = Return(
            sale_id=event_id,
            at=at.isoformat(),
            currency=currency,
            original_seq=int(seq),
            original_sale_id=code,  # unknown here: the receipt's code stands for it
            lines=tuple(lines),
            total_minor=-money,
            points_earned=0,
            points_redeemed=0,
            flags=(FOREIGN_OFFLINE,),
            customer=None,
            cashier=self.till.cashier,
            original_terminal_id=terminal,
            approved_by=manager,
        )
        committed = self.till.store.ledger.commit_sale(
            NewSale(
                sale_id=event_id,
                at=at,
                record=record,
                customer_id=None,
                currency=currency,
                total_minor=-money,
                paid_money_minor=-money,
                points_earned=0,
                points_redeemed=0,
                moves=(),
                usage=(),
            ),
            self.till.terminal_id,
        )
        return CommittedSale(committed.seq, event_id, None, None)
