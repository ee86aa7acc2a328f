"""Returns: refunding lines of a sale reverses the points they earned and restores the
points that paid for them, pro rata, with the discounts allocated to them.

Cumulative rounding makes several partial returns of one line add up exactly to a
full return: reversal rounds up (a line's exact share of the sale's points, never
more than the sale earned in all) and restoring rounds down, so buy-earn-spend-return
never profits. The balance may go negative; such a return is flagged for HQ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from agent.event_parts import ReturnLine, SaleLine, SpentLot
from agent.words import Words, say


@dataclass(frozen=True, slots=True)
class RefundQuote:
    lines: tuple[ReturnLine, ...]
    refusals: tuple[Words, ...]

    @property
    def points_reversed(self) -> int:
        return sum(ln.points_reversed for ln in self.lines)

    @property
    def points_restored(self) -> int:
        return sum(ln.points_restored for ln in self.lines)

    @property
    def money_minor(self) -> int:
        return sum(ln.money_minor for ln in self.lines)

    @staticmethod
    def flags(balance_after: int) -> list[str]:
        """Return what HQ must look at after this return."""
        return ["negative_balance"] if balance_after < 0 else []


def _share(total: int, done: int, now: int, of: int, up: bool) -> int:
    """The part of ``total`` for units done+1 .. done+now out of ``of``, cumulatively rounded."""

    def upto(k: int) -> int:
        return -(-total * k // of) if up else total * k // of

    return upto(done + now) - upto(done)


def refund(
    sale_lines: Sequence[SaleLine],
    returns: Mapping[str, int],
    already_returned: Mapping[str, int] | None = None,
) -> RefundQuote:
    """Price the return of ``returns`` (line key -> units: the SKU, ``BEANS/750g`` for a
    scale label's line) of a sale whose journal lines are given."""
    before = already_returned or {}
    by_sku = {ln.key: ln for ln in sale_lines}
    # Each line takes back its share of the sale's points rounded up, and all the
    # returns of a sale together never more than it earned: counted cumulatively.
    earned = sum(ln.points_earned for ln in sale_lines)
    back = sum(
        _share(ln.points_back, 0, int(before.get(ln.key, 0)), ln.qty, up=True)
        for ln in sale_lines
        if ln.qty
    )
    out: list[ReturnLine] = []
    refusals: list[Words] = []
    for sku, qty in sorted(returns.items()):
        line = by_sku.get(sku)
        if line is None:
            refusals.append(say("{sku} was not in this sale", sku=sku))
            continue
        bought, done = line.qty, int(before.get(sku, 0))
        if qty <= 0 or done + qty > bought:
            refusals.append(
                say(
                    "{sku}: {left} of {bought} can still be returned",
                    sku=sku,
                    left=bought - done,
                    bought=bought,
                )
            )
            continue
        more = _share(line.points_back, done, qty, bought, up=True)
        reversed_ = min(earned, back + more) - min(earned, back)
        back += more
        out.append(
            ReturnLine(
                sku,
                qty,
                money_minor=_share(line.money_minor, done, qty, bought, up=False),
                points_reversed=reversed_,
                points_restored=_share(line.points_paid, done, qty, bought, up=False),
            )
        )
    return RefundQuote(tuple(out), tuple(refusals))


def lots_given_back(spent: Sequence[SpentLot], before: int, now: int) -> tuple[SpentLot, ...]:
    """The lots ``now`` restored points go back to, of a sale that spent ``spent`` (oldest
    first) and whose earlier returns gave back ``before``: the last spent come back first,
    each with its own expiry (a lot expired meanwhile is not revived)."""
    out: list[SpentLot] = []
    skip, left = before, now
    for lot in reversed(spent):
        passed = min(skip, lot.points)
        skip -= passed
        take = min(left, lot.points - passed)
        if take:
            out.append(SpentLot(take, lot.expires_at))
        left -= take
    if left:  # a sale recorded before its lots were (or a reward's points beyond them)
        out.append(SpentLot(left, None))
    return tuple(out)


def units_returned(
    lines: Iterable[ReturnLine], into: Mapping[str, int] | None = None
) -> dict[str, int]:
    """The units of each line key of a sale that the returns' ``lines`` bring back,
    added to ``into``."""
    units = dict(into or {})
    for ln in lines:
        units[ln.sku] = units.get(ln.sku, 0) + ln.qty
    return units
