"""HQ's keys: its Ed25519 signing key, and its X25519 seal key (phone numbers sealed at
enrolment), each created once by whichever HQ worker needs it first.

Beside an SQLite database they are files (private halves mode 0600). With PostgreSQL
they are rows of the database itself (:func:`db_key`): every HQ worker, on any host,
reads the same keys with no file to share between hosts, and a backup of the database
restores the keys terminals trust with it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from agent.events import Enrolment
from agent.privacy import new_seal_key, unseal
from agent.signing import new_private_key, public_key_hex
from sync.hq.db import Conn


def key_paths(db_path: str | Path) -> tuple[Path, Path]:
    """Return (private key file, public key file) for the HQ database at ``db_path``."""
    return Path(f"{db_path}.key"), Path(f"{db_path}.pub")


def _private(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key in ``path``, made (mode 0600) if missing. It is written whole under a name
    of this thread's own and linked into place, so another thread or HQ worker reading it
    never sees it half written; of two made at once, the one linked first is the key."""
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(make())
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another thread or HQ worker made it first: theirs is the key
        finally:
            tmp.unlink()
    return path.read_bytes()


def seal_key(db_path: str | Path) -> bytes:
    """Return HQ's X25519 private key for sealed phone numbers, creating it if missing."""
    return _private(Path(f"{db_path}.seal"), new_seal_key)


def load_or_create(db_path: str | Path) -> bytes:
    """Return HQ's private key, creating it (and the .pub file terminals need) if missing."""
    private_path, public_path = key_paths(db_path)
    key = _private(private_path, new_private_key)
    public_path.write_text(public_key_hex(key) + "\n", encoding="ascii")
    return key


def db_key(conn: Conn, name: str, make: Callable[[], bytes]) -> bytes:
    """HQ's private key ``name`` kept in its database (hq_meta), made if missing: the
    first worker's insert wins, the others read what it wrote."""
    key = f"key.{name}"
    row = conn.execute("SELECT value FROM hq_meta WHERE key=?", (key,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO hq_meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO NOTHING",
            (key, make().hex()),
        )
        row = conn.execute("SELECT value FROM hq_meta WHERE key=?", (key,)).fetchone()
    return bytes.fromhex(str(row[0]))


def enrolled_phone(key: bytes, e: Enrolment) -> str | None:
    """The phone number an enrolment gave: sealed for HQ (opened with its seal ``key``;
    None if it does not open), or in clear from a terminal of an older version."""
    if e.phone_sealed is None:
        return e.phone
    try:
        return unseal(key, e.phone_sealed)
    except ValueError:
        return None
