"""The receipt as a document: what it says, independent of any printer."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

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

    def to_json(self) -> str:
        return json.dumps(
            {
                "lines": [
                    {"text": ln.text, "style": ln.style.value, "right": ln.right}
                    for ln in self.lines
                ],
                "qr": self.qr,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        doc = json.loads(text)
        return cls(
            tuple(ReceiptLine(d["text"], Style(d["style"]), d["right"]) for d in doc["lines"]),
            doc.get("qr"),
        )

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


def build_receipt(
    body: dict[str, Any], store_name: str, texts: Texts | None = None, tz: tzinfo | None = None
) -> Receipt:
    """Return the receipt for a committed sale or return body (as in the journal), in
    the language of ``texts`` (the terminal's; English when not given), its time in the
    store's time zone ``tz`` (UTC, said so, when the till holds no ruleset yet)."""
    t = texts or Texts("en")
    cur = str(body["currency"])

    def m(minor: object) -> str:
        return t.amount(Money(int(str(minor)), cur))

    def total(minor: object) -> str:
        return t.money(Money(int(str(minor)), cur))

    def pts(points: object) -> str:
        return t("{points} pts", points=points)

    if "original_seq" in body:
        return _return_receipt(body, store_name, t, total, pts, tz)

    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(t("Receipt {number}", number=f"{body['terminal_id']}-{body['seq']}")),
        ReceiptLine(_when(body, t, tz)),
        ReceiptLine("", Style.RULE),
    ]
    for ln in body["lines"]:
        lines.append(ReceiptLine(f"{ln['name']} x{ln['qty']}", right=m(ln["amount_minor"])))
    lines.append(ReceiptLine("", Style.RULE))
    if body["discount_minor"]:
        lines.append(ReceiptLine(t("Discounts"), right="-" + m(body["discount_minor"])))
    lines.append(ReceiptLine(t("TOTAL"), Style.BOLD, right=total(body["total_minor"])))
    paying = int(body["points_redeemed"]) - int(body.get("reward_points", 0))
    if paying > 0:
        lines.append(
            ReceiptLine(
                t("Paid with {points}", points=points_of(paying)),
                right=m(body["points_value_minor"]),
            )
        )
    if body.get("reward_points"):
        lines.append(
            ReceiptLine(t("Rewards for {points}", points=points_of(body["reward_points"])))
        )
    if body.get("gift_card"):
        gift = body["gift_card"]
        card = "…" + str(gift["card"])[-4:]
        lines.append(ReceiptLine(t("Gift card {card}", card=card), right=m(gift["amount_minor"])))
    lines.append(ReceiptLine(t("To pay"), Style.BOLD, right=total(body["paid_money_minor"])))
    customer = body.get("customer")
    if isinstance(customer, dict):
        lines.append(ReceiptLine("", Style.RULE))
        card = f"{customer['card'][-4:]:>4}"
        lines.append(ReceiptLine(t("Loyalty card {card}", card=card), Style.BOLD))
        for award in body.get("awards", []):
            lines.append(ReceiptLine(f"  {award['rule']}", right=f"+{award['points']}"))
        lines.append(ReceiptLine(t("Points earned"), right=str(body["points_earned"])))
        if body["points_redeemed"]:
            lines.append(ReceiptLine(t("Points redeemed"), right=str(body["points_redeemed"])))
        lines.append(ReceiptLine(t("Balance"), Style.BOLD, right=pts(customer["balance_after"])))
        for lot in customer.get("expiring_soon", []):
            day = t.day(date.fromisoformat(str(lot["expires_at"])[:10]))
            lines.append(ReceiptLine(t("Expiring {day}", day=day), right=pts(lot["points"])))
        if customer.get("tier"):
            lines.append(ReceiptLine(t("Tier"), right=str(customer["tier"])))
        nxt = customer.get("next_tier")
        if isinstance(nxt, dict):
            lines.append(
                ReceiptLine(t("To {tier}: spend", tier=nxt["name"]), right=m(nxt["missing_minor"]))
            )
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(ReceiptLine(t("Thank you!")))
    return Receipt(tuple(lines), qr=f"{body['terminal_id']}:{body['seq']}")


def _when(body: dict[str, Any], t: Texts, tz: tzinfo | None) -> str:
    at = datetime.fromisoformat(str(body["at"]))
    if tz is None:
        return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return t.moment(at.astimezone(tz))


def _return_receipt(
    body: dict[str, Any],
    store_name: str,
    t: Texts,
    total: Callable[[object], str],
    pts: Callable[[object], str],
    tz: tzinfo | None,
) -> Receipt:
    cur = str(body["currency"])
    number = f"{body['terminal_id']}-{body['seq']}"
    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(t("RETURN {number}", number=number), Style.BOLD),
        ReceiptLine(
            t("of receipt {number}", number=f"{body['terminal_id']}-{body['original_seq']}")
        ),
        ReceiptLine(_when(body, t, tz)),
        ReceiptLine("", Style.RULE),
    ]
    for ln in body["lines"]:
        amount = t.amount(Money(int(ln["money_minor"]), cur))
        lines.append(ReceiptLine(f"{ln['sku']} x{ln['qty']}", right="-" + amount))
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(ReceiptLine(t("Money back"), Style.BOLD, right=total(-int(body["total_minor"]))))
    customer = body.get("customer")
    if isinstance(customer, dict):
        lines.append(ReceiptLine(t("Points taken back"), right=str(-int(body["points_earned"]))))
        lines.append(ReceiptLine(t("Points given back"), right=str(-int(body["points_redeemed"]))))
        lines.append(ReceiptLine(t("Balance"), Style.BOLD, right=pts(customer["balance_after"])))
    return Receipt(tuple(lines), qr=None)
