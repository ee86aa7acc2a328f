"""The `kassa hq` command line: its arguments (the handlers are :mod:`sync.hq.admin`)."""

from __future__ import annotations

import argparse

from agent.model import OfflinePolicy


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


def cmd_hq(args: argparse.Namespace) -> int:
    """Run `kassa hq`: HQ's code is loaded only now, not by every `kassa` command."""
    from sync.hq.admin import run

    return run(args)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `kassa hq` and its subcommands to the `kassa` command's parser."""
    hq = sub.add_parser("hq", help="run or inspect the reference HQ")
    hq.add_argument("--db")
    hq.add_argument("--port", type=int, default=8700)
    hq.add_argument("--host", default="127.0.0.1")
    hq.add_argument("--demo", action="store_true", help="seed the demo programme if empty")
    hq.add_argument("--fixed-time", help="pin HQ's clock to this ISO time (tests, training)")
    hq_sub = hq.add_subparsers(dest="hq_cmd")
    rep = hq_sub.add_parser("report", help="what HQ holds")
    rep.add_argument("--db", required=True)
    rep.add_argument("--json", action="store_true")
    add = hq_sub.add_parser("add-terminal", help="register a terminal's credential")
    add.add_argument("--db", required=True)
    add.add_argument("--id", required=True)
    add.add_argument(
        "--secret", help="at least 128 bits; left out, HQ makes one and prints it once"
    )
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
    hq.set_defaults(func=cmd_hq)
