"""The `kassa` command: the composition root for every way kassa runs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from agent.clock import SystemClock
from agent.errors import KassaError
from agent.i18n import LANGUAGES
from sync.hq import commands as hq_commands
from ui.commands import backup, cashier, decode, devices, doctor, token
from ui.hq_process import start_hq, wait_for_hq


def _run_app(config_path: Path | None, config: object | None = None) -> int:
    from ui.config import Config, load_config, require_private
    from ui.services import build_services
    from ui.till.app import CheckoutApp

    cfg = load_config(config_path) if config_path else config
    if config_path is not None and isinstance(cfg, Config):
        require_private(config_path, cfg)
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
        if not store.ledger.cashiers():
            for cid, name, role, pin, lang in DEMO_CASHIERS:
                store.ledger.save_cashier(new_cashier(cid, name, Role(role), pin, lang))
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


def cmd_agent(args: argparse.Namespace) -> int:
    from ui.api.service import run_agent

    return run_agent(Path(args.config))


def cmd_simulate(args: argparse.Namespace) -> int:
    from ui.tools.simulate import simulate

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
    from ui.commands.verify import verify_dir

    broken = verify_dir(Path(args.data_dir))
    if broken is None:
        print("journal intact")
        return 0
    print(f"journal broken at {broken}")
    return 1


def cmd_day_report(args: argparse.Namespace) -> int:
    from ui.commands.day_report import report_text

    try:
        print(report_text(Path(args.data_dir), args.day, args.language, args.json))
    except ValueError as exc:
        raise SystemExit(f"kassa day-report: --day: {exc}") from None
    return 0


def cmd_quote(args: argparse.Namespace) -> int:
    from ui.commands.quote import run_quote

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


def cmd_bench(args: argparse.Namespace) -> int:
    from ui.tools.bench import format_bench, main_json, run_bench

    result = run_bench(
        args.quick,
        args.hq_terminals,
        args.hq_workers,
        args.hq_db,
        customers=args.customers,
        hq_pg=args.hq_pg,
    )
    print(main_json(result) if args.json else format_bench(result))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kassa", description="Offline-first loyalty agent")
    sub = p.add_subparsers(dest="cmd", required=True)

    hq_commands.add_parser(sub)

    run = sub.add_parser("run", help="start a terminal from a TOML config")
    run.add_argument("--config", required=True)
    run.set_defaults(func=lambda a: _run_app(Path(a.config)))

    agent = sub.add_parser("agent", help="run headless: the local agent API for a POS")
    agent.add_argument("--config", required=True)
    agent.set_defaults(func=cmd_agent)

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

    rep = sub.add_parser("day-report", help="the end-of-day report of this till")
    rep.add_argument("--data-dir", required=True)
    rep.add_argument("--day", help="YYYY-MM-DD, the store's day (default: today)")
    rep.add_argument("--language", choices=["en", "ru", "pl", "ro"], default="en")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(func=cmd_day_report)

    q = sub.add_parser("quote", help="price a basket against a ruleset, as JSON")
    q.add_argument("--ruleset", required=True)
    q.add_argument("--basket", required=True)
    q.add_argument("--customer")
    q.add_argument("--usage")
    q.add_argument("--at", help="ISO time with offset (default: now)")
    q.add_argument("--revoked", action="append", default=[], help="treat RULE as revoked")
    q.set_defaults(func=cmd_quote)

    token.add_parser(sub)
    devices.add_parsers(sub)
    decode.add_parser(sub)
    cashier.add_parser(sub)
    doctor.add_parser(sub)
    backup.add_parsers(sub)

    b = sub.add_parser("bench", help="measure the figures the issues name")
    b.add_argument("--json", action="store_true")
    b.add_argument("--quick", action="store_true", help="fewer rounds (CI)")
    b.add_argument(
        "--hq-terminals", type=int, help="terminals uploading to HQ at once (200; --quick: 30)"
    )
    b.add_argument("--hq-workers", type=int, default=2, help="HQ's worker processes (2)")
    b.add_argument("--hq-db", default="sqlite", help="HQ's database: sqlite (fresh files) or a URL")
    b.add_argument(
        "--hq-pg",
        default=os.environ.get("KASSA_BENCH_PG"),
        help="a PostgreSQL URL whose role may create databases: HQ's ingest on it too "
        "(hq_pg_ingest_*; default $KASSA_BENCH_PG)",
    )
    b.add_argument(
        "--customers",
        type=int,
        help="the chain a new till joins (default 20,000 with --quick, else 1,000,000)",
    )
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
