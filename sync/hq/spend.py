"""HQ's qualifying spend: the money each customer paid towards the tiers, kept in buckets
that age out of the programme's window (``tier_qualification.window_days``), like the
point lots of :mod:`sync.hq.lots`.

In a customer's HQ document: ``spend`` is a list of buckets (``minor``, ``until``: the
money of the sales whose window ends the same UTC day, counted until the latest of
their ends), ``spend_base_minor`` the spend HQ was given as a figure (seeding, an
import: it has no dates, so it never ages), ``spend_until`` the first time a bucket
ages out (so a snapshot finds the customers to age with one query), and
``tier_spend_minor`` the figure terminals receive: base plus the buckets in the window.
A customer HQ has no figure and no sale for has none of these: they keep HQ's tier.

The tier follows the figure: raised to the tier it reaches; lowered when spend ages
out only if the programme says so (``tier_qualification.lower``; by default never).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agent.clock import parse_utc
from agent.ruleset import Ruleset
from sync.hq.history import remember


def _start(doc: dict[str, Any]) -> None:
    """Give ``doc`` buckets, keeping the figure it held as spend that never ages."""
    if "spend_base_minor" not in doc:
        doc["spend_base_minor"] = int(doc.get("tier_spend_minor") or 0)
        doc["spend"] = []


def add(doc: dict[str, Any], minor: int, at: datetime, window_days: int | None) -> None:
    """Count ``minor`` (a return's is negative) of qualifying money paid at ``at``.

    Money paid is a bucket ending ``window_days`` after it (without a window, spend
    never ages). A return takes its money out of the bucket of the sale it returns
    (``at`` is that sale's time), never below nothing; spend already aged out is gone.
    """
    _start(doc)
    buckets: list[dict[str, Any]] = doc["spend"]
    if window_days is None:
        doc["spend_base_minor"] = max(0, int(doc["spend_base_minor"]) + minor)
        return
    until = at + timedelta(days=window_days)
    same_day = next((b for b in buckets if parse_utc(b["until"]).date() == until.date()), None)
    if same_day is None:
        if minor > 0:
            buckets.append({"minor": minor, "until": until.isoformat()})
    else:
        same_day["minor"] = max(0, int(same_day["minor"]) + minor)
        if minor > 0:
            same_day["until"] = max(parse_utc(same_day["until"]), until).isoformat()
    doc["spend"] = [b for b in buckets if int(b["minor"]) > 0]


def requalify(doc: dict[str, Any], now: datetime, rs: Ruleset | None) -> bool:
    """Drop the buckets aged out by ``now``, set ``tier_spend_minor`` to the spend left
    in the window and the tier to follow it; return whether the document changed."""
    if "spend_base_minor" not in doc:
        return False  # no figure and no sale: nothing to count
    before = (doc.get("tier_spend_minor"), doc.get("tier"), len(doc["spend"]))
    live = [b for b in doc["spend"] if parse_utc(b["until"]) > now]
    doc["spend"] = live
    spend = int(doc["spend_base_minor"]) + sum(int(b["minor"]) for b in live)
    doc["tier_spend_minor"] = spend
    doc["spend_until"] = min((b["until"] for b in live), key=parse_utc, default=None)
    if rs is not None:
        held = str(doc.get("tier") or rs.default_tier)
        rules = rs.tier_qualification
        lower = rules is not None and rules.lower
        was = dict(doc)
        doc["tier"] = rs.tier_reached(spend) if lower else rs.tier_held(held, spend)
        remember(was, doc, now)  # a till may still price with the tier it held
    return before != (doc.get("tier_spend_minor"), doc.get("tier"), len(live))


def without_spend(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without HQ's bookkeeping of the spend (the buckets: when a customer
    bought), which a terminal does not need: it reads ``tier_spend_minor``; nor the
    states HQ remembers (:mod:`sync.hq.history`)."""
    for key in ("spend", "spend_base_minor", "spend_until", "was"):
        doc.pop(key, None)
    return doc
