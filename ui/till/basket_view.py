"""The basket as the checkout screen lists it, and the row the cashier has selected.

The rows are the sale's lines, then the codes entered and the points payment: each
can be selected with the arrows and removed (Del) without voiding the sale; a line's
quantity can be set (Ctrl+E). Pure functions of the session's state and a language's
``Texts``; the selection is the screen's, the sale stays the session's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rich.text import Text

from agent.i18n import Texts
from agent.money import Money
from agent.pricing.result import Quote
from agent.session import CheckoutSession
from ui.till.panels import totals_text


class RowKind(enum.Enum):
    LINE = "line"
    CODE = "code"
    POINTS = "points"


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    key: str  # the line's key, the code as entered, or "" for the points payment
    cells: tuple[str, str, str, str]  # SKU or code, item, quantity, amount


def basket_rows(session: CheckoutSession, q: Quote, t: Texts) -> list[Row]:
    """The rows of the basket table: lines, codes, points payment (in that order)."""
    rows = [
        Row(
            RowKind.LINE,
            ql.line.key,
            (ql.line.key, ql.line.name, str(ql.line.qty), t.money(ql.line.amount)),
        )
        for ql in q.lines
    ]
    rules = session.ruleset.codes() if session.ruleset is not None else {}
    for code in sorted(session.codes):
        rule = rules.get(code)
        rule_id = rule.id if rule is not None else code
        off = sum(d.amount_minor for d in q.discounts if d.rule == rule_id)
        earned = sum(a.points for a in q.awards if a.rule == rule_id)
        amount = f"-{t.money(Money(off, q.currency))}" if off else ""
        if earned and not off:
            amount = f"+{earned}"
        rows.append(Row(RowKind.CODE, code, (code, t("Code"), "", amount)))
    if q.points_redeemed:
        paid = f"-{t.money(q.points_value)}"
        cells = ("", t("Paid with points"), str(q.points_redeemed), paid)
        rows.append(Row(RowKind.POINTS, "", cells))
    return rows


class Selection:
    """The selected row: it follows the line the cashier changed last (a scan, an edit),
    moves with the arrows, and falls on a neighbour when its row goes away."""

    def __init__(self) -> None:
        self.current: tuple[RowKind, str] | None = None
        self.index = 0
        self._followed: str | None = None

    def place(self, rows: list[Row], last_sku: str | None) -> int | None:
        """Return the index of the selected row among ``rows`` (None: no rows)."""
        if last_sku != self._followed:
            self._followed = last_sku
            if last_sku is not None:
                self.current = (RowKind.LINE, last_sku)
        ids = [(r.kind, r.key) for r in rows]
        if not ids:
            self.current, self.index = None, 0
            return None
        if self.current in ids:
            self.index = ids.index(self.current)
        else:
            self.index = min(self.index, len(ids) - 1)
            self.current = ids[self.index]
        return self.index

    def move(self, rows: list[Row], step: int) -> int | None:
        """Select the row ``step`` away (stopping at the first and the last)."""
        if not rows:
            return None
        self.index = max(0, min(len(rows) - 1, self.index + step))
        self.current = (rows[self.index].kind, rows[self.index].key)
        return self.index

    def row(self, rows: list[Row]) -> Row | None:
        """The selected row of ``rows``, or None."""
        return next((r for r in rows if (r.kind, r.key) == self.current), None)


def totals_lines(q: Quote, identified: bool, t: Texts) -> Text:
    """The totals panel: the total and what is due first, in bold, on a line of its own
    (a long list of discounts below can be cut by a small screen, the total never is)."""
    total = t("Total {total}   To pay {to_pay}", total=t.money(q.total), to_pay=t.money(q.to_pay))
    rest = [ln for ln in totals_text(q, identified, t).split("\n") if ln != total]
    return Text.assemble((total, "bold"), *(("\n" + ln) for ln in rest))
