"""The terminal's end-of-day loyalty report: what one store day did to points and money."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from agent.events import Sale, read_event
from agent.i18n import Texts
from agent.money import Money
from agent.receipt import Receipt, ReceiptLine, Style
from agent.store import Store

LATE_S = 60  # a sale HQ acknowledged later than this after it was made was made offline


@dataclass(frozen=True, slots=True)
class DayReport:
    day: str
    currency: str
    sales: int = 0
    returns: int = 0
    total_minor: int = 0  # takings: money paid (not points) less money given back
    refunded_minor: int = 0  # money given back by returns
    points_issued: int = 0  # earned by the day's sales
    points_taken_back: int = 0  # of earlier points, by the day's returns
    points_redeemed: int = 0  # spent on the day's sales
    points_given_back: int = 0  # of spent points, by the day's returns
    discounts_by_rule: dict[str, int] = field(default_factory=dict)
    made_offline: int = 0
    overrides: int = 0

    def lines(self, t: Texts) -> list[tuple[str, str]]:
        """(label, value) rows in the language of ``t``."""
        rows = [
            (t("Day"), self.day),
            (t("Sales"), str(self.sales)),
            (t("Returns"), str(self.returns)),
            (t("Takings"), t.money(Money(self.total_minor, self.currency))),
            (t("Money back"), t.money(Money(self.refunded_minor, self.currency))),
            (t("Points issued"), str(self.points_issued)),
            (t("Points taken back"), str(self.points_taken_back)),
            (t("Points redeemed"), str(self.points_redeemed)),
            (t("Points given back"), str(self.points_given_back)),
            (t("Sales made offline"), str(self.made_offline)),
            (t("Manager overrides"), str(self.overrides)),
        ]
        for rule, minor in sorted(self.discounts_by_rule.items()):
            rows.append((t("Discount {rule}", rule=rule), t.money(Money(minor, self.currency))))
        return rows

    def receipt(self, terminal_id: str, t: Texts) -> Receipt:
        body = [ReceiptLine(t("Loyalty report {terminal}", terminal=terminal_id), Style.TITLE)]
        body += [ReceiptLine(label, right=value) for label, value in self.lines(t)]
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

    c = store.conn
    n = Counter[str]()
    discounts: Counter[str] = Counter()
    for kind, money_minor, earned, spent, sale_day, body, at, created, acked in c.execute(
        "SELECT s.kind, s.paid_money_minor, s.points_earned, s.points_redeemed, s.day, "
        "j.body, j.at, o.created_at, o.acked_at FROM sales s JOIN journal j ON j.seq=s.seq "
        "JOIN outbox o ON o.seq=s.seq WHERE s.day=? OR (s.day='' AND s.kind='return')",
        (day,),
    ):
        if sale_day == "" and not on_the_day(at):
            continue
        n["total"] += int(money_minor)
        if kind == "sale":
            n["sales"] += 1
            n["issued"] += int(earned)
            n["redeemed"] += int(spent)
            sale = read_event(kind, body).record
            assert isinstance(sale, Sale)
            for rule, amount_minor in sale.discounts:
                discounts[rule] += amount_minor
            n["lifted"] += sale.limit_lifted_by is not None
        else:
            n["returns"] += 1
            n["refunded"] -= int(money_minor)
            n["taken_back"] -= int(earned)
            n["given_back"] -= int(spent)
        done = datetime.fromisoformat(acked) if acked else now
        n["offline"] += (done - datetime.fromisoformat(created)).total_seconds() > LATE_S
    audits = c.execute("SELECT at FROM journal WHERE kind='audit'").fetchall()
    overrides = sum(on_the_day(at) for (at,) in audits)
    return DayReport(
        day=day,
        currency=currency,
        sales=n["sales"],
        returns=n["returns"],
        total_minor=n["total"],
        refunded_minor=n["refunded"],
        points_issued=n["issued"],
        points_taken_back=n["taken_back"],
        points_redeemed=n["redeemed"],
        points_given_back=n["given_back"],
        discounts_by_rule=dict(discounts),
        made_offline=n["offline"],
        overrides=overrides + n["lifted"],
    )
