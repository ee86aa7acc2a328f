"""The terminal's end-of-day report: what one store day did to money and points.

Money is laid out once, in one table: takings per tender (gross: what the day's
sales were paid with), refunds per tender (what its returns gave back) and the net of
the two; nothing in it is subtracted twice. The same per cashier. Voids, point
adjustments and lifted limits are listed apart, each with its amount and the manager
who approved it. A sale counts as made offline when HQ was out of reach as it was made
(the sale records what the sync worker found: :mod:`agent.tendering`); a sale that
does not say (made before tills recorded it) by how late HQ acknowledged it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from agent.events import Audit, Return, Sale, read_event
from agent.i18n import Texts
from agent.money import Money
from agent.paid import TenderKind
from agent.receipt import Receipt, ReceiptLine, Style
from agent.store import Store
from agent.words import N_

LATE_S = 60  # a sale that does not say, acknowledged later than this, was made offline
UNSAID = "unsaid"  # money of a sale that did not say how it was paid
TENDER_NAMES = {
    TenderKind.CASH.value: N_("Cash"),
    TenderKind.CARD.value: N_("Card"),
    TenderKind.GIFT_CARD.value: N_("Gift card"),
    TenderKind.POINTS.value: N_("Points"),
    TenderKind.OTHER.value: N_("Other"),
    UNSAID: N_("Not recorded"),
}


@dataclass(frozen=True, slots=True)
class Approved:
    """An override: a void (its amount), a point adjustment (its points) or a lifted
    limit, with who was at the till and the manager who approved it."""

    at: str
    action: str  # void | adjust_points | lift_limit
    cashier: str | None
    approved_by: str
    amount_minor: int = 0  # a void's lines
    points: int = 0  # an adjustment's, signed
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CashierDay:
    cashier: str  # their id ("" for sales rung up with no one signed in)
    sales: int = 0
    returns: int = 0
    takings_minor: int = 0  # the total of their sales, every tender
    refunds_minor: int = 0  # what their returns gave back

    @property
    def net_minor(self) -> int:
        return self.takings_minor - self.refunds_minor


@dataclass(frozen=True, slots=True)
class DayReport:
    day: str
    currency: str
    sales: int = 0
    returns: int = 0
    takings: dict[str, int] = field(default_factory=dict)  # tender -> gross minor units
    refunds: dict[str, int] = field(default_factory=dict)  # tender -> given back (>= 0)
    change_minor: int = 0  # cash given back as change (not in the takings)
    points_issued: int = 0  # earned by the day's sales
    points_taken_back: int = 0  # of earlier points, by the day's returns
    points_redeemed: int = 0  # spent on the day's sales
    points_given_back: int = 0  # of spent points, by the day's returns
    discounts_by_rule: dict[str, int] = field(default_factory=dict)
    made_offline: int = 0
    voids: tuple[Approved, ...] = ()
    adjustments: tuple[Approved, ...] = ()
    lifted: tuple[Approved, ...] = ()  # offline points limits a manager lifted
    pin_lockouts: int = 0
    cashiers: tuple[CashierDay, ...] = ()

    @property
    def tenders(self) -> list[str]:
        """The tenders of the day, in the order of :data:`TENDER_NAMES`."""
        return [k for k in TENDER_NAMES if k in self.takings or k in self.refunds]

    def net(self, tender: str) -> int:
        return self.takings.get(tender, 0) - self.refunds.get(tender, 0)

    def money(self, minor: int, t: Texts) -> str:
        return t.money(Money(minor, self.currency))

    def tender_table(self, t: Texts) -> list[tuple[str, str, str, str]]:
        """(tender, takings, refunds, net) rows, a header first and the totals last."""
        rows = [(t("Tender"), t("Takings"), t("Refunds"), t("Net"))]
        for k in self.tenders:
            rows.append(
                (
                    t(TENDER_NAMES[k]),
                    self.money(self.takings.get(k, 0), t),
                    self.money(-self.refunds.get(k, 0), t),
                    self.money(self.net(k), t),
                )
            )
        gross, back = sum(self.takings.values()), sum(self.refunds.values())
        rows.append(
            (t("Total"), self.money(gross, t), self.money(-back, t), self.money(gross - back, t))
        )
        return rows

    def cashier_table(self, t: Texts, names: dict[str, str]) -> list[tuple[str, ...]]:
        """(cashier, sales, returns, takings, refunds, net) rows, a header first."""
        rows: list[tuple[str, ...]] = [
            (t("Cashier"), t("Sales"), t("Returns"), t("Takings"), t("Refunds"), t("Net"))
        ]
        for c in self.cashiers:
            rows.append(
                (
                    names.get(c.cashier, c.cashier) or t("nobody signed in"),
                    str(c.sales),
                    str(c.returns),
                    self.money(c.takings_minor, t),
                    self.money(-c.refunds_minor, t),
                    self.money(c.net_minor, t),
                )
            )
        return rows

    def lines(self, t: Texts) -> list[tuple[str, str]]:
        """(label, value) rows beside the tables, in the language of ``t``."""
        rows = [
            (t("Day"), self.day),
            (t("Sales"), str(self.sales)),
            (t("Returns"), str(self.returns)),
            (t("Change given"), self.money(self.change_minor, t)),
            (t("Points issued"), str(self.points_issued)),
            (t("Points taken back"), str(self.points_taken_back)),
            (t("Points redeemed"), str(self.points_redeemed)),
            (t("Points given back"), str(self.points_given_back)),
            (t("Sales made offline"), str(self.made_offline)),
            (t("PIN lockouts"), str(self.pin_lockouts)),
        ]
        for rule, minor in sorted(self.discounts_by_rule.items()):
            rows.append((t("Discount {rule}", rule=rule), self.money(minor, t)))
        return rows

    def approvals(self, t: Texts, tz: tzinfo) -> list[str]:
        """One line a void, adjustment or lifted limit: when, what, who, approved by whom."""
        out = []
        for a in (*self.voids, *self.adjustments, *self.lifted):
            when = datetime.fromisoformat(a.at).astimezone(tz).strftime("%H:%M")
            who = a.cashier or "-"
            if a.action == "void":
                what = t("Void {amount}", amount=self.money(a.amount_minor, t))
            elif a.action == "adjust_points":
                what = t("Adjustment {points} points", points=f"{a.points:+d}")
            else:
                what = t("Points limit lifted")
            out.append(
                f"{when} {what} ({who}), " + t("approved by {manager}", manager=a.approved_by)
            )
        return out

    def text(self, t: Texts, tz: tzinfo = UTC, names: dict[str, str] | None = None) -> str:
        """The whole report as the screen and ``kassa day-report`` show it."""
        out = [f"{label:<28}{value:>20}" for label, value in self.lines(t)]
        out += ["", t("Money by tender")]
        out += [f"{a:<14}{b:>15}{c:>15}{d:>15}" for a, b, c, d in self.tender_table(t)]
        out += ["", t("By cashier")]
        for r in self.cashier_table(t, names or {}):
            out.append(f"{r[0][:12]:<12}{r[1][:8]:>9}{r[2][:8]:>9}{r[3]:>14}{r[4]:>14}{r[5]:>14}")
        out += ["", t("Voids {n}, adjustments {m}", n=len(self.voids), m=len(self.adjustments))]
        out += ["  " + x for x in self.approvals(t, tz)]
        return "\n".join(out)

    def receipt(self, terminal_id: str, t: Texts, tz: tzinfo = UTC) -> Receipt:
        body = [ReceiptLine(t("Loyalty report {terminal}", terminal=terminal_id), Style.TITLE)]
        body += [ReceiptLine(label, right=value) for label, value in self.lines(t)]
        for title, i in ((t("Takings"), 1), (t("Refunds"), 2), (t("Net"), 3)):
            body.append(ReceiptLine(title, Style.BOLD))
            body += [ReceiptLine("  " + r[0], right=r[i]) for r in self.tender_table(t)[1:]]
        body.append(ReceiptLine(t("By cashier"), Style.BOLD))
        for c in self.cashier_table(t, {})[1:]:
            body.append(ReceiptLine(f"  {c[0]} ({c[1]}/{c[2]})", right=c[5]))
        body += [ReceiptLine(x) for x in self.approvals(t, tz)]
        return Receipt((*body, ReceiptLine("", Style.RULE)))


def day_report(store: Store, day: str, currency: str, now: datetime, tz: tzinfo = UTC) -> DayReport:
    """Return the report of store day ``day`` (YYYY-MM-DD in the store's time zone ``tz``).

    Sales count on the day they were made (their row says which); returns and audit
    events by their time in ``tz`` (returns made before returns carried a day too).
    """
    start = datetime.combine(date.fromisoformat(day), time(), tz)
    end = start + timedelta(days=1)

    def on_the_day(at: str) -> bool:
        return start <= datetime.fromisoformat(at) < end

    n = Counter[str]()
    takings, refunds, discounts = Counter[str](), Counter[str](), Counter[str]()
    people: dict[str, Counter[str]] = {}
    lifted: list[Approved] = []
    for kind, sale_day, body, created, acked in store.conn.execute(
        "SELECT s.kind, s.day, j.body, o.created_at, o.acked_at FROM sales s "
        "JOIN journal j ON j.seq=s.seq JOIN outbox o ON o.seq=s.seq "
        "WHERE s.day=? OR (s.day='' AND s.kind='return') ORDER BY s.seq",
        (day,),
    ):
        record = read_event(kind, body).record
        assert isinstance(record, Sale | Return)
        if sale_day == "" and not on_the_day(record.at):
            continue
        who = people.setdefault(record.cashier or "", Counter())
        if isinstance(record, Sale):
            n["sales"] += 1
            who["sales"] += 1
            who["takings"] += record.total_minor
            n["issued"] += record.points_earned
            n["redeemed"] += record.points_redeemed
            n["change"] += record.change_minor
            takings.update(_paid(record))
            for rule, amount_minor in record.discounts:
                discounts[rule] += amount_minor
            if record.limit_lifted_by is not None:
                lifted.append(
                    Approved(record.at, "lift_limit", record.cashier, record.limit_lifted_by)
                )
            if record.hq_reachable is None:  # a sale that does not say: by its ack's delay
                done = datetime.fromisoformat(acked) if acked else now
                n["offline"] += (done - datetime.fromisoformat(created)).total_seconds() > LATE_S
            else:
                n["offline"] += not record.hq_reachable
        else:
            n["returns"] += 1
            who["returns"] += 1
            to_card = record.gift_card[1] if record.gift_card else 0
            back = {TenderKind.CASH.value: -record.total_minor - to_card}
            back[TenderKind.GIFT_CARD.value] = to_card
            refunds.update({k: v for k, v in back.items() if v})
            who["refunds"] += -record.total_minor
            n["taken_back"] -= record.points_earned
            n["given_back"] -= record.points_redeemed
    voids, adjustments = [], []
    for (body,) in store.conn.execute("SELECT body FROM journal WHERE kind='audit' ORDER BY seq"):
        audit = read_event("audit", body).record
        assert isinstance(audit, Audit)
        if not on_the_day(audit.at):
            continue
        if audit.action == "void":
            amount = sum(x[2] for x in audit.voided_lines)
            voids.append(Approved(audit.at, "void", audit.cashier, audit.approved_by, amount))
        elif audit.action == "adjust_points":
            adjustments.append(
                Approved(
                    audit.at,
                    audit.action,
                    audit.cashier,
                    audit.approved_by,
                    0,
                    audit.points,
                    audit.reason,
                )
            )
        else:
            n["lockouts"] += 1
    return DayReport(
        day=day,
        currency=currency,
        sales=n["sales"],
        returns=n["returns"],
        takings=dict(takings),
        refunds=dict(refunds),
        change_minor=n["change"],
        points_issued=n["issued"],
        points_taken_back=n["taken_back"],
        points_redeemed=n["redeemed"],
        points_given_back=n["given_back"],
        discounts_by_rule=dict(discounts),
        made_offline=n["offline"],
        voids=tuple(voids),
        adjustments=tuple(adjustments),
        lifted=tuple(lifted),
        pin_lockouts=n["lockouts"],
        cashiers=tuple(
            CashierDay(c, w["sales"], w["returns"], w["takings"], w["refunds"])
            for c, w in sorted(people.items())
        ),
    )


def _paid(sale: Sale) -> dict[str, int]:
    """What ``sale`` was paid with, by tender; a sale that did not say: its points and
    gift card (the quote's), and its money as not recorded."""
    out = Counter[str]()
    if sale.tenders:
        for p in sale.tenders:
            out[p.kind.value] += p.amount_minor
        return dict(out)
    out[TenderKind.POINTS.value] += sale.points_value_minor
    out[TenderKind.GIFT_CARD.value] += sale.gift_card[1] if sale.gift_card else 0
    out[UNSAID] += sale.paid_money_minor
    return {k: v for k, v in out.items() if v}
