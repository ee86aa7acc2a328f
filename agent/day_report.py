"""The terminal's end-of-day loyalty report: what one store day did to points and money."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

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
    total_minor: int = 0
    points_issued: int = 0
    points_redeemed: int = 0
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
            (t("Points issued"), str(self.points_issued)),
            (t("Points redeemed"), str(self.points_redeemed)),
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


def day_report(store: Store, day: str, currency: str, now: datetime) -> DayReport:
    """Return the report of store day ``day`` (YYYY-MM-DD, the programme's time zone)."""
    c = store.conn
    sales = returns = total = issued = redeemed = offline = lifted = 0
    discounts: Counter[str] = Counter()
    for kind, total_minor, earned, spent, body, created, acked in c.execute(
        "SELECT s.kind, s.total_minor, s.points_earned, s.points_redeemed, j.body, "
        "o.created_at, o.acked_at FROM sales s JOIN journal j ON j.seq=s.seq "
        "JOIN outbox o ON o.seq=s.seq WHERE s.day=? OR (s.kind='return' AND substr(j.at,1,10)=?)",
        (day, day),
    ):
        if kind == "sale":
            sales += 1
            doc = json.loads(body)
            for d in doc.get("discounts", []):
                discounts[str(d["rule"])] += int(d["amount_minor"])
            lifted += "limit_lifted_by" in doc
        else:
            returns += 1
        total += int(total_minor)
        issued += int(earned)
        redeemed += int(spent)
        end = datetime.fromisoformat(acked) if acked else now
        if (end - datetime.fromisoformat(created)).total_seconds() > LATE_S:
            offline += 1
    (overrides,) = c.execute(
        "SELECT COUNT(*) FROM journal WHERE kind='audit' AND substr(at,1,10)=?", (day,)
    ).fetchone()
    return DayReport(
        day,
        currency,
        sales,
        returns,
        total,
        issued,
        redeemed,
        dict(discounts),
        offline,
        overrides + lifted,
    )
