"""How sales and returns are written into the journal (the body that is hashed and sent)."""

from __future__ import annotations

from typing import Any

from agent.model import Customer
from agent.money import allocate
from agent.pricing.result import Quote
from agent.refunds import RefundQuote


def journal_lines(q: Quote) -> list[dict[str, Any]]:
    """The quote's lines as the journal records them: enough to price a later return."""
    paid = allocate(
        q.points_redeemed,
        [ql.points_payment_minor for ql in q.lines],
        [ql.line.sku for ql in q.lines],
    )
    for d in q.discounts:  # reward items: their points come back if they are returned
        for i, part in enumerate(d.per_line):
            if d.points and part:
                paid[i] += d.points
    return [
        {
            "sku": ql.line.sku,
            "name": ql.line.name,
            "category": ql.line.category,
            "qty": ql.line.qty,
            "unit_minor": ql.line.unit_price.minor,
            "amount_minor": ql.line.amount.minor,
            "discount_minor": ql.discount_minor,
            "points_payment_minor": ql.points_payment_minor,
            "points_paid": p,
            "money_minor": ql.money_minor,
            "points_earned": ql.points_earned,
        }
        for ql, p in zip(q.lines, paid, strict=True)
    ]


def sale_body(
    q: Quote,
    sale_id: str,
    ruleset_version: int,
    customer: Customer | None,
    codes: list[str],
    gift_card: str | None,
    next_tier: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """The journal body of a sale priced by ``q``; ``next_tier`` is (tier, spend missing)."""
    return {
        "sale_id": sale_id,
        "at": q.at.isoformat(),
        "currency": q.currency,
        "ruleset_version": ruleset_version,
        "lines": journal_lines(q),
        "subtotal_minor": q.subtotal.minor,
        "discount_minor": q.discount.minor,
        "discounts": [{"rule": d.rule, "amount_minor": d.amount_minor} for d in q.discounts],
        "total_minor": q.total.minor,
        "points_redeemed": q.points_redeemed + q.reward_points,
        "reward_points": q.reward_points,
        "points_value_minor": q.points_value.minor,
        "gift_card": {"card": gift_card, "amount_minor": q.gift_card.minor}
        if gift_card and q.gift_card.minor
        else None,
        "paid_money_minor": q.to_pay.minor,
        "points_earned": q.points_earned,
        "awards": [{"rule": a.rule, "points": a.points} for a in q.awards],
        "codes": codes,
        "usage": dict(q.usage_deltas),
        "customer": None
        if customer is None
        else {
            "customer_id": customer.customer_id,
            "card": customer.card,
            "balance_before": q.balance_before,
            "balance_after": q.balance_after,
            "expiring_soon": [
                {"points": p, "expires_at": e.isoformat()} for p, e in q.expiring_soon
            ],
            "tier": customer.tier,
            "next_tier": None
            if next_tier is None
            else {"name": next_tier[0], "missing_minor": next_tier[1]},
        },
    }


def return_body(
    r: RefundQuote, event_id: str, at: str, original: dict[str, Any], balance_before: int | None
) -> dict[str, Any]:
    """The journal body of a return of lines of the sale ``original``.

    points_earned and points_redeemed are negative: HQ applies a return with the
    same arithmetic as a sale (balance += earned - redeemed).
    """
    cust = original.get("customer")
    balance_after = (
        None if balance_before is None else (balance_before - r.points_reversed + r.points_restored)
    )
    return {
        "sale_id": event_id,
        "at": at,
        "currency": original["currency"],
        "original_seq": original["seq"],
        "original_sale_id": original["sale_id"],
        "lines": [
            {
                "sku": ln.sku,
                "qty": ln.qty,
                "money_minor": ln.money_minor,
                "points_reversed": ln.points_reversed,
                "points_restored": ln.points_restored,
            }
            for ln in r.lines
        ],
        "total_minor": -r.money_minor,
        "paid_money_minor": -r.money_minor,
        "points_earned": -r.points_reversed,
        "points_redeemed": -r.points_restored,
        "discount_minor": 0,
        "points_value_minor": 0,
        "awards": [],
        "flags": RefundQuote.flags(balance_after) if balance_after is not None else [],
        "customer": None
        if not isinstance(cust, dict)
        else dict(cust, balance_before=balance_before, balance_after=balance_after),
    }
