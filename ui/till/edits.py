"""The basket keys of the cashier app: select a row, set its quantity, remove it, pay a
typed number of points, search products, check a price, park and recall a sale.

The app (:class:`ui.till.app.CheckoutApp`) holds one :class:`TillEdits` and hands it
itself as the :class:`EditingTill`; the edits themselves are the agent's
(agent.line_edit, agent.parking, agent.price_check, agent.product_search).
"""

from __future__ import annotations

from typing import Any, Protocol

from textual.widgets import DataTable

from agent.i18n import Texts
from agent.line_edit import remove_code, remove_line, remove_points, set_quantity, typed_quantity
from agent.money import Money
from agent.notice import Notice
from agent.parking import park, parked_sales, recall
from agent.price_check import PriceCheck, price_check
from agent.pricing.result import Quote
from agent.product_search import find_products
from agent.session import CheckoutSession
from ui.services import Services
from ui.till.basket_view import Row, RowKind, Selection, basket_rows
from ui.till.pickers import Item, PickScreen
from ui.till.screens import TextScreen
from ui.till.status import on_screen

POINTS_DIGITS = 9  # the most a typed points amount has: a card number is no amount


class EditingTill(Protocol):
    """What the basket keys need of the cashier app."""

    services: Services
    session: CheckoutSession
    t: Texts

    def notify_cashier(self, notice: Notice | str, refused: bool = False) -> None: ...

    def render_sale(self) -> None: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...

    def take_code(self, text: str, qty: int, typed: bool = False) -> None: ...


class TillEdits:
    """The selection in the basket table, and the keys that act on the sale's rows."""

    def __init__(self, till: EditingTill) -> None:
        self.till = till
        self.selection = Selection()
        self.rows: list[Row] = []
        self.checking_prices = False  # price-check mode: codes are priced, not sold

    def show(self, table: DataTable[str], q: Quote) -> None:
        """Fill ``table`` with the basket's rows, the selected one under the cursor."""
        session = self.till.session
        self.rows = basket_rows(session, q, self.till.t)
        table.clear()
        for row in self.rows:
            table.add_row(*row.cells)
        index = self.selection.place(self.rows, session.last_sku)
        if index is not None:
            table.move_cursor(row=index, animate=False)

    def move(self, step: int) -> None:
        if self.selection.move(self.rows, step) is not None:
            self.till.render_sale()

    def selected(self) -> Row | None:
        return self.selection.row(self.rows)

    def _done(self, notice: Notice) -> None:
        self.till.notify_cashier(notice)
        self.till.render_sale()

    def remove(self) -> None:
        """Remove the selected row: a line, a code, or the points payment (no PIN)."""
        row, session = self.selected(), self.till.session
        if row is None:
            self.till.notify_cashier(self.till.t("Nothing selected to remove"), refused=True)
            return
        if row.kind is RowKind.LINE:
            self._done(remove_line(session, row.key))
        elif row.kind is RowKind.CODE:
            self._done(remove_code(session, row.key))
        else:
            self._done(remove_points(session))

    def quantity(self, typed: str) -> bool:
        """Set the selected line's quantity to ``typed`` (the entry's text); with nothing
        typed, ask for it. Returns whether the entry's text was used."""
        row = self.selected()
        if row is None or row.kind is not RowKind.LINE:
            self.till.notify_cashier(self.till.t("Select a line first (Up/Down)"), refused=True)
            return False
        if typed.strip():
            qty = typed_quantity(typed)
            if qty is None:
                self.till.notify_cashier(
                    self.till.t("Type the quantity (0 to 999), then Ctrl+E"), refused=True
                )
                return False
            self._done(set_quantity(self.till.session, row.key, qty))
            return True
        self.till.notify_cashier(self.till.t("Type the quantity (0 to 999), then Ctrl+E"))
        return False

    def pay_points(self, typed: str) -> bool:
        """F2: pay the points typed in the entry, or the most possible with nothing typed.
        Returns whether the entry's text was used."""
        text = typed.strip()
        if not text:
            self._done(self.till.session.pay_with_points(None))
            return False
        if not text.isdigit() or len(text) > POINTS_DIGITS or int(text) == 0:
            self.till.notify_cashier(
                self.till.t("Type the points to pay (or nothing for the most), then F2"),
                refused=True,
            )
            return False
        self._done(self.till.session.pay_with_points(int(text)))
        return True

    # -- search, price check -------------------------------------------------------------
    def search(self, typed: str) -> None:
        """Find products by name or code; the one chosen is added to the sale."""
        t, store = self.till.t, self.till.services.store

        def find(text: str) -> list[Item]:
            return [
                (p.sku, f"{p.sku:<10} {p.name[:40]:<40} {t.money(p.price):>12}")
                for p in find_products(store, text)
            ]

        def chosen(sku: str | None) -> None:
            if sku is not None:
                self.till.take_code(sku, 1)

        title = t("Find a product: type a name or code")
        self.till.push_screen(PickScreen(title, t, find=find, query=typed.strip()), chosen)

    def toggle_price_check(self) -> bool:
        """Start or end price-check mode; returns whether prices are checked now."""
        self.checking_prices = not self.checking_prices
        t = self.till.t
        if self.checking_prices:
            self.till.notify_cashier(t("Price check: scan or type a product (Ctrl+G ends)"))
        else:
            self.till.notify_cashier(t("Price check ended: scans go to the sale"))
        return self.checking_prices

    def check_price(self, code: str) -> None:
        """Show what ``code`` costs and its promotions; the sale is not touched."""
        found = price_check(self.till.session, code)
        if isinstance(found, Notice):
            self.till.notify_cashier(found)
            return
        self.till.notify_cashier(self.till.t("Price check: {name}", name=found.name))
        self.till.push_screen(TextScreen(price_text(found, self.till.t)))

    # -- park, recall -----------------------------------------------------------------
    def park(self) -> None:
        self._done(park(self.till.session))

    def recall(self) -> None:
        """Choose one of the parked sales and make it the open sale again."""
        t, session = self.till.t, self.till.session
        if session.basket.lines:
            self.till.notify_cashier(t("Finish or park the open sale first"), refused=True)
            return
        parked = parked_sales(session).all()
        if not parked:
            self.till.notify_cashier(t("No parked sales"), refused=True)
            return
        rs = session.ruleset
        tz = rs.tz if rs is not None else None

        def shown(when: Any, who: str, n: int, total: Money) -> str:
            at = on_screen(when, tz, "%H:%M")
            return t(
                "{time}  {customer}  items: {items}  {total}",
                time=at,
                customer=who or t("no customer"),
                items=n,
                total=t.money(total),
            )

        items = [
            (p.parked_id, shown(p.at, p.customer, p.lines, Money(p.total_minor, p.currency)))
            for p in parked
        ]

        def chosen(parked_id: str | None) -> None:
            if parked_id is not None:
                self._done(recall(session, parked_id))

        self.till.push_screen(PickScreen(t("Parked sales: choose one to recall"), t, items), chosen)


def price_text(found: PriceCheck, t: Texts) -> str:
    """The price-check page: the price, what applies now and what does not, why."""
    rows = [t("Price check"), "", f"{found.sku}  {found.name}"]
    rows.append(t("Price {price}", price=t.money(found.price)))
    if found.per_kg is not None:
        rows.append(t("{price} per kg", price=t.money(found.per_kg)))
    if found.to_pay != found.price:
        rows.append(t("With what applies now: {price}", price=t.money(found.to_pay)))
    if found.points:
        rows.append(t("Points: {points}", points=found.points))
    if found.applied:
        rows += ["", t("Applies now")]
        rows += [f"  {rule}: {t.say(words)}" for rule, words in found.applied]
    if found.not_applied:
        rows += ["", t("Promotions not applying now")]
        rows += [f"  {rule}: {t.say(words)}" for rule, words in found.not_applied]
    rows += ["", t("Nothing was added to the sale. Esc closes")]
    return "\n".join(rows)
