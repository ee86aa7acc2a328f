"""The status line says the most important thing first and all the key facts at 80
columns, in every language; its times are the store's, as on the receipts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from agent.i18n import LANGUAGES, Texts
from agent.words import say
from sync.worker import SyncState, SyncStatus
from tests.conftest import TUESDAY
from tests.ui.test_checkout_app import text_of
from tests.ui.till import till
from ui.till.status import Part, fit

STALE = say("HQ data is stale: points spending is limited")
FAULT = say("Sync fault, retrying: {error}", error="HqUnreachable: connection refused " * 3)


class StubSync:
    """The sync worker as the app sees it: a status, and nothing running."""

    def __init__(self, status: SyncStatus) -> None:
        self.state = status

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wake(self) -> None: ...

    def status(self) -> SyncStatus:
        return self.state


def status_at_80(tmp_path: Path, language: str, status: SyncStatus, pending: int = 0) -> str:
    app = till(tmp_path, language=language, staff=False)
    app.services.sync = StubSync(status)  # type: ignore[assignment]
    shown: list[str] = []

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(pending):  # sales that HQ has not had yet
                await pilot.press(*"MILK", "enter", "f10", "f10")
                await pilot.pause()
            app.refresh_status()
            await pilot.pause()
            shown.append(text_of(app, "#status"))

    asyncio.run(flow())
    return shown[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_offline_and_stale_the_key_facts_fit_80_columns(tmp_path: Path, language: str) -> None:
    t = Texts(language)
    status = SyncStatus(
        SyncState.OFFLINE,
        pending=2,
        last_sync_at=TUESDAY - timedelta(hours=3),  # 06:00 UTC, 07:00 in Warsaw
        message="",
        stale=True,
        notes=(FAULT, STALE),
    )
    line = status_at_80(tmp_path, language, status, pending=2)
    assert len(line) <= 78  # the line's padding takes the other two columns
    warning = t("HQ {state}", state=t("offline"))
    assert line.startswith(warning)  # the most important thing first
    assert t("stale data: points limited") in line
    assert t("waiting to sync: {n}", n=2) in line
    assert t("synced {time}", time="07:00") in line  # the store's time, not UTC (06:00)


@pytest.mark.parametrize("language", LANGUAGES)
def test_online_the_line_has_room_for_the_till_and_the_oldest_sale(
    tmp_path: Path, language: str
) -> None:
    t = Texts(language)
    status = SyncStatus(SyncState.ONLINE, 0, TUESDAY, "")
    line = status_at_80(tmp_path, language, status)
    assert line.startswith(t("HQ {state}", state=t("online")))
    assert t("waiting to sync: {n}", n=0) in line and t("synced {time}", time="10:00") in line
    assert line.endswith("T1") and len(line) <= 78


def test_what_does_not_fit_is_left_out_least_important_first() -> None:
    parts = [Part("HQ offline"), Part("waiting: 3", "waiting: 3 (oldest 9 min)"), Part("", "T1")]
    assert fit(parts, 80) == "HQ offline | waiting: 3 (oldest 9 min) | T1"
    assert fit(parts, 30) == "HQ offline | waiting: 3 | T1"
    assert fit(parts, 20) == "HQ offline | waitin…"
