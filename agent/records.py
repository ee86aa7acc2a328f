"""The records of a sale and of a return, built from a quote and from a refund
(:mod:`agent.events` defines them and how they are written and read)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agent.clock import parse_utc
from agent.event_parts import CustomerOnSale, ExpiringLot, SaleLine, SpentLot
from agent.events import Return, Sale
from agent.model import Customer, Labelled
from agent.money import allocate
from agent.pricing.asked import PricedWith
from agent.pricing.inputs import Standing
from agent.pricing.result import Quote
from agent.refunds import RefundQuote, lots_given_back
from agent.ruleset import Ruleset
from agent.tiers import after_sale, standing


def journal_lines(q: Quote) -> tuple[SaleLine, ...]:
    """The quote's lines as the journal records them: enough to price a later return."""
    paid = allocate(
        q.points_redeemed,
        [ql.points_payment_minor for ql in q.lines],
        [ql.line.sku for ql in q.lines],
    )
    keys = [ql.line.sku for ql in q.lines]
    for d in q.discounts:  # rewards: their points come back with the lines they discounted
        if d.points:
            for i, part in enumerate(allocate(d.points, list(d.per_line), keys)):
                paid[i] += part
    out = []
    for ql, p in zip(q.lines, paid, strict=True):
        ln = ql.line
        unit = ln.unit_price.minor
        amount = unit * ln.qty  # the line's amount and money in integers (no Money made)
        out.append(
            SaleLine(
                sku=ln.sku,
                name=ln.name,
                category=ln.category,
                qty=ln.qty,
                unit_minor=unit,
                amount_minor=amount,
                discount_minor=ql.discount_minor,
                points_payment_minor=ql.points_payment_minor,
                points_paid=p,
                money_minor=amount - ql.discount_minor - ql.points_payment_minor,
                points_earned=ql.points_earned,
                points_share_up=ql.points_share_up,
                unlisted=ln.unlisted,
                **_label(ln.labelled),
            )
        )
    return tuple(out)


def _label(labelled: Labelled | None) -> dict[str, Any]:
    """A scale label's part of a journal line: its tag, weight and price per kg."""
    if labelled is None:
        return {}
    per_kg = labelled.per_kg.minor if labelled.per_kg else 0
    return {"label": labelled.tag, "weight_g": labelled.weight_g, "per_kg_minor": per_kg}


def sale_record(
    q: Quote,
    sale_id: str,
    ruleset: Ruleset,
    customer: Customer | None,
    codes: list[str],
    gift_card: str | None,
    st: Standing | None = None,
    *,
    kept: Sale | None = None,
    card: str | None = None,
    asked: PricedWith | None = None,
) -> Sale:
    """The record of a sale priced by ``q`` with ``ruleset`` for ``customer`` (as HQ sent
    them) standing at ``st`` towards the tiers (without it: HQ's figure alone); the
    customer's tier is the one held after it (this sale's qualifying money counts), with
    the next one and the tier the sale reached. With ``kept``, what the quote does not say
    is that record's (who lifted a limit, the gift card loads, the cashier, the
    tenders); with ``card``, the customer's card is that one (the card presented, where
    ``customer`` holds none); with ``asked``, what it was priced with is that, as
    recorded already (HQ: the sale's own inputs, read back from its body, which it
    priced with)."""
    after = None
    if customer is not None:
        st = st or standing(customer, ruleset, 0)
        after = after_sale(st, q, ruleset)
    return Sale(
        sale_id=sale_id,
        at=q.at.isoformat(),
        currency=q.currency,
        ruleset_version=ruleset.version,
        lines=journal_lines(q),
        subtotal_minor=q.subtotal.minor,
        discount_minor=q.discount.minor,
        discounts=tuple((d.rule, d.amount_minor) for d in q.discounts),
        total_minor=q.total.minor,
        points_redeemed=q.points_redeemed + q.reward_points,
        reward_points=q.reward_points,
        points_value_minor=q.points_value.minor,
        gift_card=(gift_card, q.gift_card.minor) if gift_card and q.gift_card.minor else None,
        paid_money_minor=q.to_pay.minor,
        points_earned=q.points_earned,
        awards=tuple((a.rule, a.points) for a in q.awards),
        codes=tuple(codes),
        usage=q.usage_deltas,
        spent_lots=spent_lots(q),
        priced_with=asked or (None if q.asked is None else q.asked.as_recorded(st)),
        customer=None
        if customer is None
        else CustomerOnSale(
            customer_id=customer.customer_id,
            card=customer.card if card is None else card,
            balance_before=q.balance_before,
            balance_after=q.balance_after,
            tier=after.tier if after else "",
            expiring_soon=tuple(ExpiringLot(p, e.isoformat()) for p, e in q.expiring_soon),
            next_tier=after.next_tier if after else None,
            new_tier=after.new_tier if after else None,
        ),
        limit_lifted_by=None if kept is None else kept.limit_lifted_by,
        gift_loads=() if kept is None else kept.gift_loads,
        cashier=None if kept is None else kept.cashier,
        tenders=() if kept is None else kept.tenders,  # checked against the figures apart
        change_minor=0 if kept is None else kept.change_minor,
        hq_reachable=None if kept is None else kept.hq_reachable,
    )


def spent_lots(q: Quote) -> tuple[SpentLot, ...]:
    """Where the points ``q`` spends come from, oldest first: the points outside any lot,
    then the lots (see :func:`agent.pricing.earning.lots`)."""
    spent = q.points_redeemed + q.reward_points
    from_lots = tuple(SpentLot(lot.points, lot.expires_at.isoformat()) for lot in q.lots_used)
    outside = spent - sum(lot.points for lot in from_lots)
    return ((SpentLot(outside, None),) if outside > 0 else ()) + from_lots


def to_gift_card(original: Sale, money_minor: int, credited_minor: int) -> int:
    """What of a return's ``money_minor`` goes back onto the gift card that paid the sale
    ``original``: the card first, up to what it paid less ``credited_minor`` already back."""
    paid = original.gift_card[1] if original.gift_card else 0
    return max(0, min(money_minor, paid - credited_minor))


def return_record(
    r: RefundQuote,
    event_id: str,
    at: str,
    original: Sale,
    original_seq: int,
    before: int | None,
    to_card: int = 0,
    restored_before: int = 0,
) -> Return:
    """The record of a return of lines of the sale ``original`` (seq ``original_seq``),
    for a customer whose balance was ``before``; ``to_card`` of its money goes back onto
    the gift card that paid the sale, the rest in cash. Its restored points go back to
    the lots the sale spent them from; earlier returns gave back ``restored_before``.

    points_earned and points_redeemed are negative: HQ applies a return with the
    same arithmetic as a sale (balance += earned - redeemed).
    """
    given = (
        lots_given_back(original.spent_lots, restored_before, r.points_restored)
        if r.points_restored
        else ()
    )
    when = parse_utc(at)  # a lot expired by now is not revived: those points stay gone
    alive = sum(g.points for g in given if g.expires_at is None or parse_utc(g.expires_at) > when)
    after = None if before is None else before - r.points_reversed + alive
    cust = original.customer
    return Return(
        sale_id=event_id,
        at=at,
        currency=original.currency,
        original_seq=original_seq,
        original_sale_id=original.sale_id,
        lines=r.lines,
        total_minor=-r.money_minor,
        points_earned=-r.points_reversed,
        points_redeemed=-r.points_restored,
        flags=tuple(RefundQuote.flags(after)) if after is not None else (),
        gift_card=(original.gift_card[0], to_card) if original.gift_card and to_card else None,
        restored_lots=given,
        customer=None
        if cust is None
        else replace(cust, balance_before=before, balance_after=after),
    )
