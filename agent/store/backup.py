"""A copy of the terminal's database taken while the till runs, checked, and put back.

The copy is made with SQLite's online backup API (:func:`agent.store.file.online_backup`):
one consistent state of the file while the till keeps selling. A copy is kept only
once SQLite finds nothing wrong in it (``PRAGMA integrity_check``) and its journal's
hash chain verifies; it is one self-contained file (no -wal beside it), fsynced with
its folder before it takes its name.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.errors import InputError, StoreCorrupted
from agent.store.file import (
    StoreFile,
    connect,
    connect_readonly,
    integrity_problems,
    require_database,
)
from agent.store.file import online_backup as _online_backup
from agent.store.ledger import Ledger
from agent.store.schema import migrations

SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a checked copy holds: its journal's last seq, the terminal that wrote it."""

    path: Path
    last_seq: int
    terminal_id: str | None  # None: an empty journal
    size_bytes: int


def fsync_path(path: Path) -> None:
    """Flush ``path`` (a file or a folder) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def give_like(path: Path, like: Path) -> None:
    """Give ``path`` the owner and group of ``like`` when running as root: a restore run
    with sudo must leave a file the till's own user can write."""
    if os.geteuid() == 0:
        st = like.stat()
        os.chown(path, st.st_uid, st.st_gid)


def check_copy(path: Path) -> CopyReport:
    """Check the database file at ``path``: SQLite's integrity check, then the journal's
    seq continuity and hash chain; leave it one file (rollback journal, no -wal).

    Raises StoreCorrupted naming what is wrong, NotADatabase for a file kassa did not make.
    """
    require_database(path, migrations.name)
    conn = connect(path)
    try:
        problems = integrity_problems(conn)
        if problems:
            raise StoreCorrupted(f"{path}: {'; '.join(problems[:3])}")
        broken = Ledger(StoreFile(conn)).verify()
        if broken is not None:
            raise StoreCorrupted(f"{path}: journal broken at seq {broken.seq}: {broken.reason}")
        row = conn.execute("SELECT seq, body FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        conn.execute("PRAGMA journal_mode=DELETE")  # one file: nothing to lose beside it
    finally:
        conn.close()
    terminal = None if row is None else str(json.loads(row[1]).get("terminal_id") or "") or None
    return CopyReport(path, 0 if row is None else int(row[0]), terminal, path.stat().st_size)


def take_backup(db_path: Path, dest: Path) -> CopyReport:
    """Copy the terminal's database at ``db_path`` to ``dest`` while tills may be writing
    it; check the copy (:func:`check_copy`) and fsync it before it is named ``dest``.

    Raises InputError when ``dest`` exists, NotADatabase, StoreCorrupted (the copy is
    damaged: it is not kept), StoreUnavailable or StoreFull.
    """
    require_database(db_path, migrations.name)
    if dest.exists():
        raise InputError(f"{dest}: exists already (a backup never overwrites a file)")
    partial = dest.with_name(dest.name + ".partial")
    _remove(partial)
    source = connect_readonly(db_path)
    try:
        _online_backup(source, partial)
    finally:
        source.close()
    with ExitStack() as undo:  # a copy that fails its checks (or is interrupted) is not kept
        undo.callback(_remove, partial)
        report = check_copy(partial)
        fsync_path(partial)
        undo.pop_all()
    os.replace(partial, dest)
    fsync_path(dest.parent)
    return CopyReport(dest, report.last_seq, report.terminal_id, report.size_bytes)


def stage_copy(backup: Path, db_path: Path) -> CopyReport:
    """Copy ``backup`` beside the database as ``terminal.db.restoring`` and check it
    there (the backup itself is never changed). Raises as :func:`check_copy`."""
    require_database(backup, migrations.name)
    staged = db_path.with_name(db_path.name + ".restoring")
    _remove(staged)
    shutil.copyfile(backup, staged)
    os.chmod(staged, 0o600)
    give_like(staged, db_path if db_path.exists() else db_path.parent)
    with ExitStack() as undo:  # a staged copy that fails its checks is not left behind
        undo.callback(_remove, staged)
        report = check_copy(staged)
        fsync_path(staged)
        undo.pop_all()
    return report


def swap_in(staged: Path, db_path: Path, at: datetime) -> Path | None:
    """Put the checked copy ``staged`` in the place of the database at ``db_path``; the
    database it replaces (with its -wal and -shm) is kept aside as
    ``terminal.db.replaced-<time>``. Returns where it was kept (None: there was none).
    Call it holding the database's lock exclusively (:mod:`agent.store.lock`)."""
    aside: Path | None = None
    if db_path.exists():
        aside = db_path.with_name(f"{db_path.name}.replaced-{at.strftime('%Y%m%dT%H%M%S')}")
        if aside.exists():
            raise InputError(f"{aside}: exists already")
        for suffix in SIDE_FILES:  # the -wal first: it holds the newest commits
            side = db_path.with_name(db_path.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
        os.replace(db_path, aside)
    else:
        for suffix in SIDE_FILES:
            _remove(db_path.with_name(db_path.name + suffix))
    os.replace(staged, db_path)
    fsync_path(db_path.parent)
    return aside


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
