"""Power loss the way SQLite tests itself: writes not yet synced are lost at a crash.

``CrashVFS`` is an APSW VFS shim over the default one. Every write and truncate is
logged with what it overwrote until the file is synced. At the chosen I/O call the
power goes: each file is put back to its last synced state and then a random subset
of the unsynced writes is laid on again, in order (the disk may or may not have
written each of them); every later I/O call fails. The -shm file, which SQLite
never syncs, is lost too.

``ApswConnection`` lets kassa's own :class:`Store` run on such a connection: it
offers the part of the ``sqlite3.Connection`` API the store uses.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import apsw

from agent.store.file import SETTINGS


class PowerCut(apsw.IOError):  # type: ignore[misc]
    """Raised by the I/O call at which the power went."""


@dataclass
class _Logged:
    offset: int
    data: bytes | None  # None: a truncate to ``offset``
    old: bytes
    old_size: int


class CrashFile(apsw.VFSFile):  # type: ignore[misc]
    def __init__(self, vfs: CrashVFS, name: Any, flags: list[int]) -> None:
        super().__init__("", name, flags)
        self.vfs = vfs
        self.path = name.filename() if isinstance(name, apsw.URIFilename) else name
        self.fd = os.open(self.path, os.O_RDWR) if self.path else -1
        self.log: list[_Logged] = []
        vfs.files.append(self)

    def xRead(self, amount: int, offset: int) -> bytes:
        self.vfs.tick()
        return bytes(super().xRead(amount, offset))

    def xWrite(self, data: bytes, offset: int) -> None:
        self.vfs.tick()
        if self.fd >= 0:
            size = os.fstat(self.fd).st_size
            old = os.pread(self.fd, len(data), offset)
            self.log.append(_Logged(offset, bytes(data), old, size))
        super().xWrite(data, offset)

    def xTruncate(self, newsize: int) -> None:
        self.vfs.tick()
        if self.fd >= 0:
            size = os.fstat(self.fd).st_size
            old = os.pread(self.fd, max(0, size - newsize), newsize)
            self.log.append(_Logged(newsize, None, old, size))
        super().xTruncate(newsize)

    def xSync(self, flags: int) -> None:
        self.vfs.tick()
        super().xSync(flags)
        self.log.clear()  # durable from here on

    def lose_unsynced(self, rng: random.Random) -> int:
        """Put the file back to its last sync, then replay a random subset; return drops."""
        if self.fd < 0:
            return 0
        for e in reversed(self.log):
            os.pwrite(self.fd, e.old, e.offset)
            os.ftruncate(self.fd, e.old_size)
        dropped = 0
        for e in self.log:
            if rng.random() < 0.5:
                dropped += 1
            elif e.data is None:
                os.ftruncate(self.fd, e.offset)
            else:
                os.pwrite(self.fd, e.data, e.offset)
        return dropped

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class CrashVFS(apsw.VFS):  # type: ignore[misc]
    def __init__(self, name: str, crash_at: int | None, rng: random.Random) -> None:
        super().__init__(name, "")
        self.name = name
        self.crash_at = crash_at  # None: count the calls, never crash
        self.rng = rng
        self.calls = 0
        self.crashed = False
        self.dropped = 0
        self.files: list[CrashFile] = []

    def release(self) -> None:
        """Close the shim's own handles (after the round) and unregister the VFS."""
        for f in self.files:
            f.release()
        self.unregister()

    def xOpen(self, name: Any, flags: list[int]) -> CrashFile:
        return CrashFile(self, name, flags)

    def tick(self) -> None:
        if self.crashed:
            raise PowerCut("the power is off")
        self.calls += 1
        if self.crash_at is not None and self.calls >= self.crash_at:
            self.crashed = True
            self.dropped = sum(f.lose_unsynced(self.rng) for f in self.files)
            for f in self.files:
                if f.path and f.path.endswith("-shm") and os.path.exists(f.path):
                    os.unlink(f.path)  # shared memory is never synced: gone with the power
            raise PowerCut(f"power cut at I/O call {self.calls}")


class _Cursor:
    def __init__(self, cursor: apsw.Cursor, conn: apsw.Connection) -> None:
        self._rows = iter(cursor)
        self.rowcount = conn.changes()

    def fetchone(self) -> Any:
        return next(self._rows, None)

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return self._rows


class ApswConnection:
    """The part of sqlite3.Connection that kassa's Store uses, over an APSW connection."""

    def __init__(self, path: str, vfs: str) -> None:
        self.apsw = apsw.Connection(path, vfs=vfs)
        for pragma in SETTINGS:  # exactly as agent.store.connect sets them
            self.apsw.execute(pragma).fetchall()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> _Cursor:
        return _Cursor(self.apsw.execute(sql, tuple(params)), self.apsw)

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> _Cursor:
        rows = [tuple(r) for r in rows]
        if not rows:
            return _Cursor(self.apsw.execute("SELECT 1 WHERE 0"), self.apsw)
        return _Cursor(self.apsw.executemany(sql, rows), self.apsw)

    @property
    def in_transaction(self) -> bool:
        return not self.apsw.getautocommit()

    def commit(self) -> None:  # sqlite-utils calls it after a statement outside BEGIN
        pass

    def close(self) -> None:
        self.apsw.close(True)
