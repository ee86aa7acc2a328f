"""`kassa backup` and `kassa restore`: the terminal's database copied while the till runs,
and put back while no till runs, never under sales HQ already holds.

A restored till goes on from the backup's last seq. A sale HQ holds under a seq the
backup lacks (synced after the backup was taken) would then be followed by a new sale
under the same seq: HQ would flag it a conflict and never apply it. So restore asks HQ
which seq of this terminal it holds last, and refuses a backup that ends before it.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from agent.errors import HqProtocolError, HqUnreachable, InputError
from agent.store.backup import CopyReport, stage_copy, swap_in, take_backup
from agent.store.lock import DatabaseLock
from sync.client import HqClient, read_public_key
from ui.config import Config, load_config

HQ_TIMEOUT_S = 5.0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="copy the terminal's database while the till runs")
    b.add_argument("--config", required=True)
    b.add_argument("--to", required=True, help="the backup file to write (never overwritten)")
    b.set_defaults(func=run_backup)
    r = sub.add_parser("restore", help="put a backup back (no till may be running)")
    r.add_argument("--config", required=True)
    r.add_argument("--from", dest="source", required=True, help="a file kassa backup wrote")
    r.add_argument(
        "--force",
        action="store_true",
        help="restore although HQ cannot be asked which sales it holds (see the README)",
    )
    r.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    cfg = load_config(Path(args.config))
    report = take_backup(cfg.db_path, Path(args.to))
    print(
        f"backup of {cfg.db_path} written to {report.path}: journal up to seq "
        f"{report.last_seq}, {report.size_bytes} bytes, integrity and hash chain checked, "
        "synced to disk"
    )
    return 0


def hq_holds_through(cfg: Config) -> int:
    """The last seq of this terminal HQ holds (an empty upload: HQ stores nothing).

    Raises HqUnreachable, HqProtocolError (a refused credential), ConfigError."""
    key = read_public_key(cfg.hq.public_key) if cfg.hq.public_key else ""
    client = HqClient(cfg.hq.url, cfg.terminal_id, cfg.hq.secret, key, timeout_s=HQ_TIMEOUT_S)
    try:
        return client.upload([]).acked_through
    finally:
        client.close()


def refusal(cfg: Config, copy: CopyReport, force: bool) -> str | None:
    """Why ``copy`` must not replace this till's database, or None."""
    if copy.terminal_id not in (None, cfg.terminal_id):
        return f"the backup is of terminal {copy.terminal_id}, this till is {cfg.terminal_id}"
    try:
        held = hq_holds_through(cfg)
    except (HqUnreachable, HqProtocolError, OSError) as exc:
        if force:
            return None
        return (
            f"HQ cannot be asked which sales of {cfg.terminal_id} it holds ({exc}); "
            "--force restores anyway (README: Backup and restore)"
        )
    if held > copy.last_seq:
        return (
            f"HQ holds this terminal's sales up to seq {held}, the backup ends at seq "
            f"{copy.last_seq}: the restored till would sell again under seqs "
            f"{copy.last_seq + 1}-{held}, which HQ holds for other sales. Take a newer "
            "backup, or start this till afresh under a new terminal id "
            "(kassa hq add-terminal): its sales are safe at HQ"
        )
    return None


def run_restore(args: argparse.Namespace) -> int:
    cfg = load_config(Path(args.config))
    source = Path(args.source)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    lock = DatabaseLock.take(cfg.db_path, exclusive=True)  # StoreBusy while a till runs
    try:
        staged = stage_copy(source, cfg.db_path)
        try:
            why = refusal(cfg, staged, args.force)
            if why is not None:
                raise InputError(f"restore refused: {why}")
            aside = swap_in(staged.path, cfg.db_path, datetime.now(UTC))
        finally:
            staged.path.unlink(missing_ok=True)  # gone already once swapped in
    finally:
        lock.release()
    kept = f"; the database it replaced is kept as {aside}" if aside else ""
    print(f"restored {source} to {cfg.db_path}: journal up to seq {staged.last_seq}{kept}")
    return 0
