"""`kassa hq`: run the reference HQ, or administer and inspect its database."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from agent.clock import SystemClock, parse_utc
from agent.model import OfflinePolicy
from agent.ruleset_reader import load_ruleset
from agent.signing import public_key_hex
from sync.hq.auth import check_secret, new_secret
from sync.hq.expiry import run_expiry
from sync.hq.fraud_settings import FraudSettings
from sync.hq.fraud_text import fraud_lines
from sync.hq.holding import push, set_holding
from sync.hq.report import quarantined, report
from sync.hq.store import WRITE_WAIT_S, HqStore


def _hq_report(args: argparse.Namespace) -> int:
    db, as_json = args.db, args.json
    try:
        settings = FraudSettings.parse(args.set)
        at = parse_utc(args.at) if args.at else SystemClock().now()
    except ValueError as exc:
        raise SystemExit(f"kassa hq report: {exc}") from None
    doc = report(HqStore(db, create=False), at, settings, since=args.since, until=args.until)
    if as_json:
        print(json.dumps(doc, indent=2))
        return 0
    t = doc["total"]
    print(
        f"sales {t['sales']}  points issued {t['points_issued']}  redeemed {t['points_redeemed']}"
    )
    paid = doc["tenders"]
    if paid["total"]:
        print(
            "paid by tender (minor units): "
            + "  ".join(f"{k} {v}" for k, v in paid["total"].items())
        )
    gone = doc["points_expired"]
    print(f"points expired {gone['total']}")
    for day in gone["per_day"]:
        print(f"  {day['day']}: {day['points']} points expired")
    for tid, row in doc["terminals"].items():
        print(f"  {tid}: {row['sales']} sales, acked through {row['acked_seq']}")
    for line in fraud_lines(doc["fraud"]):
        print(line)
    if doc["quarantined"]:
        print(f"  QUARANTINED {len(doc['quarantined'])} events (kassa hq quarantine lists them)")
    return 0


def _hq_quarantine(db: str, as_json: bool) -> int:
    """List the events HQ holds but did not apply, with the reasons."""
    rows = quarantined(HqStore(db, create=False))
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no quarantined events")
    for r in rows:
        print(
            f"{r['terminal_id']} seq {r['seq']} {r['kind']} ({r['event_id']}), "
            f"received {r['received_at']}: {r['reason']}"
        )
    return 0


def _add_terminal(db: str, terminal_id: str, given: str | None) -> int:
    """Register a terminal; without a secret HQ makes one and prints it, this once only
    (HQ keeps a salted hash of it: :mod:`sync.hq.auth`)."""
    store = HqStore(db, create=False)
    if given is not None and (why := check_secret(given)) is not None:
        print(f"kassa hq add-terminal: {why}", file=sys.stderr)
        return 2
    secret = new_secret() if given is None else given
    store.add_terminal(terminal_id, secret)
    print(f"terminal {terminal_id} added")
    if given is None:
        print(f"secret: {secret}")
        print("Put it in the terminal's config ([hq] secret); HQ keeps only a salted hash")
        print("and will not show it again.")
    return 0


def _holding(args: argparse.Namespace) -> int:
    """Set which customers a store's tills hold, or push one customer to them."""
    store = HqStore(args.db, create=False)
    try:
        if args.hq_cmd == "push-customer":
            push(store, args.store, args.customer, datetime.now(UTC))
            print(f"{args.store}: its tills hold {args.customer} from their next poll")
            return 0
        held = set_holding(store, args.store, args.mode, args.window_days)
    except ValueError as exc:
        print(f"kassa hq {args.hq_cmd}: {exc}", file=sys.stderr)
        return 2
    what = (
        "every customer"
        if held.mode == "all"
        else (f"the customers seen there in {held.window_days} days, and those pushed")
    )
    print(f"{args.store}: its tills hold {what} (their customers are sent again)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed `kassa hq` command; return the exit status."""
    if args.hq_cmd == "report":
        return _hq_report(args)
    if args.hq_cmd == "add-staff":
        HqStore(args.db, create=False).add_staff(args.id, args.name, args.card)
        print(f"staff {args.id} ({args.name})" + (f", own card {args.card}" if args.card else ""))
        return 0
    if args.hq_cmd == "expire":
        run = run_expiry(HqStore(args.db, create=False), args.at or datetime.now(UTC))
        print(f"{run.points} points expired ({run.lots} lots of {run.customers} customers)")
        return 0
    if args.hq_cmd in ("hold-customers", "push-customer"):
        return _holding(args)
    if args.hq_cmd == "quarantine":
        return _hq_quarantine(args.db, args.json)
    if args.hq_cmd == "publish":
        store = HqStore(args.db, create=False)
        doc = load_ruleset(Path(args.ruleset).read_text(encoding="utf-8")).document
        print(f"ruleset version {store.publish_ruleset(doc)} published")
        return 0
    if args.hq_cmd == "revoke":
        HqStore(args.db, create=False).revoke(args.rule)
        print(f"{args.rule} revoked; terminals stop applying it at their next download")
        return 0
    if args.hq_cmd == "grant-quota":
        HqStore(args.db, create=False).grant_quota(args.terminal, args.rule, args.count)
        print(f"{args.terminal}: {args.rule} quota {args.count}")
        return 0
    if args.hq_cmd == "grant-allowance":
        HqStore(args.db, create=False).grant_allowance(args.terminal, args.customer, args.points)
        print(f"{args.terminal}: {args.points} points of {args.customer} reserved for offline use")
        return 0
    if args.hq_cmd == "set-policy":
        policy = OfflinePolicy(
            args.daily_points,
            args.stale_after_s,
            args.stale_daily_points,
            not args.no_typed_check,
            args.manager_lift,
            args.max_adjust_points,
            args.confirm_adjust_points,
            args.gift_card_daily_minor,
            args.stale_gift_card_daily_minor,
            args.foreign_returns_offline,
        )
        HqStore(args.db, create=False).set_policy(policy)
        print(f"offline policy: {json.dumps(policy.to_doc())}")
        return 0
    if args.hq_cmd == "public-key":
        print(public_key_hex(HqStore(args.db, create=False).signing_key()))
        return 0
    if args.hq_cmd == "add-terminal":
        status = _add_terminal(args.db, args.id, args.secret)
        if status == 0 and args.store:
            HqStore(args.db, create=False).set_terminal_store(args.id, args.store)
            print(f"terminal {args.id} stands in store {args.store}")
        return status
    if args.db is None:
        raise SystemExit("kassa hq: --db FILE (or --db postgresql://...) is required")
    if args.workers > 1:  # several processes on one socket (sync.hq.workers)
        from sync.hq.workers import HqSettings, supervise

        settings = HqSettings(
            args.db,
            parse_utc(args.fixed_time).isoformat() if args.fixed_time else None,
            args.expire_every_s,
            args.max_request_bytes,
            args.write_wait_s or WRITE_WAIT_S,
        )
        return supervise(settings, args.host, args.port, args.demo, args.workers)
    from sync.hq.server import serve  # starlette and uvicorn only when HQ runs

    serve(
        args.db,
        args.host,
        args.port,
        args.demo,
        parse_utc(args.fixed_time) if args.fixed_time else None,
        args.expire_every_s,
        args.max_request_bytes,
        args.write_wait_s or WRITE_WAIT_S,
    )
    return 0
