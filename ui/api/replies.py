"""What the agent answers a POS: documents built from the session's quote and from the
journal's records, with every reason in the language asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.card_only import is_card_only
from agent.codes import receipt_number
from agent.events import Return, Sale
from agent.i18n import Texts
from agent.model import Customer
from agent.money import Points
from agent.pricing.result import Quote
from agent.receipt import Receipt, loyalty_lines, return_loyalty_lines
from agent.words import Words


def reason(about: str, words: Words, t: Texts, rule: str | None = None) -> dict[str, Any]:
    """One refusal: what it is about (``lines[2]``, ``codes[0]``, ``points``, ``rule``),
    the rule when a promotion did not apply, and why, in the reply's language."""
    return {"about": about, "rule": rule, "reason": t.say(words)}


def panel(
    customer: Customer,
    balance: Points,
    spendable: int,
    confirmed: bool,
    coupons: list[str],
) -> dict[str, Any]:
    """What a cashier sees of the customer: the greeting, tier, balance, what may be
    spent now, the allowance HQ reserved here, the coupons not yet used."""
    return {
        "customer_id": customer.customer_id or None,  # None: a card alone (HQ credits it)
        "card": customer.card,
        "greeting": customer.name,
        "tier": customer.tier,
        "balance": int(balance),
        "spendable": spendable,
        "allowance": int(customer.allowance),
        "coupons": coupons,
        "confirmed": confirmed,
        "card_only": is_card_only(customer),
    }


def calculation(q: Quote, t: Texts, refusals: list[dict[str, Any]]) -> dict[str, Any]:
    """A priced basket: each line with its discount, points payment and points earned;
    the discounts and points by rule with why; what may be paid with points; every
    refusal (the POS's inputs first, then each promotion that did not apply)."""
    rules = [reason("rule", r.words, t, r.rule) for r in q.refusals]
    return {
        "currency": q.currency,
        "at": q.at.isoformat(),
        "lines": [
            {
                "sku": ql.line.key,
                "name": ql.line.name,
                "category": ql.line.category,
                "qty": ql.line.qty,
                "unit_minor": ql.line.unit_price.minor,
                "amount_minor": ql.line.amount.minor,
                "discount_minor": ql.discount_minor,
                "points_payment_minor": ql.points_payment_minor,
                "money_minor": ql.money_minor,
                "points_earned": ql.points_earned,
                "excluded": t.say(ql.excluded) if ql.excluded else None,
                "unlisted": ql.line.unlisted,
            }
            for ql in q.lines
        ],
        "subtotal_minor": q.subtotal.minor,
        "discounts": [
            {
                "rule": d.rule,
                "amount_minor": d.amount_minor,
                "points": d.points,
                "why": t.say(d.words),
            }
            for d in q.discounts
        ],
        "discount_minor": q.discount.minor,
        "total_minor": q.total.minor,
        "points_redeemed": int(q.points_redeemed),
        "reward_points": int(q.reward_points),
        "points_value_minor": q.points_value.minor,
        "gift_card_minor": q.gift_card.minor,
        "to_pay_minor": q.to_pay.minor,
        "points_earned": int(q.points_earned),
        "awards": [
            {"rule": a.rule, "points": int(a.points), "why": t.say(a.words)} for a in q.awards
        ],
        "max_redeemable_points": int(q.max_redeemable),
        "spend_limit": t.say(q.spend_limit) if q.spend_limit else None,
        "balance_before": None if q.balance_before is None else int(q.balance_before),
        "balance_after": None if q.balance_after is None else int(q.balance_after),
        "refusals": refusals + rules,
    }


def number(terminal_id: str, seq: int) -> dict[str, Any]:
    """A journal row as the till numbers it: ``T1:42`` (the receipt's QR for returns)."""
    return {"terminal_id": terminal_id, "seq": seq, "number": receipt_number(terminal_id, seq)}


def sale_reply(
    sale: Sale, terminal_id: str, seq: int, receipt_id: str, doc: dict[str, Any], replayed: bool
) -> dict[str, Any]:
    """A committed sale, as the journal holds it: the same document however often the
    POS asks with its key (``replayed`` says it was committed before)."""
    cust = sale.customer
    return {
        "receipt_id": receipt_id,
        "sale": number(terminal_id, seq) | {"sale_id": sale.sale_id, "at": sale.at},
        "currency": sale.currency,
        "total_minor": sale.total_minor,
        "discount_minor": sale.discount_minor,
        "points_earned": sale.points_earned,
        "points_redeemed": sale.points_redeemed,
        "points_value_minor": sale.points_value_minor,
        "gift_card_minor": sale.gift_card[1] if sale.gift_card else 0,
        "to_pay_minor": sale.paid_money_minor,
        "customer_id": cust.customer_id or None if cust else None,
        "balance_after": cust.balance_after if cust else None,
        "tenders": doc.get("tenders", []),
        "replayed": replayed,
    }


def return_reply(
    back: Return, terminal_id: str, seq: int, receipt_id: str, replayed: bool, kind: str
) -> dict[str, Any]:
    """A return (or the return a cancel made): the money and points it moved."""
    cust = back.customer
    return {
        "receipt_id": receipt_id,
        "kind": kind,
        "return": number(terminal_id, seq) | {"event_id": back.sale_id, "at": back.at},
        "of_sale": number(terminal_id, back.original_seq),
        "currency": back.currency,
        "money_back_minor": -back.total_minor,
        "points_taken_back": -back.points_earned,
        "points_given_back": -back.points_redeemed,
        "balance_after": cust.balance_after if cust else None,
        "lines": [
            {"sku": ln.sku, "qty": ln.qty, "money_minor": ln.money_minor} for ln in back.lines
        ],
        "replayed": replayed,
    }


def loyalty_block(
    record: Sale | Return, terminal_id: str, seq: int, t: Texts, width: int
) -> dict[str, Any]:
    """The loyalty block for the POS's fiscal receipt: lines of at most ``width``
    columns in the language of ``t``, and (for a sale) the QR text that brings the
    receipt back for a return."""
    if isinstance(record, Sale):
        lines = loyalty_lines(record, t)
        qr: str | None = receipt_number(terminal_id, seq)
    else:
        lines, qr = return_loyalty_lines(record, t), None
    return {
        "lang": t.lang,
        "width": width,
        "lines": Receipt(tuple(lines)).rows(width),
        "qr": qr,
    }


def when(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
