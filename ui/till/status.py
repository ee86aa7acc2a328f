"""The status line: the most important thing first, in one line of the screen's width.

First what the cashier must know (HQ offline or refusing, data too old to spend points
freely), then the sales waiting to go to HQ and when the till last heard from HQ: these
are always shown. After them, while there is room: the age of the oldest waiting sale,
the clock's drift, and the fault in HQ's own words (the status page, F3, shows all of
it) or, with no fault to tell, the till and who is signed in. Times are the store's,
as on its receipts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from agent.i18n import Texts
from agent.words import Words
from sync.worker import SyncState, SyncStatus

SEPARATOR = " | "
# The worker's notes that the line says in short words of its own.
SAID_SHORT = (
    "HQ data is stale: points spending is limited",
    "clock is {seconds} s off HQ's: check the time",
)


def on_screen(at: datetime, tz: tzinfo | None, fmt: str = "%H:%M") -> str:
    """``at`` as the store's clocks show it; in UTC, said so, before a ruleset names the
    store's time zone."""
    if tz is None:
        return f"{at.astimezone(UTC):{fmt}} UTC"
    return f"{at.astimezone(tz):{fmt}}"


@dataclass(frozen=True, slots=True)
class Part:
    """One fact of the line: ``text``, or ``longer`` in its place where there is room;
    a part with no ``text`` is left out where there is none."""

    text: str
    longer: str = ""


def fit(parts: list[Part], width: int) -> str:
    """Every part's text, then each longer form that still fits, most important first;
    what is beyond ``width`` anyway is cut, with an ellipsis."""
    chosen = [p.text for p in parts]

    def line() -> str:
        return SEPARATOR.join(x for x in chosen if x)

    for i, part in enumerate(parts):
        if part.longer:
            shorter, chosen[i] = chosen[i], part.longer
            if len(line()) > width:
                chosen[i] = shorter
    text = line()
    return text if len(text) <= width else text[: width - 1] + "…"


def status_line(
    t: Texts,
    width: int,
    sync: SyncStatus | None,
    pending: int,
    oldest_min: int | None,
    who: str,
    tz: tzinfo | None,
) -> tuple[str, bool, bool]:
    """The line, and whether the till is offline and whether HQ's data is stale."""
    waiting = t("waiting to sync: {n}", n=pending)
    longer_wait = (
        ""
        if oldest_min is None
        else waiting + " " + t("(oldest {minutes} min)", minutes=oldest_min)
    )
    if sync is None:
        parts = [Part(t("HQ: not configured")), Part(waiting, longer_wait), Part("", who)]
        return fit(parts, width), True, False
    offline = sync.state is not SyncState.ONLINE
    synced = t("never synced")
    if sync.last_sync_at is not None:
        synced = t("synced {time}", time=on_screen(sync.last_sync_at, tz))
    parts = [Part(t("HQ {state}", state=t(sync.state.value)))]
    if sync.stale:
        parts.append(Part(t("stale data: points limited")))
    parts += [Part(waiting, longer_wait), Part(synced)]
    if sync.skew_s is not None:
        parts.append(Part("", t("clock {seconds} s off", seconds=f"{sync.skew_s:+.0f}")))
    others: list[Words] = [n for n in sync.notes if n.template not in SAID_SHORT]
    note = t.say_all(others)
    if not note:
        return fit([*parts, Part("", who)], width), offline, sync.stale
    line = fit([*parts, Part("", note)], width)
    room = width - len(line) - len(SEPARATOR)
    if note not in line and room >= 12:  # the start of the fault rather than nothing of it
        line += SEPARATOR + note[: room - 1] + "…"
    return line, offline, sync.stale
