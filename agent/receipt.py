"""The receipt as a document: what it says, independent of any printer."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agent.money import Money


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


def build_receipt(body: dict[str, Any], store_name: str) -> Receipt:
    """Return the receipt for a committed sale or return body (as in the journal)."""
    cur = str(body["currency"])

    def m(minor: object) -> str:
        return Money(int(str(minor)), cur).format()

    if "original_seq" in body:
        return _return_receipt(body, store_name, m)

    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(f"Receipt {body['terminal_id']}-{body['seq']}"),
        ReceiptLine(str(body["at"])[:16].replace("T", " ") + " UTC"),
        ReceiptLine("", Style.RULE),
    ]
    for ln in body["lines"]:
        lines.append(ReceiptLine(f"{ln['name']} x{ln['qty']}", right=m(ln["amount_minor"])))
    lines.append(ReceiptLine("", Style.RULE))
    if body["discount_minor"]:
        lines.append(ReceiptLine("Discounts", right="-" + m(body["discount_minor"])))
    lines.append(ReceiptLine("TOTAL", Style.BOLD, right=f"{m(body['total_minor'])} {cur}"))
    paying = int(body["points_redeemed"]) - int(body.get("reward_points", 0))
    if paying > 0:
        lines.append(ReceiptLine(f"Paid with {paying} points", right=m(body["points_value_minor"])))
    if body.get("reward_points"):
        lines.append(ReceiptLine(f"Rewards for {body['reward_points']} points"))
    if body.get("gift_card"):
        gift = body["gift_card"]
        lines.append(
            ReceiptLine(f"Gift card …{str(gift['card'])[-4:]}", right=m(gift["amount_minor"]))
        )
    lines.append(ReceiptLine("To pay", Style.BOLD, right=f"{m(body['paid_money_minor'])} {cur}"))
    customer = body.get("customer")
    if isinstance(customer, dict):
        lines.append(ReceiptLine("", Style.RULE))
        lines.append(ReceiptLine(f"Loyalty card {customer['card'][-4:]:>4}", Style.BOLD))
        for award in body.get("awards", []):
            lines.append(ReceiptLine(f"  {award['rule']}", right=f"+{award['points']}"))
        lines.append(ReceiptLine("Points earned", right=str(body["points_earned"])))
        if body["points_redeemed"]:
            lines.append(ReceiptLine("Points redeemed", right=str(body["points_redeemed"])))
        lines.append(ReceiptLine("Balance", Style.BOLD, right=f"{customer['balance_after']} pts"))
        for lot in customer.get("expiring_soon", []):
            day = str(lot["expires_at"])[:10]
            lines.append(ReceiptLine(f"Expiring {day}", right=f"{lot['points']} pts"))
        if customer.get("tier"):
            lines.append(ReceiptLine("Tier", right=str(customer["tier"])))
        nxt = customer.get("next_tier")
        if isinstance(nxt, dict):
            lines.append(ReceiptLine(f"To {nxt['name']}: spend", right=m(nxt["missing_minor"])))
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(ReceiptLine("Thank you!"))
    return Receipt(tuple(lines), qr=f"{body['terminal_id']}:{body['seq']}")


def _return_receipt(body: dict[str, Any], store_name: str, m: Callable[[object], str]) -> Receipt:
    cur = str(body["currency"])
    lines = [
        ReceiptLine(store_name, Style.TITLE),
        ReceiptLine(f"RETURN {body['terminal_id']}-{body['seq']}", Style.BOLD),
        ReceiptLine(f"of receipt {body['terminal_id']}-{body['original_seq']}"),
        ReceiptLine(str(body["at"])[:16].replace("T", " ") + " UTC"),
        ReceiptLine("", Style.RULE),
    ]
    for ln in body["lines"]:
        lines.append(ReceiptLine(f"{ln['sku']} x{ln['qty']}", right="-" + m(ln["money_minor"])))
    lines.append(ReceiptLine("", Style.RULE))
    lines.append(
        ReceiptLine("Money back", Style.BOLD, right=f"{m(-int(body['total_minor']))} {cur}")
    )
    customer = body.get("customer")
    if isinstance(customer, dict):
        lines.append(ReceiptLine("Points taken back", right=str(-int(body["points_earned"]))))
        lines.append(ReceiptLine("Points given back", right=str(-int(body["points_redeemed"]))))
        lines.append(ReceiptLine("Balance", Style.BOLD, right=f"{customer['balance_after']} pts"))
    return Receipt(tuple(lines), qr=None)
