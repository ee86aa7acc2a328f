"""The receipt as a document: what it says, independent of any printer."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from agent.codes import receipt_number
from agent.events import JournalEvent, Return, Sale
from agent.i18n import Texts
from agent.money import Money
from agent.words import points_of


class Style(enum.Enum):
    NORMAL = "normal"
    BOLD = "bold"
    TITLE = "title"
    RULE = "rule"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    text: str
    style: Style = Style.NORMAL
    right: str = ""  # right-aligned part (amounts)


@dataclass(frozen=True, slots=True)
class Receipt:
    lines: tuple[ReceiptLine, ...]
    qr: str | None = None

    def plain(self, width: int = 42) -> str:
        """Return the receipt as plain text of ``width`` columns (the preview)."""
        out = []
        for ln in self.lines:
            if ln.style is Style.RULE:
                out.append("-" * width)
            elif ln.right:
                gap = max(1, width - len(ln.text) - len(ln.right))
                out.append(f"{ln.text}{' ' * gap}{ln.right}")
            else:
                out.append(ln.text)
        return "\n".join(out)

    def rows(self, width: int = 42) -> list[str]:
        """The receipt as lines of at most ``width`` columns, as the printer lays them out
        (a long text wrapped, its amount right-aligned below): what a POS prints."""
        out = []
        for ln in self.lines:
            out += ["-" * width] if ln.style is Style.RULE else fit(ln.text, ln.right, width)
        return out


def fit(text: str, right: str, width: int) -> list[str]:
    """Lay out one line of ``width`` columns: the amount right-aligned, long text wrapped
    (the printer's layout, :mod:`drivers.printer`, and :meth:`Receipt.rows`)."""
    if len(text) + 1 + len(right) <= width:
        gap = width - len(text) - len(right)
        return [f"{text}{' ' * gap}{right}" if right else text]
    out = [text[i : i + width] for i in range(0, len(text), width)] or [""]
    if right:
        out.append(right.rjust(width))
    return out


def build_receipt(
    event: JournalEvent, store_name: str, texts: Texts | None = None, tz: tzinfo | None = None
) -> Receipt:
    """Return the receipt for a committed sale or return (as the journal holds it), in
    the language of ``texts`` (the terminal's; English when not given), its time in the
    store's time zone ``tz`` (UTC, said so, when the till holds no ruleset yet)."""
    t = texts or Texts("en")
    sale = event.record
    if isinstance(sale, Return):
        return _return_receipt(event, sale, store_name, t, tz)
    if not isinstance(sale, Sale):
        raise TypeError(f"no receipt for a {sale.kind} event")
    cur = sale.currency

    def m(minor: int) -> str:
        return t.amount(Money(minor, cur))

    def total(minor: int) -> str:
        return t.money(Money(minor, cur))

    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(t("Receipt {number}", number=receipt_number(event.terminal_id, event.seq))),
        ReceiptLine(_when(sale.at, t, tz)),
        ReceiptLine("", Style.RULE),
    ]
    for ln in sale.lines:
        lines.append(ReceiptLine(f"{ln.name} x{ln.qty}", right=m(ln.amount_minor)))
        if ln.weight_g:  # a weighed line: its weight and the price per kg it was sold at
            kg, per_kg = t.kilograms(ln.weight_g), m(ln.per_kg_minor)
            lines.append(ReceiptLine("  " + t("{kg} kg at {price}/kg", kg=kg, price=per_kg)))
    lines.append(ReceiptLine("", Style.RULE))
    if sale.discount_minor:
        lines.append(ReceiptLine(t("Discounts"), right="-" + m(sale.discount_minor)))
    lines.append(ReceiptLine(t("TOTAL"), Style.BOLD, right=total(sale.total_minor)))
    paying = sale.points_redeemed - sale.reward_points
    if paying > 0:
        lines.append(
            ReceiptLine(
                t("Paid with {points}", points=points_of(paying)),
                right=m(sale.points_value_minor),
            )
        )
    if sale.reward_points:
        lines.append(ReceiptLine(t("Rewards for {points}", points=points_of(sale.reward_points))))
    if sale.gift_card is not None:
        card, amount_minor = sale.gift_card
        lines.append(
            ReceiptLine(t("Gift card {card}", card="…" + card[-4:]), right=m(amount_minor))
        )
    lines.append(ReceiptLine(t("To pay"), Style.BOLD, right=total(sale.paid_money_minor)))
    for load in sale.gift_loads:  # a card sold or topped up: what it holds now
        loaded = t("Gift card {card} loaded", card="…" + load.card[-4:])
        lines.append(ReceiptLine(loaded, right=m(load.amount_minor)))
        lines.append(ReceiptLine(t("Gift card balance"), right=m(load.balance_after_minor)))
    if sale.customer is not None:
        lines.append(ReceiptLine("", Style.RULE))
        lines += loyalty_lines(sale, t)
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(ReceiptLine(t("Thank you!")))
    return Receipt(tuple(lines), qr=receipt_number(event.terminal_id, event.seq))


def loyalty_lines(sale: Sale, t: Texts) -> list[ReceiptLine]:
    """The loyalty block of a sale's receipt, in the language of ``t``: the card, the points
    earned by rule and redeemed, the balance, points expiring soon, the tier (none for a
    sale without a customer). The agent API hands it to a POS to print."""
    customer = sale.customer
    if customer is None:
        return []
    cur = sale.currency

    def m(minor: int) -> str:
        return t.amount(Money(minor, cur))

    lines: list[ReceiptLine] = []
    card = f"{customer.card[-4:]:>4}"
    lines.append(ReceiptLine(t("Loyalty card {card}", card=card), Style.BOLD))
    for rule, points in sale.awards:
        lines.append(ReceiptLine(f"  {rule}", right=f"+{points}"))
    lines.append(ReceiptLine(t("Points earned"), right=str(sale.points_earned)))
    if sale.points_redeemed:
        lines.append(ReceiptLine(t("Points redeemed"), right=str(sale.points_redeemed)))
    if not customer.customer_id:  # a card this till did not know: HQ credits it
        lines.append(ReceiptLine(t("Points will be credited to card {card}", card=card)))
    else:
        lines.append(ReceiptLine(t("Balance"), Style.BOLD, right=_pts(t, customer.balance_after)))
    for lot in customer.expiring_soon:
        day = t.day(date.fromisoformat(lot.expires_at[:10]))
        lines.append(ReceiptLine(t("Expiring {day}", day=day), right=_pts(t, lot.points)))
    if customer.tier:
        lines.append(ReceiptLine(t("Tier"), right=customer.tier))
    new = customer.new_tier
    if new is not None:
        reached = {"tier": new.name, "amount": m(new.qualifying_minor)}
        lines.append(
            ReceiptLine(
                t("{tier} from this purchase (qualifying {amount})", **reached)
                if new.this_sale
                else t("{tier} from the next purchase (qualifying {amount})", **reached)
            )
        )
    nxt = customer.next_tier
    if nxt is not None:
        lines.append(ReceiptLine(t("To {tier}: spend", tier=nxt.name), right=m(nxt.missing_minor)))
    return lines


def _pts(t: Texts, points: int | None) -> str:
    return t("{points} pts", points=points)


def _when(at_iso: str, t: Texts, tz: tzinfo | None) -> str:
    at = datetime.fromisoformat(at_iso)
    if tz is None:
        return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return t.moment(at.astimezone(tz))


def _return_receipt(
    event: JournalEvent, back: Return, store_name: str, t: Texts, tz: tzinfo | None
) -> Receipt:
    cur = back.currency
    number = receipt_number(event.terminal_id, event.seq)
    original = receipt_number(back.original_terminal_id or event.terminal_id, back.original_seq)
    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(t("RETURN {number}", number=number), Style.BOLD),
        ReceiptLine(t("of receipt {number}", number=original)),
        ReceiptLine(_when(back.at, t, tz)),
        ReceiptLine("", Style.RULE),
    ]
    for ln in back.lines:
        amount = t.amount(Money(ln.money_minor, cur))
        lines.append(ReceiptLine(f"{ln.sku} x{ln.qty}", right="-" + amount))
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(
        ReceiptLine(t("Money back"), Style.BOLD, right=t.money(Money(-back.total_minor, cur)))
    )
    lines += return_loyalty_lines(back, t)
    return Receipt(tuple(lines), qr=None)


def return_loyalty_lines(back: Return, t: Texts) -> list[ReceiptLine]:
    """The loyalty block of a return's receipt: points taken back and given back, the
    balance (none for a return without a customer)."""
    if back.customer is None:
        return []
    return [
        ReceiptLine(t("Points taken back"), right=str(-back.points_earned)),
        ReceiptLine(t("Points given back"), right=str(-back.points_redeemed)),
        ReceiptLine(t("Balance"), Style.BOLD, right=_pts(t, back.customer.balance_after)),
    ]
