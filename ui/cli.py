"""The `kassa` command: the composition root for every way kassa runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from agent.clock import SystemClock, parse_utc
from agent.errors import KassaError
from agent.i18n import LANGUAGES
from agent.model import OfflinePolicy
from ui import cashier_cmd, decode_cmd, devices_cmd, token_cmd


def _hq_report(db: str, as_json: bool) -> int:
    from sync.hq_store import HqStore

    report = HqStore(db).report()
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    t = report["total"]
    print(
        f"sales {t['sales']}  points issued {t['points_issued']}  redeemed {t['points_redeemed']}"
    )
    for tid, row in report["terminals"].items():
        print(f"  {tid}: {row['sales']} sales, acked through {row['acked_seq']}")
    for flag in report["negative_balances"]:
        print(f"  NEGATIVE balance {flag['customer_id']}: {flag['balance']}")
    return 0


def cmd_hq(args: argparse.Namespace) -> int:
    from sync.hq_store import HqStore

    if args.hq_cmd == "report":
        return _hq_report(args.db, args.json)
    if args.hq_cmd == "publish":
        from agent.ruleset import load_ruleset

        store = HqStore(args.db)
        doc = load_ruleset(Path(args.ruleset).read_text(encoding="utf-8")).document
        print(f"ruleset version {store.publish_ruleset(doc)} published")
        return 0
    if args.hq_cmd == "revoke":
        HqStore(args.db).revoke(args.rule)
        print(f"{args.rule} revoked; terminals stop applying it at their next download")
        return 0
    if args.hq_cmd == "grant-quota":
        HqStore(args.db).grant_quota(args.terminal, args.rule, args.count)
        print(f"{args.terminal}: {args.rule} quota {args.count}")
        return 0
    if args.hq_cmd == "grant-allowance":
        HqStore(args.db).grant_allowance(args.terminal, args.customer, args.points)
        print(f"{args.terminal}: {args.points} points of {args.customer} reserved for offline use")
        return 0
    if args.hq_cmd == "set-policy":
        policy = OfflinePolicy(
            args.daily_points,
            args.stale_after_s,
            args.stale_daily_points,
            not args.no_typed_check,
            args.manager_lift,
        )
        HqStore(args.db).set_policy(policy)
        print(f"offline policy: {json.dumps(policy.to_doc())}")
        return 0
    if args.hq_cmd == "add-terminal":
        store = HqStore(args.db)
        store.add_terminal(args.id, args.secret)
        print(f"terminal {args.id} added")
        return 0
    if args.db is None:
        raise SystemExit("kassa hq: --db FILE is required")
    from sync.hq_server import serve

    serve(
        args.db,
        args.host,
        args.port,
        args.demo,
        parse_utc(args.fixed_time) if args.fixed_time else None,
    )
    return 0


def wait_for_hq(url: str, timeout_s: float) -> bool:
    """Return True once HQ answers its health check, False after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass  # not up yet
        time.sleep(0.1)
    return False


def start_hq(db: Path, port: int, demo: bool) -> subprocess.Popen[bytes]:
    """Start the reference HQ as its own process on loopback."""
    cmd = [sys.executable, "-m", "ui.cli", "hq", "--db", str(db), "--port", str(port)]
    return subprocess.Popen(cmd + (["--demo"] if demo else []))


def _run_app(config_path: Path | None, config: object | None = None) -> int:
    from ui.app import CheckoutApp
    from ui.config import Config, load_config
    from ui.services import build_services

    cfg = load_config(config_path) if config_path else config
    assert isinstance(cfg, Config)
    CheckoutApp(build_services(cfg)).run()
    return 0


DEMO_CASHIERS = (("ola", "Ola", "cashier", "1111", ""), ("marek", "Marek", "manager", "9999", ""))


def seed_demo_cashiers(data_dir: Path) -> None:
    """The demo till's staff: Ola (cashier, PIN 1111) and Marek (manager, PIN 9999)."""
    from agent.staff import Role, new_cashier
    from agent.store import Store

    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir / "terminal.db")
    try:
        if not store.cashiers():
            for cid, name, role, pin, lang in DEMO_CASHIERS:
                store.save_cashier(new_cashier(cid, name, Role(role), pin, lang))
    finally:
        store.close()


def cmd_demo(args: argparse.Namespace) -> int:
    from drivers.printer import PrinterConfig
    from drivers.serial_scanner import ScannerConfig
    from ui.config import Config, HqConfig

    data = Path(args.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{args.port}"
    hq = start_hq(data / "hq.db", args.port, demo=True)
    try:
        if not wait_for_hq(url, 30):
            print("kassa demo: HQ did not start", file=sys.stderr)
            return 1
        seed_demo_cashiers(data / "T1")
        config = Config(
            terminal_id="T1",
            data_dir=data / "T1",
            language=args.language,
            store_name="kassa demo store",
            hq=HqConfig(url=url, secret="demo", public_key=f"{data / 'hq.db'}.pub", interval_s=1.0),
            scanner=ScannerConfig(url=args.scanner or ""),
            printer=PrinterConfig(target=str(data / "T1" / "receipts" / "last.bin")),
        )
        return _run_app(None, config)
    finally:
        hq.terminate()
        hq.wait(10)


def cmd_simulate(args: argparse.Namespace) -> int:
    from ui.simulate import simulate

    result = simulate(
        args.hq,
        args.sales,
        Path(args.data_dir),
        terminal_id=args.terminal_id,
        secret=args.secret,
        hq_key=args.hq_key,
        timeout_s=args.timeout,
        batch_size=args.batch_size,
        backoff_max_s=args.backoff_max_s,
    )
    print(f"sold {result.sold}, pending {result.pending}: {result.message}")
    return 0 if result.ok else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from ui.simulate import verify_dir

    broken = verify_dir(Path(args.data_dir))
    if broken is None:
        print("journal intact")
        return 0
    print(f"journal broken at {broken}")
    return 1


def cmd_quote(args: argparse.Namespace) -> int:
    from ui.quote_cmd import run_quote

    doc = run_quote(
        Path(args.ruleset),
        Path(args.basket),
        Path(args.customer) if args.customer else None,
        Path(args.usage) if args.usage else None,
        args.at,
        SystemClock(),
        args.revoked,
    )
    print(json.dumps(doc, indent=2, ensure_ascii=False))
    return 0


def _cap(text: str) -> int | None:
    if text.lower() == "none":
        return None
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("a cap is a whole number of points >= 0, or 'none'")
    return value


def cmd_bench(args: argparse.Namespace) -> int:
    from ui.bench import format_bench, main_json, run_bench

    result = run_bench(quick=args.quick)
    print(main_json(result) if args.json else format_bench(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kassa", description="Offline-first loyalty agent")
    sub = p.add_subparsers(dest="cmd", required=True)

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
    add.add_argument("--secret", required=True)
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
    hq.set_defaults(func=cmd_hq)

    run = sub.add_parser("run", help="start a terminal from a TOML config")
    run.add_argument("--config", required=True)
    run.set_defaults(func=lambda a: _run_app(Path(a.config)))

    demo = sub.add_parser("demo", help="start HQ and a demo terminal on loopback")
    demo.add_argument("--data-dir", default="demo-data")
    demo.add_argument("--port", type=int, default=8700)
    demo.add_argument("--scanner", help="pyserial URL of a scanner (default: keyboard wedge)")
    demo.add_argument("--language", choices=LANGUAGES, default="en", help="the screens' language")
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulate", help="scripted headless sales against HQ")
    sim.add_argument("--hq", required=True)
    sim.add_argument("--sales", type=int, required=True)
    sim.add_argument("--data-dir", required=True)
    sim.add_argument("--terminal-id", default="T1")
    sim.add_argument("--secret", default="demo")
    sim.add_argument(
        "--hq-key",
        required=True,
        help="HQ's public key: hex, or HQ's .pub file (beside its database)",
    )
    sim.add_argument("--timeout", type=float, default=60.0)
    sim.add_argument("--batch-size", type=int, default=200)
    sim.add_argument(
        "--backoff-max-s", type=float, default=30.0, help="longest wait between failed rounds"
    )
    sim.set_defaults(func=cmd_simulate)

    ver = sub.add_parser("verify", help="check the local journal's hash chain")
    ver.add_argument("--data-dir", required=True)
    ver.set_defaults(func=cmd_verify)

    q = sub.add_parser("quote", help="price a basket against a ruleset, as JSON")
    q.add_argument("--ruleset", required=True)
    q.add_argument("--basket", required=True)
    q.add_argument("--customer")
    q.add_argument("--usage")
    q.add_argument("--at", help="ISO time with offset (default: now)")
    q.add_argument("--revoked", action="append", default=[], help="treat RULE as revoked")
    q.set_defaults(func=cmd_quote)

    token_cmd.add_parser(sub)
    devices_cmd.add_parsers(sub)
    decode_cmd.add_parser(sub)
    cashier_cmd.add_parser(sub)

    b = sub.add_parser("bench", help="measure the figures the issues name")
    b.add_argument("--json", action="store_true")
    b.add_argument("--quick", action="store_true", help="fewer rounds (CI)")
    b.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KassaError as exc:
        print(f"kassa: {exc.for_cashier()}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
