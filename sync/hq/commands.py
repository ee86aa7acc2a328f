"""The `kassa hq` command line: its arguments (the handlers are :mod:`sync.hq.admin`)."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from agent.model import FOREIGN_RETURNS_OFFLINE, OfflinePolicy
from sync.wire import MAX_REQUEST_BYTES

MAX_WORKERS = 64  # `kassa hq --workers`: more processes than this is a typo


def _cap(text: str) -> int | None:
    if text.lower() == "none":
        return None
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("a cap is a whole number of points >= 0, or 'none'")
    return value


def _bound(text: str) -> int:
    value = int(text)
    if not 0 < value <= 10**9:
        raise argparse.ArgumentTypeError("a whole number from 1 to 10^9")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"a number of processes from 1 to {MAX_WORKERS}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 10**7:
        raise argparse.ArgumentTypeError("a number of seconds above 0")
    return value


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a day as YYYY-MM-DD") from None


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise argparse.ArgumentTypeError("an ISO time with its offset, e.g. 2026-11-24T10:00+01:00")
    return at


def cmd_hq(args: argparse.Namespace) -> int:
    """Run `kassa hq`: HQ's code is loaded only now, not by every `kassa` command."""
    from sync.hq.admin import run

    return run(args)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `kassa hq` and its subcommands to the `kassa` command's parser."""
    hq = sub.add_parser("hq", help="run or inspect the reference HQ")
    hq.add_argument(
        "--db", help="HQ's database: an SQLite file (or sqlite:///FILE), or postgresql://..."
    )
    hq.add_argument("--port", type=int, default=8700)
    hq.add_argument("--host", default="127.0.0.1")
    hq.add_argument("--demo", action="store_true", help="seed the demo programme if empty")
    hq.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="serve with this many processes on one socket, restarted if one dies "
        "(default 1: one process)",
    )
    hq.add_argument("--fixed-time", help="pin HQ's clock to this ISO time (tests, training)")
    hq.add_argument(
        "--expire-every-s",
        type=_seconds,
        default=3600.0,
        help="run the expiry of points this often while HQ serves (default: hourly)",
    )
    hq.add_argument(
        "--max-request-bytes",
        type=_bound,
        default=MAX_REQUEST_BYTES,
        help="answer 413 to an upload longer than this (a terminal's batch fits the default)",
    )
    hq.add_argument(
        "--write-wait-s",
        type=float,
        help="how long a write waits for the others before HQ answers 503 (default 20)",
    )
    hq_sub = hq.add_subparsers(dest="hq_cmd")
    rep = hq_sub.add_parser("report", help="what HQ holds")
    rep.add_argument("--db", required=True)
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--at", help="the fraud signals' window ends here (ISO; default: now)")
    rep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=N",
        help="a fraud signal's threshold other than its default (README: `kassa hq report`)",
    )
    staff = hq_sub.add_parser("add-staff", help="add HQ's staff member, with their own card")
    staff.add_argument("--db", required=True)
    staff.add_argument("--id", required=True, help="their cashier id at the tills")
    staff.add_argument("--name", required=True)
    staff.add_argument("--card", help="their own loyalty card, if they have one")
    rep.add_argument("--since", type=_day, help="points expired from this day (YYYY-MM-DD)")
    rep.add_argument("--until", type=_day, help="... to this day, included")
    exp = hq_sub.add_parser("expire", help="expire the points due, writing expiry moves")
    exp.add_argument("--db", required=True)
    exp.add_argument(
        "--at", type=_instant, help="expire what is due at this ISO time (default: now)"
    )
    qua = hq_sub.add_parser("quarantine", help="events HQ holds but did not apply, and why")
    qua.add_argument("--db", required=True)
    qua.add_argument("--json", action="store_true")
    add = hq_sub.add_parser("add-terminal", help="register a terminal's credential")
    add.add_argument("--db", required=True)
    add.add_argument("--id", required=True)
    add.add_argument(
        "--secret", help="at least 128 bits; left out, HQ makes one and prints it once"
    )
    add.add_argument("--store", help="the store it stands in (default: main)")
    key = hq_sub.add_parser(
        "public-key", help="print HQ's public key (the hex a terminal's [hq] key file holds)"
    )
    key.add_argument("--db", required=True)
    pub = hq_sub.add_parser("publish", help="validate and publish a ruleset")
    pub.add_argument("--db", required=True)
    pub.add_argument("ruleset")
    rev = hq_sub.add_parser("revoke", help="kill switch: stop a campaign on every terminal")
    rev.add_argument("--db", required=True)
    rev.add_argument("rule")
    gq = hq_sub.add_parser("grant-quota", help="grant a terminal uses of a quota-limited rule")
    gq.add_argument("--db", required=True)
    gq.add_argument("--terminal", required=True)
    gq.add_argument("--rule", required=True)
    gq.add_argument("--count", type=int, required=True)
    ga = hq_sub.add_parser(
        "grant-allowance", help="reserve points of a customer for one terminal to spend offline"
    )
    ga.add_argument("--db", required=True)
    ga.add_argument("--terminal", required=True)
    ga.add_argument("--customer", required=True)
    ga.add_argument("--points", type=int, required=True)
    sp = hq_sub.add_parser("set-policy", help="limit what terminals let customers spend offline")
    sp.add_argument("--db", required=True)
    default = OfflinePolicy()
    sp.add_argument(
        "--daily-points",
        type=_cap,
        default=default.daily_points,
        help="points a customer may spend per store day before HQ confirms ('none': no cap)",
    )
    sp.add_argument("--stale-after-s", type=int, default=default.stale_after_s)
    sp.add_argument(
        "--manager-lift",
        action="store_true",
        help="let a manager lift the cap for one sale (outside the overspend bound)",
    )
    sp.add_argument(
        "--no-typed-check",
        action="store_true",
        help="let a typed card or phone number spend points without the app's code",
    )
    sp.add_argument(
        "--stale-daily-points",
        type=_cap,
        default=default.stale_daily_points,
        help="the stricter cap once the last snapshot is older than --stale-after-s",
    )
    sp.add_argument(
        "--max-adjust-points",
        type=_bound,
        default=default.max_adjust_points,
        help="the most points a manager's adjustment may move either way",
    )
    sp.add_argument(
        "--confirm-adjust-points",
        type=_bound,
        default=default.confirm_adjust_points,
        help="above this many points the till asks the manager again",
    )
    sp.add_argument(
        "--gift-card-daily-minor",
        type=_cap,
        default=default.gift_card_daily_minor,
        help="minor units one gift card may pay per store day at one terminal before HQ "
        "confirms ('none': no limit)",
    )
    sp.add_argument(
        "--stale-gift-card-daily-minor",
        type=_cap,
        default=default.stale_gift_card_daily_minor,
        help="the stricter gift card limit once the last snapshot is older than --stale-after-s",
    )
    sp.add_argument(
        "--foreign-returns-offline",
        choices=FOREIGN_RETURNS_OFFLINE,
        default=default.foreign_returns_offline,
        help="a receipt of another till while HQ cannot be reached: refuse it, or let a "
        "manager give the money back without the points part",
    )
    hold = hq_sub.add_parser(
        "hold-customers", help="which customers a store's tills hold: all, or those seen there"
    )
    hold.add_argument("--db", required=True)
    hold.add_argument("--store", required=True)
    hold.add_argument("--mode", choices=("all", "seen"), required=True)
    hold.add_argument(
        "--window-days",
        type=_bound,
        default=90,
        help="seen: the customers seen at the store in this many days (default 90)",
    )
    push = hq_sub.add_parser(
        "push-customer", help="have a store's tills hold a customer (a store holding who it sees)"
    )
    push.add_argument("--db", required=True)
    push.add_argument("--store", required=True)
    push.add_argument("--customer", required=True)
    hq.set_defaults(func=cmd_hq)
