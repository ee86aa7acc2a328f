"""`kassa doctor`'s checks of this machine: the config's file, the data folder, the disk,
the journal's chain, the sync backlog, and the scanner, camera and printer."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import serial

from agent.errors import KassaError
from agent.store import Store
from drivers.printer import EscposPrinter, PrinterKind
from drivers.printer_status import PrinterState
from ui.commands.findings import Finding, error, ok, warning
from ui.config import Config

MB = 1024 * 1024
DISK_WARNING_BYTES = 500 * MB  # a day of sales is a few MB: below this, plan a clean-up
DISK_ERROR_BYTES = 50 * MB  # below this SQLite may soon fail a commit (the till stops selling)
BACKLOG_WARNING_S = 3600  # sales waiting longer than an hour: HQ has been away a while
BACKLOG_ERROR_S = 24 * 3600  # ... a day (or HQ's offline limit, if shorter)

FreeBytes = Callable[[Path], int]


def disk_free_bytes(path: Path) -> int:
    """Bytes the running user may still write on ``path``'s filesystem."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def settings(cfg: Config) -> list[Finding]:
    """What loads but cannot work: no credential, an address that is not HTTP, a timeout
    of nothing."""
    found = []
    if not cfg.hq.url.startswith(("http://", "https://")):
        found.append(
            error("config", f"hq.url {cfg.hq.url!r} is not an http(s) URL", "fix [hq] url")
        )
    if not cfg.hq.secret:
        found.append(
            error(
                "config",
                "hq.secret is empty: HQ refuses every upload of this till",
                f"at HQ: kassa hq add-terminal --id {cfg.terminal_id}; its secret into [hq] secret",
            )
        )
    for name in ("timeout_s", "lookup_timeout_s", "interval_s", "backoff_max_s", "max_skew_s"):
        if not getattr(cfg.hq, name) > 0:
            found.append(error("config", f"hq.{name} must be above 0", f"fix [hq] {name}"))
    if cfg.hq.batch_size < 1:
        found.append(error("config", "hq.batch_size must be at least 1", "fix [hq] batch_size"))
    return found


def config_file(path: Path, holds_secret: bool) -> Finding:
    """The config holds the terminal's HQ secret (and POS tokens): the owner's and a
    group's only."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o007 and holds_secret:
        return error(
            "permissions",
            f"{path} (mode {mode:04o}) holds the terminal's HQ secret and every user of "
            "this machine can read it",
            f"chmod 600 {path} (or chmod 640 {path}; chgrp kassa {path})",
        )
    return ok("permissions", f"{path} is readable by its owner and group only ({mode:04o})")


def data_dir(cfg: Config) -> Finding:
    folder = cfg.data_dir
    if not folder.exists():
        parent = _existing(folder)
        if os.access(parent, os.W_OK | os.X_OK):
            return warning(
                "data dir", f"{folder} does not exist yet", "the till creates it at its first start"
            )
        return error(
            "data dir",
            f"{folder} does not exist and {parent} is not writable by this user",
            f"mkdir -p {folder} and give it to the user the till runs as",
        )
    if not folder.is_dir():
        return error("data dir", f"{folder} is not a folder", "fix data_dir in the config")
    if not os.access(folder, os.W_OK | os.X_OK):
        return error(
            "data dir",
            f"{folder} is not writable by this user (uid {os.getuid()})",
            "chown the folder to the user the till runs as, or run doctor as that user",
        )
    db = cfg.db_path
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        return error(
            "data dir", f"{db} is not writable by this user", f"chown {db} to the till's user"
        )
    if db.exists() and stat.S_IMODE(db.stat().st_mode) & 0o007:
        return warning(
            "data dir", f"{db} is readable by every user of this machine", f"chmod 600 {db}"
        )
    return ok("data dir", f"{folder} is writable")


def disk(cfg: Config, free_bytes: FreeBytes) -> Finding:
    where = _existing(cfg.data_dir)
    free = free_bytes(where)
    says = f"{free // MB} MB free on the filesystem of {where}"
    todo = "free space there (old logs, old backups) or give the data dir a larger disk"
    if free < DISK_ERROR_BYTES:
        return error("disk", f"{says}: sales may soon fail to save", todo)
    if free < DISK_WARNING_BYTES:
        return warning("disk", f"{says} (below {DISK_WARNING_BYTES // MB} MB)", todo)
    return ok("disk", says)


def open_store(cfg: Config) -> Store | Finding:
    """The terminal's store, read only; a finding when there is none or it cannot be read."""
    if not cfg.db_path.exists():
        return warning(
            "journal",
            f"no terminal database at {cfg.db_path} yet",
            "start the till once (kassa run / kassa agent); if it ran before, data_dir is wrong",
        )
    try:
        return Store.open_readonly(cfg.db_path)
    except KassaError as exc:
        return error("journal", exc.for_cashier(), "restore the last backup (kassa restore)")


def journal(store: Store, db_path: Path) -> Finding:
    """The journal's seq continuity and hash chain (`kassa verify`'s check)."""
    try:
        broken = store.ledger.verify()
        count = store.conn.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
    except KassaError as exc:
        return error("journal", exc.for_cashier(), "restore the last backup (kassa restore)")
    if broken is not None:
        return error(
            "journal",
            f"the journal in {db_path} is broken at seq {broken.seq}: {broken.reason}",
            "keep the file for investigation; restore the last good backup (kassa restore) "
            "and tell HQ",
        )
    return ok("journal", f"hash chain intact ({count} rows)")


def _age(seconds: float) -> str:
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 60:.0f} min"


def backlog(store: Store, now: datetime) -> list[Finding]:
    """Sales waiting for HQ (how many, the oldest's age) and what HQ quarantined."""
    try:
        stats = store.ledger.outbox_stats()
        quarantined = store.ledger.quarantined()
        limit_s = min(BACKLOG_ERROR_S, store.catalogue.offline_policy().stale_after_s)
    except KassaError as exc:
        return [error("backlog", exc.for_cashier(), "restore the last backup (kassa restore)")]
    found: list[Finding] = []
    if stats.pending == 0 or stats.oldest_at is None:
        found.append(ok("backlog", "nothing waits to be sent to HQ"))
    else:
        age_s = (now - stats.oldest_at).total_seconds()
        says = f"{stats.pending} events wait to be sent to HQ, the oldest for {_age(age_s)}"
        todo = "check HQ reachability below, the network, and the till's sync status (F3)"
        if age_s > limit_s:
            found.append(error("backlog", f"{says} (limit {_age(limit_s)})", todo))
        elif age_s > BACKLOG_WARNING_S:
            found.append(warning("backlog", says, todo))
        else:
            found.append(ok("backlog", says))
    if quarantined:
        seqs = ", ".join(str(q.seq) for q in quarantined[:5])
        found.append(
            warning(
                "quarantine",
                f"HQ quarantined {len(quarantined)} of this till's events (seq {seqs}"
                f"{'...' if len(quarantined) > 5 else ''}): stored, not applied",
                "HQ staff: kassa hq quarantine --db HQ_DB lists each with its reason",
            )
        )
    return found


def _device_path(url: str) -> Path | None:
    """The device file a serial URL names (None for loop://, socket://...)."""
    if url.startswith("spy://"):
        url = url[len("spy://") :]
    return Path(url.split("?")[0]) if url.startswith("/") else None


def scanner(cfg: Config) -> Finding:
    sc = cfg.scanner
    if sc.evdev:
        path = Path(sc.evdev)
        if not path.exists():
            return error(
                "scanner",
                f"the evdev scanner {path} does not exist",
                "plug the scanner in; check packaging/99-kassa-scanner.rules is installed "
                "(udevadm control --reload; udevadm trigger)",
            )
        if not os.access(path, os.R_OK):
            return error(
                "scanner", f"{path} is not readable by this user", "add the user to group kassa"
            )
        return ok("scanner", f"evdev scanner {path} is there and readable")
    if not sc.url:
        return ok("scanner", "keyboard wedge only (no serial scanner configured)")
    device = _device_path(sc.url)
    if device is not None and not device.exists():
        return error(
            "scanner",
            f"the scanner's device {device} does not exist",
            "plug the scanner in, or fix [scanner] url (kassa devices lists serial ports)",
        )
    try:
        port = serial.serial_for_url(sc.url, baudrate=sc.baudrate, timeout=0)
    except (OSError, serial.SerialException, ValueError) as exc:
        return error(
            "scanner",
            f"the scanner at {sc.url} does not open: {exc}",
            "check the cable and [scanner] url; add the till's user to group dialout",
        )
    port.close()
    return ok("scanner", f"the scanner at {sc.url} opens")


def camera(cfg: Config) -> Finding | None:
    source = cfg.camera.source
    if not source:
        return None
    path = Path(f"/dev/video{source}") if source.isdigit() else Path(source)
    if not path.exists():
        return error(
            "camera", f"the camera {path} does not exist", "plug it in, or fix [camera] source"
        )
    if not os.access(path, os.R_OK):
        return error(
            "camera", f"{path} is not readable by this user", "add the user to group video"
        )
    return ok("camera", f"{path} is there")


def printer(cfg: Config) -> Finding:
    pr = cfg.printer
    target = Path(pr.target)
    if pr.kind is PrinterKind.FILE:
        where = target if target.exists() else _existing(target.parent)
        if not os.access(where, os.W_OK):
            return error(
                "printer",
                f"the printer's file {target} cannot be written by this user ({where})",
                "fix [printer] target, or the permissions (group lp for /dev/usb/lp0)",
            )
        return ok("printer", f"prints to the file {target}")
    if pr.kind is PrinterKind.USB:
        return ok("printer", f"USB printer {pr.target} (not asked: print a test page)")
    if pr.kind is PrinterKind.SERIAL:
        device = _device_path(pr.target)
        if device is not None and not device.exists():
            return error(
                "printer",
                f"the printer's device {device} does not exist",
                "plug the printer in, or fix [printer] target",
            )
    st = EscposPrinter(pr).status()
    name = f"{pr.kind.value} printer {pr.target}"
    if st.state is PrinterState.OK:
        return ok("printer", f"{name} answers: ready")
    if st.state is PrinterState.PAPER_LOW:
        return warning("printer", f"{name}: paper running low", "load a new roll soon")
    if st.state is PrinterState.UNKNOWN:
        if st.detail.startswith("cannot reach"):
            return error("printer", f"{name}: {st.detail}", "check power, cable or network")
        return warning(
            "printer",
            f"{name} does not answer the status query",
            "many printers never do: print a test page (kassa printer test --config FILE)",
        )
    return error("printer", f"{name}: {st.detail}", "see to the printer (paper, cover, power)")
