"""`kassa doctor --config FILE [--json]`: is this till fit to sell? Each check a finding
in plain words with what to do; the exit status for monitoring (0 ok, 1 warnings, 2 errors)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import ConfigError
from agent.store import Store
from ui.commands import doctor_local as local
from ui.commands.doctor_hq import HQ_TIMEOUT_S, hq_checks
from ui.commands.findings import Finding, error, exit_status, ok, render
from ui.config import load_config


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    d = sub.add_parser("doctor", help="check the till: config, HQ, clock, devices, disk, journal")
    d.add_argument("--config", required=True)
    d.add_argument("--json", action="store_true", help="the findings as JSON, for monitoring")
    d.set_defaults(func=run_doctor)


def examine(
    config_path: Path,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    free_bytes: local.FreeBytes = local.disk_free_bytes,
    hq_timeout_s: float = HQ_TIMEOUT_S,
) -> list[Finding]:
    """Every check of the till configured at ``config_path``, in order; never raises for
    what it finds (a config that does not load is a finding too)."""
    config_path = config_path.absolute()
    if not config_path.is_file():
        return [error("config", f"{config_path}: no such file", "give the config's path")]
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        return [
            error("config", f"{config_path}: {exc.detail}", "fix that setting (see the README)"),
            local.config_file(config_path, holds_secret=True),
        ]
    found = [
        *(
            local.settings(cfg)
            or [ok("config", f"{config_path} is valid (terminal {cfg.terminal_id})")]
        ),
        local.config_file(config_path, holds_secret=bool(cfg.hq.secret)),
        local.data_dir(cfg),
        local.disk(cfg, free_bytes),
    ]
    opened = local.open_store(cfg)
    store = opened if isinstance(opened, Store) else None
    try:
        if store is None:
            assert isinstance(opened, Finding)
            found.append(opened)
        else:
            found.append(local.journal(store, cfg.db_path))
            found += local.backlog(store, now())
        found += [local.scanner(cfg), local.printer(cfg)]
        cam = local.camera(cfg)
        found += [cam] if cam else []
        found += hq_checks(cfg, store, now, hq_timeout_s)
    finally:
        if store is not None:
            store.close()
    return found


def run_doctor(args: argparse.Namespace) -> int:
    findings = examine(Path(args.config))
    code = exit_status(findings)
    if args.json:
        doc = {"status": ("ok", "warning", "error")[code], "exit_status": code}
        print(json.dumps(doc | {"findings": [f.to_doc() for f in findings]}, ensure_ascii=False))
    else:
        print(render(findings))
    return code
