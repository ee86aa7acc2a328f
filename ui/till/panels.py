"""What the checkout screen shows, as text: the customer panel, the totals, the why page.

Pure functions of the session's state and a language's ``Texts``, so the screen only
places them and a test can read them.
"""

from __future__ import annotations

from agent.i18n import Texts
from agent.money import Money
from agent.pricing.result import Quote
from agent.session import CheckoutSession
from agent.tiers import standing, unsynced_minor
from agent.words import points_of


def customer_text(session: CheckoutSession, t: Texts) -> str:
    """Name, tier, balance, what expires soon, the next tier, unused personal coupons."""
    c = session.customer
    assert c is not None
    rs = session.ruleset
    now = session.clock.now()
    st = None if rs is None else standing(c, rs, unsynced_minor(session.store.ledger, c, rs, now))
    rows = [f"{c.name}  [{st.tier if st else c.tier}]  " + t("card") + f" …{c.card[-4:]}"]
    balance = t("Balance: {points}", points=points_of(session.balance() or 0))
    soon = session.quote().expiring_soon if rs is not None else ()
    if soon:
        points, when = soon[0]
        balance += "   " + t(
            "expiring {day}: {points}", points=points_of(points), day=t.day(when.date())
        )
    rows.append(balance)
    extra = []
    spend = None if st is None else st.spend_minor  # None: HQ sent no figure
    nxt = None if rs is None or st is None or spend is None else rs.next_tier(st.tier, spend)
    if nxt is not None:
        missing = t.money(Money(nxt[1], rs.currency if rs else "PLN"))
        extra.append(t("{tier} after {money} more", tier=nxt[0], money=missing))
    coupons = [code for code, used in c.coupons if not used]
    if coupons:
        extra.append(t("Coupons: {codes}", codes=", ".join(coupons)))
    if extra:
        rows.append("   ".join(extra))
    return "\n".join(rows)


def totals_text(q: Quote, identified: bool, t: Texts) -> str:
    """Discounts, totals, points paid and earned, the first promotions that did not apply."""
    earned = ", ".join(f"{a.rule} +{a.points}" for a in q.awards) or t("none")
    text = ""
    if q.discounts:
        text += (
            t("Discounts")
            + ": "
            + ", ".join(
                f"{d.rule} -{t.money(Money(d.amount_minor, q.currency))}" for d in q.discounts
            )
            + "\n"
        )
    text += t("Total {total}   To pay {to_pay}", total=t.money(q.total), to_pay=t.money(q.to_pay))
    text += "\n"
    if q.points_redeemed:
        value = t.money(q.points_value)
        text += t("Paid with points: {points} ({value})", points=q.points_redeemed, value=value)
        text += "\n"
    if q.gift_card.minor:
        text += t("Gift card: {value}", value=t.money(q.gift_card)) + "\n"
    text += t("Points this sale: {points} ({rules})", points=q.points_earned, rules=earned)
    if identified:
        text += "   " + t("Max with points: {points}", points=q.max_redeemable)
    if q.refusals and q.lines:  # an empty basket has nothing to explain
        text += "\n" + t("Not applied") + ": "
        text += "; ".join(f"{r.rule}: {t.say(r.words)}" for r in q.refusals[:2])
        text += "  " + t("(F1: why)")
    return text


def why_text(q: Quote, t: Texts) -> str:
    """Every discount and point of the sale, and every promotion that did not apply, why."""
    rows: list[str] = []
    if q.discounts:
        rows.append(t("Discounts"))
        for d in q.discounts:
            amount = t.money(Money(d.amount_minor, q.currency))
            rows.append(f"  -{amount}  {d.rule}: {t.say(d.words)}")
    if q.awards:
        rows.append(t("Points"))
        rows += [f"  +{a.points}  {a.rule}: {t.say(a.words)}" for a in q.awards]
    if q.refusals and q.lines:
        rows.append(t("Not applied"))
        rows += [f"  {r.rule}: {t.say(r.words)}" for r in q.refusals]
    if not rows:
        rows.append(t("No discounts or points on this sale yet"))
    return "\n".join([*rows, "", t("Esc closes")])
