"""`kassa day-report`: the end-of-day report of a terminal's store day, as the cashier
app's report screen shows it (or as JSON)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from agent.clock import SystemClock
from agent.day_report import day_report
from agent.errors import NotADatabase
from agent.i18n import Texts
from agent.store import Store


def report_text(
    data_dir: Path,
    day: str | None,
    language: str = "en",
    as_json: bool = False,
    now: datetime | None = None,
) -> str:
    """The report of ``day`` (YYYY-MM-DD, the store's; default: today) of the terminal at
    ``data_dir``. Raises NotADatabase when ``data_dir`` holds no terminal's store, and
    ValueError for a day that is no date."""
    if not data_dir.is_dir():
        raise NotADatabase(f"{data_dir}: no such folder")
    store = Store.open_existing(data_dir / "terminal.db")
    try:
        rs = store.catalogue.ruleset()
        tz = rs.tz if rs else UTC
        now = now or SystemClock().now()
        day = day or now.astimezone(tz).strftime("%Y-%m-%d")
        datetime.strptime(day, "%Y-%m-%d")  # a day that is no date is refused
        report = day_report(store, day, rs.currency if rs else "PLN", now, tz)
        names = {c.cashier_id: c.name for c in store.ledger.cashiers()}
    finally:
        store.close()
    if as_json:
        return json.dumps(asdict(report), indent=2, ensure_ascii=False)
    return report.text(Texts(language), tz, names)
