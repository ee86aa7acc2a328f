"""Who holds the terminal's database: a till or an agent running on it, or a restore.

A running till (``kassa run``, ``kassa agent``, ``kassa simulate``) holds a shared
lock on ``terminal.db.lock`` beside the database for as long as it runs; ``kassa
restore`` takes it exclusively, so it never replaces a file a till has open, and no
till starts while a restore runs. The kernel drops the lock when the process ends,
however it ends (a crash or SIGKILL leaves nothing stale behind).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from agent.errors import StoreBusy, StoreUnavailable


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class DatabaseLock:
    """A lock on the terminal's database file, held until :meth:`release`."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def take(cls, db_path: Path, *, exclusive: bool) -> DatabaseLock:
        """Take the lock of ``db_path``: shared (a till) or exclusive (a restore); never
        waits. Raises StoreBusy when the other kind is held, StoreUnavailable when the
        lock file cannot be opened."""
        path = lock_path(db_path)
        try:
            # Read only and readable by all (it holds nothing): a lock file a restore run
            # as root made still serves the till's own user.
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreUnavailable(f"{path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = "a till or agent is running on it" if exclusive else "it is being restored"
            raise StoreBusy(f"{db_path}: {holder}") from None
        return cls(fd, path)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
